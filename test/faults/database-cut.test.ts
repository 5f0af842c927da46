/**
 * The database goes away, for longer than the connect retry, while a mutating shell step runs (a
 * loopback proxy cut under a real worker on real PostgreSQL). The command still runs and exits 0: the
 * record must never say "nothing was started", and recording trouble must never cause a rollback.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, it } from "vitest";
import { createShellAdapter } from "../../adapters/shell/index.js";
import { createActionLookup } from "../../src/executor/action-catalog.js";
import { executeRun } from "../../src/executor/execute-run.js";
import { startWorker, type Worker } from "../../src/executor/worker.js";
import { createRedactor } from "../../src/redact.js";
import { openPostgres, type Db } from "../../src/store/db.js";
import { createStore } from "../../src/store/store.js";
import type { Run } from "../../src/store/types.js";
import { waitFor } from "../engine/engine-support.js";
import { startPostgresProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { openTestStore, type TestStore } from "../support/test-stores.js";
import { recordFaultTally } from "./support/fault-tally.js";
import { shellDeploy } from "./support/shell-plan.js";

const NOTHING_STARTED = "nothing was started";

describe.runIf(process.env.TEST_DATABASE_URL)("the database cut during a mutating shell step", () => {
  let t: TestStore;
  let dir: string;
  let proxy: TcpProxy | undefined;
  let db: Db | undefined;
  let worker: Worker | undefined;
  const logs: string[] = [];

  beforeAll(async () => {
    t = await openTestStore("postgres");
  });
  afterAll(() => t?.dispose());
  afterEach(async () => {
    await proxy?.start().catch(() => undefined);
    await worker?.stop();
    await db?.close();
    await proxy?.stop();
    rmSync(dir, { recursive: true, force: true });
    logs.length = 0;
  });

  /** A worker whose database connections go through a proxy the test cuts; statements wait 300 ms for a connection. */
  async function startCutWorker(recordRetryMs: number) {
    dir = mkdtempSync(path.join(tmpdir(), "opsroom-dbcut-"));
    proxy = await startPostgresProxy(t.url!);
    db = openPostgres(proxy.via(t.url!), { connectRetryMs: 300 });
    const store = createStore(db);
    const log = pino(
      { level: "warn" },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          logs.push(chunk.toString());
          done();
        },
      }),
    );
    const deps = {
      store,
      actions: createActionLookup([createShellAdapter({ baseEnv: { PATH: process.env.PATH } })]),
      credentials: {},
      redactor: createRedactor([]),
      log,
      recordRetryMs,
    };
    worker = await startWorker({ store, log, pollMs: 200, execute: (run, id, signal) => executeRun(run, id, deps, signal) });
  }

  /**
   * Starts the deploy, cuts the database once its step runs, lets the command finish (exit 0, having
   * written `effect`), keeps the database away until opsroom failed to record something through it
   * (`waitForLog` in the log: past the connect retry), then brings it back.
   */
  async function deployThroughOutage(waitForLog: RegExp): Promise<{ run: Run; changed: boolean; rolledBack: boolean; said: string }> {
    const file = (name: string) => path.join(dir, name);
    const { run } = await t.store.createRun(
      shellDeploy(["sh", "-c", `while [ ! -e ${file("go")} ]; do sleep 0.05; done; echo changed > ${file("effect")}`], file("undone")),
    );
    await waitFor(
      async () => (await t.store.listEvents(run.id)).some((e) => e.kind === "step_started" && e.stepId === "ship"),
      "ship to start",
    );
    await proxy!.stop();
    writeFileSync(file("go"), "");
    await waitFor(async () => existsSync(file("effect")), "the command to change things");
    await waitFor(async () => logs.some((l) => waitForLog.test(l)), `${waitForLog} in the log`);
    await proxy!.start();
    const ended = await waitFor(async () => {
      const r = await t.store.getRun(run.id);
      return r && r.status !== "running" ? r : undefined;
    }, "the run to end");
    const events = await t.store.listEvents(run.id);
    return {
      run: ended,
      changed: existsSync(file("effect")),
      rolledBack: existsSync(file("undone")) || events.some((e) => e.kind === "rollback_started"),
      said: JSON.stringify({ events, ended }),
    };
  }

  it("an outage shorter than the record retry: the step's result is stored when the database is back, and the run succeeds", async (ctx) => {
    await startCutWorker(60_000);
    const { run, changed, rolledBack, said } = await deployThroughOutage(/"msg":"recording (the outcome )?failed; retrying"/);
    const stepRecorded = (await t.store.listEvents(run.id)).some((e) => e.kind === "step_succeeded" && e.stepId === "ship");
    const falseRecords =
      (changed && run.status === "succeeded" ? 0 : 1) +
      (stepRecorded ? 0 : 1) +
      (said.includes(NOTHING_STARTED) ? 1 : 0) +
      (rolledBack ? 1 : 0);
    recordFaultTally(ctx, { falseRecords });
  });

  it("an outage longer than the record retry: the run ends as outcome unknown with what the step reported, not rolled back", async (ctx) => {
    await startCutWorker(1_000);
    const { run, changed, rolledBack, said } = await deployThroughOutage(/"msg":"recording the outcome failed; retrying"/);
    const falseRecords =
      (changed && run.status === "failed" && run.outcomeUnknown ? 0 : 1) +
      (run.summary?.includes("ran and reported: `sh -c") && run.summary.includes("exited 0") ? 0 : 1) +
      (said.includes(NOTHING_STARTED) ? 1 : 0) +
      (rolledBack ? 1 : 0);
    recordFaultTally(ctx, { falseRecords });
  });
});
