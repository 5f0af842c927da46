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

/** What `findRuns` looks for: each filter optional; the window is the last 30 days when not given. */
export const findRunsArgs = z.strictObject({
  service: optionalText(),
  env: optionalText(),
  /** The runbook of the runs (deploy, rollback, flag, migrate, restart, scale, …). */
  runbook: optionalText(),
  flag: optionalText(),
  /** Who asked for the runs, as stored (a Slack user id, or the console's user); a leading @ is ignored. */
  requester: optionalText(),
  since: optionalInstant(),
  until: optionalInstant(),
  /** How many runs to list; 10 when not given. */
  limit: optionalInt(1, 100),
  /** IANA zone the answer's times are written in; UTC when not given. */
  timeZone: optionalText(),
});

export type FindRunsArgs = z.output<typeof findRunsArgs>;

const DEFAULT_WINDOW_DAYS = 30;
/** Runs read from the history before the filters that the store does not apply (service, runbook, flag, requester). */
const READ_LIMIT = 1000;
/** opsroom's own changes passed on to be matched against the providers' records. */
const EVIDENCE_LIMIT = 200;

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
      findRuns: adapterAction("history", "findRuns", {
        description:
          "Answer a question about what opsroom did: the runs (deploys, rollbacks, flag changes, migrations, restarts, scale changes) matching a service, env, runbook, flag or requester in a window, newest first.",
        args: findRunsArgs,
        risk: "read",
        async run(args) {
          if (!options.reader) {
            throw new AdapterError("history", "findRuns", "HISTORY_UNAVAILABLE", "opsroom's run history is not open in this process.");
          }
          const to = args.until ?? clock.now();
          const from = args.since ?? to - DEFAULT_WINDOW_DAYS * 24 * 3600_000;
          const read = await options.reader.listRunHistory({ env: args.env, from: new Date(from), to: new Date(to), limit: READ_LIMIT });
          const matching = read.filter((run) => matches(run, args));
          const limit = args.limit ?? 10;
          const runs = matching.slice(0, limit).map((run) => describeRun(run, args.timeZone));
          // The service's runs as changes (whatever their kind), so report.changeHistory can tell a
          // provider's record of an opsroom deploy from a change made outside opsroom.
          const evidence = changesOf(read.filter((run) => !args.service || run.service === args.service).slice(0, EVIDENCE_LIMIT));
          return {
            summary: answerOf(matching, args, new Date(from)),
            data: { count: matching.length, runs, truncated: matching.length > limit, evidence },
          };
        },
      }),
    },
  };
}

function matches(run: HistoryRun, q: FindRunsArgs): boolean {
  if (q.runbook && run.runbook !== q.runbook) return false;
  if (q.service && run.service !== q.service) return false;
  if (q.env && run.env !== q.env) return false;
  if (q.flag && run.params.flag !== q.flag) return false;
  if (q.requester && run.requestedBy.replace(/^@/, "").toLowerCase() !== q.requester.replace(/^@/, "").toLowerCase()) return false;
  return true;
}

/** Past tense of what a runbook does, for "web was last deployed to prod". */
const DONE: Readonly<Record<string, string>> = {
  deploy: "deployed",
  rollback: "rolled back",
  flag: "changed",
  rollout: "rolled out",
  migrate: "migrated",
  restart: "restarted",
  scale: "scaled",
  checklist: "updated",
};

/**
 * One sentence for the newest matching run, and how many matched:
 * "web was last deployed to prod by <@U0DANA> at 09:12 (run abc12345, approved by <@U0LEE>): succeeded".
 */
export function answerOf(runs: readonly HistoryRun[], q: FindRunsArgs, from: Date): string {
  const what = q.flag ?? q.service ?? (q.env ? q.env : "anything");
  const where = q.env && what !== q.env ? ` in ${q.env}` : "";
  const by = q.requester ? ` requested by ${q.requester}` : "";
  const kind = q.runbook ? `${q.runbook} runs` : "runs";
  const last = runs[0];
  if (!last) return `No opsroom ${kind} of ${what}${where}${by} since ${formatWhen(from, q.timeZone)}.`;
  const subject = q.flag ?? last.service ?? (typeof last.params.flag === "string" ? last.params.flag : (last.env ?? "it"));
  const verb = DONE[last.runbook] ?? `run (${last.runbook})`;
  const target = last.env ? `${last.runbook === "deploy" ? " to" : " in"} ${last.env}` : "";
  const approved = last.approvedBy.length ? `, approved by ${last.approvedBy.map(mention).join(", ")}` : "";
  const more = runs.length > 1 ? ` ${runs.length} matching runs since ${formatWhen(from, q.timeZone)}.` : "";
  return `${subject} was last ${verb}${target}${detailOf(last)} by ${mention(last.requestedBy)} at ${formatWhen(last.startedAt ?? from, q.timeZone)} (run ${last.id.slice(0, 8)}${approved}): ${outcomeOf(last)}.${more}`;
}

/** " (v1.4.1)", " (rollout 50%)", " (5 replicas)": what the run set, after the answer's target. */
function detailOf(run: HistoryRun): string {
  const p = run.params;
  const parts: string[] = [];
  if (typeof p.ref === "string") parts.push(p.ref);
  if (typeof p.action === "string" && typeof p.flag === "string") parts.push(p.action);
  if (typeof p.percent === "number") parts.push(`${p.percent}%`);
  if (typeof p.replicas === "number") parts.push(`${p.replicas} replicas`);
  return parts.length ? ` (${parts.join(" ")})` : "";
}

function describeRun(run: HistoryRun, timeZone: string | undefined) {
  return {
    id: run.id,
    runbook: run.runbook,
    service: run.service,
    env: run.env,
    params: run.params,
    requestedBy: run.requestedBy,
    approvedBy: run.approvedBy,
    startedAt: run.startedAt?.toISOString() ?? null,
    finishedAt: run.finishedAt?.toISOString() ?? null,
    outcome: outcomeOf(run),
    line: `${formatWhen(run.startedAt ?? new Date(0), timeZone)} ${run.title}${run.service ? ` of ${run.service}` : ""}${describeParams(run)}${run.env ? ` in ${run.env}` : ""} by ${mention(run.requestedBy)}: ${outcomeOf(run)}`,
    link: slackLink(run.origin),
  };
}

function outcomeOf(run: HistoryRun): string {
  if (run.status === "succeeded" || !run.mutationStarted) return run.status;
  return run.rolledBack ? `${run.status}, rolled back` : `${run.status} after changing things`;
}

/** A Slack user id as a mention; anything else (the console's user) as written. */
function mention(who: string): string {
  return /^[UW][A-Z0-9]{6,}$/.test(who) ? `<@${who}>` : who;
}

function formatWhen(at: Date, timeZone: string | undefined): string {
  const zone = timeZone || "UTC";
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}${zone === "UTC" ? " UTC" : ""}`;
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
