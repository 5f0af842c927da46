import { z } from "zod";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { optionalText } from "../shared/args.js";
import type { Clock } from "../shared/clock.js";
import {
  checklistItem,
  checklistRowArg,
  deployItem,
  feedArg,
  feedItem,
  flagFeed,
  flagItems,
  gapOf,
  migrationFeed,
  unreadDeployItem,
  type BoardItem,
} from "./board-items.js";
import { renderBoard } from "./render-board.js";
import { classifyEvidence, evidenceArg, type DeployRow, type FlagRow, type MigrationRow } from "./evidence.js";
import { catalogArg } from "./flag-change.js";

export type { BoardItem, BoardStatus } from "./board-items.js";

const listOr = <T extends z.ZodType>(item: T) => z.preprocess((v) => (v === undefined || v === "" || v === null ? [] : v), z.array(item));

export const opsBoardArgs = z.strictObject({
  env: z.string({ error: "must be the environment name" }).min(1, "must not be empty"),
  /** The config's flag catalog ({{ flags }}): owners, cohorts, dependencies. */
  catalog: catalogArg,
  /** Outputs of the evidence steps ({{ steps }}): flags, migration status, deployments, checklist, feeds. */
  evidence: evidenceArg,
  /** Where migrations would be configured, for the message when they are not: "environments.prod.settings". */
  migrationsConfig: optionalText(),
  /** The env's databaseUrlEnv and migrationsDir as configured, so the hint names only what is missing. */
  migrationSettings: z.strictObject({ databaseUrlEnv: optionalText(), migrationsDir: optionalText() }).optional(),
  /** The config's telemetry feeds ({{ board.feeds }}); each read by the step `<kind>-feed-of-<name>`. */
  feeds: listOr(feedArg.extend({ maxAgeMs: z.number().int().positive().optional() })),
});

/** Title of the json artifact holding the board as data ({ items: BoardItem[], blocks, … }), which watches compare. */
export const STATUS_ITEMS_TITLE = "Ops board data";

export type Verdict = "yes" | "no" | "unknown";

/** One Phase-0 block's answer to "safe to cut over?", with what blocks it or what must be set to know. */
export interface BlockVerdict {
  block: string;
  verdict: Verdict;
  blocking: string[];
  missing: string[];
}

/**
 * yes when nothing is Blocked or Unknown; no when something is Blocked (a real reading or a person's word,
 * never an absent credential); otherwise unknown, naming the settings to set.
 */
export function verdictOf(block: string, items: readonly BoardItem[]): BlockVerdict {
  const blocking = items.filter((i) => i.status === "Blocked").map((i) => `${i.name}: ${i.reasons.join("; ")}`);
  const missing = [...new Set(items.flatMap((i) => (i.status === "Unknown" ? i.missing : [])))];
  const unknown = items.some((i) => i.status === "Unknown");
  return { block, verdict: blocking.length ? "no" : unknown ? "unknown" : "yes", blocking, missing };
}

/**
 * Per block and overall, from the board's items: the verdicts, the overall reasons and the counts. The board
 * report computes them once; a stored board shown with the checklist as it stands now computes them again.
 */
export function boardVerdicts(items: readonly BoardItem[]) {
  const blocks = [...new Set(items.map((i) => i.block))].map((b) =>
    verdictOf(
      b,
      items.filter((i) => i.block === b),
    ),
  );
  const overall = verdictOf("overall", items);
  const count = (...s: BoardItem["status"][]) => items.filter((i) => s.includes(i.status)).length;
  const counts = { healthy: count("Healthy", "Done"), warning: count("Warning"), blocked: count("Blocked"), unknown: count("Unknown") };
  const reasons = [
    ...overall.blocking,
    ...(overall.missing.length ? [`unknown until set: ${overall.missing.join(", ")}`] : []),
    ...(overall.verdict === "yes"
      ? [`nothing is blocked${counts.warning ? `; ${counts.warning} warning${counts.warning === 1 ? "" : "s"} to read first` : ""}`]
      : []),
  ];
  return { blocks, overall, reasons, counts };
}

/**
 * The ops & telemetry board (seed 000): feature-flag telemetry, the cut-over checklist, telemetry feeds and
 * each service's latest deploy, each item Healthy / Warning / Blocked (or Unknown when a setting is missing),
 * and per Phase-0 block and overall whether it is safe to cut over: yes, no with the blocking items, or
 * unknown with the exact settings to set.
 */
export function createOpsBoard(clock: Clock): AdapterAction {
  return adapterAction("report", "opsBoard", {
    description:
      "Build the ops board: flags, cut-over checklist, telemetry feeds and latest deploys, each Healthy/Warning/Blocked/Unknown, and per block whether it is safe to cut over.",
    args: opsBoardArgs,
    risk: "read",
    async run(args) {
      const now = clock.now();
      const items = boardItems(args, now);
      const { blocks, overall, reasons, counts } = boardVerdicts(items);
      const perBlock = blocks.map((b) => `${b.block} ${b.verdict}`).join(", ");
      const summary = `Safe to cut over in ${args.env}: ${overall.verdict}: ${reasons.join("; ")} [${perBlock}] (${counts.healthy} healthy, ${counts.warning} warning, ${counts.blocked} blocked, ${counts.unknown} unknown)`;
      const data = {
        env: args.env,
        verdict: overall.verdict,
        safeToCutOver: overall.verdict === "yes" ? true : overall.verdict === "no" ? false : null,
        reasons,
        missing: overall.missing,
        blocks,
        items,
        counts,
        generatedAt: new Date(now).toISOString(),
      };
      return {
        summary,
        data,
        artifacts: [
          {
            kind: "text",
            title: `Ops board (${args.env})`,
            filename: "ops-board.md",
            content: renderBoard({ env: args.env, items, overall, blocks, reasons, now }),
          },
          // The board as data: for the Slack board message, and for watches that compare one board with the last.
          { kind: "json", title: STATUS_ITEMS_TITLE, filename: "ops-board.json", content: JSON.stringify(data) },
        ],
      };
    },
  });
}

function boardItems(args: z.output<typeof opsBoardArgs>, now: number): BoardItem[] {
  const evidence = classifyEvidence(args.evidence);
  const flagRows = evidence.find((e) => e.kind === "flags")?.rows as FlagRow[] | undefined;
  const migrations = evidence.find((e) => e.kind === "migrations")?.row as MigrationRow | undefined;
  const deploys = evidence.filter((e) => e.kind === "deploys") as Array<{ label: string | undefined; stepId: string; rows: DeployRow[] }>;
  const flagsGap = gapOf(args.evidence, "flags");

  // Deploy steps that produced nothing (a missing GITHUB_TOKEN, an unreachable API) are said, not dropped.
  const unreadDeploys = Object.keys(args.evidence).flatMap((stepId) => {
    const service = /^(?:shell-)?deploys-of-(.+)$/.exec(stepId)?.[1];
    const gap = service ? gapOf(args.evidence, stepId) : undefined;
    return service && gap ? [unreadDeployItem(service, gap)] : [];
  });

  const checklistOutput = args.evidence.checklist as { data?: { checklist?: unknown } } | undefined;
  const rows = z.array(checklistRowArg).safeParse(checklistOutput?.data?.checklist);
  const checklistGap = gapOf(args.evidence, "checklist");
  const checklist: BoardItem[] = rows.success
    ? rows.data.map((step) => checklistItem(step, now))
    : checklistGap
      ? [
          {
            section: "checklist",
            name: "Cut-over checklist",
            block: "dual-write",
            status: checklistGap.missing.length ? "Unknown" : "Blocked",
            reasons: [checklistGap.error ?? "not read"],
            missing: checklistGap.missing,
            owner: null,
            detail: "not read",
          },
        ]
      : [];

  const feeds = args.feeds.map((feed) => {
    const stepId = `${feed.kind}-feed-of-${feed.name}`;
    return feedItem(feed, args.evidence[stepId], gapOf(args.evidence, stepId), now, feed.maxAgeMs);
  });

  return [
    ...flagItems(args.catalog, flagRows, flagsGap, args.env),
    ...checklist,
    flagFeed(flagRows, flagsGap, now, args.env),
    migrationFeed(migrations, gapOf(args.evidence, "migrations"), args.env, args.migrationsConfig, args.migrationSettings ?? {}),
    ...feeds,
    ...deploys.map((d) => deployItem(d.label ?? d.stepId, d.rows, now, args.env)),
    ...unreadDeploys,
  ];
}
