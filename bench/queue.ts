/**
 * `npm run bench:queue`: opsroom's run queue against graphile-worker 0.18 on the same database.
 *
 * (a) drain: 20,000 queued no-op runs through the full lifecycle (claim, two events, finish) with 8
 *     concurrent executors in one process; runs per second.
 * (b) latency: an idle, listening worker; 200 runs enqueued one every 20 ms; enqueue → executor start.
 *
 * On Postgres (TEST_DATABASE_URL or DATABASE_URL; a scratch database is created on that server and
 * dropped after, so nothing of yours is touched) and on embedded PGlite. graphile-worker cannot run
 * on PGlite, so the PGlite lines compare against graphile-worker on Postgres from the same run.
 * Each measurement is repeated (BENCH_REPEATS, default 3) and the median is reported.
 * Knobs: BENCH_RUNS (20000), BENCH_LATENCY_RUNS (200), BENCH_CONCURRENCY (8), BENCH_REPEATS (3),
 * BENCH_PGLITE=0 to skip PGlite.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { openPglite, openPostgres } from "../src/store/db.js";
import { migrate } from "../src/store/migrate.js";
import { createStore, type Store } from "../src/store/store.js";
import { graphileDrain, graphileLatency, graphileSetup, type GraphileMode } from "./queue-graphile.js";
import { oursDrain, oursLatency } from "./queue-ours.js";
import { median, medianLatency, resultLine, round, type LatencyStats } from "./queue-stats.js";

const env = process.env;
const RUNS = Number(env.BENCH_RUNS ?? 20_000);
const LATENCY_RUNS = Number(env.BENCH_LATENCY_RUNS ?? 200);
const EVERY_MS = 20;
const CONCURRENCY = Number(env.BENCH_CONCURRENCY ?? 8);
const REPEATS = Number(env.BENCH_REPEATS ?? 3);
const serverUrl = env.TEST_DATABASE_URL ?? env.DATABASE_URL;

interface Measured {
  drain: number[];
  latency: LatencyStats[];
}
const empty = (): Measured => ({ drain: [], latency: [] });

function printTable(title: string, rows: [string, Measured][]) {
  console.log(`\n${title}`);
  console.log(
    `${"".padEnd(26)}${"drain runs/s".padStart(14)}${"p50 ms".padStart(10)}${"p95 ms".padStart(10)}${"p99 ms".padStart(10)}   (drain reps)`,
  );
  for (const [name, m] of rows) {
    const l = medianLatency(m.latency);
    const reps = m.drain.map((d) => Math.round(d)).join(", ");
    console.log(
      `${name.padEnd(26)}${String(Math.round(median(m.drain))).padStart(14)}${round(l.p50).toFixed(2).padStart(10)}${round(l.p95).toFixed(2).padStart(10)}${round(l.p99).toFixed(2).padStart(10)}   (${reps})`,
    );
  }
}

async function createScratch(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `opsroom_bench_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (error) {
    throw new Error(
      `bench:queue needs to create a scratch database on ${new URL(url).host} (it never touches yours): ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await admin.end();
  }
  const scratch = new URL(url);
  scratch.pathname = `/${name}`;
  return {
    url: scratch.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

async function benchOurs(store: Store, exec: (sql: string) => Promise<void>, into: Measured, what: "drain" | "latency") {
  if (what === "drain") into.drain.push(await oursDrain(store, exec, RUNS, CONCURRENCY));
  else into.latency.push(await oursLatency(store, exec, LATENCY_RUNS, EVERY_MS, CONCURRENCY));
}

async function benchGraphile(url: string, mode: GraphileMode, into: Measured, what: "drain" | "latency") {
  if (what === "drain") into.drain.push(await graphileDrain(url, mode, RUNS, CONCURRENCY));
  else into.latency.push(await graphileLatency(url, mode, LATENCY_RUNS, EVERY_MS, CONCURRENCY));
}

async function main() {
  console.log(
    `bench:queue — ${RUNS} runs drained with ${CONCURRENCY} executors; ${LATENCY_RUNS} runs one every ${EVERY_MS} ms for latency; median of ${REPEATS}`,
  );
  let graphileDefault: Measured | undefined;

  if (serverUrl) {
    const scratch = await createScratch(serverUrl);
    const db = openPostgres(scratch.url, { max: 10, applicationName: "opsroom-bench" });
    try {
      await migrate(db);
      const store = createStore(db);
      await graphileSetup(scratch.url);
      const { rows } = await db.query<{ v: string }>("SHOW server_version");
      const ours = empty();
      graphileDefault = empty();
      const graphileBatched = empty();
      // Interleaved, so that a noisy minute on the shared machine hits all three alike.
      for (const what of ["drain", "latency"] as const) {
        for (let rep = 0; rep < REPEATS; rep++) {
          await benchOurs(store, (sql) => db.exec(sql), ours, what);
          await benchGraphile(scratch.url, "default", graphileDefault, what);
          await benchGraphile(scratch.url, "batched", graphileBatched, what);
          process.stderr.write(".");
        }
      }
      process.stderr.write("\n");
      printTable(`Postgres ${rows[0]?.v ?? ""} (same scratch database for all three)`, [
        ["opsroom", ours],
        ["graphile-worker default", graphileDefault],
        ["graphile-worker batched", graphileBatched],
      ]);
      const ol = medianLatency(ours.latency);
      const gl = medianLatency(graphileDefault.latency);
      const bl = medianLatency(graphileBatched.latency);
      console.log(
        `REPORT pg_drain_runs_per_s_vs_graphile_batched ours=${round(median(ours.drain))} peer=${round(median(graphileBatched.drain))} ratio=${round(median(ours.drain) / median(graphileBatched.drain), 3)}`,
      );
      console.log(
        `REPORT pg_latency_p50_ms_vs_graphile_batched ours=${round(ol.p50)} peer=${round(bl.p50)} ratio=${round(ol.p50 / bl.p50, 3)}`,
      );
      console.log(
        `REPORT pg_latency_p99_ms_vs_graphile_default ours=${round(ol.p99)} peer=${round(gl.p99)} ratio=${round(ol.p99 / gl.p99, 3)}`,
      );
      console.log(
        resultLine("pg_drain_runs_per_s_vs_graphile_default", median(ours.drain), median(graphileDefault.drain), { op: ">=", value: 1 }),
      );
      console.log(resultLine("pg_latency_p50_ms_vs_graphile_default", ol.p50, gl.p50, { op: "<=", value: 1 }));
    } finally {
      await db.close();
      await scratch.drop();
    }
  } else {
    console.log("\nNo TEST_DATABASE_URL or DATABASE_URL: Postgres and graphile-worker skipped.");
  }

  if (env.BENCH_PGLITE !== "0") {
    const db = await openPglite(undefined);
    try {
      await migrate(db);
      const store = createStore(db);
      const ours = empty();
      for (const what of ["drain", "latency"] as const) {
        for (let rep = 0; rep < REPEATS; rep++) await benchOurs(store, (sql) => db.exec(sql), ours, what);
      }
      printTable("PGlite (embedded, in-process)", [
        ["opsroom", ours],
        ...(graphileDefault ? ([["graphile-worker default (Postgres)", graphileDefault]] as [string, Measured][]) : []),
      ]);
      if (graphileDefault) {
        console.log("(peer: graphile-worker default mode on Postgres, measured above; it cannot run on PGlite)");
        console.log(
          resultLine("pglite_drain_runs_per_s_vs_graphile_default_on_pg", median(ours.drain), median(graphileDefault.drain), {
            op: ">=",
            value: 1,
          }),
        );
        console.log(
          resultLine(
            "pglite_latency_p50_ms_vs_graphile_default_on_pg",
            medianLatency(ours.latency).p50,
            medianLatency(graphileDefault.latency).p50,
            { op: "<=", value: 1 },
          ),
        );
      }
    } finally {
      await db.close();
    }
  }
}

await main();
