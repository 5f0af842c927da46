/**
 * A worker process for the fault suite: what `opsroom worker` runs (the real executor and the real
 * shell adapter) against ENGINE_DB_URL, configured like test/engine/worker-process.ts (ENGINE_*
 * variables) and started with spawnWorker({ entry }). Prints `ready <worker id>` once listening.
 */
import pino from "pino";
import { createShellAdapter } from "../../../adapters/shell/index.js";
import { createActionLookup } from "../../../src/executor/action-catalog.js";
import { executeRun } from "../../../src/executor/execute-run.js";
import { startWorker } from "../../../src/executor/worker.js";
import { createRedactor } from "../../../src/redact.js";
import { openPostgres } from "../../../src/store/db.js";
import { createStore } from "../../../src/store/store.js";

const env = process.env;
const log = pino({ level: env.LOG_LEVEL ?? "warn", base: { pid: process.pid } }, pino.destination({ dest: 2, sync: true }));
const store = createStore(openPostgres(env.ENGINE_DB_URL!, { max: 4, applicationName: "opsroom-faults" }));
const deps = {
  store,
  actions: createActionLookup([createShellAdapter({ baseEnv: { PATH: env.PATH } })]),
  credentials: {},
  redactor: createRedactor([]),
  log,
};
const worker = await startWorker({
  store,
  log,
  execute: (run, workerId, signal) => executeRun(run, workerId, deps, signal),
  concurrency: Number(env.ENGINE_CONCURRENCY ?? 1),
  leaseMs: Number(env.ENGINE_LEASE_MS ?? 30_000),
  pollMs: Number(env.ENGINE_POLL_MS ?? 2_000),
});
process.stdout.write(`ready ${worker.id}\n`);
