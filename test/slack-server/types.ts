/**
 * Shared types for the loopback Slack API server used in tests.
 * Platform facts come from shared/SLACK.md.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: unknown };

export interface SlackApiServerOptions {
  /** Bot token accepted for Web API calls. Default `xoxb-test-token`. */
  botToken?: string;
  /** App-level token accepted by `apps.connections.open`. Default `xapp-1-test-token`. */
  appToken?: string;
  /** Signing secret used to sign HTTP-mode deliveries. Default `test-signing-secret`. */
  signingSecret?: string;
  /** Enforce per-method rate limits (429 + Retry-After). Default false. */
  enforceRateLimits?: boolean;
  /** Override (or with `null` disable) rate-limit rules per method. */
  rateLimits?: Record<string, Partial<RateLimitRule> | null>;
  teamId?: string;
  teamDomain?: string;
  appId?: string;
  botUserId?: string;
  botId?: string;
  botName?: string;
  /** How long a delivery waits for the app's ack (Slack: 3 s). Default 3000. */
  ackTimeoutMs?: number;
  /** trigger_id lifetime (Slack: 3 s). Default 3000. */
  triggerTtlMs?: number;
  /** Reject posts to channels not registered with addChannel (channel_not_found). Default false. */
  strictChannels?: boolean;
}

export interface RateLimitRule {
  /** Requests allowed inside one sliding window. */
  limit: number;
  windowMs: number;
  /** `channel`: one bucket per `channel` argument; `workspace`: one bucket per method. */
  per: "channel" | "workspace";
}

export interface FaultSpec {
  /** Web API method name, or `*` for every method. */
  method: string;
  /** HTTP status to answer with. 429 adds Retry-After and `{ok:false,error:'ratelimited'}`. */
  status?: 429 | 500 | 502 | 503;
  /** 200 with `{ok:false, error}` (a platform error) instead of an HTTP failure. */
  error?: string;
  retryAfterSec?: number;
  /** How many calls the fault applies to. Default 1. Use Infinity for "until cleared". */
  times?: number;
  /** Delay before answering (applies with or without status/error). */
  delayMs?: number;
}

export interface ApiCall {
  method: string;
  /** Arguments with JSON-encoded fields (blocks, attachments, view, files, metadata…) decoded. */
  args: Record<string, unknown>;
  token: string | undefined;
  /** Epoch ms when the request arrived. */
  time: number;
  status: number;
  ok: boolean;
  error?: string;
  response: JsonObject;
  /** `rate_limit`, `fault` when the server refused it for those reasons. */
  refusedBy?: "rate_limit" | "fault";
}

export interface UserSpec {
  id: string;
  name: string;
  real_name?: string;
  tz?: string;
  tz_offset?: number;
  is_bot?: boolean;
  deleted?: boolean;
  is_admin?: boolean;
  is_restricted?: boolean;
  is_ultra_restricted?: boolean;
  email?: string;
}

export interface ChannelSpec {
  id: string;
  name?: string;
  is_private?: boolean;
  is_im?: boolean;
  is_archived?: boolean;
  /** For IMs: the other user. */
  user?: string;
}

export interface Reaction {
  name: string;
  users: string[];
  count: number;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: unknown;
  files?: StoredFile[];
  /** Author. The bot's user id for everything the app posted. */
  user: string;
  bot_id?: string;
  /** True for messages the app posted (chat.postMessage, response_url in_channel, file shares). */
  fromBot: boolean;
  reactions: Reaction[];
  edited?: { user: string; ts: string };
  /** Number of chat.update / replace_original applied. */
  updateCount: number;
  deleted: boolean;
  reply_broadcast?: boolean;
  /** How it got there: `chat.postMessage`, `response_url`, `files.completeUploadExternal`, `event`. */
  via: string;
}

export interface StoredEphemeral {
  channel: string;
  user: string;
  ts: string;
  thread_ts?: string;
  text: string;
  blocks?: unknown[];
  via: string;
}

export interface StoredFile {
  id: string;
  name: string;
  title: string;
  length: number;
  alt_text?: string;
  snippet_type?: string;
  content?: Buffer;
  uploaded: boolean;
  completed: boolean;
  channel?: string;
  thread_ts?: string;
  initial_comment?: string;
  created: number;
}

export interface StoredView {
  id: string;
  type: string;
  /** User the view is shown to. */
  user: string;
  view: JsonObject;
  hash: string;
  root_view_id: string;
  previous_view_id: string | null;
  external_id?: string;
  /** `open` while on screen (modals) or published (home). */
  open: boolean;
}

export interface ResponseUrlPost {
  id: string;
  /** `slash_command`, `block_actions`, `view_submission`. */
  source: string;
  channel?: string;
  user: string;
  messageTs?: string;
  body: JsonObject;
  time: number;
  status: number;
}

export type DeliveryMode = "socket" | "http";

export type SignatureMode = "valid" | "forged" | "stale" | "none";

export interface DeliveryAttempt {
  mode: DeliveryMode;
  retryNum: number;
  retryReason?: string;
  /** Socket Mode: the envelope id. */
  envelopeId?: string;
  acked: boolean;
  /** Socket Mode: the ack's `payload`; HTTP: the parsed JSON body (or raw text) of the app's response. */
  ackPayload?: unknown;
  /** HTTP mode: status code the app answered with. */
  status?: number;
  headers?: Record<string, string | string[] | undefined>;
  body?: string;
  durationMs: number;
}

export interface DeliveryResult extends DeliveryAttempt {
  attempts: DeliveryAttempt[];
}
