import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction, type ActionContext } from "../shared/action.js";
import { boolArg, envNameArg, listArg, optionalArg, optionalInt, optionalText } from "../shared/args.js";
import { DEFAULT_ENVIRONMENTS, SUPABASE_URL, type SupabaseAdapterOptions } from "./client.js";
import { COLUMNS, flagTableCredentials, TABLE, withFlagTable, type FlagRow, type FlagTable } from "./flag-table.js";
import { isoOf, type ChangeEvidence } from "../shared/evidence.js";
import { editTargets } from "../shared/flag-targets.js";

export type { FlagRow } from "./flag-table.js";

const flagArg = z
  .string({ error: "must be a flag key like featureMatrix" })
  .regex(/^[A-Za-z][\w.-]{0,99}$/, "must be a flag key like featureMatrix (letters, digits, _ . -)");

const envArg = z.string({ error: "must be the opsroom environment name, like prod" }).min(1, "must not be empty");
/** The value of the feature_flags.environment column, when it differs from the mapped env name. */
const environmentArg = optionalText(z.string().min(1).max(100));
/** Read the table over a Postgres connection to this variable's database instead of Supabase's REST API. */
const databaseUrlEnvArg = optionalText(envNameArg);

function columnValue(args: { env: string; environment?: string | undefined }, map: Readonly<Record<string, string>>): string {
  return args.environment ?? map[args.env] ?? args.env;
}

function cohortsOf(row: FlagRow): string[] {
  const cohorts = row.metadata?.cohorts;
  return Array.isArray(cohorts) ? cohorts.map(String) : [];
}

function flagView(row: FlagRow) {
  return {
    flag: row.flag_key,
    environment: row.environment,
    enabled: row.is_enabled,
    rolloutPercentage: row.rollout_percentage ?? 0,
    cohorts: cohortsOf(row),
    description: row.description,
    targetUserCount: row.target_user_ids?.length ?? 0,
    updatedAt: row.updated_at,
    targetUserIds: row.target_user_ids ?? [],
  };
}

/**
 * The last change of a flag, as evidence: the table keeps only its current state and `updated_at`, so
 * the state before is unknown here (opsroom's own flag runs know it).
 */
function flagChange(row: FlagRow, env: string): ChangeEvidence[] {
  const at = isoOf(row.updated_at);
  if (!at) return [];
  const state = row.is_enabled ? `on at ${row.rollout_percentage ?? 0}%` : "off";
  return [
    {
      type: "change",
      kind: "flag",
      service: null,
      env,
      at,
      summary: `flag ${row.flag_key} changed (now ${state})`,
      source: "feature_flags table",
      provider: "supabase",
      reached: true,
      state,
      flag: { key: row.flag_key, enabled: row.is_enabled, rolloutPercentage: row.rollout_percentage ?? 0, previous: null },
    },
  ];
}

function describeFlag(row: FlagRow): string {
  const cohorts = cohortsOf(row);
  const users = row.target_user_ids ?? [];
  return `${row.flag_key}: ${row.is_enabled ? "on" : "off"}, ${row.rollout_percentage ?? 0}%${cohorts.length ? `, cohorts ${cohorts.join(", ")}` : ""}${users.length ? `, targeted at ${usersText(users)}` : ""}`;
}

/** "user 8f1c2a3b" or "3 users (8f1c2a3b, …)": ids are long, the first 8 characters name them. */
function usersText(ids: readonly string[]): string {
  if (ids.length === 0) return "(none)";
  const short = ids.map((id) => id.slice(0, 8));
  return ids.length === 1 ? `user ${short[0]}` : `${ids.length} users (${short.slice(0, 3).join(", ")}${ids.length > 3 ? ", …" : ""})`;
}

export function createListFlags(options: SupabaseAdapterOptions): AdapterAction {
  const map = options.environments ?? DEFAULT_ENVIRONMENTS;
  return adapterAction("supabase", "listFlags", {
    description: "List the feature flags of an environment from the feature_flags table.",
    args: z.strictObject({ env: envArg, environment: environmentArg, databaseUrlEnv: databaseUrlEnvArg }),
    risk: "read",
    credentialsFor: flagTableCredentials,
    async run(args, ctx) {
      const environment = columnValue(args, map);
      const rows = await withFlagTable(ctx, options, args.databaseUrlEnv, (table) => table.list(environment));
      const enabled = rows.filter((r) => r.is_enabled).length;
      return {
        summary: `${rows.length} flag${rows.length === 1 ? "" : "s"} in ${args.env} (${environment}), ${enabled} on`,
        data: { env: args.env, environment, flags: rows.map(flagView), evidence: rows.flatMap((r) => flagChange(r, args.env)) },
        artifacts: [{ kind: "text", title: `Feature flags in ${args.env}`, content: rows.map(describeFlag).join("\n") || "(none)" }],
      };
    },
  });
}

async function readFlag(ctx: ActionContext, table: FlagTable, flag: string, environment: string, env: string): Promise<FlagRow> {
  const { row, elsewhere } = await table.find(flag, environment);
  if (row) return row;
  // flag_key is UNIQUE across environments, so the row may exist for another one: say which.
  throw new AdapterError(
    "supabase",
    ctx.action,
    "SUPABASE_FLAG_NOT_FOUND",
    elsewhere.length > 0
      ? `flag ${flag} exists in feature_flags only for environment ${elsewhere.join(", ")}, not ${environment} (opsroom env ${env}).`
      : `flag ${flag} is not in the feature_flags table (looked for environment ${environment}).`,
    {
      hint:
        elsewhere.length > 0
          ? `Pass environment: ${elsewhere[0]} in the step, or map ${env} to it in the adapter's environments.`
          : "Insert the flag's row first (flag_key is unique), or check the spelling against the config's flags.",
    },
  );
}

export function createGetFlag(options: SupabaseAdapterOptions): AdapterAction {
  const map = options.environments ?? DEFAULT_ENVIRONMENTS;
  return adapterAction("supabase", "getFlag", {
    description: "Read one feature flag: enabled, rollout percentage, cohorts.",
    args: z.strictObject({ flag: flagArg, env: envArg, environment: environmentArg, databaseUrlEnv: databaseUrlEnvArg }),
    risk: "read",
    credentialsFor: flagTableCredentials,
    async run(args, ctx) {
      const row = await withFlagTable(ctx, options, args.databaseUrlEnv, (table) =>
        readFlag(ctx, table, args.flag, columnValue(args, map), args.env),
      );
      return { summary: `${describeFlag(row)} in ${args.env}`, data: flagView(row) };
    },
  });
}

export const setFlagArgs = z
  .strictObject({
    flag: flagArg,
    env: envArg,
    environment: environmentArg,
    databaseUrlEnv: databaseUrlEnvArg,
    enabled: optionalArg(boolArg()),
    rolloutPercentage: optionalInt(0, 100),
    cohorts: optionalArg(listArg(z.string().regex(/^[\w.-]+$/, "must be a cohort name like ops"), "must be a list of cohort names")),
    /** The users who get the flag whatever its percentage (feature_flags.target_user_ids); [] clears them. */
    targetUserIds: optionalArg(userIdsArg()),
    /** Users added to the targeted ones, and users taken out of them, against the row read in the same compare-and-set. */
    addTargetUserIds: optionalArg(userIdsArg()),
    removeTargetUserIds: optionalArg(userIdsArg()),
  })
  .refine(
    (a) =>
      a.enabled !== undefined ||
      a.rolloutPercentage !== undefined ||
      a.cohorts !== undefined ||
      a.targetUserIds !== undefined ||
      editsTargets(a),
    { message: "needs at least one of enabled, rolloutPercentage, cohorts, targetUserIds, addTargetUserIds, removeTargetUserIds" },
  );

function userIdsArg() {
  return listArg(z.uuid("must be a user id (a UUID)"), "must be a list of user ids (UUIDs)");
}

function editsTargets(a: { addTargetUserIds?: string[] | undefined; removeTargetUserIds?: string[] | undefined }): boolean {
  return (a.addTargetUserIds?.length ?? 0) + (a.removeTargetUserIds?.length ?? 0) > 0;
}

type SetArgs = z.output<typeof setFlagArgs>;

function patchFor(args: SetArgs, before: FlagRow | undefined, now: string) {
  return {
    ...(args.enabled !== undefined ? { is_enabled: args.enabled } : {}),
    ...(args.rolloutPercentage !== undefined ? { rollout_percentage: args.rolloutPercentage } : {}),
    ...(args.cohorts !== undefined ? { metadata: { ...(before?.metadata ?? {}), cohorts: args.cohorts } } : {}),
    ...(args.targetUserIds !== undefined
      ? { target_user_ids: args.targetUserIds }
      : editsTargets(args)
        ? { target_user_ids: editTargets(before?.target_user_ids ?? [], args.addTargetUserIds, args.removeTargetUserIds) }
        : {}),
    updated_at: now,
  };
}

/**
 * Changes a flag with a compare-and-set on updated_at: the PATCH only matches the row we read, so a
 * change someone made in between is never silently overwritten (SUPABASE_CONFLICT, retryable).
 */
export function createSetFlag(options: SupabaseAdapterOptions): AdapterAction {
  const map = options.environments ?? DEFAULT_ENVIRONMENTS;
  return adapterAction("supabase", "setFlag", {
    description: "Turn a feature flag on or off, set its rollout percentage or cohorts; returns a before → after diff.",
    args: setFlagArgs,
    risk: "write",
    credentialsFor: flagTableCredentials,
    dryRun(args, ctx) {
      const environment = columnValue(args, map);
      if (args.databaseUrlEnv) {
        return {
          calls: [],
          summary: `would set ${args.flag} in ${args.env} (${environment}): ${changeText(args)} (UPDATE ${TABLE} in ${args.databaseUrlEnv}'s database, only if unchanged since read)`,
        };
      }
      const base = (ctx.credentials[SUPABASE_URL.name] ?? "$SUPABASE_URL").replace(/\/+$/, "");
      const patch = patchFor(args, undefined, "<now>");
      const body = {
        ...patch,
        ...(args.cohorts !== undefined ? { metadata: `<current metadata with cohorts = ${JSON.stringify(args.cohorts)}>` } : {}),
        ...(args.targetUserIds === undefined && editsTargets(args)
          ? { target_user_ids: `<current target users ${targetEditText(args)}>` }
          : {}),
      };
      const where = `flag_key=eq.${args.flag}&environment=eq.${environment}`;
      return {
        calls: [
          { method: "GET", url: `${base}/rest/v1/${TABLE}?select=${COLUMNS}&${where}`, note: "current row" },
          { method: "PATCH", url: `${base}/rest/v1/${TABLE}?${where}&updated_at=eq.<as read>`, body },
        ],
        summary: `would set ${args.flag} in ${args.env} (${environment}): ${changeText(args)} (PATCH ${base}/rest/v1/${TABLE}?${where})`,
      };
    },
    async run(args, ctx) {
      const environment = columnValue(args, map);
      const { before, after } = await withFlagTable(ctx, options, args.databaseUrlEnv, async (table) => {
        const before = await readFlag(ctx, table, args.flag, environment, args.env);
        const after = await table.update(args.flag, environment, patchFor(args, before, new Date().toISOString()), before.updated_at);
        return { before, after };
      });
      if (!after) {
        throw new AdapterError(
          "supabase",
          "setFlag",
          "SUPABASE_CONFLICT",
          `flag ${args.flag} in ${environment} changed while opsroom was updating it; nothing was written.`,
          { retryable: true, hint: "Run the step again to apply the change on top of the new value." },
        );
      }
      const diff = flagDiff(before, after);
      return {
        summary: `${args.flag} in ${args.env}: ${diff.summary || "no change"}`,
        data: { before: flagView(before), after: flagView(after) },
        artifacts: [{ kind: "diff", title: `${args.flag} (${environment})`, content: diff.text }],
      };
    },
  });
}

function changeText(args: SetArgs): string {
  return [
    args.enabled !== undefined ? `enabled → ${args.enabled}` : "",
    args.rolloutPercentage !== undefined ? `rollout → ${args.rolloutPercentage}%` : "",
    args.cohorts !== undefined ? `cohorts → ${args.cohorts.join(", ") || "(none)"}` : "",
    args.targetUserIds !== undefined ? `target users → ${args.targetUserIds.length ? usersText(args.targetUserIds) : "(none)"}` : "",
    args.targetUserIds === undefined && editsTargets(args) ? `target users ${targetEditText(args)}` : "",
  ]
    .filter(Boolean)
    .join(", ");
}

/** "+ user 8f1c2a3b, − 2 users (…)". */
function targetEditText(args: SetArgs): string {
  return [
    args.addTargetUserIds?.length ? `+ ${usersText(args.addTargetUserIds)}` : "",
    args.removeTargetUserIds?.length ? `− ${usersText(args.removeTargetUserIds)}` : "",
  ]
    .filter(Boolean)
    .join(", ");
}

function flagDiff(before: FlagRow, after: FlagRow): { summary: string; text: string } {
  const fields: Array<[string, string, string]> = [
    ["is_enabled", String(before.is_enabled), String(after.is_enabled)],
    ["rollout_percentage", `${before.rollout_percentage ?? 0}`, `${after.rollout_percentage ?? 0}`],
    ["cohorts", cohortsOf(before).join(", ") || "(none)", cohortsOf(after).join(", ") || "(none)"],
  ];
  // Targeting is shown only for flags that have (or had) targeted users.
  if ((before.target_user_ids?.length ?? 0) + (after.target_user_ids?.length ?? 0) > 0)
    fields.push([
      "target_user_ids",
      (before.target_user_ids ?? []).join(", ") || "(none)",
      (after.target_user_ids ?? []).join(", ") || "(none)",
    ]);
  const lines = [`feature_flags ${before.flag_key} (${before.environment})`];
  const changes: string[] = [];
  for (const [name, from, to] of fields) {
    if (from === to) {
      lines.push(`  ${name}: ${from}`);
    } else {
      lines.push(`- ${name}: ${from}`, `+ ${name}: ${to}`);
      changes.push(
        name === "rollout_percentage"
          ? `rollout ${from}% → ${to}%`
          : name === "target_user_ids"
            ? `target users ${usersText(before.target_user_ids ?? [])} → ${usersText(after.target_user_ids ?? [])}`
            : `${name === "is_enabled" ? "enabled" : name} ${from} → ${to}`,
      );
    }
  }
  return { summary: changes.join(", "), text: lines.join("\n") };
}
