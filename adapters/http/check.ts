import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { intArg, optionalInt, optionalText } from "../shared/args.js";
import { abortable, formatDuration } from "../shared/clock.js";
import { abortError, networkErrorCode } from "../shared/errors.js";
import { globalFetch, truncate, type FetchLike } from "../shared/http-client.js";
import { describeUrl } from "../shared/scrub.js";

const DEFAULT_TIMEOUT_MS = 10_000;

export const checkArgs = z.strictObject({
  name: z.string({ error: "must be the service name shown in the summary" }).min(1, "must not be empty"),
  url: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }),
  method: z.preprocess((v) => (v === "" || v === undefined ? "GET" : v), z.enum(["GET", "HEAD"], { error: "must be GET or HEAD" })),
  /** Status the URL must answer; any 2xx when not given. */
  expectStatus: z.preprocess(
    (v) => (v === "" || v === null ? undefined : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v),
    z.union([intArg(100, 599), z.array(intArg(100, 599)).min(1)], { error: "must be an HTTP status or a list of them" }).optional(),
  ),
  /** Text the response body must contain. */
  expectBody: optionalText(),
  latencyBudgetMs: optionalInt(1, 600_000),
  timeoutMs: optionalInt(1, 600_000),
});

export type CheckArgs = z.output<typeof checkArgs>;

/**
 * Requests a health URL and checks status, body and latency. Summary: "api: 200 OK in 12 ms".
 * Latency is measured from sending the request to the end of the body.
 */
export function createCheckAction(fetchImpl: FetchLike = globalFetch): AdapterAction {
  return adapterAction("http", "check", {
    description: "Request a health URL; fail on a non-expected status, missing body text, or latency over budget.",
    args: checkArgs,
    risk: "read",
    async run(args, ctx) {
      const shownUrl = describeUrl(args.url);
      // fetch refuses URLs with user:password; send them as basic auth instead.
      const target = new URL(args.url);
      const headers: Record<string, string> = { "user-agent": "opsroom-healthcheck" };
      if (target.username || target.password) {
        const userinfo = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
        headers.authorization = `Basic ${Buffer.from(userinfo).toString("base64")}`;
        target.username = "";
        target.password = "";
      }
      const limitMs = args.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const timeout = AbortSignal.timeout(limitMs);
      const signal = AbortSignal.any([ctx.signal, timeout]);
      const started = performance.now();
      let response: Response;
      let body: string;
      try {
        response = await abortable(fetchImpl(target.toString(), { method: args.method, signal, redirect: "follow", headers }), signal);
        body = args.method === "HEAD" ? "" : await abortable(response.text(), signal);
      } catch (err) {
        if (ctx.signal.aborted) throw abortError("http", "check", `${args.name}: GET ${shownUrl}`, ctx.signal.reason);
        if (timeout.aborted) {
          throw new AdapterError(
            "http",
            "check",
            "ADAPTER_TIMEOUT",
            `${args.name}: ${shownUrl} did not answer within ${formatDuration(limitMs)}.`,
            {
              retryable: true,
              hint: "The service may be down or overloaded; check its logs and recent deploys.",
            },
          );
        }
        const code = networkErrorCode(err) ?? (err instanceof Error ? err.message : "network error");
        throw new AdapterError("http", "check", "HTTP_UNREACHABLE", `${args.name}: cannot reach ${shownUrl} (${code}).`, {
          retryable: true,
          cause: err,
          hint: hintFor(code),
        });
      }
      const latencyMs = Math.round(performance.now() - started);
      const status = response.status;
      const statusLine = `${status}${response.statusText ? ` ${response.statusText}` : ""}`;
      ctx.log.debug({ status, duration_ms: latencyMs }, "health check");

      const expected = args.expectStatus === undefined ? undefined : [args.expectStatus].flat();
      const statusOk = expected ? expected.includes(status) : status >= 200 && status < 300;
      if (!statusOk) {
        const excerpt = body.trim() ? ` Body starts: ${ctx.scrub.text(truncate(body, 200))}` : "";
        throw new AdapterError(
          "http",
          "check",
          "HTTP_UNEXPECTED_STATUS",
          `${args.name}: ${shownUrl} answered ${statusLine} in ${latencyMs} ms; expected ${expected ? expected.join(" or ") : "2xx"}.${excerpt}`,
          { status, retryable: status >= 500 || status === 429 || status === 408 },
        );
      }
      if (args.expectBody !== undefined && !body.includes(args.expectBody)) {
        throw new AdapterError(
          "http",
          "check",
          "HTTP_BODY_MISMATCH",
          `${args.name}: ${shownUrl} answered ${statusLine} but the body does not contain ${JSON.stringify(args.expectBody)}. Body starts: ${ctx.scrub.text(truncate(body, 200)) || "(empty)"}`,
          { status, hint: "Check healthExpect in the config, or whether an old or broken version is serving." },
        );
      }
      if (args.latencyBudgetMs !== undefined && latencyMs > args.latencyBudgetMs) {
        throw new AdapterError(
          "http",
          "check",
          "HTTP_OVER_BUDGET",
          `${args.name}: ${shownUrl} answered ${statusLine} in ${latencyMs} ms, over its ${args.latencyBudgetMs} ms budget.`,
          { status, retryable: true, hint: "Retry to rule out a blip; if it persists, check load and recent deploys." },
        );
      }
      const budget = args.latencyBudgetMs !== undefined ? ` (budget ${args.latencyBudgetMs} ms)` : "";
      return {
        summary: `${args.name}: ${statusLine} in ${latencyMs} ms${budget}`,
        data: { name: args.name, url: shownUrl, status, latencyMs, ok: true },
      };
    },
  });
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
