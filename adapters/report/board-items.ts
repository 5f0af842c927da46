import { z } from "zod";
import { optionalArg } from "../shared/args.js";
import { formatAge, shortSha, timeOf, type DeployRow, type FlagRow, type MigrationRow } from "./evidence.js";
import type { catalogArg } from "./flag-change.js";

/**
 * Healthy / Warning / Blocked as on the seed's board; Done is a finished checklist step (counts as healthy);
 * Unknown is an item nobody could read because a setting is missing: it never makes a verdict "no".
 */
export type BoardStatus = "Healthy" | "Done" | "Warning" | "Blocked" | "Unknown";
export type BoardSection = "flag" | "checklist" | "feed" | "deploy";

export interface BoardItem {
  section: BoardSection;
  name: string;
  /** The Phase-0 block whose verdict it counts towards: flags, migrations, seeds, dual-write, deploys, … */
  block: string;
  status: BoardStatus;
  /** Why it has that status; empty when Healthy needs no explanation. */
  reasons: string[];
  /** Settings that must be set before it can be read (Unknown items). */
  missing: string[];
  owner: string | null;
  detail: string;
  /** Checklist steps: the lane (Local, Convex, Supabase). */
  lane?: string;
  /** Feeds: the metric read ("Last modified") and its value. */
  metric?: string;
  value?: string;
  notes?: string;
  /** Checklist steps: "updated 3 h ago by @dana"; never changed from chat: null. */
  updated?: string | null;
}

const RANK: Record<BoardStatus, number> = { Healthy: 0, Done: 0, Unknown: 1, Warning: 2, Blocked: 3 };
export const worst = (a: BoardStatus, b: BoardStatus): BoardStatus => (RANK[b] > RANK[a] ? b : a);

/** A step output that did not produce data: not run for a missing setting, or failed with a reason. */
export interface StepGap {
  missing: string[];
  error: string | undefined;
}

/** What `{{ steps }}` holds for a step that could not run (see the executor's StepOutputs), or undefined. */
export function gapOf(evidence: Readonly<Record<string, unknown>>, stepId: string): StepGap | undefined {
  const output = evidence[stepId];
  if (!output || typeof output !== "object") return undefined;
  const o = output as { data?: unknown; error?: unknown; missing?: unknown };
  if (o.data !== undefined && o.data !== null && o.error === undefined) return undefined;
  const missing = Array.isArray(o.missing) ? o.missing.map(String) : [];
  return { missing, error: typeof o.error === "string" ? o.error : undefined };
}

const missingText = (missing: readonly string[]) => `unknown: set ${missing.join(" and ")}`;

export function flagItems(
  catalog: z.output<typeof catalogArg>,
  rows: FlagRow[] | undefined,
  gap: StepGap | undefined,
  env: string,
): BoardItem[] {
  const names = [...new Set([...Object.keys(catalog), ...(rows ?? []).map((r) => r.flag)])];
  return names.map((name) => {
    const config = catalog[name];
    const row = rows?.find((r) => r.flag === name);
    const reasons: string[] = [];
    let status: BoardStatus = "Healthy";
    const missing: string[] = [];
    const cohorts = row?.cohorts.length ? row.cohorts : (config?.cohorts ?? []);
    const deps = config?.dependsOn ?? [];
    if (!rows) {
      if (gap?.missing.length) {
        status = "Unknown";
        missing.push(...gap.missing);
        reasons.push(missingText(gap.missing));
      } else {
        status = "Blocked";
        reasons.push(`the feature_flags table could not be read${gap?.error ? `: ${gap.error}` : ""}`);
      }
    } else if (!row) {
      status = "Blocked";
      reasons.push(`not in the feature_flags table for ${env}`);
    } else {
      if (row.enabled && row.rolloutPercentage < 100) {
        status = worst(status, "Warning");
        reasons.push(`partial rollout: ${row.rolloutPercentage}%`);
      }
      for (const dep of deps) {
        const d = rows.find((r) => r.flag === dep);
        if (row.enabled && (!d || !d.enabled)) {
          status = "Blocked";
          reasons.push(`on, but depends on ${dep}, which is ${d ? "off" : "missing"}`);
        } else if (d && d.enabled && d.rolloutPercentage < 100) {
          status = worst(status, "Warning");
          reasons.push(`depends on ${dep}, rolled out to ${d.rolloutPercentage}%`);
        }
      }
      const configured = config?.cohorts ?? [];
      const extra = row.cohorts.filter((c) => configured.length > 0 && !configured.includes(c));
      if (extra.length) {
        status = worst(status, "Warning");
        reasons.push(`cohorts ${extra.join(", ")} not in the config (${configured.join(", ")})`);
      }
      if (!config) {
        status = worst(status, "Warning");
        reasons.push("in the table but not in the config's flag catalog");
      }
    }
    const state = row ? `${row.enabled ? "on" : "off"} ${row.rolloutPercentage}%` : "unknown";
    return {
      section: "flag",
      name,
      block: "flags",
      status,
      reasons,
      missing,
      owner: config?.owner ?? null,
      detail: `${state}; cohorts ${cohorts.join(", ") || "(none)"}; depends on ${deps.join(", ") || "nothing"}`,
    };
  });
}

export function flagFeed(rows: FlagRow[] | undefined, gap: StepGap | undefined, now: number, env: string): BoardItem {
  const base = { section: "feed" as const, name: "Feature flags", block: "flags", owner: null, metric: "Last modified" };
  if (!rows) {
    const missing = gap?.missing ?? [];
    return {
      ...base,
      status: missing.length ? "Unknown" : "Blocked",
      reasons: [missing.length ? missingText(missing) : `not read${gap?.error ? `: ${gap.error}` : ""}`],
      missing,
      detail: "last change unknown",
      value: "Unknown",
    };
  }
  const last = Math.max(...rows.map((r) => r.updatedAt ?? 0), 0);
  return {
    ...base,
    status: "Healthy",
    reasons: [],
    missing: [],
    detail: `${rows.length} flag${rows.length === 1 ? "" : "s"} in ${env}; last change ${last ? `${formatAge(now - last)} ago (${new Date(last).toISOString()})` : "unknown"}`,
    value: last ? new Date(last).toISOString() : "Unknown",
  };
}

export function migrationFeed(
  row: MigrationRow | undefined,
  gap: StepGap | undefined,
  env: string,
  where: string | undefined,
  configured: { databaseUrlEnv?: string | undefined; migrationsDir?: string | undefined },
): BoardItem {
  const base = { section: "feed" as const, name: "Database migrations", block: "migrations", owner: null, metric: "Pending" };
  if (!row) {
    if (gap?.missing.length) {
      return { ...base, status: "Unknown", reasons: [missingText(gap.missing)], missing: gap.missing, detail: "unknown", value: "Unknown" };
    }
    if (gap?.error) return { ...base, status: "Blocked", reasons: [gap.error], missing: [], detail: "unreadable", value: "Unknown" };
    // Name only the settings the config lacks (the example config sets both for prod).
    const prefix = where ?? `environments.${env}.settings`;
    const lacking = [
      configured.databaseUrlEnv ? undefined : `${prefix}.databaseUrlEnv`,
      configured.migrationsDir ? undefined : `${prefix}.migrationsDir`,
    ].filter((s): s is string => !!s);
    const missing = lacking.length ? lacking : [`${prefix}.databaseUrlEnv`];
    return {
      ...base,
      status: "Unknown",
      reasons: [`unknown: no migration status for ${env} (set ${missing.join(" and ")})`],
      missing,
      detail: "unknown",
      value: "Unknown",
    };
  }
  const reasons: string[] = [];
  let status: BoardStatus = "Healthy";
  if (row.pending.length) {
    status = "Blocked";
    reasons.push(`${row.pending.length} pending: ${row.pending.slice(0, 3).join(", ")}${row.pending.length > 3 ? ", …" : ""}`);
  }
  if (row.changed.length) {
    status = "Blocked";
    reasons.push(`edited after being applied: ${row.changed.join(", ")}`);
  }
  if (row.unknown.length) {
    status = worst(status, "Warning");
    reasons.push(`applied but no longer in the folder: ${row.unknown.join(", ")}`);
  }
  return {
    ...base,
    status,
    reasons,
    missing: [],
    detail: `${row.applied.length} applied, ${row.pending.length} pending`,
    value: String(row.pending.length),
  };
}

export function deployItem(service: string, rows: DeployRow[], now: number, env: string): BoardItem {
  const latest = rows[0];
  const base = { section: "deploy" as const, name: `Deploy of ${service}`, block: "deploys", owner: null, missing: [] };
  if (!latest) return { ...base, status: "Warning", reasons: [`no deployment to ${env} on record`], detail: "none" };
  const what = `${shortSha(latest.sha) ?? latest.ref ?? latest.id}${latest.at ? `, ${formatAge(now - latest.at)} ago` : ""}${latest.creator ? ` by ${latest.creator}` : ""}`;
  const state = latest.state;
  if (state === "success" || state === "ready" || state === "inactive")
    return { ...base, status: "Healthy", reasons: [], detail: `${what}: ${state}` };
  if (["failure", "error", "canceled"].includes(state)) {
    return {
      ...base,
      status: "Blocked",
      reasons: [`latest deploy ${shortSha(latest.sha) ?? latest.id} ended ${state}`],
      detail: `${what}: ${state}`,
    };
  }
  return { ...base, status: "Warning", reasons: [`latest deploy is ${state}`], detail: `${what}: ${state}` };
}

/** A service whose deployments could not be listed: said, never dropped (a missing GITHUB_TOKEN is unknown). */
export function unreadDeployItem(service: string, gap: StepGap): BoardItem {
  const base = { section: "deploy" as const, name: `Deploy of ${service}`, block: "deploys", owner: null };
  if (gap.missing.length) {
    return { ...base, status: "Unknown", reasons: [missingText(gap.missing)], missing: gap.missing, detail: "not checked" };
  }
  return {
    ...base,
    status: "Blocked",
    reasons: [`could not list deployments: ${gap.error ?? "unknown error"}`],
    missing: [],
    detail: "unreadable",
  };
}

/** A configured feed ({{ board.feeds }}), as the report reads it. */
export const feedArg = z.looseObject({
  name: z.string(),
  kind: z.string(),
  title: z.string(),
  block: z.string(),
  owner: optionalArg(z.string()),
  notes: optionalArg(z.string()),
  maxAge: optionalArg(z.string()),
});
export type FeedArg = z.output<typeof feedArg>;

/** A configured feed and its reading: Healthy, Warning past maxAge, Blocked when unreadable, Unknown when a setting is missing. */
export function feedItem(feed: FeedArg, output: unknown, gap: StepGap | undefined, now: number, maxAgeMs: number | undefined): BoardItem {
  const base = {
    section: "feed" as const,
    name: feed.title,
    block: feed.block,
    owner: feed.owner ?? null,
    metric: "Last modified",
    ...(feed.notes ? { notes: feed.notes } : {}),
  };
  if (gap?.missing.length) {
    return { ...base, status: "Unknown", reasons: [missingText(gap.missing)], missing: gap.missing, detail: "not read", value: "Unknown" };
  }
  const data = output && typeof output === "object" ? (output as { data?: { at?: unknown; detail?: unknown } }).data : undefined;
  const at = timeOf(data?.at);
  if (!gap && at === null && data && data.at === null && typeof data.detail === "string") {
    // Read, but nothing there yet (no deploy on record): worth a look, not unreadable.
    return { ...base, status: "Warning", reasons: [data.detail], missing: [], detail: data.detail, value: "None" };
  }
  if (gap || at === null) {
    const reason = gap?.error ?? (output === undefined ? "not read (its step did not run)" : "the reading had no time");
    return { ...base, status: "Blocked", reasons: [reason], missing: [], detail: "unreadable", value: "Unknown" };
  }
  const age = now - at;
  const stale = maxAgeMs !== undefined && age > maxAgeMs;
  const detail = `${formatAge(age)} ago${typeof data?.detail === "string" ? ` (${data.detail})` : ""}`;
  return {
    ...base,
    status: stale ? "Warning" : "Healthy",
    reasons: stale ? [`stale: last modified ${formatAge(age)} ago, over its limit of ${feed.maxAge}`] : [],
    missing: [],
    detail,
    value: new Date(at).toISOString(),
  };
}

/** A checklist step as board.checklist returns it. */
export const checklistRowArg = z.looseObject({
  id: z.string(),
  title: z.string(),
  lane: z.string(),
  status: z.string(),
  block: z.string(),
  owner: optionalArg(z.string()),
  description: optionalArg(z.string()),
  notes: optionalArg(z.string()),
  updatedAt: optionalArg(z.string()),
  updatedBy: optionalArg(z.string()),
});

const STEP_STATUS: Record<string, BoardStatus> = { healthy: "Healthy", warning: "Warning", blocked: "Blocked", done: "Done" };

export function checklistItem(step: z.output<typeof checklistRowArg>, now: number): BoardItem {
  const status = STEP_STATUS[step.status] ?? "Warning";
  const updatedAt = timeOf(step.updatedAt);
  return {
    section: "checklist",
    name: step.title,
    block: step.block,
    status,
    reasons: status === "Blocked" || status === "Warning" ? [`${step.lane}: ${step.notes ?? step.status}`] : [],
    missing: [],
    owner: step.owner ?? null,
    detail: step.description ?? "",
    lane: step.lane,
    ...(step.notes ? { notes: step.notes } : {}),
    updated: updatedAt !== null ? `updated ${formatAge(now - updatedAt)} ago by ${step.updatedBy ?? "someone"}` : null,
  };
}
