import { z } from "zod";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { optionalInstant, optionalInt, optionalText } from "../shared/args.js";
import type { Clock } from "../shared/clock.js";
import { classifyEvidence, evidenceArg, formatAge, shortSha, type DeployRow, type FlagRow, type HealthRow } from "./evidence.js";

export const triageArgs = z.strictObject({
  /** The affected service; evidence from steps named "...-of-<service>" is labelled by that name otherwise. */
  service: optionalText(),
  env: z.string({ error: "must be the environment name" }).min(1, "must not be empty"),
  /** When the trouble started; now when not given. */
  since: optionalInstant(),
  symptom: optionalText(),
  /** How far before the errors began a change still counts as a suspect; 24 h by default. */
  lookbackHours: optionalInt(1, 24 * 14),
  /** The outputs of the evidence steps: `{{ steps }}` (health, deployments, error logs, flags). */
  evidence: evidenceArg,
});

/** A change that may have caused the trouble: a deploy or a flag change. */
interface Change {
  kind: "deploy" | "flag";
  at: number;
  service: string | undefined;
  text: string;
  suggestion: { text: string; runbook: string; params: Record<string, string> } | undefined;
}

/** Deploys that did not ship anything are not suspects. */
const NOT_SHIPPED = new Set(["failure", "error", "canceled", "cancelled"]);
/** A change up to 5 minutes after the stated start still counts: people round "since 10am". */
const GRACE_MS = 5 * 60_000;

/**
 * Incident triage: reads the health, deploy, error-log and flag evidence collected by earlier steps and
 * names the likely suspect, the last change before the errors began ("deploy abc1234 of payments 12 min
 * before the errors began"), with the next step to take ("roll back payments in prod"). Suggests only:
 * a rollback is its own runbook, with its own plan and approval.
 */
export function createTriage(clock: Clock): AdapterAction {
  return adapterAction("report", "triage", {
    description:
      "Name the likely suspect of an incident (the last deploy or flag change before the errors began) and suggest the next step.",
    args: triageArgs,
    risk: "read",
    async run(args) {
      const now = clock.now();
      const began = args.since ?? now;
      const lookback = (args.lookbackHours ?? 24) * 3600_000;
      const evidence = classifyEvidence(args.evidence);
      const health: HealthRow[] = [];
      const changes: Change[] = [];
      const flagsSeen = new Set<string>();
      let errorLines = 0;
      let logSources = 0;

      for (const e of evidence) {
        const service = args.service ?? e.label;
        if (e.kind === "health") health.push(e.row);
        if (e.kind === "logs") {
          logSources++;
          errorLines += e.row.errorLines;
        }
        if (e.kind === "deploys") {
          for (const d of e.rows) {
            if (d.at === null || NOT_SHIPPED.has(d.state)) continue;
            changes.push(deployChange(d, service, args.env));
          }
        }
        if (e.kind === "flags") {
          for (const f of e.rows) {
            if (f.updatedAt === null || flagsSeen.has(f.flag)) continue;
            flagsSeen.add(f.flag);
            changes.push(flagChange(f, args.env));
          }
        }
      }

      // The same deploy may be listed by GitHub and by Vercel: keep one per sha.
      const seen = new Set<string>();
      const candidates = changes
        .filter((c) => c.at <= began + GRACE_MS && c.at >= began - lookback)
        .sort((a, b) => b.at - a.at)
        .filter((c) => (seen.has(c.text) ? false : (seen.add(c.text), true)));
      const suspect = candidates[0];
      const relative = (at: number) =>
        args.since !== undefined
          ? at <= began
            ? `${formatAge(began - at)} before the errors began`
            : `${formatAge(at - began)} after the errors were first seen`
          : `${formatAge(now - at)} ago`;

      const unhealthy = health.filter((h) => h.status < 200 || h.status >= 400);
      const who = args.service ? `${args.service} in ${args.env}` : args.env;
      const suspectText = suspect ? `${suspect.text} ${relative(suspect.at)}` : undefined;
      const suggestion = suspect?.suggestion;
      const healthText = health.length
        ? unhealthy.length
          ? `unhealthy now: ${unhealthy.map((h) => `${h.name} ${h.status}`).join(", ")}`
          : `healthy now: ${health.map((h) => `${h.name} ${h.status}${h.latencyMs !== null ? ` in ${h.latencyMs} ms` : ""}`).join(", ")}`
        : "no health URL checked";
      const errorText = logSources ? `${errorLines} error line${errorLines === 1 ? "" : "s"} in the latest deployment's logs` : undefined;

      const summary = suspect
        ? `Likely suspect: ${suspectText}${suggestion ? `; suggest: ${suggestion.text}` : ""}. ${capitalise(healthText)}.`
        : `No deploy or flag change of ${who} in the ${args.lookbackHours ?? 24} h before the errors began; ${healthText}. Look at dependencies, traffic and infrastructure next.`;

      const lines = [
        `Triage of ${who}${args.symptom ? ` (${args.symptom})` : ""}`,
        `Errors began: ${args.since !== undefined ? new Date(began).toISOString() : "not given; treating it as now"}`,
        "",
        `Likely suspect: ${suspectText ?? "none found"}`,
        `Suggested next step: ${suggestion?.text ?? "no rollback to suggest"}${suggestion ? " (a plan to approve; nothing has been changed)" : ""}`,
        "",
        "Health:",
        ...(health.length
          ? health.map((h) => `  ${h.name}: ${h.status}${h.latencyMs !== null ? ` in ${h.latencyMs} ms` : ""}${h.url ? ` (${h.url})` : ""}`)
          : ["  (not checked)"]),
        ...(errorText ? ["", `Errors: ${errorText}`] : []),
        "",
        `Changes in the ${args.lookbackHours ?? 24} h before the errors began (newest first):`,
        ...(candidates.length ? candidates.map((c) => `  ${new Date(c.at).toISOString()}  ${c.text}`) : ["  (none)"]),
      ];
      return {
        summary,
        data: {
          service: args.service ?? null,
          env: args.env,
          errorsBegan: new Date(began).toISOString(),
          suspect: suspect
            ? { kind: suspect.kind, service: suspect.service ?? null, at: new Date(suspect.at).toISOString(), text: suspectText }
            : null,
          suggestion: suggestion ?? null,
          unhealthy: unhealthy.map((h) => h.name),
          errorLines: logSources ? errorLines : null,
          changes: candidates.map((c) => ({ kind: c.kind, at: new Date(c.at).toISOString(), text: c.text })),
        },
        artifacts: [{ kind: "text", title: `Triage of ${who}`, filename: "triage.txt", content: lines.join("\n") }],
      };
    },
  });
}

function deployChange(d: DeployRow, service: string | undefined, env: string): Change {
  const what = shortSha(d.sha) ?? d.ref ?? d.id;
  const by = d.creator ? ` by ${d.creator}` : "";
  return {
    kind: "deploy",
    at: d.at!,
    service,
    text: `deploy ${what}${d.ref && d.sha && d.ref !== d.sha ? ` (${d.ref})` : ""}${service ? ` of ${service}` : ""}${by}`,
    suggestion: service ? { text: `roll back ${service} in ${env}`, runbook: "rollback", params: { service, env } } : undefined,
  };
}

function flagChange(f: FlagRow, env: string): Change {
  const state = f.enabled ? `on at ${f.rolloutPercentage}%` : "off";
  return {
    kind: "flag",
    at: f.updatedAt!,
    service: undefined,
    text: `flag ${f.flag} changed (now ${state})`,
    suggestion: f.enabled
      ? { text: `disable ${f.flag} in ${env}`, runbook: "flag", params: { flag: f.flag, action: "disable", env } }
      : { text: `enable ${f.flag} in ${env}`, runbook: "flag", params: { flag: f.flag, action: "enable", env } },
  };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
