/**
 * Loopback Slack API server for tests. The real Bolt App / WebClient talk to it
 * through `clientOptions: { slackApiUrl: slack.apiUrl }`; the test drives
 * deliveries (events, slash commands, clicks, submissions) over Socket Mode or
 * signed HTTP and inspects the resulting workspace state and call log.
 * Platform facts: shared/SLACK.md.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  Deliverer,
  type DeliverOptions,
  type EventDelivery,
  type InteractionDelivery,
  type SendEventOptions,
  type ViewSubmission,
} from "./deliveries.js";
import type { ButtonClickInput, SlashCommandInput, SubmitViewInput } from "./payloads.js";
import { FaultInjector, RateLimiter } from "./rate-limits.js";
import { handleApi, handleResponseUrl, handleUpload, type RouteDeps } from "./routes.js";
import { SocketModeHub } from "./socket-mode.js";
import { SlackState } from "./state.js";
import type {
  ApiCall,
  ChannelSpec,
  FaultSpec,
  JsonObject,
  RateLimitRule,
  ResponseUrlPost,
  SignatureMode,
  SlackApiServerOptions,
  StoredEphemeral,
  StoredFile,
  StoredMessage,
  StoredView,
  UserSpec,
} from "./types.js";

export type * from "./types.js";
export type { DeliverOptions, EventDelivery, InteractionDelivery, SendEventOptions, ViewSubmission } from "./deliveries.js";
export type { ButtonClickInput, SlashCommandInput, SubmitViewInput, ViewValues } from "./payloads.js";
export { computeSignature } from "./http-delivery.js";
export { validateBlocks, validateView } from "./blocks.js";

export interface MessageFilter {
  channel?: string;
  /** Only replies in this thread (not the parent). */
  threadTs?: string;
  includeDeleted?: boolean;
  /** Also return user messages recorded from delivered message/app_mention events. */
  includeUserMessages?: boolean;
}

export class SlackApiServer {
  readonly apiUrl: string;
  readonly baseUrl: string;
  readonly botToken: string;
  readonly appToken: string;
  readonly signingSecret: string;
  readonly state: SlackState;
  private readonly limiter: RateLimiter;
  private readonly faults: FaultInjector;
  private readonly deliverer: Deliverer;

  /** @internal use startSlackApiServer() */
  constructor(
    private readonly server: Server,
    private readonly hub: SocketModeHub,
    deps: { state: SlackState; limiter: RateLimiter; faults: FaultInjector; port: number; opts: SlackApiServerOptions },
  ) {
    this.state = deps.state;
    this.limiter = deps.limiter;
    this.faults = deps.faults;
    this.baseUrl = `http://127.0.0.1:${deps.port}`;
    this.apiUrl = `${this.baseUrl}/api/`;
    this.botToken = deps.opts.botToken ?? "xoxb-test-token";
    this.appToken = deps.opts.appToken ?? "xapp-1-test-token";
    this.signingSecret = deps.opts.signingSecret ?? "test-signing-secret";
    this.deliverer = new Deliverer(this.state, hub, {
      baseUrl: this.baseUrl,
      signingSecret: this.signingSecret,
      ackTimeoutMs: deps.opts.ackTimeoutMs ?? 3000,
      triggerTtlMs: deps.opts.triggerTtlMs ?? 3000,
    });
  }

  // ---- workspace fixtures -------------------------------------------------

  addUser(user: UserSpec): this {
    this.state.addUser(user);
    return this;
  }

  addUsergroup(id: string, userIds: string[], opts: { disabled?: boolean; handle?: string } = {}): this {
    this.state.addUsergroup(id, userIds, opts.disabled ?? false, opts.handle);
    return this;
  }

  addChannel(channel: ChannelSpec): this {
    this.state.addChannel(channel);
    return this;
  }

  get identity(): SlackState["identity"] {
    return this.state.identity;
  }

  /** Clear messages, calls, views, files, responses, faults and rate-limit windows (users/channels stay). */
  reset(): void {
    this.state.reset();
    this.faults.clear();
    this.limiter.reset();
  }

  // ---- delivery to the app under test ---------------------------------------

  /** Deliveries go over the Socket Mode WebSocket (default). */
  useSocketMode(): this {
    this.deliverer.mode = "socket";
    return this;
  }

  /** Deliveries are POSTed (signed) to the app's request URL, e.g. `http://127.0.0.1:PORT/slack/events`. */
  useHttp(url: string, opts: { signature?: SignatureMode } = {}): this {
    this.deliverer.mode = "http";
    this.deliverer.httpUrl = url;
    this.deliverer.signature = opts.signature ?? "valid";
    return this;
  }

  sendEvent(event: JsonObject, opts: SendEventOptions = {}): Promise<EventDelivery> {
    return this.deliverer.sendEvent(event, opts);
  }

  sendSlashCommand(input: SlashCommandInput, opts: DeliverOptions = {}): Promise<InteractionDelivery> {
    return this.deliverer.sendSlashCommand(input, opts);
  }

  clickButton(input: ButtonClickInput, opts: DeliverOptions = {}): Promise<InteractionDelivery> {
    return this.deliverer.clickButton(input, opts);
  }

  submitView(input: SubmitViewInput, opts: DeliverOptions = {}): Promise<ViewSubmission> {
    return this.deliverer.submitView(input, opts);
  }

  /** Any other interactive payload (shortcut, block_suggestion, view_closed…), delivered as-is. */
  sendInteractive(payload: JsonObject, opts: DeliverOptions = {}): Promise<InteractionDelivery> {
    return this.deliverer.sendInteractive(payload, opts);
  }

  /** HTTP mode only: the signed `url_verification` handshake. */
  sendUrlVerification(challenge?: string, opts: DeliverOptions = {}): Promise<InteractionDelivery> {
    return this.deliverer.sendUrlVerification(challenge, opts);
  }

  /** Issue a trigger_id for `user` (for calling views.open directly from a test). */
  issueTriggerId(user: string): string {
    return this.state.issueTrigger(user, this.deliverer.triggerTtlMs);
  }

  // ---- Socket Mode connection control -------------------------------------

  /** Send `{type:'disconnect', reason}`; Socket Mode clients close and reconnect. */
  disconnectSockets(reason: "refresh_requested" | "warning" | "link_disabled" | "too_many_websockets" = "refresh_requested"): void {
    this.hub.sendDisconnect(reason);
  }

  /** Drop every socket without a close handshake. */
  terminateSockets(): void {
    this.hub.terminateAll();
  }

  waitForSocketConnections(count = 1, timeoutMs = 5000): Promise<boolean> {
    return this.hub.waitForConnections(count, timeoutMs);
  }

  get socketConnections(): { open: number; opened: number; received: unknown[] } {
    return { open: this.hub.openCount, opened: this.hub.connectionsOpened, received: this.hub.received };
  }

  // ---- inspection -----------------------------------------------------------

  /** Messages as they currently are (updates applied). Default: bot-posted, not deleted. */
  messages(filter: string | MessageFilter = {}): StoredMessage[] {
    const f: MessageFilter = typeof filter === "string" ? { channel: filter } : filter;
    return this.state.messages.filter(
      (m) =>
        (f.channel === undefined || m.channel === f.channel) &&
        (f.threadTs === undefined || (m.thread_ts === f.threadTs && m.ts !== f.threadTs)) &&
        (f.includeDeleted === true || !m.deleted) &&
        (f.includeUserMessages === true || m.fromBot),
    );
  }

  ephemeralMessages(filter: { channel?: string; user?: string } = {}): StoredEphemeral[] {
    return this.state.ephemerals.filter(
      (e) => (filter.channel === undefined || e.channel === filter.channel) && (filter.user === undefined || e.user === filter.user),
    );
  }

  /** Every Web API call, in completion order. */
  get calls(): ApiCall[] {
    return this.state.calls;
  }

  callsTo(method: string): ApiCall[] {
    return this.state.calls.filter((c) => c.method === method);
  }

  /** Everything the app POSTed to response_urls. */
  get responses(): ResponseUrlPost[] {
    return this.state.responses;
  }

  files(): StoredFile[] {
    return [...this.state.files.values()];
  }

  views(filter: { user?: string; openOnly?: boolean } = {}): StoredView[] {
    return [...this.state.views.values()].filter(
      (v) => (filter.user === undefined || v.user === filter.user) && (filter.openOnly !== true || v.open),
    );
  }

  /** Resolve with the predicate's first truthy value; reject after timeoutMs. */
  waitFor<T>(predicate: (slack: this) => T | undefined | null | false, timeoutMs = 2000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): boolean => {
        const v = predicate(this);
        if (v !== undefined && v !== null && v !== false) {
          cleanup();
          resolve(v);
          return true;
        }
        return false;
      };
      const fail = (): void => {
        cleanup();
        const recent = this.state.calls.slice(-5).map((c) => `${c.method}:${c.status}${c.error ? `:${c.error}` : ""}`);
        reject(new Error(`waitFor timed out after ${timeoutMs} ms (last calls: ${recent.join(", ") || "none"})`));
      };
      const off = this.state.onChange(() => void check());
      const poll = setInterval(() => void check(), 25);
      const timer = setTimeout(fail, timeoutMs);
      const cleanup = (): void => {
        off();
        clearInterval(poll);
        clearTimeout(timer);
      };
      check();
    });
  }

  // ---- faults and limits ----------------------------------------------------

  injectFault(spec: FaultSpec): this {
    this.faults.add(spec);
    return this;
  }

  clearFaults(): void {
    this.faults.clear();
  }

  set enforceRateLimits(on: boolean) {
    this.limiter.enabled = on;
  }

  get enforceRateLimits(): boolean {
    return this.limiter.enabled;
  }

  /** Change (or with null remove) one method's rate-limit rule, e.g. shrink chat.update's window. */
  setRateLimit(method: string, rule: Partial<RateLimitRule> | null): this {
    this.limiter.setRule(method, rule);
    return this;
  }

  async close(): Promise<void> {
    await this.hub.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

export async function startSlackApiServer(opts: SlackApiServerOptions = {}): Promise<SlackApiServer> {
  const state = new SlackState({
    teamId: opts.teamId ?? "T0LOOPBK1",
    teamDomain: opts.teamDomain ?? "opsroom-test",
    appId: opts.appId ?? "A0LOOPBK1",
    botUserId: opts.botUserId ?? "U0OPSBOT1",
    botId: opts.botId ?? "B0OPSBOT1",
    botName: opts.botName ?? "opsbot",
  });
  const limiter = new RateLimiter(opts.enforceRateLimits ?? false, opts.rateLimits);
  let port = 0;
  const hub = new SocketModeHub(
    state.identity.appId,
    () => `ws://127.0.0.1:${port}`,
    () => state.changed(),
  );
  const deps: RouteDeps = {
    state,
    limiter,
    faults: new FaultInjector(),
    botToken: opts.botToken ?? "xoxb-test-token",
    appToken: opts.appToken ?? "xapp-1-test-token",
    ctx: {
      state,
      strictChannels: opts.strictChannels ?? false,
      baseUrl: "",
      openConnection: () => hub.issueUrl(),
    },
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const path = url.pathname;
    let work: Promise<void>;
    if (path.startsWith("/api/")) work = handleApi(deps, decodeURIComponent(path.slice(5)), req, res, url);
    else if (path.startsWith("/upload/v1/")) work = handleUpload(deps, path.slice(11), req, res);
    else if (path.startsWith("/response/")) work = handleResponseUrl(deps, path.slice(10), req, res);
    else {
      res.writeHead(404, { "content-type": "text/plain" }).end("not_found");
      return;
    }
    work.catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`loopback slack server error: ${String(err)}`);
    });
  });
  server.on("upgrade", (req, socket, head) => {
    if (!hub.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  deps.ctx.baseUrl = `http://127.0.0.1:${port}`;
  return new SlackApiServer(server, hub, { state, limiter, faults: deps.faults, port, opts });
}
