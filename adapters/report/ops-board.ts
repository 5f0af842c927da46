import { z } from "zod";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { optionalText } from "../shared/args.js";
import type { Clock } from "../shared/clock.js";
import { classifyEvidence, cell, evidenceArg, formatAge, shortSha, type DeployRow, type FlagRow, type MigrationRow } from "./evidence.js";
import { catalogArg } from "./flag-change.js";

export const opsBoardArgs = z.strictObject({
  env: z.string({ error: "must be the environment name" }).min(1, "must not be empty"),
  /** The config's flag catalog ({{ flags }}): owners, cohorts, dependencies. */
  catalog: catalogArg,
  /** Outputs of the evidence steps ({{ steps }}): flags, migration status, deployments ("deploys-of-<service>"). */
  evidence: evidenceArg,
  /** Where migrations would be configured, for the message when they are not: "environments.prod.settings". */
  migrationsConfig: optionalText(),
});

/** Title of the json artifact holding a reading's items ({ items: BoardItem[] }), which watches compare. */
export const STATUS_ITEMS_TITLE = "Status items";

export type BoardStatus = "Healthy" | "Warning" | "Blocked";

export interface BoardItem {
  section: "flag" | "feed" | "deploy";
  name: string;
  status: BoardStatus;
  /** Why it has that status; empty when Healthy needs no explanation. */
  reasons: string[];
  owner: string | null;
  detail: string;
}

const RANK: Record<BoardStatus, number> = { Healthy: 0, Warning: 1, Blocked: 2 };
const worst = (a: BoardStatus, b: BoardStatus): BoardStatus => (RANK[b] > RANK[a] ? b : a);

/**
 * The ops & telemetry board: every flag (state, cohorts, dependencies), the migration and flag feeds,
 * and each service's latest deploy, each marked Healthy / Warning / Blocked with its reasons, and the
 * answer to "is it safe to cut over?": yes only when nothing is Blocked. A feed that could not be read
 * is Blocked ("unknown"), as on the board this comes from: not knowing is not safe.
 */
export function createOpsBoard(clock: Clock): AdapterAction {
  return adapterAction("report", "opsBoard", {
    description:
      "Build the ops board: flags, migration and flag feeds, latest deploys, each Healthy/Warning/Blocked, and whether it is safe to cut over.",
    args: opsBoardArgs,
    risk: "read",
    async run(args) {
      const now = clock.now();
      const evidence = classifyEvidence(args.evidence);
      const flagRows = evidence.find((e) => e.kind === "flags")?.rows as FlagRow[] | undefined;
      const migrations = evidence.find((e) => e.kind === "migrations")?.row as MigrationRow | undefined;
      const deploys = evidence.filter((e) => e.kind === "deploys") as Array<{
        label: string | undefined;
        stepId: string;
        rows: DeployRow[];
      }>;

      const items: BoardItem[] = [
        ...flagItems(args.catalog, flagRows, args.env),
        flagFeed(flagRows, now, args.env),
        migrationFeed(migrations, args.env, args.migrationsConfig),
        ...deploys.map((d) => deployItem(d.label ?? d.stepId, d.rows, now, args.env)),
      ];
      const blocked = items.filter((i) => i.status === "Blocked");
      const warnings = items.filter((i) => i.status === "Warning");
      const safe = blocked.length === 0;
      const reasons = safe
        ? [`nothing is blocked${warnings.length ? `; ${warnings.length} warning${warnings.length === 1 ? "" : "s"} to read first` : ""}`]
        : blocked.map((i) => `${i.name}: ${i.reasons.join("; ")}`);
      const summary = `Safe to cut over in ${args.env}: ${safe ? "yes" : "no"}: ${reasons.join("; ")} (${items.length - blocked.length - warnings.length} healthy, ${warnings.length} warning, ${blocked.length} blocked)`;
      return {
        summary,
        data: {
          env: args.env,
          safeToCutOver: safe,
          reasons,
          items,
          counts: { healthy: items.length - blocked.length - warnings.length, warning: warnings.length, blocked: blocked.length },
        },
        artifacts: [
          {
            kind: "text",
            title: `Ops board (${args.env})`,
            filename: "ops-board.md",
            content: renderBoard(args.env, items, safe, reasons, now),
          },
          // The items as data, for watches that compare one board with the last (src/schedules/).
          { kind: "json", title: STATUS_ITEMS_TITLE, filename: "ops-board.json", content: JSON.stringify({ items }) },
        ],
      };
    },
  });
}

function flagItems(catalog: z.output<typeof opsBoardArgs>["catalog"], rows: FlagRow[] | undefined, env: string): BoardItem[] {
  const names = [...new Set([...Object.keys(catalog), ...(rows ?? []).map((r) => r.flag)])];
  return names.map((name) => {
    const config = catalog[name];
    const row = rows?.find((r) => r.flag === name);
    const reasons: string[] = [];
    let status: BoardStatus = "Healthy";
    const cohorts = row?.cohorts.length ? row.cohorts : (config?.cohorts ?? []);
    const deps = config?.dependsOn ?? [];
    if (!rows) {
      status = "Blocked";
      reasons.push("unknown: the feature_flags table was not read");
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
      status,
      reasons,
      owner: config?.owner ?? null,
      detail: `${state}; cohorts ${cohorts.join(", ") || "(none)"}; depends on ${deps.join(", ") || "nothing"}`,
    };
  });
}

function flagFeed(rows: FlagRow[] | undefined, now: number, env: string): BoardItem {
  if (!rows) {
    return {
      section: "feed",
      name: "Feature flags",
      status: "Blocked",
      reasons: ["unknown: not read"],
      owner: null,
      detail: "last change unknown",
    };
  }
  const last = Math.max(...rows.map((r) => r.updatedAt ?? 0), 0);
  return {
    section: "feed",
    name: "Feature flags",
    status: "Healthy",
    reasons: [],
    owner: null,
    detail: `${rows.length} flag${rows.length === 1 ? "" : "s"} in ${env}; last change ${last ? `${formatAge(now - last)} ago (${new Date(last).toISOString()})` : "unknown"}`,
  };
}

function migrationFeed(row: MigrationRow | undefined, env: string, where: string | undefined): BoardItem {
  const name = "Database migrations";
  if (!row) {
    const hint = where ? `set ${where}.databaseUrlEnv and ${where}.migrationsDir` : `configure databaseUrlEnv and migrationsDir for ${env}`;
    return {
      section: "feed",
      name,
      status: "Blocked",
      reasons: [`unknown: no migration status for ${env} (${hint})`],
      owner: null,
      detail: "unknown",
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
  return { section: "feed", name, status, reasons, owner: null, detail: `${row.applied.length} applied, ${row.pending.length} pending` };
}

function deployItem(service: string, rows: DeployRow[], now: number, env: string): BoardItem {
  const latest = rows[0];
  const name = `Deploy of ${service}`;
  if (!latest)
    return { section: "deploy", name, status: "Warning", reasons: [`no deployment to ${env} on record`], owner: null, detail: "none" };
  const what = `${shortSha(latest.sha) ?? latest.ref ?? latest.id}${latest.at ? `, ${formatAge(now - latest.at)} ago` : ""}${latest.creator ? ` by ${latest.creator}` : ""}`;
  const state = latest.state;
  if (state === "success" || state === "ready" || state === "inactive")
    return { section: "deploy", name, status: "Healthy", reasons: [], owner: null, detail: `${what}: ${state}` };
  if (["failure", "error", "canceled"].includes(state)) {
    return {
      section: "deploy",
      name,
      status: "Blocked",
      reasons: [`latest deploy ${shortSha(latest.sha) ?? latest.id} ended ${state}`],
      owner: null,
      detail: `${what}: ${state}`,
    };
  }
  return { section: "deploy", name, status: "Warning", reasons: [`latest deploy is ${state}`], owner: null, detail: `${what}: ${state}` };
}

function renderBoard(env: string, items: BoardItem[], safe: boolean, reasons: string[], now: number): string {
  const table = (section: BoardItem["section"], heading: string) => {
    const rows = items.filter((i) => i.section === section);
    if (!rows.length) return [];
    return [
      `## ${heading}`,
      "",
      "| Item | Status | Detail | Reasons | Owner |",
      "| --- | --- | --- | --- | --- |",
      ...rows.map(
        (i) =>
          `| ${cell(i.name)} | ${i.status} | ${cell(i.detail)} | ${cell(i.reasons.join("; ") || "-")} | ${cell(i.owner ?? "Unassigned")} |`,
      ),
      "",
    ];
  };
  return [
    `# Ops board: ${env}`,
    "",
    `Generated ${new Date(now).toISOString()}.`,
    "",
    `**Safe to cut over: ${safe ? "yes" : "no"}**`,
    ...reasons.map((r) => `- ${r}`),
    "",
    ...table("flag", "Feature flags"),
    ...table("feed", "Feeds"),
    ...table("deploy", "Latest deploys"),
  ].join("\n");
}
