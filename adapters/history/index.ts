import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { Adapter } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { optionalInstant, optionalInt, optionalText } from "../shared/args.js";
import { systemClock, type Clock } from "../shared/clock.js";
import type { ChangeEvidence, ChangeKind, FlagState } from "../shared/evidence.js";
import { slackMessageLink } from "../shared/slack-link.js";

/**
 * opsroom's own run history as a source of changes: it ran the deploys, rollbacks, flag changes,
 * migrations, restarts and scale changes, so its record of them is ground truth. The adapter never
 * touches the store: the composition root gives it a read-only reader.
 */

/** A mutating run as the reader gives it (the store's HistoryRun fits). */
export interface HistoryRun {
  readonly id: string;
  readonly runbook: string;
  readonly title: string;
  readonly env: string | null;
  readonly service: string | null;
  readonly params: Readonly<Record<string, unknown>>;
  readonly status: string;
  readonly mutationStarted: boolean;
  /** Its rollback steps all ran: what it changed was put back (a deploy that failed verify, say). */
  readonly rolledBack?: boolean;
  readonly requestedBy: string;
  readonly approvedBy: readonly string[];
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly origin: Readonly<Record<string, unknown>>;
}

/** Read-only access to the run history. */
export interface RunHistoryReader {
  /** Mutating runs that started in [from, to] (of one env when given), newest first. */
  listRunHistory(query: { env?: string | undefined; from: Date; to: Date; limit: number }): Promise<readonly HistoryRun[]>;
}

export interface HistoryAdapterOptions {
  /** Absent where no store is open (`runbooks validate`, a dry run's catalog): the action then says so. */
  reader?: RunHistoryReader | undefined;
  clock?: Clock;
}

const KIND_OF_RUNBOOK: Readonly<Record<string, ChangeKind>> = {
  deploy: "deploy",
  rollback: "rollback",
  flag: "flag",
  migrate: "database",
  restart: "infrastructure",
  scale: "infrastructure",
};

export const listChangesArgs = z.strictObject({
  env: optionalText(),
  /** When the trouble started; now when not given. */
  since: optionalInstant(),
  /** How far before `since` to look; 24 h by default. */
  lookbackHours: optionalInt(1, 24 * 14),
  until: optionalInstant(),
});

export const lastDeployArgs = z.strictObject({
  service: z.string({ error: "must be a service name" }).min(1, "must not be empty"),
  env: z.string({ error: "must be an environment name" }).min(1, "must not be empty"),
  /** How far back to look; 90 days by default. */
  lookbackDays: optionalInt(1, 365),
});

export function createHistoryAdapter(options: HistoryAdapterOptions = {}): Adapter {
  const clock = options.clock ?? systemClock;
  return {
    id: "history",
    description: "opsroom's own run history: the deploys, rollbacks, flag changes, migrations and restarts it ran.",
    actions: {
      lastDeploy: adapterAction("history", "lastDeploy", {
        description: "Find the last successful deploy opsroom ran of a service to an env (a telemetry feed's last modified).",
        args: lastDeployArgs,
        risk: "read",
        async run(args) {
          if (!options.reader) {
            throw new AdapterError("history", "lastDeploy", "HISTORY_UNAVAILABLE", "opsroom's run history is not open in this process.");
          }
          const now = clock.now();
          const days = args.lookbackDays ?? 90;
          const runs = await options.reader.listRunHistory({
            env: args.env,
            from: new Date(now - days * 86_400_000),
            to: new Date(now),
            limit: 500,
          });
          const last = runs.find((r) => r.runbook === "deploy" && r.service === args.service && r.status === "succeeded");
          if (!last) {
            // A real reading: nothing deployed in the window (the board shows it as a Warning, not unreadable).
            const none = `no successful deploy of ${args.service} to ${args.env} by opsroom in the last ${days} days`;
            return { summary: none, data: { at: null, value: "None", detail: none } };
          }
          const at = (last.finishedAt ?? last.startedAt)!.toISOString();
          const ref = typeof last.params.ref === "string" ? `${last.params.ref} ` : "";
          return {
            summary: `${args.service} last deployed to ${args.env} at ${at} (run ${last.id.slice(0, 8)} by ${last.requestedBy})`,
            data: { at, value: at, detail: `${ref}by ${last.requestedBy} (run ${last.id.slice(0, 8)})`, runId: last.id },
          };
        },
      }),
      listChanges: adapterAction("history", "listChanges", {
        description: "List the changes opsroom's own runs made in an environment (deploys, flags, migrations, restarts) as evidence.",
        args: listChangesArgs,
        risk: "read",
        async run(args) {
          if (!options.reader) {
            throw new AdapterError("history", "listChanges", "HISTORY_UNAVAILABLE", "opsroom's run history is not open in this process.");
          }
          const now = clock.now();
          const to = args.until ?? now;
          const from = (args.since ?? now) - (args.lookbackHours ?? 24) * 3600_000;
          const runs = await options.reader.listRunHistory({ env: args.env, from: new Date(from), to: new Date(to), limit: 100 });
          const evidence = changesOf(runs);
          return {
            summary: `${evidence.length} change${evidence.length === 1 ? "" : "s"} by opsroom runs${args.env ? ` in ${args.env}` : ""} since ${new Date(from).toISOString()}`,
            data: { evidence },
          };
        },
      }),
    },
  };
}

/** Each run as a change; a flag run knows the state before it from the run before it. */
export function changesOf(runs: readonly HistoryRun[]): ChangeEvidence[] {
  const oldestFirst = [...runs].filter((r) => r.startedAt !== null).sort((a, b) => a.startedAt!.getTime() - b.startedAt!.getTime());
  const lastFlagState = new Map<string, FlagState>();
  const out: ChangeEvidence[] = [];
  for (const run of oldestFirst) {
    const kind = KIND_OF_RUNBOOK[run.runbook] ?? "config";
    const changedThings = run.status !== "succeeded" && run.mutationStarted;
    const reached = run.status === "succeeded" || (changedThings && !run.rolledBack);
    let flag: FlagState | null = null;
    if (kind === "flag" && typeof run.params.flag === "string") {
      const key = `${run.params.flag}:${run.env ?? ""}`;
      const previous = lastFlagState.get(key);
      flag = {
        ...flagAfter(run.params.flag, run.params),
        previous: previous ? { enabled: previous.enabled, rolloutPercentage: previous.rolloutPercentage } : null,
      };
      if (run.status === "succeeded") lastFlagState.set(key, flag);
    }
    const approved = run.approvedBy.length ? `, approved by ${run.approvedBy.join(", ")}` : "";
    out.push({
      type: "change",
      kind,
      service: run.service,
      env: run.env,
      at: run.startedAt!.toISOString(),
      endedAt: run.finishedAt?.toISOString() ?? null,
      summary: `${run.title}${run.service ? ` of ${run.service}` : ""}${describeParams(run)}${run.env ? ` in ${run.env}` : ""} (opsroom run ${run.id.slice(0, 8)} by ${run.requestedBy}${approved}): ${run.status}${changedThings ? (run.rolledBack ? ", rolled back" : " after changing things") : ""}`,
      link: slackLink(run.origin),
      source: `opsroom run ${run.id.slice(0, 8)}`,
      provider: "opsroom",
      reached,
      state: run.status,
      ref: typeof run.params.ref === "string" ? run.params.ref : null,
      by: run.requestedBy,
      flag,
      runId: run.id,
    });
  }
  return out.reverse();
}

function flagAfter(key: string, params: Readonly<Record<string, unknown>>): FlagState {
  const percent = typeof params.percent === "number" ? params.percent : null;
  switch (params.action) {
    case "disable":
      return { key, enabled: false, rolloutPercentage: 0 };
    case "rollout":
      return { key, enabled: true, rolloutPercentage: percent ?? 100 };
    default:
      return { key, enabled: true, rolloutPercentage: percent ?? 100 };
  }
}

function describeParams(run: HistoryRun): string {
  const p = run.params;
  if (typeof p.flag === "string")
    return ` ${p.flag}${typeof p.action === "string" ? ` ${p.action}` : ""}${typeof p.percent === "number" ? ` ${p.percent}%` : ""}`;
  if (typeof p.ref === "string") return ` to ${p.ref}`;
  if (typeof p.replicas === "number") return ` to ${p.replicas} replicas`;
  return "";
}

/** The run's card in Slack, when it has one. */
function slackLink(origin: Readonly<Record<string, unknown>>): string | null {
  const { channel, messageTs } = origin;
  return typeof channel === "string" && typeof messageTs === "string" ? slackMessageLink(channel, messageTs) : null;
}
