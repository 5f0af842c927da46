/**
 * `npm run bench:runboard`: the Runboard's board and history pages with 10,000 runs in the database.
 * Runs on PostgreSQL when TEST_DATABASE_URL is set (a scratch database, dropped after), else on the
 * embedded PGlite. Requests go through the Runboard's whole stack (Hono, service, store, rendering)
 * in-process. Prints the EXPLAIN plan of the filtered history query on PostgreSQL (the check behind
 * the indexes), then one RESULT line per page:
 * `RESULT <page>_p95_ms ours=<n> goal=<<n> met=<yes|no>`.
 */
import { performance } from "node:perf_hooks";
import pino from "pino";
import { loadConfig } from "../src/config/load-config.js";
import { buildCatalog } from "../src/parser/intent.js";
import { createRedactor } from "../src/redact.js";
import { createRunboard } from "../src/runboard/create-runboard.js";
import { resolveRunboardSettings } from "../src/runboard/runboard-settings.js";
import { createOpsService } from "../src/service/ops-service.js";
import type { NewRun } from "../src/store/types.js";
import { exampleRunbooks, planFor } from "../test/support/fixtures.js";
import { openTestStore } from "../test/support/test-stores.js";
import { percentile } from "./queue-stats.js";

const RUNS = 10_000;
const SAMPLES = 200;
const GOAL_MS = 100;

const backend = process.env.TEST_DATABASE_URL ? "postgres" : "pglite";
const t = await openTestStore(backend);
try {
  const config = loadConfig({ RUNBOARD_SECRET: "bench-secret-0123456789abcdef0123456789abcdef" });
  const log = pino({ level: "silent" });
  const redactor = createRedactor(config.secretValues);
  const service = createOpsService({
    store: t.store,
    config,
    runbooks: exampleRunbooks,
    parseContext: { runbooks: exampleRunbooks, catalog: buildCatalog(config), timeZone: "UTC" },
    clock: () => new Date(),
    log,
    redactor,
  });
  const runboard = createRunboard({ service, config, settings: resolveRunboardSettings(config), redactor, log });

  // 10,000 runs over 30 days: deploys and health checks of six services in three envs, by 40 people.
  const services = ["api", "web", "payments", "checkout", "worker", "auth"];
  const envs = ["dev", "staging", "prod"];
  const plans = services.flatMap((service) =>
    envs.flatMap((env) => [planFor("deploy", { service, env, ref: "main" }), planFor("healthcheck", { env })]),
  );
  const started = performance.now();
  for (let i = 0; i < RUNS; i += 500) {
    const batch: NewRun[] = Array.from({ length: Math.min(500, RUNS - i) }, (_, j) => ({
      plan: plans[(i + j) % plans.length]!,
      status: "queued",
      requestedBy: `U0PERSON${(i + j) % 40}`,
      source: "bench",
    }));
    await t.store.createRuns(batch);
  }
  // All but the newest 30 finished; the 30 are what a busy board shows (queued, waiting). History is
  // written straight, past the lifecycle guard (a run normally gets there through running).
  await t.db.query("ALTER TABLE runs DISABLE TRIGGER USER");
  await t.db.query(
    `UPDATE runs SET created_at = now() - (random() * interval '30 days'), status = (ARRAY['succeeded','succeeded','succeeded','failed','cancelled','expired'])[1 + floor(random() * 6)::int],
       finished_at = now() WHERE id NOT IN (SELECT id FROM runs ORDER BY seq DESC LIMIT 30)`,
  );
  await t.db.query(
    `UPDATE runs SET status = 'pending_approval', expires_at = now() + interval '30 minutes' WHERE id IN (SELECT id FROM runs WHERE status = 'queued' ORDER BY seq DESC LIMIT 10)`,
  );
  await t.db.query("ALTER TABLE runs ENABLE TRIGGER USER");
  await t.db.query("ANALYZE runs");
  console.log(`${backend}: ${RUNS} runs in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  if (backend === "postgres") {
    const { rows } = await t.db.query<{ "QUERY PLAN": string }>(
      `EXPLAIN SELECT * FROM runs WHERE ($1::text IS NULL OR env = $1) AND ($2::text IS NULL OR service = $2)
         AND ($3::text IS NULL OR requested_by = $3) ORDER BY created_at DESC, id DESC LIMIT 51`,
      ["prod", "payments", "U0PERSON7"],
    );
    console.log(`history query plan (env, service, requester):\n  ${rows.map((r) => r["QUERY PLAN"]).join("\n  ")}`);
    const open = await t.db.query<{ "QUERY PLAN": string }>(
      `EXPLAIN SELECT * FROM runs WHERE ($1::text[] IS NULL OR status = ANY($1)) ORDER BY created_at DESC, id DESC LIMIT 300`,
      [["running", "queued", "pending_approval"]],
    );
    console.log(`board query plan (open runs):\n  ${open.rows.map((r) => r["QUERY PLAN"]).join("\n  ")}`);
  }

  if (process.env.BENCH_PROFILE) {
    const { renderBoardLive } = await import("../src/runboard/render/board-page.js");
    for (const [what, fn] of [
      ["board()", () => service.board()],
      ["listRuns open", () => t.store.listRuns({ statuses: ["running", "queued", "pending_approval"], limit: 300 })],
      ["listWorkerHealth", () => t.store.listWorkerHealth()],
      [
        "redact+render",
        async () =>
          String(
            await renderBoardLive(
              { base: "/runboard", viewer: { kind: "open" }, signIn: false, timeZone: "UTC" },
              redactor.redact(await service.board()),
            ),
          ),
      ],
    ] as const) {
      const start = performance.now();
      for (let i = 0; i < 20; i++) await fn();
      console.log(`${what}: ${((performance.now() - start) / 20).toFixed(1)} ms`);
    }
  }
  const pages: [string, string][] = [
    ["board", "/runboard/"],
    ["history", "/runboard/history"],
    ["history_filtered", "/runboard/history?env=prod&service=payments&requester=U0PERSON7"],
    ["history_status", "/runboard/history?status=failed&runbook=deploy"],
  ];
  for (const [name, path] of pages) {
    for (let i = 0; i < 10; i++) await (await runboard.app.request(path)).text();
    const samples: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const start = performance.now();
      const response = await runboard.app.request(path);
      await response.text();
      if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
      samples.push(performance.now() - start);
    }
    const p95 = percentile(samples, 95);
    console.log(`RESULT runboard_${name}_p95_ms ours=${p95.toFixed(2)} goal=<${GOAL_MS} met=${p95 < GOAL_MS ? "yes" : "no"}`);
  }
  await runboard.close();
} finally {
  await t.dispose();
}
