import { z } from "zod";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { intArg, optionalInt, optionalText } from "../shared/args.js";
import { globalFetch, type FetchLike } from "../shared/http-client.js";
import { probe } from "./probe.js";

/** Statuses a health URL must answer: one, or a list; "200" is read as 200. */
export const expectStatusArg = z.preprocess(
  (v) => (v === "" || v === null ? undefined : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v),
  z.union([intArg(100, 599), z.array(intArg(100, 599)).min(1)], { error: "must be an HTTP status or a list of them" }).optional(),
);

export const checkArgs = z.strictObject({
  name: z.string({ error: "must be the service name shown in the summary" }).min(1, "must not be empty"),
  url: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }),
  method: z.preprocess((v) => (v === "" || v === undefined ? "GET" : v), z.enum(["GET", "HEAD"], { error: "must be GET or HEAD" })),
  /** Status the URL must answer; any 2xx when not given. */
  expectStatus: expectStatusArg,
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
      const result = await probe(args, fetchImpl, ctx.signal, ctx.scrub);
      if (result.problem) throw result.problem;
      ctx.log.debug({ status: result.status, duration_ms: result.latencyMs }, "health check");
      const budget = args.latencyBudgetMs !== undefined ? ` (budget ${args.latencyBudgetMs} ms)` : "";
      return {
        summary: `${args.name}: ${result.statusLine} in ${result.latencyMs} ms${budget}`,
        data: { name: args.name, url: result.url, status: result.status, latencyMs: result.latencyMs, ok: true },
      };
    },
  });
}
