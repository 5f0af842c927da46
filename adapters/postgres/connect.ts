import pg from "pg";
import { AdapterError } from "../../src/errors.js";
import type { ActionContext } from "../shared/action.js";
import { abortable } from "../shared/clock.js";
import { networkErrorCode } from "../shared/errors.js";

/** Where a database URL points, for messages: host, port and database, never user or password. */
export function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || "5432"}${u.pathname || "/"}`;
  } catch {
    return "(unparsable URL)";
  }
}

export interface ConnectOptions {
  /** How long to wait for the server to accept the connection; default: the URL's connect_timeout, else 15 s. */
  connectTimeoutMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

/**
 * libpq's `connect_timeout` URL parameter (whole seconds; 0 or absent: our default), which node-postgres
 * parses but does not apply. A database known to be slow to accept (a cold local one) says so in its URL.
 */
export function connectTimeoutOf(url: string): number {
  let seconds = NaN;
  try {
    seconds = Number(new URL(url).searchParams.get("connect_timeout") ?? NaN);
  } catch {
    // An unparsable URL fails at connect with its own message.
  }
  return Number.isInteger(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_CONNECT_TIMEOUT_MS;
}

/**
 * Opens one connection to the database whose URL is the credential `envName`, runs `fn`, and always
 * closes it. The step's signal closes the connection mid-query: the server then rolls back any open
 * transaction, which is what a cancelled migration needs.
 */
export async function withDatabase<T>(
  ctx: ActionContext,
  envName: string,
  fn: (client: pg.Client, where: string) => Promise<T>,
  options: ConnectOptions = {},
): Promise<T> {
  const url = ctx.credentials[envName] ?? "";
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new AdapterError(ctx.adapter, ctx.action, "POSTGRES_BAD_URL", `${envName} is not a postgres:// connection URL.`, {
      hint: `Set ${envName} to the database's connection string, like postgres://user:password@host:5432/db.`,
    });
  }
  const where = `${envName} (${describeDatabase(url)})`;
  const connectTimeoutMs = options.connectTimeoutMs ?? connectTimeoutOf(url);
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: connectTimeoutMs,
    application_name: `opsroom:${ctx.runId}`.slice(0, 63),
  });
  client.on("error", (err) => ctx.log.debug({ err: ctx.scrub.text(err.message) }, "database connection error"));
  const onAbort = () => {
    // Closing the socket alone leaves a running statement going until it next writes to the client
    // (a long DDL or pg_sleep would hold its locks); cancel it on the server as well.
    void cancelBackend(url, client, connectTimeoutMs);
    void client.end().catch(() => undefined);
  };
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  try {
    try {
      await abortable(client.connect(), ctx.signal);
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      throw connectError(ctx, envName, where, err);
    }
    return await fn(client, where);
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    await client.end().catch(() => undefined);
  }
}

async function cancelBackend(url: string, client: pg.Client, timeoutMs: number): Promise<void> {
  const pid = (client as unknown as { processID: number | null }).processID;
  if (!pid) return;
  const canceller = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, application_name: "opsroom:cancel" });
  canceller.on("error", () => undefined);
  try {
    await canceller.connect();
    await canceller.query("SELECT pg_cancel_backend($1)", [pid]);
  } catch {
    // Best effort: the closed connection still makes the server roll back when it notices.
  } finally {
    await canceller.end().catch(() => undefined);
  }
}

function connectError(ctx: ActionContext, envName: string, where: string, err: unknown): AdapterError {
  const sqlState = (err as { code?: unknown }).code;
  const message = err instanceof Error ? ctx.scrub.text(err.message) : "unknown error";
  if (sqlState === "28P01" || sqlState === "28000") {
    return new AdapterError(ctx.adapter, ctx.action, "POSTGRES_AUTH_FAILED", `cannot log in to ${where}: ${message}.`, {
      hint: `Check the user and password in ${envName}.`,
    });
  }
  if (sqlState === "3D000") {
    return new AdapterError(ctx.adapter, ctx.action, "POSTGRES_NOT_FOUND", `${where}: ${message}.`, {
      hint: `Check the database name in ${envName}.`,
    });
  }
  const code = networkErrorCode(err) ?? message;
  return new AdapterError(ctx.adapter, ctx.action, "POSTGRES_UNREACHABLE", `cannot connect to ${where}: ${code}.`, {
    retryable: true,
    hint: "Check the host and port, that the database accepts connections from the bot, and whether it needs ?sslmode=require.",
  });
}

/** SQL error details for messages: "relation "x" does not exist (42P01) at line 3". */
export function sqlErrorText(err: unknown, sql?: string): string {
  const e = err as { message?: string; code?: string; position?: string; detail?: string };
  const line = sql && e.position ? ` at line ${lineOf(sql, Number(e.position))}` : "";
  const detail = e.detail ? ` — ${e.detail}` : "";
  return `${e.message ?? String(err)}${e.code ? ` (${e.code})` : ""}${line}${detail}`;
}

function lineOf(sql: string, position: number): number {
  return sql.slice(0, Math.max(0, position - 1)).split("\n").length;
}
