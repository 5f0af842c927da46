import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { instantArg } from "../shared/args.js";
import type { Clock } from "../shared/clock.js";

const BASELINE = "baseline-";
const RECENT = "recent-";

export const errorGateArgs = z.strictObject({
  /** Every output so far ({{ steps }}): the `baseline-<service>` and `recent-<service>` log reads. */
  steps: z.record(z.string(), z.unknown(), { error: "must be the run's step outputs, {{ steps }}" }),
  /** When the rollout began: the end of the baseline window and the start of the recent one. */
  startedAt: instantArg,
  /** When the baseline window began. */
  baselineSince: instantArg,
  /** The recent error rate may be at most this many times the baseline's. */
  factor: z.preprocess(
    (v) => (v === "" || v === undefined ? 2 : typeof v === "string" ? Number(v) : v),
    z.number().min(1, "must be at least 1"),
  ),
  /** Below this many recent error lines the rate is not judged (a handful of errors is noise, not a rate). */
  minErrors: z.preprocess((v) => (v === "" || v === undefined ? 5 : typeof v === "string" ? Number(v) : v), z.number().int().min(0)),
});

interface LogRead {
  errorLines: number;
  signatures: Array<{ signature: string; count: number; firstSeen: string | null }>;
}

function logRead(output: unknown): LogRead | undefined {
  const data = (output as { data?: { errorLines?: unknown; signatures?: unknown } } | undefined)?.data;
  if (!data || typeof data.errorLines !== "number" || !Array.isArray(data.signatures)) return undefined;
  return { errorLines: data.errorLines, signatures: data.signatures as LogRead["signatures"] };
}

const perHour = (n: number, ms: number) => n / Math.max(ms / 3_600_000, 1 / 60);
const rate = (r: number) => `${r < 10 ? r.toFixed(1) : Math.round(r)}/h`;

/**
 * A rollout gate over the services' error logs, grouped by signature as triage groups them: it fails when
 * a signature that was not in the pre-rollout window appears, or when the error rate since the rollout
 * began is above `factor` times the pre-rollout rate (once there are at least `minErrors` errors).
 */
export function createErrorGate(clock: Clock): AdapterAction {
  return adapterAction("report", "errorGate", {
    description: "Gate a rollout stage on error logs: no new error signature, no rate above a factor of the pre-rollout baseline.",
    args: errorGateArgs,
    risk: "read",
    async run(args) {
      const now = clock.now();
      const services = Object.keys(args.steps)
        .filter((id) => id.startsWith(RECENT))
        .map((id) => id.slice(RECENT.length));
      const problems: string[] = [];
      const lines: string[] = [];
      for (const service of services) {
        const recent = logRead(args.steps[`${RECENT}${service}`]);
        const baseline = logRead(args.steps[`${BASELINE}${service}`]);
        if (!recent || !baseline) {
          problems.push(`${service}: its logs were not read (${!recent ? "since the rollout began" : "before it"})`);
          continue;
        }
        const known = new Set(baseline.signatures.map((s) => s.signature));
        const fresh = recent.signatures.filter((s) => !known.has(s.signature));
        const before = perHour(baseline.errorLines, args.startedAt - args.baselineSince);
        const since = perHour(recent.errorLines, now - args.startedAt);
        for (const s of fresh)
          problems.push(
            `${service}: new error signature since the rollout began: \`${s.signature}\` ×${s.count}${s.firstSeen ? ` (first ${s.firstSeen})` : ""}`,
          );
        if (recent.errorLines >= args.minErrors && since > args.factor * before) {
          problems.push(`${service}: ${rate(since)} errors since the rollout began, above ${args.factor} × the ${rate(before)} before it`);
        }
        lines.push(
          `${service} ${recent.errorLines} error${recent.errorLines === 1 ? "" : "s"} since the rollout began (${rate(since)}; ${rate(before)} before), ${fresh.length} new signature${fresh.length === 1 ? "" : "s"}`,
        );
      }
      if (problems.length > 0) {
        throw new AdapterError("report", "errorGate", "REPORT_ERROR_GATE", `error gate failed: ${problems.join("; ")}.`, {
          hint: "The flag is put back to its value before the rollout; look at the signatures above before trying again.",
        });
      }
      return {
        summary: services.length === 0 ? "no log source for the flag's services" : lines.join("; "),
        data: { ok: true, services },
      };
    },
  });
}
