import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "pino";
import { OpsError } from "../errors.js";
import { createBatcher } from "../store/batcher.js";
import type { Store } from "../store/store.js";
import type { QueueWake, Run, RunCompletion, RunOutcome } from "../store/types.js";

export interface WorkerOptions {
  store: Store;
  /**
   * Executes one claimed run and returns its outcome; the worker records it. `signal` aborts when
   * someone asks to cancel the run, when the worker lost the run's lease, or when the worker is
   * stopped with `{ abort: true }`; its `reason` is a `RunInterrupted`.
   */
  execute: (run: Run, workerId: string, signal: AbortSignal) => Promise<RunOutcome>;
  log: Logger;
  /** Runs executed at once by this process. */
  concurrency?: number;
  /** A claimed run's lease; a worker that stops heartbeating loses its runs after this long. */
  leaseMs?: number;
  /** Backstop poll in case a NOTIFY was missed (e.g. while the connection was down). */
  pollMs?: number;
  /** How often this process looks for runs of lost workers (and expired plans). Default: lease / 2. */
  reapEveryMs?: number;
  /** How long a finished run's outcome is retried while the database is unreachable. */
  finishRetryMs?: number;
  /** Told when a running run's lease was lost (metrics). */
  onLeaseLost?: (runId: string) => void;
}

export interface Worker {
  readonly id: string;
  /** Resolves when no run is executing or finishing and the last look found nothing claimable. */
  idle(): Promise<void>;
  /**
   * Stops claiming, waits for running runs to finish, and deregisters. Runs still going after
   * `graceMs` (at once with `abort`) are stopped through their signal and handed back: queued again
   * when nothing mutating had started, failed otherwise (Store.handBackRuns).
   */
  stop(options?: { abort?: boolean; graceMs?: number }): Promise<void>;
  /** Runs this process holds now (executing or writing their outcome). */
  readonly held: number;
}

/** Why a run's signal was aborted. */
export class RunInterrupted extends Error {
  constructor(readonly reason: "cancel_requested" | "lease_lost" | "worker_stopping") {
    super(
      reason === "cancel_requested"
        ? "cancel requested"
        : reason === "lease_lost"
          ? "the worker lost this run's lease"
          : "the worker is stopping",
    );
  }
}

function isLeaseLost(signal: AbortSignal): boolean {
  return signal.reason instanceof RunInterrupted && signal.reason.reason === "lease_lost";
}

// 30 s: long enough that a GC pause, a slow deploy step or a database failover (typically 10–20 s)
// never loses a healthy run, short enough that a run of a crashed worker is ended within a minute.
// Heartbeats go every lease/3 (two may be missed), every process reaps every lease/2 (±20 %), so a
// dead worker's run is ended at most 1.6 leases after the worker died (48 s by default).
const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_POLL_MS = 2_000;
const MAINTAIN_EVERY_MS = 60_000;
const BACKOFF_MAX_MS = 5_000;

interface Held {
  run: Run;
  abort: AbortController;
  finishing: boolean;
}

/**
 * Claims runs and executes them, up to `concurrency` at once. What makes it fast (the tricks
 * graphile-worker uses, see POSTGRES.md):
 * - a NOTIFY says how many runs became claimable, and only that many free slots are filled; a claim
 *   that got everything it asked for assumes there is more and keeps going, one that came back short
 *   stops until the next wake-up;
 * - free slots are filled with one claim statement (a batch that still respects lock keys);
 * - a slot is freed as soon as its run returns, before the outcome is written, and outcomes written
 *   together share one statement.
 * A slow poll backs up NOTIFY; a timer wakes it for scheduled runs. Every process also reaps runs of
 * lost workers and expires stale plans, which is safe to do concurrently.
 */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const { store, log } = options;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const finishRetryMs = options.finishRetryMs ?? Math.max(2 * leaseMs, 60_000);
  const id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const workerLog = log.child({ worker_id: id });

  const held = new Map<string, Held>();
  // Runs stopped by stop() before they finished: given back in one statement once they have returned.
  const handingBack = new Set<string>();
  const tasks = new Set<Promise<void>>();
  const idleWaiters: (() => void)[] = [];
  let executing = 0;
  let wanted = 0;
  let claiming = false;
  let fillQueued = false;
  let stopping = false;
  let claimFailures = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let scheduled: { at: number; timer: NodeJS.Timeout } | undefined;

  const finisher = createBatcher<RunCompletion, boolean>({
    many: async (items) => {
      const done = new Set(await store.finishRuns(items));
      return items.map((i) => done.has(i.runId));
    },
    single: (i) => store.finishRun(i.runId, i.workerId, i.outcome),
  });

  const isIdle = () => held.size === 0 && !claiming && !fillQueued && (wanted === 0 || stopping);
  const notifyIdle = () => {
    if (isIdle()) idleWaiters.splice(0).forEach((resolve) => resolve());
  };

  const wake = (count: number) => {
    if (count <= 0) return;
    wanted = Math.min(Number.MAX_SAFE_INTEGER, wanted + count);
    requestFill();
  };

  // setImmediate rather than a microtask: slots freed by runs that finish in the same turn of the
  // event loop are filled by one claim.
  const requestFill = () => {
    if (fillQueued || stopping || retryTimer) return;
    fillQueued = true;
    setImmediate(() => void fill());
  };

  const fill = async () => {
    fillQueued = false;
    const free = concurrency - executing;
    if (claiming || stopping || free <= 0 || wanted <= 0) return notifyIdle();
    const limit = Math.min(free, wanted);
    const hoped = wanted;
    wanted = 0; // wake-ups that arrive during the claim count from here
    claiming = true;
    let runs: Run[];
    try {
      runs = await store.claimRuns(id, leaseMs, limit);
      claimFailures = 0;
    } catch (error) {
      claiming = false;
      wanted = Math.max(wanted, hoped);
      const delay = Math.min(BACKOFF_MAX_MS, 100 * 2 ** claimFailures++);
      workerLog.warn({ err: error, retry_in_ms: delay }, "claiming failed");
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        requestFill();
      }, delay);
      return;
    }
    claiming = false;
    // Got all we asked for: there may be more, so the next free slot looks again.
    if (runs.length === limit) wanted = Math.min(Number.MAX_SAFE_INTEGER, wanted + Math.max(hoped - limit, 1));
    for (const run of runs) start(run);
    requestFill();
    notifyIdle();
  };

  const start = (run: Run) => {
    const entry: Held = { run, abort: new AbortController(), finishing: false };
    held.set(run.id, entry);
    executing++;
    const task = (async () => {
      let outcome: RunOutcome;
      try {
        outcome = await options.execute(run, id, entry.abort.signal);
      } catch (error) {
        workerLog.error({ err: error, run_id: run.id }, "run crashed");
        outcome = {
          status: "failed",
          summary: "The executor crashed; see the logs.",
          failedStep: null,
          error: error instanceof Error ? error.message : String(error),
        };
      }
      entry.finishing = true;
      executing--;
      requestFill(); // the next claim does not wait for this outcome to be written
      // A run whose lease this worker lost was ended by the reaper or is another worker's now: its
      // outcome is theirs to record (the executor said what happened here in a lease_lost event).
      if (isLeaseLost(entry.abort.signal)) return;
      const reason: unknown = entry.abort.signal.reason;
      if (outcome.status === "cancelled" && reason instanceof RunInterrupted && reason.reason === "worker_stopping")
        handingBack.add(run.id);
      else await complete(run, outcome);
    })().finally(() => {
      held.delete(run.id);
      tasks.delete(task);
      notifyIdle();
    });
    tasks.add(task);
  };

  // The outcome must reach the database: retried with backoff while it is unreachable. If it stays
  // down past finishRetryMs, the lease lapses and the reaper ends the run in our place.
  const complete = async (run: Run, outcome: RunOutcome) => {
    const deadline = Date.now() + finishRetryMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const recorded = await finisher.add({ runId: run.id, workerId: id, outcome });
        if (!recorded)
          workerLog.warn({ run_id: run.id, status: outcome.status }, "run was no longer held by this worker when it finished (reaped?)");
        return;
      } catch (error) {
        if (error instanceof OpsError && !error.retryable) {
          // Refused, not unreachable (e.g. the run was ended meanwhile): retrying cannot help.
          workerLog.error({ err: error, run_id: run.id }, "the outcome was refused");
          return;
        }
        if (Date.now() >= deadline) {
          workerLog.error({ err: error, run_id: run.id }, "could not record the outcome; the reaper will end the run");
          return;
        }
        const delay = Math.min(BACKOFF_MAX_MS, 100 * 2 ** attempt);
        workerLog.warn({ err: error, run_id: run.id, retry_in_ms: delay }, "recording the outcome failed; retrying");
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  };

  // One statement extends the leases of every run this process holds. A run missing from the answer
  // was taken from us (the reaper ended it while we could not reach the database): stop executing it.
  const heartbeat = async () => {
    try {
      await store.workerHeartbeat(id);
      const ids = [...held.keys()];
      if (ids.length === 0) return;
      const kept = new Set(await store.extendLeases(id, ids, leaseMs));
      for (const runId of ids) {
        const entry = held.get(runId);
        if (!kept.has(runId) && entry && !entry.finishing) {
          workerLog.warn({ run_id: runId }, "lost the lease of a running run; stopping it");
          options.onLeaseLost?.(runId);
          entry.abort.abort(new RunInterrupted("lease_lost"));
        }
      }
    } catch (error) {
      workerLog.warn({ err: error }, "heartbeat failed");
    }
  };

  const housekeeping = async () => {
    try {
      // Our own leases first: after an outage longer than the lease, this process must not reap the
      // runs it is still executing (other processes may, if they get there first; that is the bound).
      await heartbeat();
      const reaped = await store.reapExpiredLeases();
      if (reaped.failed.length + reaped.requeued.length > 0) workerLog.warn(reaped, "reaped runs of lost workers");
      await store.expireStalePlans();
    } catch (error) {
      workerLog.warn({ err: error }, "housekeeping failed");
    }
  };

  const schedule = (at: Date | undefined) => {
    if (!at || stopping) return;
    const when = at.getTime();
    if (scheduled && scheduled.at <= when) return;
    if (scheduled) clearTimeout(scheduled.timer);
    // A few ms late on purpose: the database's clock decides when a run is due, and it may lag ours.
    const delay = Math.min(Math.max(when - Date.now(), 0) + 20, 2 ** 31 - 1);
    scheduled = {
      at: when,
      timer: setTimeout(() => {
        scheduled = undefined;
        wake(1);
        store.nextScheduledAt().then(schedule, () => {});
      }, delay),
    };
  };

  const onWake = (w: QueueWake) => {
    if (w.reconnected) {
      workerLog.info("queue listener reconnected; looking for missed runs");
      wake(Number.MAX_SAFE_INTEGER);
      store.nextScheduledAt().then(schedule, () => {});
      void heartbeat();
      return;
    }
    wake(w.count);
    schedule(w.runAt);
  };

  await store.registerWorker({ id, hostname: hostname(), pid: process.pid, concurrency, leaseMs });
  const unlistenQueue = await store.onRunQueued(onWake);
  const unlistenCancel = await store.onRunCancelRequested((runId) => {
    const entry = held.get(runId);
    if (entry && !entry.finishing) entry.abort.abort(new RunInterrupted("cancel_requested"));
  });
  const jitter = (ms: number) => Math.round(ms * (0.8 + Math.random() * 0.4));
  const timers = [
    setInterval(() => {
      wake(Number.MAX_SAFE_INTEGER);
      store.nextScheduledAt().then(schedule, () => {});
    }, pollMs),
    setInterval(() => void heartbeat(), Math.max(50, Math.floor(leaseMs / 3))),
    setInterval(() => void housekeeping(), jitter(Math.max(100, options.reapEveryMs ?? Math.floor(leaseMs / 2)))),
  ];
  timers.push(setInterval(() => void store.maintain().catch(() => {}), MAINTAIN_EVERY_MS));
  void housekeeping();
  wake(Number.MAX_SAFE_INTEGER);
  store.nextScheduledAt().then(schedule, () => {});
  workerLog.info({ concurrency, lease_ms: leaseMs }, "worker started");

  return {
    id,
    get held() {
      return held.size;
    },
    idle: () =>
      new Promise<void>((resolve) => {
        if (isIdle()) resolve();
        else idleWaiters.push(resolve);
      }),
    async stop(stopOptions = {}) {
      if (stopping) return;
      stopping = true;
      timers.forEach(clearInterval);
      clearTimeout(retryTimer);
      if (scheduled) clearTimeout(scheduled.timer);
      await Promise.allSettled([unlistenQueue(), unlistenCancel()]);
      // A claim in flight may still hand us runs; they are executed like any other.
      while (claiming) await new Promise((resolve) => setTimeout(resolve, 5));
      // Keep the leases alive while the last runs finish.
      const beat = setInterval(() => void heartbeat(), Math.max(50, Math.floor(leaseMs / 3)));
      if (!stopOptions.abort && stopOptions.graceMs !== undefined && tasks.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.allSettled([...tasks]), new Promise((resolve) => (timer = setTimeout(resolve, stopOptions.graceMs)))]);
        clearTimeout(timer);
      }
      if (stopOptions.abort || stopOptions.graceMs !== undefined) {
        for (const entry of held.values()) if (!entry.finishing) entry.abort.abort(new RunInterrupted("worker_stopping"));
      }
      while (tasks.size > 0) await Promise.allSettled([...tasks]);
      clearInterval(beat);
      await finisher.drain();
      if (handingBack.size > 0) {
        const ended = await store.handBackRuns(id, [...handingBack]).catch((error: unknown) => {
          // Unreachable database: the lease runs out and other workers reap the runs in our place.
          workerLog.error({ err: error }, "could not hand back unfinished runs; they are reaped when their lease runs out");
          return undefined;
        });
        if (ended) workerLog.warn(ended, "handed back runs that did not finish before shutdown");
      }
      await store.stopWorker(id).catch(() => {});
      notifyIdle();
      workerLog.info("worker stopped");
    },
  };
}
