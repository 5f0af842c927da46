/**
 * A worker process for the multi-process engine tests: what `opsroom worker` does, with the test
 * executor instead of runbook steps. Run with `node --import tsx test/engine/worker-process.ts`;
 * configured by ENGINE_* variables (see engine-support.ts). Prints `ready <worker id>` once listening.
 */
import pino from "pino";
import { startWorker } from "../../src/executor/worker.js";
import { openPostgres } from "../../src/store/db.js";
import { createStore } from "../../src/store/store.js";
import { createTestExecutor } from "./engine-support.js";

const env = process.env;
const log = pino({ level: env.LOG_LEVEL ?? "warn", base: { pid: process.pid } }, pino.destination({ dest: 2, sync: true }));
const db = openPostgres(env.ENGINE_DB_URL!, {
  max: 4,
  applicationName: "opsroom-engine-test",
  onWarning: (message, err) => log.warn({ err }, message),
});
const store = createStore(db);
const worker = await startWorker({
  store,
  log,
  execute: createTestExecutor(store),
  concurrency: Number(env.ENGINE_CONCURRENCY ?? 4),
  leaseMs: Number(env.ENGINE_LEASE_MS ?? 30_000),
  pollMs: Number(env.ENGINE_POLL_MS ?? 2_000),
});
process.stdout.write(`ready ${worker.id}\n`);

const shutdown = async () => {
  await worker.stop();
  await store.close();
  process.exit(0);
};
process.once("SIGTERM", () => void shutdown());
process.once("SIGINT", () => void shutdown());
