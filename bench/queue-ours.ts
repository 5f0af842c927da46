import { performance } from "node:perf_hooks";
import pino from "pino";
import { startWorker } from "../src/executor/worker.js";
import type { Plan } from "../src/planner/plan.js";
import type { Store } from "../src/store/store.js";
import type { NewRun, Run, RunOutcome } from "../src/store/types.js";
import { latencyStats, sleep, type LatencyStats } from "./queue-stats.js";

const log = pino({ level: "silent" });

function noopPlan(i: number): Plan {
  return {
    runbook: "noop",
    title: "no-op",
    params: { i },
    env: undefined,
    service: undefined,
    mutating: false,
    lockKey: undefined,
    runAt: undefined,
    steps: [],
    rollback: [],
    approval: { required: 0, selfApproval: true, approvers: { users: [], groups: [] }, expiresInMinutes: 60 },
    owner: "bench",
    escalation: "bench",
    timeoutSeconds: 60,
    hash: "noop",
  };
}

const noopRun = (i: number): NewRun => ({ plan: noopPlan(i), status: "queued", requestedBy: "bench", source: "bench" });

/**
 * The no-op executor: the full lifecycle a real run has at the least — claimed, a run_started and a
 * run_succeeded event recorded, the outcome written by the worker.
 */
function noopExecutor(store: Store, onStart: (run: Run) => void) {
  return async (run: Run, workerId: string): Promise<RunOutcome> => {
    onStart(run);
    await store.appendEvent(run.id, { kind: "run_started", data: { worker_id: workerId } });
    await store.appendEvent(run.id, { kind: "run_succeeded" });
    return { status: "succeeded", summary: "ok" };
  };
}

async function reset(store: Store, exec: (sql: string) => Promise<void>) {
  await exec("TRUNCATE runs, workers CASCADE");
  // Embedded mode keeps its own statistics (PGlite has no autoanalyze); a worker does this once a minute.
  await store.maintain();
}

/** Drain: `n` queued runs, then one worker process with `concurrency` executors; runs per second. */
export async function oursDrain(store: Store, exec: (sql: string) => Promise<void>, n: number, concurrency: number): Promise<number> {
  await reset(store, exec);
  await store.createRuns(Array.from({ length: n }, (_, i) => noopRun(i)));
  let started = 0;
  let allStarted: () => void = () => {};
  const done = new Promise<void>((resolve) => (allStarted = resolve));
  const t0 = performance.now();
  const worker = await startWorker({
    store,
    log,
    concurrency,
    execute: noopExecutor(store, () => {
      if (++started === n) allStarted();
    }),
  });
  await done;
  await worker.idle(); // every outcome written
  const seconds = (performance.now() - t0) / 1000;
  await worker.stop();
  const left = await store.listRuns({ statuses: ["queued", "running"], limit: 1 });
  if (left.length > 0) throw new Error("the drain ended with runs still queued or running");
  return n / seconds;
}

/** Latency: an idle, listening worker; `count` runs enqueued one every `everyMs`; enqueue → executor start. */
export async function oursLatency(
  store: Store,
  exec: (sql: string) => Promise<void>,
  count: number,
  everyMs: number,
  concurrency: number,
): Promise<LatencyStats> {
  await reset(store, exec);
  const enqueuedAt = new Map<number, number>();
  const samples: number[] = [];
  const worker = await startWorker({
    store,
    log,
    concurrency,
    execute: noopExecutor(store, (run) => {
      const i = run.plan.params.i as number;
      samples.push(performance.now() - enqueuedAt.get(i)!);
    }),
  });
  await worker.idle();
  await sleep(200); // let the first poll and housekeeping pass
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const due = start + i * everyMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    enqueuedAt.set(i, performance.now());
    await store.createRun(noopRun(i));
  }
  while (samples.length < count) await sleep(5);
  await worker.idle();
  await worker.stop();
  return latencyStats(samples);
}
