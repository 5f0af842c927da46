import { z } from "zod";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { optionalInstant, optionalInt, optionalText } from "../shared/args.js";
import type { Clock } from "../shared/clock.js";
import { mergeChanges } from "./correlate.js";
import { evidenceArg } from "./evidence.js";
import { gatherEvidence } from "./triage-evidence.js";
import { timeFormatter } from "./timeline.js";

export const triageWindowArgs = z.strictObject({
  service: optionalText(),
  env: z.string({ error: "must be the environment name" }).min(1, "must not be empty"),
  since: optionalInstant(),
  /** How far back to read when no start is given; 60 min by default. */
  lookbackMinutes: optionalInt(1, 24 * 60),
  timeZone: optionalText(),
  /** The change steps' outputs (`{{ steps }}`). */
  evidence: evidenceArg,
});

/** A deploy further back than this does not widen the window: a day of logs is more than a triage reads. */
const MAX_WIDEN_MS = 24 * 3600_000;

/**
 * Where triage reads symptoms from: from `since` (the last hour when not given), widened back to the
 * last deploy before it when no deploy falls inside, so the window always holds the last deploy and what
 * the errors looked like before it: a new error signature can then be told from an old one.
 */
export function createTriageWindow(clock: Clock): AdapterAction {
  return adapterAction("report", "triageWindow", {
    description: "Decide the window triage reads logs and health from: since (or the last hour), widened to the last deploy before it.",
    args: triageWindowArgs,
    risk: "read",
    async run(args) {
      const now = clock.now();
      const asked = args.since ?? now - (args.lookbackMinutes ?? 60) * 60_000;
      const t = timeFormatter(args.timeZone ?? "UTC", now);
      const { changes } = gatherEvidence(args.evidence, args.env, new Date(now).toISOString());
      const deploys = mergeChanges(changes).filter(
        (c) =>
          (c.kind === "deploy" || c.kind === "rollback") &&
          c.reached &&
          c.env === args.env &&
          (!args.service || c.service === null || c.service === args.service),
      );
      // With a deploy inside the window there is a "before" in it already; otherwise reach back to the last one.
      const inside = deploys.some((c) => Date.parse(c.at) >= asked);
      const lastDeploy = inside ? undefined : deploys.find((c) => Date.parse(c.at) <= asked && asked - Date.parse(c.at) <= MAX_WIDEN_MS);
      // A minute before the deploy: the lines just before it are the baseline.
      const from = lastDeploy ? Date.parse(lastDeploy.at) - 60_000 : asked;
      const reason =
        (args.since !== undefined ? `since ${t(asked)}` : `the last ${args.lookbackMinutes ?? 60} min`) +
        (lastDeploy ? `, widened to the deploy before it (${lastDeploy.summary}, ${t(Date.parse(lastDeploy.at))})` : "");
      return {
        summary: `evidence from ${t(from)} to ${t(now)}: ${reason}`,
        data: { from: new Date(from).toISOString(), to: new Date(now).toISOString(), reason },
      };
    },
  });
}
