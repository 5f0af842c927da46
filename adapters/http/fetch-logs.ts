import { open } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction, type ActionContext } from "../shared/action.js";
import { envNameArg, optionalArg, optionalInstant, optionalText } from "../shared/args.js";
import { abortable, type Clock } from "../shared/clock.js";
import { abortError, networkErrorCode } from "../shared/errors.js";
import type { FetchLike } from "../shared/http-client.js";
import { parseLogBody } from "../shared/log-entries.js";
import { logReport } from "../shared/log-report.js";
import { describeUrl } from "../shared/scrub.js";

/** The tail of a log that is read: enough for an hour of a busy service, small enough for a step. */
const MAX_BYTES = 5 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;

const fieldName = optionalText(z.string().max(100, "must be at most 100 characters"));

export const fetchLogsArgs = z.strictObject({
  /** An http(s) URL that answers with log lines, or a file: URL or path (relative to where opsroom runs). */
  url: z.string({ error: "must be an http(s) URL, a file: URL or a file path" }).min(1, "must not be empty"),
  format: z.preprocess(
    (v) => (v === "" || v === undefined ? "auto" : v),
    z.enum(["auto", "ndjson", "json", "text"], { error: "must be auto, ndjson, json or text" }),
  ),
  since: optionalInstant(),
  until: optionalInstant(),
  /** A query parameter that tells an HTTP source where to start (the window start, ISO); lines are filtered here anyway. */
  sinceParam: optionalText(z.string().regex(/^[\w.-]+$/, "must be a query parameter name")),
  /** The variable holding a bearer token for an HTTP source. */
  tokenEnv: optionalArg(envNameArg),
  timeField: fieldName,
  messageField: fieldName,
  levelField: fieldName,
  /** opsroom names of what the logs belong to, for the evidence. */
  service: optionalText(),
  env: optionalText(),
});

type Args = z.output<typeof fetchLogsArgs>;

/**
 * A generic log source: an HTTP endpoint or a local file (the dev environment's log, a log shipper's
 * export), in plain text, newline-delimited JSON or a JSON array. Reads the window's lines and groups
 * the errors by signature, like every other log source.
 */
export function createFetchLogsAction(fetchImpl: FetchLike, clock: Clock, baseDir: string): AdapterAction {
  return adapterAction("http", "fetchLogs", {
    description: "Read log lines from an HTTP endpoint or a file, and group the errors in the window by signature.",
    args: fetchLogsArgs,
    risk: "read",
    credentialsFor: (args) => (args.tokenEnv ? [{ name: args.tokenEnv, description: "a bearer token for the log source" }] : []),
    async run(args, ctx) {
      const remote = /^https?:\/\//i.test(args.url);
      const body = remote ? await readUrl(args, ctx, fetchImpl) : await readFile(resolvePath(args.url, baseDir), ctx);
      const entries = parseLogBody(body, args.format, { time: args.timeField, message: args.messageField, level: args.levelField });
      return logReport(entries, {
        what: remote ? describeUrl(args.url) : args.url,
        source: remote ? "HTTP log source" : "log file",
        provider: "http",
        service: args.service,
        env: args.env,
        since: args.since,
        until: args.until ?? clock.now(),
      });
    },
  });
}

async function readUrl(args: Args, ctx: ActionContext, fetchImpl: FetchLike): Promise<string> {
  const url = new URL(args.url);
  if (args.sinceParam && args.since !== undefined) url.searchParams.set(args.sinceParam, new Date(args.since).toISOString());
  const shown = describeUrl(url.toString());
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  const signal = AbortSignal.any([ctx.signal, timeout]);
  const token = args.tokenEnv ? ctx.credentials[args.tokenEnv] : undefined;
  let response: Response;
  let text: string;
  try {
    response = await abortable(
      fetchImpl(url.toString(), {
        headers: { accept: "application/x-ndjson, application/json, text/plain", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        signal,
      }),
      signal,
    );
    text = await abortable(response.text(), signal);
  } catch (err) {
    if (signal.aborted)
      throw abortError("http", "fetchLogs", `reading logs from ${shown}`, ctx.signal.aborted ? ctx.signal.reason : timeout.reason);
    throw new AdapterError(
      "http",
      "fetchLogs",
      "HTTP_UNREACHABLE",
      `cannot reach the log source ${shown} (${networkErrorCode(err) ?? "network error"}).`,
      {
        retryable: true,
        cause: err,
      },
    );
  }
  if (!response.ok) {
    throw new AdapterError("http", "fetchLogs", "HTTP_LOGS_UNAVAILABLE", `the log source ${shown} answered ${response.status}.`, {
      status: response.status,
      retryable: response.status >= 500 || response.status === 429,
      ...(response.status === 401 || response.status === 403
        ? { hint: `Set ${args.tokenEnv ? args.tokenEnv : "tokenEnv in the service's logSource"} to a token the log source accepts.` }
        : {}),
    });
  }
  return text.length > MAX_BYTES ? text.slice(text.length - MAX_BYTES) : text;
}

function resolvePath(url: string, baseDir: string): string {
  const file = url.startsWith("file:") ? fileURLToPath(url) : url;
  return path.resolve(baseDir, file);
}

/** The last MAX_BYTES of a file, from the first whole line. */
async function readFile(file: string, ctx: ActionContext): Promise<string> {
  let handle;
  try {
    handle = await open(file, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    throw new AdapterError("http", "fetchLogs", "HTTP_LOGS_UNAVAILABLE", `cannot read the log file ${file} (${code}).`, {
      cause: err,
      hint: "Check logSource.url in the config: a path is relative to where opsroom runs.",
    });
  }
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - MAX_BYTES);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    if (ctx.signal.aborted) throw abortError("http", "fetchLogs", `reading ${file}`, ctx.signal.reason);
    const text = buffer.toString("utf8");
    return start > 0 ? text.slice(text.indexOf("\n") + 1) : text;
  } finally {
    await handle.close();
  }
}
