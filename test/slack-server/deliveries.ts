/**
 * Deliveries to the app under test in either mode (Socket Mode envelopes or
 * signed HTTP POSTs), plus what Slack does with the acks: slash command ack
 * messages and view_submission response_action.
 */
import { validateView } from "./blocks.js";
import { type BodyKind, encodeBody, postToApp } from "./http-delivery.js";
import {
  blockActionsPayload,
  type ButtonClickInput,
  eventCallback,
  eventId as newEventId,
  normalizeValues,
  type SlashCommandInput,
  slashCommandFields,
  type SubmitViewInput,
  viewSubmissionPayload,
} from "./payloads.js";
import type { EnvelopeType, SocketModeHub } from "./socket-mode.js";
import { slackId, type SlackState } from "./state.js";
import type { DeliveryAttempt, DeliveryMode, DeliveryResult, JsonObject, SignatureMode, StoredView } from "./types.js";

export interface DeliverOptions {
  /** How long to wait for the ack (default: server ackTimeoutMs, 3000). */
  ackTimeoutMs?: number;
  /** HTTP mode: override the signature for this delivery. */
  signature?: SignatureMode;
}

export interface SendEventOptions extends DeliverOptions {
  eventId?: string;
  /** Redeliver the same event this many more times (retry_attempt / x-slack-retry-num 1..n). */
  retries?: number;
  /** Reason on redeliveries. Default `timeout` (Socket Mode) / `http_timeout` (HTTP). */
  retryReason?: string;
  /** Like Slack: retry (up to 3 times, without the 1 min / 5 min waits) while the app fails to ack. */
  autoRetry?: boolean;
}

export interface EventDelivery extends DeliveryResult {
  eventId: string;
  payload: JsonObject;
}

export interface InteractionDelivery extends DeliveryResult {
  /** What was sent (payload JSON; slash command fields). */
  payload: JsonObject;
  /** The ack's payload: `{}` for a bare ack, undefined when not acked. */
  ack: unknown;
  triggerId?: string;
  responseUrl?: string;
}

export interface ViewSubmission extends InteractionDelivery {
  responseAction?: string;
  errors?: unknown;
  /** The view on screen afterwards (undefined when closed). */
  view?: StoredView;
}

interface DelivererConfig {
  baseUrl: string;
  signingSecret: string;
  ackTimeoutMs: number;
  triggerTtlMs: number;
}

const isObj = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

export class Deliverer {
  mode: DeliveryMode = "socket";
  httpUrl = "";
  signature: SignatureMode = "valid";

  constructor(
    private readonly state: SlackState,
    private readonly hub: SocketModeHub,
    private readonly cfg: DelivererConfig,
  ) {}

  get triggerTtlMs(): number {
    return this.cfg.triggerTtlMs;
  }

  private async once(
    type: EnvelopeType,
    payload: JsonObject,
    opts: DeliverOptions,
    retry?: { num: number; reason?: string },
  ): Promise<DeliveryAttempt> {
    const timeoutMs = opts.ackTimeoutMs ?? this.cfg.ackTimeoutMs;
    if (this.mode === "socket") {
      const o: { timeoutMs: number; retryAttempt?: number; retryReason?: string } = { timeoutMs };
      if (retry) {
        o.retryAttempt = retry.num;
        o.retryReason = retry.reason ?? "timeout";
      }
      return this.hub.deliver(type, payload, o);
    }
    if (!this.httpUrl) throw new Error("useHttp(url) must be called before HTTP deliveries");
    let kind: BodyKind = "json";
    let body: string;
    if (type === "events_api") body = encodeBody("json", payload);
    else if (type === "slash_commands") {
      kind = "form";
      body = encodeBody("form", payload as Record<string, string>);
    } else {
      kind = "form";
      body = encodeBody("form", { payload: JSON.stringify(payload) });
    }
    const target = {
      url: this.httpUrl,
      signingSecret: this.cfg.signingSecret,
      signature: opts.signature ?? this.signature,
    };
    const o: { timeoutMs: number; retryNum?: number; retryReason?: string } = { timeoutMs };
    if (retry) {
      o.retryNum = retry.num;
      o.retryReason = retry.reason ?? "http_timeout";
    }
    return postToApp(target, kind, body, o);
  }

  async sendEvent(event: JsonObject, opts: SendEventOptions): Promise<EventDelivery> {
    const eventId = opts.eventId ?? newEventId();
    const payload = eventCallback(this.state, event, eventId);
    this.recordUserMessage(payload.event as JsonObject);
    const attempts: DeliveryAttempt[] = [await this.once("events_api", payload, opts)];
    const forced = opts.retries ?? 0;
    for (let i = 1; i <= Math.max(forced, opts.autoRetry ? 3 : 0); i++) {
      const last = attempts[attempts.length - 1];
      if (i > forced && last?.acked) break;
      const reason = opts.retryReason ?? (this.mode === "http" && last?.status !== undefined && !last.acked ? "http_error" : undefined);
      attempts.push(await this.once("events_api", payload, opts, reason ? { num: i, reason } : { num: i }));
    }
    const last = attempts[attempts.length - 1] as DeliveryAttempt;
    return { ...last, attempts, eventId, payload };
  }

  /** Message-like events become user messages in the channel, so reactions.add / threads resolve. */
  private recordUserMessage(ev: JsonObject): void {
    const messageLike = (ev.type === "message" && ev.subtype === undefined) || ev.type === "app_mention";
    if (!messageLike || typeof ev.channel !== "string" || typeof ev.ts !== "string") return;
    if (this.state.messages.some((m) => m.channel === ev.channel && m.ts === ev.ts)) return;
    this.state.resolveChannel(ev.channel, false);
    this.state.addMessage({
      channel: ev.channel,
      ts: ev.ts,
      ...(typeof ev.thread_ts === "string" ? { thread_ts: ev.thread_ts } : {}),
      text: typeof ev.text === "string" ? ev.text : "",
      ...(Array.isArray(ev.blocks) ? { blocks: ev.blocks } : {}),
      user: typeof ev.user === "string" ? ev.user : "",
      fromBot: false,
      via: "event",
    });
  }

  private async interaction(type: EnvelopeType, payload: JsonObject, opts: DeliverOptions): Promise<InteractionDelivery> {
    const attempt = await this.once(type, payload, opts);
    const ack = attempt.acked ? (attempt.ackPayload ?? {}) : undefined;
    return { ...attempt, attempts: [attempt], payload, ack };
  }

  async sendSlashCommand(input: SlashCommandInput, opts: DeliverOptions): Promise<InteractionDelivery> {
    const triggerId = this.state.issueTrigger(input.user_id, this.cfg.triggerTtlMs);
    const rec = this.state.issueResponseUrl({
      source: "slash_command",
      user: input.user_id,
      channel: input.channel_id,
    });
    const responseUrl = `${this.cfg.baseUrl}/response/${rec.id}`;
    const fields = slashCommandFields(this.state, input, responseUrl, triggerId);
    const result = await this.interaction("slash_commands", fields, opts);
    const ack = result.ack;
    // Slack shows an ack that carries a message: ephemeral unless response_type is in_channel.
    if (isObj(ack) && (typeof ack.text === "string" || Array.isArray(ack.blocks))) {
      const text = typeof ack.text === "string" ? ack.text : "";
      const blocks = Array.isArray(ack.blocks) ? { blocks: ack.blocks } : {};
      const ts = this.state.nextTs();
      if (ack.response_type === "in_channel") {
        const { botUserId, botId } = this.state.identity;
        this.state.addMessage({
          channel: input.channel_id,
          ts,
          text,
          ...blocks,
          user: botUserId,
          bot_id: botId,
          fromBot: true,
          via: "ack",
        });
      } else {
        this.state.addEphemeral({ channel: input.channel_id, user: input.user_id, ts, text, ...blocks, via: "ack" });
      }
    }
    return { ...result, triggerId, responseUrl };
  }

  async clickButton(input: ButtonClickInput, opts: DeliverOptions): Promise<InteractionDelivery> {
    const triggerId = this.state.issueTrigger(input.user, this.cfg.triggerTtlMs);
    let responseUrl: string | undefined;
    if (!input.viewId) {
      const isEphemeral = !this.state.findMessage(input.channel ?? "", input.messageTs ?? "");
      const rec = this.state.issueResponseUrl({
        source: "block_actions",
        user: input.user,
        ...(input.channel ? { channel: input.channel } : {}),
        ...(input.messageTs ? { messageTs: input.messageTs } : {}),
        isEphemeral,
      });
      responseUrl = `${this.cfg.baseUrl}/response/${rec.id}`;
    }
    const built = blockActionsPayload(this.state, input, triggerId, responseUrl);
    const result = await this.interaction("interactive", built.payload, opts);
    return { ...result, triggerId, ...(responseUrl ? { responseUrl } : {}) };
  }

  async sendInteractive(payload: JsonObject, opts: DeliverOptions): Promise<InteractionDelivery> {
    return this.interaction("interactive", payload, opts);
  }

  async sendUrlVerification(challenge: string | undefined, opts: DeliverOptions): Promise<InteractionDelivery> {
    if (this.mode !== "http") throw new Error("url_verification only exists in HTTP mode");
    const payload = {
      token: "loopback-verification-token",
      challenge: challenge ?? slackId("", 40),
      type: "url_verification",
    };
    const attempt = await this.once("events_api", payload, opts);
    return { ...attempt, attempts: [attempt], payload, ack: attempt.ackPayload };
  }

  async submitView(input: SubmitViewInput, opts: DeliverOptions): Promise<ViewSubmission> {
    const view = this.state.views.get(input.viewId);
    if (!view || !view.open) throw new Error(`submitView: view ${input.viewId} is not open`);
    const user = input.user ?? view.user;
    const triggerId = this.state.issueTrigger(user, this.cfg.triggerTtlMs);
    const values = normalizeValues(input.values);
    view.view = { ...view.view, state: { values } };
    const payload = viewSubmissionPayload(this.state, view, user, values, triggerId);
    const result = await this.interaction("interactive", payload, opts);
    const out: ViewSubmission = { ...result, triggerId };
    if (!result.acked) return { ...out, view };
    const ack = isObj(result.ack) ? result.ack : {};
    const action = typeof ack.response_action === "string" ? ack.response_action : undefined;
    if (action) out.responseAction = action;
    const stack = [...this.state.views.values()].filter((v) => v.open && v.root_view_id === view.root_view_id);
    const next = isObj(ack.view) ? ack.view : undefined;
    if (action === "errors") {
      out.errors = ack.errors;
      out.view = view;
    } else if ((action === "update" || action === "push") && next) {
      const problems = validateView(next);
      if (problems.length > 0) {
        out.errors = problems;
        out.view = view;
      } else if (action === "update") {
        view.view = { ...next };
        view.hash = `${Math.floor(Date.now() / 1000)}.${slackId("", 8).toLowerCase()}`;
        out.view = view;
      } else {
        const id = slackId("V");
        const pushed: StoredView = {
          id,
          type: "modal",
          user,
          view: { ...next },
          hash: `${Math.floor(Date.now() / 1000)}.${slackId("", 8).toLowerCase()}`,
          root_view_id: view.root_view_id,
          previous_view_id: view.id,
          open: true,
        };
        this.state.views.set(id, pushed);
        out.view = pushed;
      }
    } else if (action === "clear") {
      for (const v of stack) v.open = false;
    } else {
      view.open = false;
      const previous = view.previous_view_id ? this.state.views.get(view.previous_view_id) : undefined;
      if (previous?.open) out.view = previous;
    }
    this.state.changed();
    return out;
  }
}
