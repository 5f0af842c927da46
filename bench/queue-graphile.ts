import { performance } from "node:perf_hooks";
import { Logger, makeWorkerUtils, run, runMigrations, type RunnerOptions } from "graphile-worker";
import pg from "pg";
import { latencyStats, sleep, type LatencyStats } from "./queue-stats.js";

export type GraphileMode = "default" | "batched";

const silent = new Logger(() => () => {});

/**
 * graphile-worker 0.18 as the peer, on the same server with the same concurrency and pool size.
 * "default": library defaults (one fetch and one completion per job). "batched": a local queue of
 * 500 and batched completions, graphile-worker's documented high-throughput setting.
 */
function options(pgPool: pg.Pool, mode: GraphileMode, concurrency: number): RunnerOptions {
  return {
    pgPool,
    concurrency,
    noHandleSignals: true,
    logger: silent,
    ...(mode === "batched" ? { preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } } } : {}),
  };
}

export async function graphileSetup(connectionString: string): Promise<void> {
  const pool = makePool(connectionString);
  try {
    await runMigrations({ pgPool: pool, logger: silent });
  } finally {
    await pool.end();
  }
}

async function jobsLeft(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM graphile_worker._private_jobs");
  return rows[0]!.n;
}

/** A pool we own (graphile-worker ends its own pools without waiting), the size opsroom's has. */
function makePool(connectionString: string): pg.Pool {
  const pool = new pg.Pool({ connectionString, max: 10 });
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}

/** Drain: `n` jobs added in bulk, then a runner with `concurrency`; jobs per second until the table is empty. */
export async function graphileDrain(connectionString: string, mode: GraphileMode, n: number, concurrency: number): Promise<number> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  const pool = makePool(connectionString);
  try {
    await client.query("DELETE FROM graphile_worker._private_jobs");
    for (let i = 0; i < n; i += 2_000) {
      await client.query(
        `SELECT graphile_worker.add_jobs(array(
           SELECT json_populate_record(null::graphile_worker.job_spec, json_build_object('identifier', 'noop', 'payload', json_build_object('i', g)))
           FROM generate_series($1::int, $2::int) g))`,
        [i, Math.min(n, i + 2_000) - 1],
      );
    }
    await client.query("ANALYZE graphile_worker._private_jobs");
    let started = 0;
    let allStarted: () => void = () => {};
    const done = new Promise<void>((resolve) => (allStarted = resolve));
    const t0 = performance.now();
    const runner = await run(options(pool, mode, concurrency), {
      noop: async () => {
        if (++started === n) allStarted();
      },
    });
    await done;
    // Completed means deleted; batched completions land a moment after the last handler.
    while ((await jobsLeft(client)) > 0) await sleep(2);
    const seconds = (performance.now() - t0) / 1000;
    await runner.stop();
    await runner.promise;
    return n / seconds;
  } finally {
    await client.end();
    await pool.end();
  }
}

/** Latency: an idle, listening runner; `count` jobs added one every `everyMs` with addJob; add → handler start. */
export async function graphileLatency(
  connectionString: string,
  mode: GraphileMode,
  count: number,
  everyMs: number,
  concurrency: number,
): Promise<LatencyStats> {
  const pool = makePool(connectionString);
  const utils = await makeWorkerUtils({ pgPool: pool, logger: silent });
  const enqueuedAt = new Map<number, number>();
  const samples: number[] = [];
  const runner = await run(options(pool, mode, concurrency), {
    noop: async (payload) => {
      const i = (payload as { i: number }).i;
      samples.push(performance.now() - enqueuedAt.get(i)!);
    },
  });
  try {
    await sleep(200);
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const wait = start + i * everyMs - performance.now();
      if (wait > 0) await sleep(wait);
      enqueuedAt.set(i, performance.now());
      await utils.addJob("noop", { i });
    }
    while (samples.length < count) await sleep(5);
  } finally {
    await runner.stop();
    await runner.promise;
    await utils.release();
    await pool.end();
  }
  return latencyStats(samples);
}
