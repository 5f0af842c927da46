/**
 * Socket Mode side of the loopback server (SLACK.md §1): tickets handed out by
 * apps.connections.open, `hello` on connect, envelopes awaiting
 * `{envelope_id, payload}` acks, `disconnect` messages. `ws` answers ping
 * frames with pongs by itself.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import type { DeliveryAttempt } from "./types.js";

export type EnvelopeType = "events_api" | "slash_commands" | "interactive";

export interface EnvelopeOptions {
  /** Default: true for slash_commands, view_submission and block_suggestion (acks that can carry a payload). */
  acceptsResponsePayload?: boolean;
  retryAttempt?: number;
  retryReason?: string;
  timeoutMs: number;
}

interface PendingAck {
  resolve: (payload: unknown) => void;
  cancel: () => void;
}

function acceptsPayload(type: EnvelopeType, payload: unknown): boolean {
  if (type === "slash_commands") return true;
  if (type === "events_api") return false;
  const t = typeof payload === "object" && payload !== null ? (payload as { type?: unknown }).type : undefined;
  return t === "view_submission" || t === "block_suggestion";
}

export class SocketModeHub {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Map<string, number>();
  private readonly sockets: WebSocket[] = [];
  private readonly pending = new Map<string, PendingAck>();
  private readonly connectWaiters = new Set<() => void>();
  /** Every connection ever accepted (reconnects increase it). */
  connectionsOpened = 0;
  /** Every JSON message received from the app, in order. */
  readonly received: unknown[] = [];

  constructor(
    private readonly appId: string,
    private readonly wsBase: () => string,
    private readonly onChange: () => void,
  ) {}

  /** apps.connections.open: a single-use ticket URL. */
  issueUrl(): string {
    const ticket = randomUUID();
    this.tickets.set(ticket, Date.now() + 60_000);
    return `${this.wsBase()}/link/?ticket=${ticket}&app_id=${this.appId}`;
  }

  get openCount(): number {
    return this.sockets.filter((s) => s.readyState === s.OPEN).length;
  }

  /** Handle an HTTP upgrade; false when the path is not ours. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (!url.pathname.startsWith("/link")) return false;
    const ticket = url.searchParams.get("ticket") ?? "";
    const expires = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    if (expires === undefined || expires < Date.now()) {
      socket.end("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    return true;
  }

  private accept(ws: WebSocket): void {
    this.sockets.push(ws);
    this.connectionsOpened += 1;
    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      let msg: unknown;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return;
      }
      this.received.push(msg);
      const id = typeof msg === "object" && msg !== null ? (msg as { envelope_id?: unknown }).envelope_id : undefined;
      if (typeof id === "string") {
        const p = this.pending.get(id);
        this.pending.delete(id);
        p?.resolve((msg as { payload?: unknown }).payload ?? {});
      }
    });
    ws.on("close", () => {
      const i = this.sockets.indexOf(ws);
      if (i >= 0) this.sockets.splice(i, 1);
      this.onChange();
    });
    ws.on("error", () => undefined);
    ws.send(
      JSON.stringify({
        type: "hello",
        num_connections: this.openCount,
        debug_info: { host: "applink-loopback-1", build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.appId },
      }),
    );
    for (const w of [...this.connectWaiters]) w();
    this.onChange();
  }

  /** Resolve once at least `count` sockets are open (false on timeout). */
  async waitForConnections(count = 1, timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.openCount < count) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(t);
          this.connectWaiters.delete(done);
          resolve();
        };
        const t = setTimeout(done, Math.min(left, 50));
        this.connectWaiters.add(done);
      });
    }
    return true;
  }

  /** Send one envelope to the newest open connection and await its ack. */
  async deliver(type: EnvelopeType, payload: unknown, opts: EnvelopeOptions): Promise<DeliveryAttempt> {
    const started = Date.now();
    const retryNum = opts.retryAttempt ?? 0;
    const envelopeId = randomUUID();
    const base: DeliveryAttempt = { mode: "socket", retryNum, envelopeId, acked: false, durationMs: 0 };
    if (opts.retryReason !== undefined) base.retryReason = opts.retryReason;
    if (!(await this.waitForConnections(1, opts.timeoutMs))) return { ...base, durationMs: Date.now() - started };
    const ws = [...this.sockets].reverse().find((s) => s.readyState === s.OPEN);
    if (!ws) return { ...base, durationMs: Date.now() - started };
    const envelope: Record<string, unknown> = {
      envelope_id: envelopeId,
      payload,
      type,
      accepts_response_payload: opts.acceptsResponsePayload ?? acceptsPayload(type, payload),
    };
    if (opts.retryAttempt !== undefined && opts.retryAttempt > 0) {
      envelope.retry_attempt = opts.retryAttempt;
      envelope.retry_reason = opts.retryReason ?? "timeout";
    }
    const ack = await new Promise<{ acked: boolean; payload?: unknown }>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelopeId);
        resolve({ acked: false });
      }, opts.timeoutMs);
      this.pending.set(envelopeId, {
        resolve: (p) => {
          clearTimeout(timer);
          resolve({ acked: true, payload: p });
        },
        cancel: () => {
          clearTimeout(timer);
          resolve({ acked: false });
        },
      });
      ws.send(JSON.stringify(envelope));
    });
    const result: DeliveryAttempt = { ...base, acked: ack.acked, durationMs: Date.now() - started };
    if (ack.acked) result.ackPayload = ack.payload;
    return result;
  }

  /** Send `{type:'disconnect', reason}` to every open connection; clients close and reconnect. */
  sendDisconnect(reason = "refresh_requested"): void {
    for (const ws of this.sockets) {
      if (ws.readyState === ws.OPEN) {
        ws.send(JSON.stringify({ type: "disconnect", reason, debug_info: { host: "applink-loopback-1" } }));
      }
    }
  }

  /** Drop every connection without a close handshake (network failure). */
  terminateAll(): void {
    for (const ws of [...this.sockets]) ws.terminate();
  }

  /**
   * Close every socket with a proper close handshake (a client that just sent
   * its own close frame, e.g. after `app.stop()`, gets its answer instead of a
   * 1006 error), then terminate whatever did not finish within 500 ms.
   */
  async close(): Promise<void> {
    for (const p of this.pending.values()) p.cancel();
    this.pending.clear();
    const closing = this.sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === ws.CLOSED) return resolve();
          ws.once("close", () => resolve());
          if (ws.readyState === ws.OPEN) ws.close(1001, "server shutting down");
        }),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(closing), new Promise<void>((r) => (timer = setTimeout(r, 500)))]);
    clearTimeout(timer);
    this.terminateAll();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
