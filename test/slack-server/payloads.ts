/**
 * Builders for what Slack sends to apps (SLACK.md §5): the Events API wrapper,
 * slash command fields, block_actions and view_submission payloads.
 */
import { randomBytes } from "node:crypto";
import { findActionElement } from "./blocks.js";
import { slackId, type SlackState } from "./state.js";
import type { JsonObject, StoredView } from "./types.js";

export interface SlashCommandInput {
  command: string;
  text?: string;
  user_id: string;
  channel_id: string;
  user_name?: string;
  channel_name?: string;
  /** Extra/overriding fields. */
  extra?: Record<string, string>;
}

export interface ButtonClickInput {
  user: string;
  actionId: string;
  value?: string;
  blockId?: string;
  /** Message surface: channel + messageTs (ephemeral messages are looked up too). */
  channel?: string;
  messageTs?: string;
  /** View surface (modal or App Home) instead of a message. */
  viewId?: string;
  /** Element type; default `button` (or whatever the stored blocks say). */
  type?: string;
  /** Extra fields merged into the action (e.g. selected_option). */
  actionExtra?: JsonObject;
}

/** state.values entries; a bare string means `{type:'plain_text_input', value}`. */
export type ViewValues = Record<string, Record<string, JsonObject | string>>;

export interface SubmitViewInput {
  viewId: string;
  user?: string;
  values?: ViewValues;
}

const VERIFICATION_TOKEN = "loopback-verification-token";

export function userRef(state: SlackState, id: string): JsonObject {
  const name = state.users.get(id)?.name ?? id.toLowerCase();
  return { id, username: name, name, team_id: state.identity.teamId };
}

export function channelName(state: SlackState, id: string): string {
  const c = state.channels.get(id);
  if (c?.is_im) return "directmessage";
  return c?.name ?? id.toLowerCase();
}

export function eventId(): string {
  return slackId("Ev", 10);
}

/** Wrap an event the way the Events API does; message-like events get ts/event_ts filled in. */
export function eventCallback(state: SlackState, event: JsonObject, id: string): JsonObject {
  const { identity } = state;
  const ev: JsonObject = { ...event };
  const messageLike = ev.type === "message" || ev.type === "app_mention";
  if (messageLike && ev.ts === undefined) ev.ts = state.nextTs();
  if (ev.event_ts === undefined) ev.event_ts = typeof ev.ts === "string" ? ev.ts : state.nextTs();
  if (messageLike && ev.team === undefined) ev.team = identity.teamId;
  if (ev.type === "message" && ev.channel_type === undefined && typeof ev.channel === "string") {
    const c = state.channels.get(ev.channel);
    ev.channel_type = ev.channel.startsWith("D") || c?.is_im ? "im" : c?.is_private ? "group" : "channel";
  }
  return {
    token: VERIFICATION_TOKEN,
    team_id: identity.teamId,
    context_team_id: identity.teamId,
    context_enterprise_id: null,
    api_app_id: identity.appId,
    event: ev,
    type: "event_callback",
    event_id: id,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      {
        enterprise_id: null,
        team_id: identity.teamId,
        user_id: identity.botUserId,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
    event_context: `4-${randomBytes(24).toString("base64url")}`,
  };
}

export function slashCommandFields(
  state: SlackState,
  input: SlashCommandInput,
  responseUrl: string,
  triggerId: string,
): Record<string, string> {
  const { identity } = state;
  return {
    token: VERIFICATION_TOKEN,
    team_id: identity.teamId,
    team_domain: identity.teamDomain,
    channel_id: input.channel_id,
    channel_name: input.channel_name ?? channelName(state, input.channel_id),
    user_id: input.user_id,
    user_name: input.user_name ?? state.users.get(input.user_id)?.name ?? input.user_id.toLowerCase(),
    command: input.command,
    text: input.text ?? "",
    api_app_id: identity.appId,
    is_enterprise_install: "false",
    response_url: responseUrl,
    trigger_id: triggerId,
    ...input.extra,
  };
}

export function viewPayload(state: SlackState, v: StoredView, values: JsonObject = {}): JsonObject {
  const { identity } = state;
  return {
    id: v.id,
    team_id: identity.teamId,
    type: v.type,
    blocks: v.view.blocks ?? [],
    private_metadata: v.view.private_metadata ?? "",
    callback_id: v.view.callback_id ?? "",
    state: { values },
    hash: v.hash,
    title: v.view.title ?? null,
    clear_on_close: v.view.clear_on_close ?? false,
    notify_on_close: v.view.notify_on_close ?? false,
    close: v.view.close ?? null,
    submit: v.view.submit ?? null,
    previous_view_id: v.previous_view_id,
    root_view_id: v.root_view_id,
    app_id: identity.appId,
    external_id: v.external_id ?? "",
    app_installed_team_id: identity.teamId,
    bot_id: identity.botId,
  };
}

export function normalizeValues(values: ViewValues = {}): JsonObject {
  const out: JsonObject = {};
  for (const [blockId, actions] of Object.entries(values)) {
    const block: JsonObject = {};
    for (const [actionId, v] of Object.entries(actions)) {
      block[actionId] = typeof v === "string" ? { type: "plain_text_input", value: v } : v;
    }
    out[blockId] = block;
  }
  return out;
}

export interface BuiltAction {
  payload: JsonObject;
  /** The message the action came from, if it is a stored (non-ephemeral) one. */
  messageTs?: string;
  isEphemeral: boolean;
}

/** block_actions for a click on a message (channel+messageTs) or a view (viewId). */
export function blockActionsPayload(
  state: SlackState,
  input: ButtonClickInput,
  triggerId: string,
  responseUrl: string | undefined,
): BuiltAction {
  const { identity } = state;
  const actionTs = state.nextTs();
  let blocks: unknown;
  let container: JsonObject;
  const extra: JsonObject = {};
  let isEphemeral = false;
  if (input.viewId) {
    const v = state.views.get(input.viewId);
    if (!v) throw new Error(`clickButton: no view ${input.viewId}`);
    blocks = v.view.blocks;
    container = { type: "view", view_id: v.id };
    extra.view = viewPayload(state, v);
  } else {
    if (!input.channel || !input.messageTs) throw new Error("clickButton needs channel+messageTs or viewId");
    const msg = state.findMessage(input.channel, input.messageTs);
    const eph = msg ? undefined : state.ephemerals.find((e) => e.channel === input.channel && e.ts === input.messageTs);
    isEphemeral = eph !== undefined;
    blocks = msg?.blocks ?? eph?.blocks;
    container = { type: "message", message_ts: input.messageTs, channel_id: input.channel, is_ephemeral: isEphemeral };
    extra.channel = { id: input.channel, name: channelName(state, input.channel) };
    if (msg) extra.message = state.messageJson(msg);
    if (responseUrl) extra.response_url = responseUrl;
  }
  const found = findActionElement(blocks, input.actionId);
  const el = found?.element;
  const action: JsonObject = {
    action_id: input.actionId,
    block_id: input.blockId ?? found?.blockId ?? slackId("", 5),
    type: input.type ?? (typeof el?.type === "string" ? el.type : "button"),
    action_ts: actionTs,
  };
  if (el?.text !== undefined) action.text = el.text;
  const value = input.value ?? (typeof el?.value === "string" ? el.value : undefined);
  if (value !== undefined) action.value = value;
  if (typeof el?.style === "string") action.style = el.style;
  Object.assign(action, input.actionExtra);
  const payload: JsonObject = {
    type: "block_actions",
    user: userRef(state, input.user),
    api_app_id: identity.appId,
    token: VERIFICATION_TOKEN,
    container,
    trigger_id: triggerId,
    team: { id: identity.teamId, domain: identity.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    state: { values: {} },
    actions: [action],
    ...extra,
  };
  const out: BuiltAction = { payload, isEphemeral };
  if (!input.viewId && input.messageTs && !isEphemeral) out.messageTs = input.messageTs;
  return out;
}

export function viewSubmissionPayload(state: SlackState, v: StoredView, user: string, values: JsonObject, triggerId: string): JsonObject {
  const { identity } = state;
  return {
    type: "view_submission",
    team: { id: identity.teamId, domain: identity.teamDomain },
    user: userRef(state, user),
    api_app_id: identity.appId,
    token: VERIFICATION_TOKEN,
    trigger_id: triggerId,
    view: viewPayload(state, v, values),
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}
