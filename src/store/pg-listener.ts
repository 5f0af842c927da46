import { createRequire } from "node:module";
import type Pg from "pg";

/**
 * node-postgres, loaded on first use: the embedded database never needs it, and importing it costs
 * a tenth of a second of every start.
 */
export const loadPg = (): typeof Pg => createRequire(import.meta.url)("pg") as typeof Pg;

interface Subscriber {
  onNotify: (payload: string) => void;
  onReconnect: (() => void) | undefined;
}

export interface PgListener {
  /** Resolves once LISTEN is active (or, if the database is unreachable, once reconnecting has begun). */
  subscribe(channel: string, onNotify: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

// Reconnect backoff: 100 ms doubling to 5 s, with jitter so that twenty processes that lost the
// database together do not all knock at the same instant when it comes back.
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5_000;
// A connection that silently died (NAT timeout, a failover that kept the socket open) is only noticed
// when something is sent on it; TCP keepalive alone takes minutes. Ping it, and give up on it fast.
const PING_EVERY_MS = 15_000;
const PING_TIMEOUT_MS = 5_000;

/**
 * One dedicated connection per process for LISTEN, shared by every channel. When it drops (database
 * restart, failover, network), it reconnects with backoff, LISTENs again on every channel and tells
 * subscribers, who look for work they may have missed while it was down.
 */
export function createPgListener(options: {
  connectionString: string;
  applicationName: string;
  onWarning: ((message: string, error?: unknown) => void) | undefined;
}): PgListener {
  const pg = loadPg();
  const subscribers = new Map<string, Set<Subscriber>>();
  let client: Pg.Client | undefined;
  let listening = new Set<string>();
  let connecting: Promise<void> | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let pingTimer: NodeJS.Timeout | undefined;
  let failures = 0;
  let everConnected = false;
  let closed = false;

  const warn = (message: string, error?: unknown) => options.onWarning?.(message, error);

  const deliver = (channel: string, payload: string) => {
    for (const subscriber of subscribers.get(channel) ?? []) {
      try {
        subscriber.onNotify(payload);
      } catch (error) {
        warn(`a ${channel} listener threw`, error);
      }
    }
  };

  const drop = (lost: Pg.Client, error?: unknown) => {
    if (client !== lost) return;
    client = undefined;
    listening = new Set();
    lost.end().catch(() => {});
    if (!closed) {
      warn("lost the LISTEN connection; reconnecting", error);
      scheduleReconnect();
    }
  };

  const scheduleReconnect = () => {
    if (closed || retryTimer || connecting || subscribers.size === 0) return;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** failures) * (0.5 + Math.random() / 2);
    failures++;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void ensureConnected();
    }, delay);
    retryTimer.unref();
  };

  const listenAll = async (c: Pg.Client) => {
    for (const channel of subscribers.keys()) {
      if (listening.has(channel)) continue;
      await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      listening.add(channel);
    }
  };

  const connect = async () => {
    const c = new pg.Client({
      connectionString: options.connectionString,
      application_name: options.applicationName,
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
    });
    c.on("error", (error) => drop(c, error));
    c.on("end", () => drop(c));
    c.on("notification", (msg) => deliver(msg.channel, msg.payload ?? ""));
    try {
      await c.connect();
      if (closed) {
        await c.end();
        return;
      }
      client = c;
      listening = new Set();
      await listenAll(c);
    } catch (error) {
      if (client === c) client = undefined;
      c.end().catch(() => {});
      throw error;
    }
    failures = 0;
    const reconnected = everConnected;
    everConnected = true;
    if (reconnected) {
      warn("LISTEN connection re-established");
      for (const set of subscribers.values()) for (const s of set) s.onReconnect?.();
    }
  };

  const ensureConnected = async (): Promise<void> => {
    if (closed || client) return;
    if (!connecting) {
      connecting = connect()
        .catch((error: unknown) => {
          warn("could not open the LISTEN connection; retrying", error);
          connecting = undefined;
          scheduleReconnect();
        })
        .finally(() => {
          connecting = undefined;
        });
    }
    await connecting;
  };

  const ping = () => {
    const c = client;
    if (!c) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
    });
    Promise.race([c.query("SELECT 1"), timeout])
      .catch((error: unknown) => drop(c, error))
      .finally(() => clearTimeout(timer));
  };

  return {
    async subscribe(channel, onNotify, onReconnect) {
      const subscriber: Subscriber = { onNotify, onReconnect };
      let set = subscribers.get(channel);
      if (!set) subscribers.set(channel, (set = new Set()));
      set.add(subscriber);
      if (!pingTimer) {
        pingTimer = setInterval(ping, PING_EVERY_MS);
        pingTimer.unref();
      }
      await ensureConnected();
      // Connected before this channel was added (or while a connect was in flight): LISTEN now.
      if (client && !listening.has(channel)) {
        const c = client;
        await listenAll(c).catch((error: unknown) => drop(c, error));
      }
      return async () => {
        set.delete(subscriber);
        if (set.size > 0) return;
        subscribers.delete(channel);
        if (client && listening.has(channel)) {
          listening.delete(channel);
          await client.query(`UNLISTEN ${pg.escapeIdentifier(channel)}`).catch(() => {});
        }
        if (subscribers.size === 0) await stop();
      };
    },
    close: () => {
      closed = true;
      return stop();
    },
  };

  async function stop() {
    clearTimeout(retryTimer);
    retryTimer = undefined;
    clearInterval(pingTimer);
    pingTimer = undefined;
    if (connecting) await connecting;
    const c = client;
    client = undefined;
    listening = new Set();
    everConnected = false;
    await c?.end().catch(() => {});
  }
}
