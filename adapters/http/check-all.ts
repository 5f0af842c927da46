import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { boolArg, optionalInt, optionalText } from "../shared/args.js";
import type { Clock } from "../shared/clock.js";
import type { SymptomEvidence } from "../shared/evidence.js";
import { AdapterFailure } from "../shared/errors.js";
import type { FetchLike } from "../shared/http-client.js";
import { expectStatusArg } from "./check.js";
import { DEFAULT_TIMEOUT_MS, probe, type ProbeResult } from "./probe.js";
import { healthTargetsArg } from "./resolve-targets.js";

export const checkAllArgs = z.strictObject({
  env: z.string({ error: "must be the environment name" }).min(1, "must not be empty"),
  /** The service asked about, when one was: names it in the "nothing configured" answer. */
  service: optionalText(),
  /** The planner's `healthTargets`. */
  targets: healthTargetsArg,
  /** The time bound of the whole check: every URL is requested at once, each with this limit. */
  timeoutMs: optionalInt(1, 600_000),
  /**
   * Fail (after checking every URL) when one is unhealthy: a health check's answer. Triage sets it
   * false: there an unhealthy service is evidence to report, not a reason to stop.
   */
  failUnhealthy: z.preprocess((v) => (v === "" || v === undefined ? true : v), boolArg()),
  /** Statuses that count as healthy, for every target; any 2xx when not given. */
  expectStatus: expectStatusArg,
});

/**
 * Checks every health URL of an environment at once, each within the time bound, so one unreachable
 * service never hides the state of the others: the answer lists every one ("2 of 3 healthy in prod:
 * api 200 OK in 31 ms; web unreachable (ENOTFOUND); payments 200 OK in 44 ms"), and the data carries a
 * health symptom per service for triage.
 */
export function createCheckAllAction(fetchImpl: FetchLike, clock: Clock): AdapterAction {
  return adapterAction("http", "checkAll", {
    description: "Request every health URL of an environment at once, within a time bound, and report each one's state.",
    args: checkAllArgs,
    risk: "read",
    async run(args, ctx) {
      if (args.targets.length === 0) {
        const svc = args.service ?? "<service>";
        throw new AdapterError(
          "http",
          "checkAll",
          "HTTP_NO_TARGETS",
          `no health URL configured for ${args.service ? `${args.service} in ` : ""}${args.env}; set services.${svc}.environments.${args.env}.healthUrl`,
          { hint: `Or set environments.${args.env}.settings.healthUrl for every service in ${args.env}.` },
        );
      }
      const checkedAt = new Date(clock.now()).toISOString();
      const timeoutMs = args.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const results = await Promise.all(
        args.targets.map((t) =>
          probe(
            {
              name: t.name,
              url: t.url,
              expectBody: t.expect,
              latencyBudgetMs: t.latencyBudgetMs,
              expectStatus: args.expectStatus,
              timeoutMs,
            },
            fetchImpl,
            ctx.signal,
            ctx.scrub,
          ),
        ),
      );
      const unhealthy = results.filter((r) => r.problem);
      const summary = `${results.length - unhealthy.length} of ${results.length} healthy in ${args.env}: ${results.map((r) => `${r.name} ${r.said}`).join("; ")}`;
      const report = { kind: "text" as const, title: `Health of ${args.env}`, content: results.map(reportLine).join("\n") };
      if (args.failUnhealthy && unhealthy.length > 0) {
        throw new AdapterFailure("http", "checkAll", "HTTP_UNHEALTHY", `${summary}.`, {
          retryable: unhealthy.every((r) => r.problem!.retryable),
          ...(unhealthy.length === 1 && unhealthy[0]!.problem!.hint ? { hint: unhealthy[0]!.problem!.hint } : {}),
          artifacts: [report],
        });
      }
      const evidence: SymptomEvidence[] = results.map((r) => ({
        type: "symptom",
        kind: "health",
        service: r.name === args.env ? null : r.name,
        env: args.env,
        at: checkedAt,
        summary: `${r.name} ${r.problem ? "unhealthy" : "healthy"}: ${r.said}`,
        link: r.url,
        source: "health URLs",
        provider: "http",
        healthy: r.problem === null,
        detail: r.said,
      }));
      return {
        summary,
        data: {
          env: args.env,
          healthy: results.length - unhealthy.length,
          unhealthy: unhealthy.length,
          targets: results.map((r) => ({
            name: r.name,
            url: r.url,
            status: r.status,
            latencyMs: r.latencyMs,
            ok: !r.problem,
            said: r.said,
          })),
          evidence,
        },
        // The summary names every URL's state; the report adds what to check for the unhealthy ones.
        artifacts: unhealthy.length > 0 ? [report] : [],
      };
    },
  });
}

function reportLine(r: ProbeResult): string {
  // An unhealthy target's line is its problem in full (what it answered, what was expected): the "why".
  if (r.problem) return `✗ ${r.problem.message}${r.problem.hint ? `\n    ${r.problem.hint}` : ""}`;
  return `✓ ${r.name}: ${r.said} — ${r.url}`;
}
