import { z } from "zod";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { optionalInstant, optionalInt, optionalText } from "../shared/args.js";
import type { Clock } from "../shared/clock.js";
import type { ChangeKind } from "../shared/evidence.js";
import { mergeChanges, type Change } from "./correlate.js";
import { evidenceArg } from "./evidence.js";
import { describeSources, gatherEvidence } from "./triage-evidence.js";
import { timeFormatter } from "./timeline.js";

export const changeHistoryArgs = z.strictObject({
  service: optionalText(),
  env: optionalText(),
  /** The kind of action asked about, as a runbook id (deploy, rollback, flag, …). */
  runbook: optionalText(),
  flag: optionalText(),
  since: optionalInstant(),
  until: optionalInstant(),
  /** How many changes to list; 10 when not given. */
  limit: optionalInt(1, 100),
  timeZone: optionalText(),
  /** The history steps' outputs (`{{ steps }}`): opsroom's runs and the providers' change sources. */
  evidence: evidenceArg,
});

/** The change kinds a question about a runbook's action is answered with. */
const KINDS_OF_RUNBOOK: Readonly<Record<string, readonly ChangeKind[]>> = {
  deploy: ["deploy", "rollback"],
  rollback: ["rollback", "deploy"],
  flag: ["flag"],
  rollout: ["flag"],
  migrate: ["database"],
  restart: ["infrastructure"],
  scale: ["infrastructure"],
};

const DEFAULT_WINDOW_MS = 30 * 24 * 3600_000;

/**
 * The other half of a history answer: changes the providers recorded that opsroom did not make (a deploy
 * from CI or a laptop, a flag flipped in the Supabase dashboard). A provider's record of a change opsroom
 * made is the same change (merged as triage merges them) and is not repeated; a source that could not be
 * read says so, so "nothing else happened" is never claimed from a source nobody could read.
 */
export function createChangeHistory(clock: Clock): AdapterAction {
  return adapterAction("report", "changeHistory", {
    description: "List the changes the providers recorded (deployments, flag updates) that opsroom's own runs did not make.",
    args: changeHistoryArgs,
    risk: "read",
    async run(args) {
      const now = clock.now();
      const until = args.until ?? now;
      const since = args.since ?? until - DEFAULT_WINDOW_MS;
      const { changes, sources } = gatherEvidence(args.evidence, args.env ?? "", new Date(now).toISOString());
      const kinds = args.runbook ? KINDS_OF_RUNBOOK[args.runbook] : undefined;
      const outside = mergeChanges(changes).filter(
        (c) =>
          c.runId === null &&
          Date.parse(c.at) >= since &&
          Date.parse(c.at) <= until &&
          (!kinds || kinds.includes(c.kind)) &&
          (!args.service || c.service === null || c.service === args.service) &&
          (!args.env || c.env === null || c.env === args.env) &&
          (!args.flag || c.flag?.key === args.flag),
      );
      const providers = sources.filter((s) => s.uses !== null && !s.uses.startsWith("history."));
      const read = providers.filter((s) => s.state === "read");
      const unread = providers.filter((s) => s.state !== "read");
      const t = timeFormatter(args.timeZone ?? "UTC", now);
      const limit = args.limit ?? 10;
      const lines = outside.slice(0, limit).map((c) => line(c, t));
      const caveat = unread.map((s) => `${s.what}: ${s.state === "not-checked" ? `not checked — set ${s.missing.join(", ")}` : s.reason}`);
      let summary: string;
      if (providers.length === 0) summary = "no provider change source is configured for this question";
      else if (read.length === 0) summary = `no provider change source could be read (${caveat.join("; ")})`;
      else if (outside.length === 0) summary = `no other changes recorded in ${describeSources(read)}`;
      else summary = `${outside.length} change${outside.length === 1 ? "" : "s"} outside opsroom; the latest: ${line(outside[0]!, t)}`;
      if (read.length > 0 && unread.length > 0) summary += ` (${caveat.join("; ")})`;
      const content = [
        ...lines,
        ...(outside.length > limit ? [`… ${outside.length - limit} more`] : []),
        ...caveat.map((c) => `not read — ${c}`),
      ];
      return {
        summary,
        data: { count: outside.length, changes: outside.slice(0, limit), sources: sources.map((s) => ({ what: s.what, state: s.state })) },
        artifacts: content.length > 0 ? [{ kind: "text", title: "Changes outside opsroom", content: content.join("\n") }] : [],
      };
    },
  });
}

function line(c: Change, t: (ms: number) => string): string {
  return `${t(Date.parse(c.at))} ${c.summary} [${c.sources.join(", ")}]`;
}
