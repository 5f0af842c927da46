import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { listArg, optionalArg, optionalInt } from "../shared/args.js";
import { flagRow, type FlagRow } from "./evidence.js";
import { editTargets } from "../shared/flag-targets.js";

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
  /** The users the request names, as written ("@dana", "@U0123ABC", an email, a UUID): the `users` param. */
  users: optionalArg(listArg(z.string().min(1), "must be a list of users")),
  /** The config's flagUsers ({{ flagUsers }}): Slack user ids, names and emails → app user ids. */
  userIds: z.preprocess(
    (v) => (v === undefined || v === "" ? {} : v),
    z.record(z.string(), z.string(), { error: "must be the config's flagUsers, like {{ flagUsers }}" }),
  ),
});

type Args = z.output<typeof flagChangeArgs>;

interface DependencyState {
  flag: string;
  state: "on" | "partial" | "off" | "missing" | "unknown";
  enabled: boolean | null;
  rolloutPercentage: number | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * App user ids of the users a request names: a UUID is one already; "@dana", "@U0123ABC", "U0123ABC" and
 * emails are looked up in the config's flagUsers (by the name without "@", case-insensitively). An unknown
 * user is refused, naming it: a flag is never targeted at a guess.
 */
export function resolveUsers(users: readonly string[], userIds: Readonly<Record<string, string>>): string[] {
  const byKey = new Map(Object.entries(userIds).map(([k, v]) => [k.replace(/^@/, "").toLowerCase(), v]));
  const unknown: string[] = [];
  const ids: string[] = [];
  for (const user of users) {
    const id = UUID.test(user) ? user.toLowerCase() : byKey.get(user.replace(/^@/, "").toLowerCase());
    if (id === undefined || !UUID.test(id)) unknown.push(user);
    else if (!ids.includes(id)) ids.push(id);
  }
  if (unknown.length > 0)
    throw new AdapterError(
      "report",
      "flagChange",
      "REPORT_FLAG_USER_UNKNOWN",
      `${unknown.join(", ")} ${unknown.length === 1 ? "is" : "are"} not an app user id and not in the config's flagUsers; nothing was changed.`,
      {
        hint: `Name the user by their app user id (a UUID), or map them in the config: flagUsers: { ${unknown[0]!.replace(/^@/, "")}: <app user id> }.`,
      },
    );
  return ids;
}

/** The targeted users of the flag as read ({{ steps.current.data.targetUserIds }}). */
function targetsOf(current: unknown): string[] {
  const ids = (current as { targetUserIds?: unknown } | null)?.targetUserIds;
  return Array.isArray(ids) ? ids.map(String) : [];
}

function after(before: FlagRow, args: Args, userIds: readonly string[]): FlagRow {
  if (args.action === "status") return before;
  // A change for some users leaves the flag as it is for everyone else; enabling it for them turns an off
  // flag on at 0%, so that only the targeted users get it.
  if (userIds.length > 0 && (args.action === "enable" || args.action === "disable")) {
    if (args.action === "disable" || before.enabled) return before;
    return { ...before, enabled: true, rolloutPercentage: 0 };
  }
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
/** "(none)", "user 8f1c2a3b" or "2 users (8f1c2a3b, 0d2e4f6a)": ids are long, the first 8 characters name them. */
const usersText = (ids: readonly string[]) =>
  ids.length === 0
    ? "(none)"
    : ids.length === 1
      ? `user ${ids[0]!.slice(0, 8)}`
      : `${ids.length} users (${ids.map((id) => id.slice(0, 8)).join(", ")})`;
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
      const userIds = args.users?.length ? resolveUsers(args.users, args.userIds) : [];
      const next = after(before, args, userIds);
      const targetsBefore = targetsOf(args.current);
      const targetsAfter =
        userIds.length === 0
          ? targetsBefore
          : args.action === "disable"
            ? editTargets(targetsBefore, [], userIds)
            : args.action === "status"
              ? targetsBefore
              : editTargets(targetsBefore, userIds, []);
      const rows = args.flags?.map(flagRow).filter((r): r is FlagRow => !!r);
      const config = args.catalog[args.flag];
      const dependencies = (config?.dependsOn ?? []).map((d) => stateOf(d, rows));
      const dependents = Object.entries(args.catalog)
        .filter(([, c]) => c.dependsOn.includes(args.flag))
        .map(([name]) => stateOf(name, rows));
      const changed =
        targetsAfter.join(",") !== targetsBefore.join(",") ||
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
          ? `${onOff(before)} at ${before.rolloutPercentage}%, cohorts ${cohortText(before.cohorts)}${targetsBefore.length ? `, targeted at ${usersText(targetsBefore)}` : ""}`
          : changed
            ? [
                next.enabled !== before.enabled ? `${onOff(before)} → ${onOff(next)}` : "",
                next.rolloutPercentage !== before.rolloutPercentage ? `${before.rolloutPercentage}% → ${next.rolloutPercentage}%` : "",
                next.cohorts.join(",") !== before.cohorts.join(",")
                  ? `cohorts ${cohortText(before.cohorts)} → ${cohortText(next.cohorts)}`
                  : "",
                targetsAfter.join(",") !== targetsBefore.join(",")
                  ? `target users ${usersText(targetsBefore)} → ${usersText(targetsAfter)}`
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
          expected: {
            enabled: next.enabled,
            rolloutPercentage: next.rolloutPercentage,
            cohorts: next.cohorts,
            ...(userIds.length > 0 ? { targetUserIds: targetsAfter } : {}),
          },
          /** The app user ids of the request's users, to add (enable) or remove (disable) in supabase.setFlag. */
          addUserIds: args.action === "enable" || args.action === "rollout" ? userIds : [],
          removeUserIds: args.action === "disable" ? userIds : [],
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
