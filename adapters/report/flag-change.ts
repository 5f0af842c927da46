import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { listArg, optionalArg, optionalInt } from "../shared/args.js";
import { flagRow, type FlagRow } from "./evidence.js";

const cohortsArg = optionalArg(listArg(z.string(), "must be a list of names"));

/** The flag catalog from the config (`{{ flags }}`): name → owner, cohorts, dependsOn. */
export const catalogArg = z.preprocess(
  (v) => (v === undefined || v === "" ? {} : v),
  z.record(
    z.string(),
    z.looseObject({
      owner: optionalArg(z.string()),
      description: optionalArg(z.string()),
      cohorts: z.array(z.string()).default([]),
      dependsOn: z.array(z.string()).default([]),
    }),
    { error: "must be the config's flag catalog, like {{ flags }}" },
  ),
);

export const flagChangeArgs = z.strictObject({
  flag: z.string({ error: "must be a flag key" }).min(1, "must not be empty"),
  env: z.string({ error: "must be the environment name" }).min(1, "must not be empty"),
  action: z.enum(["enable", "disable", "rollout", "status"], { error: "must be enable, disable, rollout or status" }),
  percent: optionalInt(0, 100),
  cohorts: cohortsArg,
  /** The flag as read before the change ({{ steps.current.data }}). */
  current: z.unknown().refine((v) => flagRow(v) !== undefined, "must be the flag as supabase.getFlag read it ({{ steps.current.data }})"),
  /** Every flag of the env ({{ steps.flags.data.flags }}), to check dependencies; missing means not read. */
  flags: optionalArg(z.array(z.unknown(), { error: "must be the flags supabase.listFlags read" })),
  catalog: catalogArg,
});

type Args = z.output<typeof flagChangeArgs>;

interface DependencyState {
  flag: string;
  state: "on" | "partial" | "off" | "missing" | "unknown";
  enabled: boolean | null;
  rolloutPercentage: number | null;
}

function after(before: FlagRow, args: Args): FlagRow {
  if (args.action === "status") return before;
  return {
    ...before,
    enabled: args.action !== "disable",
    rolloutPercentage: args.percent ?? before.rolloutPercentage,
    cohorts: args.cohorts ?? before.cohorts,
  };
}

function stateOf(name: string, rows: readonly FlagRow[] | undefined): DependencyState {
  if (!rows) return { flag: name, state: "unknown", enabled: null, rolloutPercentage: null };
  const row = rows.find((r) => r.flag === name);
  if (!row) return { flag: name, state: "missing", enabled: null, rolloutPercentage: null };
  const state = !row.enabled ? "off" : row.rolloutPercentage >= 100 ? "on" : "partial";
  return { flag: name, state, enabled: row.enabled, rolloutPercentage: row.rolloutPercentage };
}

const onOff = (f: FlagRow) => (f.enabled ? "on" : "off");
const cohortText = (c: readonly string[]) => (c.length ? c.join(", ") : "(none)");

function diffText(flag: string, env: string, a: FlagRow, b: FlagRow): string {
  const line = (label: string, x: string, y: string) => (x === y ? [`  ${label}: ${x}`] : [`- ${label}: ${x}`, `+ ${label}: ${y}`]);
  return [
    `  ${flag} (${env})`,
    ...line("enabled", String(a.enabled), String(b.enabled)),
    ...line("rollout", `${a.rolloutPercentage}%`, `${b.rolloutPercentage}%`),
    ...line("cohorts", cohortText(a.cohorts), cohortText(b.cohorts)),
  ].join("\n");
}

/**
 * The flag runbook's preflight: the change as a before → after diff, checked against the config's
 * dependencies. Turning a flag on (enable, rollout) while a flag it depends on is off or missing is
 * refused; turning one off is never refused (a kill switch must always work) but warns about the flags
 * that depend on it. Also warns about cohorts the config does not list and an enable at 0%.
 */
export function createFlagChange(): AdapterAction {
  return adapterAction("report", "flagChange", {
    description: "Show a feature flag change as a before → after diff; refuse turning a flag on while a flag it depends on is off.",
    args: flagChangeArgs,
    risk: "read",
    async run(args) {
      const before = flagRow(args.current)!;
      const next = after(before, args);
      const rows = args.flags?.map(flagRow).filter((r): r is FlagRow => !!r);
      const config = args.catalog[args.flag];
      const dependencies = (config?.dependsOn ?? []).map((d) => stateOf(d, rows));
      const dependents = Object.entries(args.catalog)
        .filter(([, c]) => c.dependsOn.includes(args.flag))
        .map(([name]) => stateOf(name, rows));
      const changed =
        next.enabled !== before.enabled ||
        next.rolloutPercentage !== before.rolloutPercentage ||
        next.cohorts.join(",") !== before.cohorts.join(",");

      const blocking =
        next.enabled && args.action !== "status" ? dependencies.filter((d) => d.state === "off" || d.state === "missing") : [];
      if (blocking.length > 0) {
        const names = blocking.map(
          (d) => `${d.flag} (${d.state === "missing" ? `not in the feature_flags table for ${args.env}` : "off"})`,
        );
        throw new AdapterError(
          "report",
          "flagChange",
          "REPORT_FLAG_DEPENDENCY_OFF",
          `${args.flag} depends on ${names.join(", ")} in ${args.env}; turning it on first would break that dependency, so nothing was changed.`,
          {
            hint: `Turn ${blocking.map((d) => d.flag).join(" and ")} on first ("enable ${blocking[0]!.flag} in ${args.env}"), or change dependsOn in the config.`,
          },
        );
      }

      const warnings: string[] = [];
      for (const d of dependencies) {
        if (d.state === "partial") warnings.push(`depends on ${d.flag}, which is only rolled out to ${d.rolloutPercentage}%`);
        if (d.state === "unknown") warnings.push(`depends on ${d.flag}, whose state was not read`);
        if (d.state === "off" || d.state === "missing")
          warnings.push(`depends on ${d.flag}, which is ${d.state === "off" ? "off" : "missing"}`);
      }
      if (!next.enabled && before.enabled) {
        for (const d of dependents.filter((x) => x.enabled)) warnings.push(`${d.flag} depends on ${args.flag} and is still on`);
      }
      const known = config?.cohorts ?? [];
      const unknownCohorts = known.length ? next.cohorts.filter((c) => !known.includes(c)) : [];
      if (unknownCohorts.length)
        warnings.push(
          `cohort${unknownCohorts.length === 1 ? "" : "s"} ${unknownCohorts.join(", ")} not in the config's cohorts for ${args.flag} (${known.join(", ")})`,
        );
      if (next.enabled && next.rolloutPercentage === 0)
        warnings.push(`on at 0%: only targeted users get it; say "roll out ${args.flag} to 100%" for everyone`);
      if (!config) warnings.push(`${args.flag} is not in the config's flag catalog`);

      const change =
        args.action === "status"
          ? `${onOff(before)} at ${before.rolloutPercentage}%, cohorts ${cohortText(before.cohorts)}`
          : changed
            ? [
                next.enabled !== before.enabled ? `${onOff(before)} → ${onOff(next)}` : "",
                next.rolloutPercentage !== before.rolloutPercentage ? `${before.rolloutPercentage}% → ${next.rolloutPercentage}%` : "",
                next.cohorts.join(",") !== before.cohorts.join(",")
                  ? `cohorts ${cohortText(before.cohorts)} → ${cohortText(next.cohorts)}`
                  : "",
              ]
                .filter(Boolean)
                .join(", ")
            : `already ${onOff(before)} at ${before.rolloutPercentage}%; nothing would change`;
      const depText = dependencies.length ? `; depends on ${dependencies.map((d) => `${d.flag} (${d.state})`).join(", ")}` : "";
      const warnText = warnings.length ? `; warning: ${warnings.join("; ")}` : "";
      return {
        summary: `${args.flag} in ${args.env}: ${change}${depText}${warnText}`,
        data: {
          flag: args.flag,
          env: args.env,
          action: args.action,
          before,
          after: next,
          /** What reading the flag back after the change must show (for report.expect in verify). */
          expected: { enabled: next.enabled, rolloutPercentage: next.rolloutPercentage, cohorts: next.cohorts },
          changed: args.action !== "status" && changed,
          dependencies,
          dependents,
          warnings,
        },
        artifacts: [
          {
            kind: "diff",
            title: args.action === "status" ? `${args.flag} in ${args.env}` : `${args.flag} in ${args.env}: the change`,
            content: [diffText(args.flag, args.env, before, next), ...warnings.map((w) => `! ${w}`)].join("\n"),
          },
        ],
      };
    },
  });
}
