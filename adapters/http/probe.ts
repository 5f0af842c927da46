import { AdapterError } from "../../src/errors.js";
import { abortable, formatDuration } from "../shared/clock.js";
import { abortError, networkErrorCode } from "../shared/errors.js";
import { truncate, type FetchLike } from "../shared/http-client.js";
import type { Scrubber } from "../shared/scrub.js";
import { describeUrl } from "../shared/scrub.js";

export const DEFAULT_TIMEOUT_MS = 10_000;

/** What a health URL must do to count as healthy. */
export interface Expectations {
  /** Statuses that count; any 2xx when not given. */
  readonly expectStatus?: number | readonly number[] | undefined;
  /** Text the body must contain. */
  readonly expectBody?: string | undefined;
  readonly latencyBudgetMs?: number | undefined;
}

export interface ProbeTarget extends Expectations {
  readonly name: string;
  readonly url: string;
  readonly method?: "GET" | "HEAD";
  readonly timeoutMs?: number | undefined;
}

/** One health URL's answer: healthy, or the problem as the AdapterError `http.check` would throw. */
export interface ProbeResult {
  readonly name: string;
  /** The URL as shown to people (credentials and query values masked). */
  readonly url: string;
  readonly status: number | null;
  readonly statusLine: string | null;
  readonly latencyMs: number | null;
  /** What a person reads about it: "200 OK in 12 ms", "unreachable (ENOTFOUND)", "500 Internal Server Error in 9 ms". */
  readonly said: string;
  readonly problem: AdapterError | null;
}

/**
 * Requests one health URL with its own time limit and judges the answer: status, body text, latency.
 * Network failures and timeouts are results, not exceptions; only an abort of `signal` throws.
 * Latency is measured from sending the request to the end of the body.
 */
export async function probe(target: ProbeTarget, fetchImpl: FetchLike, signal: AbortSignal, scrub: Scrubber): Promise<ProbeResult> {
  const shownUrl = describeUrl(target.url);
  const method = target.method ?? "GET";
  // fetch refuses URLs with user:password; send them as basic auth instead.
  const url = new URL(target.url);
  const headers: Record<string, string> = { "user-agent": "opsroom-healthcheck" };
  if (url.username || url.password) {
    const userinfo = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.authorization = `Basic ${Buffer.from(userinfo).toString("base64")}`;
    url.username = "";
    url.password = "";
  }
  const limitMs = target.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(limitMs);
  const both = AbortSignal.any([signal, timeout]);
  const base = { name: target.name, url: shownUrl };
  const failed = (said: string, problem: AdapterError) => ({ ...base, status: null, statusLine: null, latencyMs: null, said, problem });
  const started = performance.now();
  let response: Response;
  let body: string;
  try {
    response = await abortable(fetchImpl(url.toString(), { method, signal: both, redirect: "follow", headers }), both);
    body = method === "HEAD" ? "" : await abortable(response.text(), both);
  } catch (err) {
    if (signal.aborted) throw abortError("http", "check", `${target.name}: GET ${shownUrl}`, signal.reason);
    if (timeout.aborted) {
      return failed(
        `no answer within ${formatDuration(limitMs)}`,
        new AdapterError(
          "http",
          "check",
          "ADAPTER_TIMEOUT",
          `${target.name}: ${shownUrl} did not answer within ${formatDuration(limitMs)}.`,
          {
            retryable: true,
            hint: "The service may be down or overloaded; check its logs and recent deploys.",
          },
        ),
      );
    }
    const code = networkErrorCode(err) ?? (err instanceof Error ? err.message : "network error");
    return failed(
      `unreachable (${code})`,
      new AdapterError("http", "check", "HTTP_UNREACHABLE", `${target.name}: cannot reach ${shownUrl} (${code}).`, {
        retryable: true,
        cause: err,
        hint: hintFor(code),
      }),
    );
  }
  const latencyMs = Math.round(performance.now() - started);
  const status = response.status;
  const statusLine = `${status}${response.statusText ? ` ${response.statusText}` : ""}`;
  const answered = { ...base, status, statusLine, latencyMs, said: `${statusLine} in ${latencyMs} ms` };
  const expected = target.expectStatus === undefined ? undefined : [target.expectStatus].flat();
  const statusOk = expected ? expected.includes(status) : status >= 200 && status < 300;
  if (!statusOk) {
    const excerpt = body.trim() ? ` Body starts: ${scrub.text(truncate(body, 200))}` : "";
    return {
      ...answered,
      problem: new AdapterError(
        "http",
        "check",
        "HTTP_UNEXPECTED_STATUS",
        `${target.name}: ${shownUrl} answered ${statusLine} in ${latencyMs} ms; expected ${expected ? expected.join(" or ") : "2xx"}.${excerpt}`,
        { status, retryable: status >= 500 || status === 429 || status === 408 },
      ),
    };
  }
  if (target.expectBody !== undefined && !body.includes(target.expectBody)) {
    return {
      ...answered,
      said: `${statusLine}, unexpected body`,
      problem: new AdapterError(
        "http",
        "check",
        "HTTP_BODY_MISMATCH",
        `${target.name}: ${shownUrl} answered ${statusLine} but the body does not contain ${JSON.stringify(target.expectBody)}. Body starts: ${scrub.text(truncate(body, 200)) || "(empty)"}`,
        { status, hint: "Check healthExpect in the config, or whether an old or broken version is serving." },
      ),
    };
  }
  if (target.latencyBudgetMs !== undefined && latencyMs > target.latencyBudgetMs) {
    return {
      ...answered,
      said: `${statusLine} in ${latencyMs} ms, over its ${target.latencyBudgetMs} ms budget`,
      problem: new AdapterError(
        "http",
        "check",
        "HTTP_OVER_BUDGET",
        `${target.name}: ${shownUrl} answered ${statusLine} in ${latencyMs} ms, over its ${target.latencyBudgetMs} ms budget.`,
        { status, retryable: true, hint: "Retry to rule out a blip; if it persists, check load and recent deploys." },
      ),
    };
  }
  return { ...answered, problem: null };
}

function hintFor(code: string): string {
  switch (code) {
    case "ECONNREFUSED":
      return "Nothing is listening there: is the service running, and is the port right?";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "The host name does not resolve: check healthUrl in the config and DNS.";
    case "ECONNRESET":
    case "EPIPE":
      return "The connection was dropped: the service may be restarting or overloaded.";
    default:
      return code.startsWith("CERT_") || code.includes("CERT") || code.includes("SSL")
        ? "The TLS certificate was not accepted: check it has not expired and matches the host."
        : "Check that the URL is reachable from where the bot runs.";
  }
}
