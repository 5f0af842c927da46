import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import type Pg from "pg";
import { StoreUnavailableError } from "../errors.js";
import { createPgListener, loadPg } from "./pg-listener.js";

/**
 * The one small query interface inside store/. PGlite (embedded, one in-process session) and
 * node-postgres (a pool against any Postgres, Supabase included) both sit behind it.
 */
export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<{ rows: R[]; rowCount: number }>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface ListenOptions {
  /**
   * Called after the listening connection was lost and re-established (Postgres only): any NOTIFY
   * sent while it was down is gone, so the subscriber should look for work it may have missed.
   */
  onReconnect?: () => void;
}

export interface Db extends Queryable {
  readonly kind: "pglite" | "postgres";
  /** Runs `fn` in one transaction. On PGlite this is the only safe way: a hand-written BEGIN would capture other callers' statements. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Subscribes to NOTIFY on `channel`; returns the unsubscribe function. */
  listen(channel: string, onNotify: (payload: string) => void, options?: ListenOptions): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface PostgresOptions {
  /** Pool size. Every process holds up to this many connections plus one for LISTEN. */
  max?: number;
  /** Shown in pg_stat_activity, which makes a process's connections easy to find. */
  applicationName?: string;
  /** Told about connection trouble the caller cannot see otherwise (the LISTEN connection). */
  onWarning?: (message: string, error?: unknown) => void;
  /**
   * How long a statement waits for a connection while the database refuses them (restart, failover).
   * Safe to retry: nothing was sent. Default 15 s, about what a managed Postgres failover takes.
   */
  connectRetryMs?: number;
}

export async function openPglite(dataDir: string | undefined): Promise<Db> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const db = dataDir ? await PGlite.create(dataDir) : await PGlite.create();
  const run = async <R>(q: Pick<PGlite, "query">, sql: string, params?: readonly unknown[]) => {
    const result = await q.query<R>(sql, params as unknown[] | undefined);
    // PGlite reports affectedRows 0 for a SELECT; node-postgres' rowCount counts its rows.
    return { rows: result.rows, rowCount: Math.max(result.rows.length, result.affectedRows ?? 0) };
  };
  return {
    kind: "pglite",
    query: (sql, params) => run(db, sql, params),
    exec: async (sql) => void (await db.exec(sql)),
    transaction: (fn) =>
      db.transaction((tx) => fn({ query: (sql, params) => run(tx, sql, params), exec: async (sql) => void (await tx.exec(sql)) })),
    // PGlite's own listen support: one in-process session, so there is no connection to lose.
    listen: async (channel, onNotify) => {
      const unsubscribe = await db.listen(channel, onNotify);
      return async () => unsubscribe();
    },
    close: () => db.close(),
  };
}

export function openPostgres(connectionString: string, options: PostgresOptions = {}): Db {
  const applicationName = options.applicationName ?? "opsroom";
  const pg = loadPg();
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: applicationName,
    // A database that is down refuses at once; one that is unreachable must not hang a caller forever.
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
  });
  // An idle client that loses its connection (database restart) must not crash the process;
  // the pool discards it and the next query gets a fresh one.
  pool.on("error", () => {});
  // A checked-out client whose connection drops mid-statement also emits "error" (besides failing
  // the statement), and pg-pool listens only while the client is idle: without this, a database
  // restart during a query would crash the process. The statement's own error reaches its caller.
  pool.on("connect", (client) => client.on("error", () => {}));
  const listener = createPgListener({ connectionString, applicationName: `${applicationName}:listen`, onWarning: options.onWarning });
  const connectRetryMs = options.connectRetryMs ?? 15_000;
  let closed = false;
  let everConnected = false;

  // Only getting a connection is retried: a statement that may have reached the server is not
  // (it may have committed), and its error goes to the caller. And only once this database has
  // answered before: a wrong DATABASE_URL at start fails at once rather than after 15 s.
  const connect = async (): Promise<Pg.PoolClient> => {
    const deadline = Date.now() + connectRetryMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const client = await pool.connect();
        everConnected = true;
        return client;
      } catch (error) {
        if (closed || !everConnected || !isTransientConnectError(error)) throw error;
        if (Date.now() >= deadline) throw databaseUnavailable(error);
        await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2)));
      }
    }
  };
  const run = async <R>(client: Pg.PoolClient, sql: string, params?: readonly unknown[]) => {
    try {
      const result = await client.query(sql, params as unknown[] | undefined);
      return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
    } catch (error) {
      throw isBrokenConnection(error) ? databaseUnavailable(error) : error;
    }
  };
  const once = async <R>(sql: string, params?: readonly unknown[]) => {
    const client = await connect();
    try {
      const result = await run<R>(client, sql, params);
      client.release();
      return result;
    } catch (error) {
      // A statement error (a unique violation) leaves the connection usable; a lost connection does not.
      client.release(error instanceof StoreUnavailableError ? error : undefined);
      throw error;
    }
  };
  return {
    kind: "postgres",
    query: (sql, params) => once(sql, params),
    exec: async (sql) => void (await once(sql)),
    transaction: async (fn) => {
      const client = await connect();
      // A client whose ROLLBACK failed lost its connection mid-transaction: destroy it rather than
      // hand a broken connection to the next caller.
      let broken: Error | undefined;
      try {
        await run(client, "BEGIN");
        const result = await fn({ query: (sql, params) => run(client, sql, params), exec: async (sql) => void (await run(client, sql)) });
        await run(client, "COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch((rollbackError: unknown) => {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw error;
      } finally {
        client.release(broken);
      }
    },
    listen: (channel, onNotify, listenOptions) => listener.subscribe(channel, onNotify, listenOptions?.onReconnect),
    async close() {
      closed = true;
      await listener.close();
      await pool.end();
    },
  };
}

/** The database went away (restart, failover, network) after it had answered: retryable, and said plainly. */
function databaseUnavailable(cause: unknown): StoreUnavailableError {
  return new StoreUnavailableError("STORE_UNAVAILABLE", "opsroom cannot reach its database right now, so nothing was started or changed.", {
    hint: "Try again in a minute. If it persists, check the database and DATABASE_URL.",
    retryable: true,
    cause,
  });
}

/** Errors of getting a connection that a restarting or failing-over database gives. */
function isTransientConnectError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === "string" ? e.code : "";
  // 57P01-03: shutting down / starting up; 53300: too many connections (others are reconnecting too).
  if (["57P01", "57P02", "57P03", "53300"].includes(code)) return true;
  if (/^E[A-Z]+$/.test(code)) return true; // ECONNREFUSED, ECONNRESET, ETIMEDOUT, EHOSTUNREACH, EAI_AGAIN…
  return typeof e?.message === "string" && /timeout exceeded when trying to connect|Connection terminated/i.test(e.message);
}

/** The connection failed under a statement (as opposed to the server refusing the statement). */
function isBrokenConnection(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === "string" ? e.code : "";
  if (/^E[A-Z]+$/.test(code)) return true; // ECONNRESET, EPIPE…
  if (/^[0-9A-Z]{5}$/.test(code)) return code.startsWith("08") || code.startsWith("57P");
  return typeof e?.message === "string" && /Connection terminated|not queryable|Client was closed/i.test(e.message);
}
