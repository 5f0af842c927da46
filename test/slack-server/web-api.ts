/**
 * Web API method handlers. Each returns the JSON body Slack would answer with
 * (HTTP 200); transport concerns (auth, rate limits, faults, logging) live in
 * slack-api-server.ts.
 */
import { normalizeBlocks, validateBlocks, validateView } from "./blocks.js";
import { slackId } from "./state.js";
import type { JsonObject, StoredFile, StoredView } from "./types.js";
import { chatDelete, chatPostEphemeral, chatPostMessage, chatUpdate, reactionsAdd } from "./web-api-chat.js";
import {
  type ApiContext,
  type Args,
  fail,
  type Handler,
  invalidArguments,
  JSON_FIELDS,
  ok,
  str,
  type TokenKind,
} from "./web-api-common.js";

export type { ApiContext, TokenKind } from "./web-api-common.js";
export { fail } from "./web-api-common.js";

/**
 * Decode JSON-string fields. Returns the decoded args plus the names of fields
 * that were not valid JSON (Slack answers those with `invalid_blocks_format` etc.).
 */
export function decodeArgs(raw: Args): { args: Args; badJson: string[] } {
  const args: Args = { ...raw };
  const badJson: string[] = [];
  for (const field of JSON_FIELDS) {
    const v = args[field];
    if (typeof v !== "string") continue;
    try {
      args[field] = JSON.parse(v);
    } catch {
      if (field === "file_ids") args[field] = v.split(",");
      else badJson.push(field);
    }
  }
  return { args, badJson };
}

// ---- views ----------------------------------------------------------------

function newHash(): string {
  return `${Math.floor(Date.now() / 1000)}.${Math.random().toString(36).slice(2, 10)}`;
}

export function viewJson(ctx: ApiContext, v: StoredView): JsonObject {
  const { identity } = ctx.state;
  return {
    id: v.id,
    team_id: identity.teamId,
    type: v.type,
    title: v.view.title ?? null,
    submit: v.view.submit ?? null,
    close: v.view.close ?? null,
    blocks: v.view.blocks ?? [],
    private_metadata: v.view.private_metadata ?? "",
    callback_id: v.view.callback_id ?? "",
    external_id: v.external_id ?? "",
    state: v.view.state ?? { values: {} },
    hash: v.hash,
    clear_on_close: v.view.clear_on_close ?? false,
    notify_on_close: v.view.notify_on_close ?? false,
    root_view_id: v.root_view_id,
    previous_view_id: v.previous_view_id,
    app_id: identity.appId,
    app_installed_team_id: identity.teamId,
    bot_id: identity.botId,
  };
}

function checkView(view: unknown): JsonObject | undefined {
  const errors = validateView(view);
  return errors.length > 0 ? invalidArguments(errors) : undefined;
}

function storeView(
  ctx: ApiContext,
  view: JsonObject,
  user: string,
  links: { root?: string; previous?: string | null; id?: string },
): StoredView {
  const id = links.id ?? slackId("V");
  const blocks = Array.isArray(view.blocks) ? normalizeBlocks(view.blocks) : [];
  const stored: StoredView = {
    id,
    type: String(view.type),
    user,
    view: { ...view, blocks },
    hash: newHash(),
    root_view_id: links.root ?? id,
    previous_view_id: links.previous ?? null,
    open: true,
  };
  if (typeof view.external_id === "string" && view.external_id) stored.external_id = view.external_id;
  ctx.state.views.set(id, stored);
  ctx.state.changed();
  return stored;
}

function exchange(ctx: ApiContext, args: Args): { user: string } | JsonObject {
  const trigger = str(args.trigger_id) ?? str(args.interactivity_pointer);
  if (!trigger) return invalidArguments(["missing required field: trigger_id"]);
  const user = ctx.state.triggers.get(trigger)?.user;
  const problem = ctx.state.exchangeTrigger(trigger);
  if (problem === "invalid_trigger" || user === undefined) return invalidArguments(["invalid `trigger_id`"]);
  if (problem) return fail(problem);
  return { user };
}

const viewsOpen: Handler = (ctx, args) => {
  const bad = checkView(args.view);
  if (bad) return bad;
  const view = args.view as JsonObject;
  if (view.type !== "modal") return invalidArguments(["views.open only accepts modal views [json-pointer:/view/type]"]);
  const ext = view.external_id;
  if (typeof ext === "string" && ext && [...ctx.state.views.values()].some((v) => v.external_id === ext)) {
    return fail("duplicate_external_id");
  }
  const who = exchange(ctx, args);
  if (!("user" in who) || typeof who.user !== "string") return who;
  return ok({ view: viewJson(ctx, storeView(ctx, view, who.user, {})) });
};

const viewsPush: Handler = (ctx, args) => {
  const bad = checkView(args.view);
  if (bad) return bad;
  const who = exchange(ctx, args);
  if (!("user" in who) || typeof who.user !== "string") return who;
  const open = [...ctx.state.views.values()].filter((v) => v.open && v.type === "modal" && v.user === who.user);
  const top = open[open.length - 1];
  if (!top) return fail("not_found");
  const depth = open.filter((v) => v.root_view_id === top.root_view_id).length;
  if (depth >= 3) return fail("push_limit_reached");
  const stored = storeView(ctx, args.view as JsonObject, who.user, { root: top.root_view_id, previous: top.id });
  return ok({ view: viewJson(ctx, stored) });
};

const viewsUpdate: Handler = (ctx, args) => {
  const bad = checkView(args.view);
  if (bad) return bad;
  const viewId = str(args.view_id);
  const externalId = str(args.external_id);
  if (!viewId && !externalId) return invalidArguments(["either view_id or external_id is required"]);
  const existing = viewId ? ctx.state.views.get(viewId) : [...ctx.state.views.values()].find((v) => v.external_id === externalId);
  if (!existing) return fail("not_found");
  const hash = str(args.hash);
  if (hash !== undefined && hash !== existing.hash) return fail("hash_conflict");
  const updated = storeView(ctx, args.view as JsonObject, existing.user, {
    id: existing.id,
    root: existing.root_view_id,
    previous: existing.previous_view_id,
  });
  updated.open = existing.open;
  if (!updated.external_id && existing.external_id) updated.external_id = existing.external_id;
  return ok({ view: viewJson(ctx, updated) });
};

const viewsPublish: Handler = (ctx, args) => {
  const user = str(args.user_id);
  if (!user) return invalidArguments(["missing required field: user_id"]);
  const bad = checkView(args.view);
  if (bad) return bad;
  const view = args.view as JsonObject;
  if (view.type !== "home") return invalidArguments(["views.publish only accepts home views [json-pointer:/view/type]"]);
  const existing = [...ctx.state.views.values()].find((v) => v.type === "home" && v.user === user);
  const hash = str(args.hash);
  if (existing && hash !== undefined && hash !== existing.hash) return fail("hash_conflict");
  const stored = storeView(ctx, view, user, existing ? { id: existing.id } : {});
  return ok({ view: viewJson(ctx, stored) });
};

// ---- files ----------------------------------------------------------------

const filesGetUploadURLExternal: Handler = (ctx, args) => {
  const filename = str(args.filename);
  const length = Number(str(args.length));
  if (!filename) return invalidArguments(["missing required field: filename"]);
  if (!Number.isInteger(length) || length < 0) return invalidArguments(["missing required field: length"]);
  const file: StoredFile = {
    id: slackId("F"),
    name: filename,
    title: filename,
    length,
    uploaded: false,
    completed: false,
    created: Math.floor(Date.now() / 1000),
  };
  const alt = str(args.alt_text);
  if (alt) file.alt_text = alt;
  const snippet = str(args.snippet_type);
  if (snippet) file.snippet_type = snippet;
  ctx.state.files.set(file.id, file);
  return ok({ upload_url: `${ctx.baseUrl}/upload/v1/${file.id}`, file_id: file.id });
};

const filesCompleteUploadExternal: Handler = (ctx, args) => {
  const list = args.files;
  if (!Array.isArray(list) || list.length === 0) return invalidArguments(["missing required field: files"]);
  const files: StoredFile[] = [];
  for (const entry of list) {
    const id = typeof entry === "object" && entry !== null ? str((entry as JsonObject).id) : undefined;
    const f = id ? ctx.state.files.get(id) : undefined;
    if (!f || !f.uploaded) return fail("file_not_found");
    const title = str((entry as JsonObject).title);
    if (title) f.title = title;
    files.push(f);
  }
  const channelArg = str(args.channel_id);
  const threadTs = str(args.thread_ts);
  const comment = str(args.initial_comment);
  const channel = channelArg ? ctx.state.resolveChannel(channelArg, ctx.strictChannels) : undefined;
  if (channelArg && !channel) return fail("invalid_channel");
  for (const f of files) {
    f.completed = true;
    if (channel) f.channel = channel.id;
    if (threadTs) f.thread_ts = threadTs;
    if (comment) f.initial_comment = comment;
  }
  if (channel) {
    const { botUserId, botId } = ctx.state.identity;
    const blocks = Array.isArray(args.blocks) ? normalizeBlocks(args.blocks) : undefined;
    ctx.state.addMessage({
      channel: channel.id,
      ts: ctx.state.nextTs(),
      text: comment ?? "",
      ...(threadTs ? { thread_ts: threadTs } : {}),
      ...(blocks ? { blocks } : {}),
      files,
      user: botUserId,
      bot_id: botId,
      fromBot: true,
      via: "files.completeUploadExternal",
    });
  } else {
    ctx.state.changed();
  }
  return ok({ files: files.map((f) => ctx.state.fileJson(f)) });
};

// ---- directory ------------------------------------------------------------

export function userJson(ctx: ApiContext, id: string): JsonObject | undefined {
  const u = ctx.state.users.get(id);
  if (!u) return undefined;
  const realName = u.real_name ?? u.name;
  return {
    id: u.id,
    team_id: ctx.state.identity.teamId,
    name: u.name,
    deleted: u.deleted ?? false,
    real_name: realName,
    tz: u.tz ?? "America/Los_Angeles",
    tz_label: u.tz ?? "Pacific Standard Time",
    tz_offset: u.tz_offset ?? -28800,
    is_admin: u.is_admin ?? false,
    is_owner: false,
    is_primary_owner: false,
    is_restricted: u.is_restricted ?? false,
    is_ultra_restricted: u.is_ultra_restricted ?? false,
    is_bot: u.is_bot ?? false,
    is_app_user: false,
    updated: Math.floor(Date.now() / 1000),
    profile: {
      real_name: realName,
      display_name: u.name,
      ...(u.email ? { email: u.email } : {}),
      team: ctx.state.identity.teamId,
    },
  };
}

const METHODS: Record<string, Handler> = {
  "auth.test": (ctx) => {
    const id = ctx.state.identity;
    return ok({
      url: `https://${id.teamDomain}.slack.com/`,
      team: id.teamDomain,
      user: id.botName,
      team_id: id.teamId,
      user_id: id.botUserId,
      bot_id: id.botId,
      is_enterprise_install: false,
    });
  },
  "chat.postMessage": chatPostMessage,
  "chat.update": chatUpdate,
  "chat.postEphemeral": chatPostEphemeral,
  "chat.delete": chatDelete,
  "reactions.add": reactionsAdd,
  "views.open": viewsOpen,
  "views.push": viewsPush,
  "views.update": viewsUpdate,
  "views.publish": viewsPublish,
  "files.getUploadURLExternal": filesGetUploadURLExternal,
  "files.completeUploadExternal": filesCompleteUploadExternal,
  "usergroups.users.list": (ctx, args) => {
    const g = ctx.state.usergroups.get(str(args.usergroup) ?? "");
    if (!g || (g.disabled && str(args.include_disabled) !== "true")) return fail("no_such_subteam");
    return ok({ users: [...g.users] });
  },
  "usergroups.list": (ctx, args) =>
    ok({
      usergroups: [...ctx.state.usergroups.values()]
        .filter((g) => !g.disabled || str(args.include_disabled) === "true")
        .map((g) => ({
          id: g.id,
          team_id: ctx.state.identity.teamId,
          handle: g.handle ?? g.id.toLowerCase(),
          name: g.handle ?? g.id,
          date_delete: g.disabled ? 1 : 0,
        })),
    }),
  "users.info": (ctx, args) => {
    const user = userJson(ctx, str(args.user) ?? "");
    return user ? ok({ user }) : fail("user_not_found");
  },
  "conversations.info": (ctx, args) => {
    const c = ctx.state.resolveChannel(str(args.channel) ?? "", ctx.strictChannels);
    if (!c) return fail("channel_not_found");
    const isIm = c.is_im ?? false;
    return ok({
      channel: {
        id: c.id,
        ...(isIm ? { user: c.user } : { name: c.name ?? c.id.toLowerCase(), name_normalized: c.name ?? "" }),
        is_channel: !isIm && !c.is_private,
        is_group: !isIm && (c.is_private ?? false),
        is_im: isIm,
        is_mpim: false,
        is_private: isIm || (c.is_private ?? false),
        is_archived: c.is_archived ?? false,
        is_general: false,
        is_member: true,
        created: 1_700_000_000,
        context_team_id: ctx.state.identity.teamId,
      },
    });
  },
  "apps.connections.open": (ctx) => ok({ url: ctx.openConnection() }),
};

/** Which token type each method accepts (Slack answers `not_allowed_token_type` otherwise). */
export function acceptsToken(method: string, kind: TokenKind): boolean {
  return method === "apps.connections.open" ? kind === "app" : kind === "bot";
}

export function isKnownMethod(method: string): boolean {
  return Object.hasOwn(METHODS, method);
}

export function handleApiMethod(ctx: ApiContext, method: string, args: Args, badJson: string[]): JsonObject {
  const handler = METHODS[method];
  if (!handler) return fail("unknown_method", { req_method: method });
  if (badJson.includes("blocks")) return fail("invalid_blocks_format");
  if (badJson.includes("attachments")) return fail("invalid_attachments");
  if (badJson.length > 0) return invalidArguments(badJson.map((f) => `invalid JSON [json-pointer:/${f}]`));
  if (args.blocks !== undefined && (method.startsWith("chat.") || method === "files.completeUploadExternal")) {
    if (!Array.isArray(args.blocks)) return fail("invalid_blocks_format");
    const errors = validateBlocks(args.blocks, "message");
    if (errors.length > 0) {
      return fail("invalid_blocks", { errors, response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) } });
    }
  }
  return handler(ctx, args);
}
