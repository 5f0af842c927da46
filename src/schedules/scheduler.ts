import type { Logger } from "pino";
import type { Config } from "../config/load-config.js";
import { ConfigError, OpsError } from "../errors.js";
import type { Plan } from "../planner/plan.js";
import type { Schedule, SkipNotice } from "../store/schedule-records.js";
import type { Store } from "../store/store.js";
import type { Run } from "../store/types.js";
import { compileCadence, planOccurrence } from "./cadence.js";
import { intervalCadence } from "./parse-schedule.js";
import { readingOfApprovals, readingOfRun, readingOfWorkers } from "./watch-readings.js";
import { observeReading, type WatchAlert, type WatchItem, type WatchItemMemory } from "./watch-state.js";

/** Where a front end shows what schedules do: Slack posts to the schedule's channel, the console prints. */
export interface ScheduleNotifier {
  /** An occurrence of a (non-watch) schedule started its run: show it where the schedule posts. */
  occurrenceStarted(schedule: Schedule, run: Run): Promise<void>;
  /** Occurrences missed while no opsroom was running were skipped (said once, by one process). */
  skipped(notice: SkipNotice): Promise<void>;
  /** A watch's confirmed change (delivered once, by one process). */
  alert(schedule: Schedule, alert: WatchAlert & { runId: string | null }): Promise<void>;
}

export interface SchedulerDeps {
  store: Store;
  config: Pick<Config, "timeZone" | "schedules" | "watches" | "configPath">;
  /** The plan a request runs (the service's parser and planner), for the config's watches. */
  planRequest: (request: string) => Plan;
  notifier: ScheduleNotifier;
  log: Logger;
  clock: () => Date;
  /** This process, as the owner of its claims. */
  owner: string;
}

export interface TickResult {
  fired: number;
  skipped: number;
  readings: number;
  alerts: number;
}

export interface Scheduler {
  /** One look: fire due occurrences, report skipped ones, take in watch readings, deliver alerts. */
  tick(): Promise<TickResult>;
  stop(): Promise<void>;
}

const BATCH = 50;
/** A fired occurrence without its run this long after the claim lost its process: another takes it over. */
const UNSTARTED_TAKEOVER_MS = 60_000;

/**
 * Runs the schedules stored in the database from any number of opsroom processes: each due occurrence
 * is claimed in the database (next_at moved from the value read, and (schedule, occurrence) inserted)
 * so exactly one process fires it; its run goes through the normal queue. Occurrences missed while every
 * process was down are skipped and reported once rather than fired in a burst (cadence.ts). Watches read
 * each finished run (or opsroom's own tables) and alert on confirmed changes only (watch-state.ts).
 *
 * With `timers: false` nothing runs by itself: tests call `tick()` with their clock where they want.
 */
export async function startScheduler(deps: SchedulerDeps, options: { timers: boolean } = { timers: true }): Promise<Scheduler> {
  const log = deps.log.child({ component: "scheduler" });
  await syncConfigWatches(deps);
  const graceMs = deps.config.schedules.graceSeconds * 1000;

  /** Starts an occurrence's run (or reads opsroom's tables); false when its run already existed. */
  const fire = async (schedule: Schedule, occurrenceAt: Date): Promise<boolean> => {
    if (schedule.source === "run") {
      if (!schedule.plan) return false;
      const iso = occurrenceAt.toISOString();
      const { run, created } = await deps.store.createRun({
        plan: schedule.plan,
        status: "queued",
        requestedBy: schedule.createdBy,
        source: "schedule",
        origin: {
          ...(schedule.channel ? { channel: schedule.channel } : {}),
          schedule: { id: schedule.id, occurrenceAt: iso, cadence: schedule.cadence, approvedBy: schedule.approvedBy },
        },
        // A second guard beside the occurrence claim: one run per occurrence, whatever happens.
        idempotencyKey: `schedule:${schedule.id}:${iso}`,
      });
      await deps.store.schedules.setOccurrenceRun(schedule.id, occurrenceAt, run.id);
      if (schedule.kind === "run" && created) await deps.notifier.occurrenceStarted(schedule, run);
      return created;
    }
    // Watches over opsroom's own tables read them here, in the process that claimed the occurrence.
    const items =
      schedule.source === "worker-heartbeats"
        ? readingOfWorkers(schedule, await deps.store.listWorkerHealth())
        : readingOfApprovals(schedule, await deps.store.listRuns({ statuses: ["pending_approval"], limit: 200 }), deps.clock());
    await takeReading(schedule, occurrenceAt, items, null);
    await deps.store.schedules.markRead(schedule.id, occurrenceAt);
    return true;
  };

  const takeReading = async (schedule: Schedule, occurrenceAt: Date, items: WatchItem[], runId: string | null) => {
    const now = deps.clock();
    return deps.store.schedules.applyReading<WatchItemMemory>(schedule.id, occurrenceAt, (stored) => {
      const { memory, alerts } = observeReading(stored, items, policyOf(schedule), now);
      return { states: memory, alerts: alerts.map((a) => ({ itemKey: a.itemKey, alert: { ...a, runId, at: now.toISOString() } })) };
    });
  };

  const tick = async (): Promise<TickResult> => {
    const result: TickResult = { fired: 0, skipped: 0, readings: 0, alerts: 0 };
    const now = deps.clock();
    for (const schedule of await deps.store.schedules.listDue(now, BATCH)) {
      try {
        const next = planOccurrence(schedule.cron, schedule.timeZone, schedule.nextAt!, now, graceMs);
        const claimed = await deps.store.schedules.claimOccurrence(schedule.id, schedule.nextAt!, {
          ...next,
          claimedBy: deps.owner,
          claimedAt: now,
        });
        if (!claimed) continue;
        result.skipped += next.skipped;
        if (next.fire && (await fire(schedule, next.occurrenceAt))) result.fired++;
      } catch (error) {
        log.error({ err: error, schedule_id: schedule.id }, "a schedule's occurrence failed");
      }
    }
    // Claimed by a process that died before starting the run: the run's idempotency key keeps this to one run.
    for (const { schedule, occurrenceAt } of await deps.store.schedules.takeUnstarted(
      new Date(now.getTime() - UNSTARTED_TAKEOVER_MS),
      deps.owner,
      now,
      BATCH,
    )) {
      const started = await fire(schedule, occurrenceAt).catch((error: unknown) => {
        log.error({ err: error, schedule_id: schedule.id }, "taking over an occurrence failed");
        return false;
      });
      if (started) result.fired++;
    }
    for (const notice of await deps.store.schedules.takeSkipNotices(BATCH)) {
      await deps.notifier
        .skipped(notice)
        .catch((error: unknown) => log.warn({ err: error, schedule_id: notice.schedule.id }, "skip notice not delivered"));
    }
    for (const { schedule, occurrenceAt, runId } of await deps.store.schedules.takeFinishedReadings(BATCH)) {
      const run = await deps.store.getRun(runId);
      if (!run) continue;
      const items = readingOfRun(schedule, run, await deps.store.listArtifacts(runId));
      if (!items) continue;
      await takeReading(schedule, occurrenceAt, items, runId);
      result.readings++;
    }
    for (const stored of await deps.store.schedules.claimAlerts(deps.owner, BATCH)) {
      const schedule = await deps.store.schedules.get(stored.scheduleId);
      if (!schedule) continue;
      try {
        await deps.notifier.alert(schedule, stored.alert as unknown as WatchAlert & { runId: string | null });
        await deps.store.schedules.markAlertDelivered(stored.id);
        result.alerts++;
      } catch (error) {
        log.warn({ err: error, schedule_id: schedule.id }, "watch alert not delivered; another look will retry it");
        await deps.store.schedules.releaseAlert(stored.id);
      }
    }
    return result;
  };

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const loop = () => {
    if (stopped) return;
    running = tick()
      .catch((error: unknown) => log.error({ err: error }, "scheduler look failed; trying again"))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, deps.config.schedules.checkEverySeconds * 1000).unref();
      });
  };
  if (options.timers) loop();
  return {
    tick,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

function policyOf(schedule: Schedule) {
  return { confirm: schedule.confirmCount, quietMs: schedule.quietMinutes * 60_000, silencedUntil: schedule.silencedUntil };
}

/**
 * The config's watches, as schedules (kept under their config id; a watch removed from the config, or
 * whose request the loaded runbooks do not understand, is stopped). A request that changes things stops
 * the start with the watch's field.
 */
async function syncConfigWatches(deps: SchedulerDeps): Promise<void> {
  const problems: Array<{ file: string; line: undefined; field: string; message: string }> = [];
  const entries = Object.entries(deps.config.watches);
  const now = deps.clock();
  const prepared = [];
  for (const [id, watch] of entries) {
    const field = `watches.${id}`;
    try {
      const cadence = watch.cron ? { cron: watch.cron, cadence: `cron ${watch.cron}` } : intervalCadence(watch.every!);
      let plan: Plan | null = null;
      if (watch.request) {
        try {
          plan = deps.planRequest(watch.request);
        } catch (error) {
          // Valid config, but the runbooks loaded here cannot serve it (a runbooks folder of your own):
          // that watch stays off and says why, rather than stopping opsroom.
          deps.log.warn(
            { watch: id, reason: error instanceof OpsError ? error.userMessage : String(error) },
            "watch not started: its request names no loaded runbook",
          );
          continue;
        }
      }
      if (plan?.mutating) {
        problems.push({
          file: deps.config.configPath,
          line: undefined,
          field: `${field}.request`,
          message: `"${watch.request}" changes things; a watch only reads`,
        });
        continue;
      }
      prepared.push({
        configKey: id,
        kind: "watch" as const,
        source: watch.reads ?? ("run" as const),
        cron: cadence.cron,
        cadence: cadence.cadence,
        timeZone: deps.config.timeZone,
        request: watch.request ?? watch.reads!,
        runbook: plan?.runbook ?? null,
        plan,
        channel: watch.channel,
        owner: watch.owner ?? null,
        follow: watch.follow,
        confirmCount: watch.confirm,
        quietMinutes: watch.quietMinutes,
        createdBy: "config",
        status: "active" as const,
        requiredApprovals: 0,
        selfApproval: true,
        nextAt: compileCadence(cadence.cron, deps.config.timeZone).next(now),
      });
    } catch (error) {
      const message = error instanceof OpsError ? error.userMessage : (error as Error).message;
      problems.push({
        file: deps.config.configPath,
        line: undefined,
        field: watch.request ? `${field}.request` : `${field}.every`,
        message,
      });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  for (const schedule of prepared) await deps.store.schedules.upsertConfigured(schedule);
  await deps.store.schedules.stopConfiguredExcept(
    prepared.map((p) => p.configKey),
    "config",
  );
}
