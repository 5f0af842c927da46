/**
 * kill -9 of a worker in the middle of a shell step, with a real worker process on real PostgreSQL:
 * the step's command (and what it started) must not outlive the worker by more than a few seconds,
 * and the run must end saying what may be half done.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnWorker, waitFor } from "../engine/engine-support.js";
import { isAlive } from "../support/processes.js";
import { openTestStore, type TestStore } from "../support/test-stores.js";
import { recordFaultTally } from "./support/fault-tally.js";
import { shellDeploy } from "./support/shell-plan.js";

const ENTRY = fileURLToPath(new URL("./support/runbook-worker-process.ts", import.meta.url));
/** How long the command's processes may outlive their worker: "a few seconds". */
const GRACE_MS = 8_000;

describe.runIf(process.env.TEST_DATABASE_URL)("a worker killed with SIGKILL during a shell step", () => {
  let t: TestStore;
  let dir: string;
  beforeAll(async () => {
    t = await openTestStore("postgres");
    dir = mkdtempSync(path.join(tmpdir(), "opsroom-sigkill-"));
  });
  afterAll(async () => {
    await t?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("leaves no process of the step behind, no change after the kill, and a record naming the half-done step", async (ctx) => {
    const file = (name: string) => path.join(dir, name);
    const pids = () => ["pid", "child"].filter((f) => existsSync(file(f))).map((f) => Number(readFileSync(file(f), "utf8")));
    // The step's command starts a child, and changes something (writes `effect`) 5 s in.
    const { run } = await t.store.createRun(
      shellDeploy(
        ["sh", "-c", `echo $$ > ${file("pid")}; sleep 60 & echo $! > ${file("child")}; sleep 5; echo changed > ${file("effect")}; wait`],
        file("undone"),
      ),
    );
    const worker = await spawnWorker({ url: t.url!, concurrency: 1, leaseMs: 1_000, pollMs: 200, entry: ENTRY });
    try {
      await waitFor(async () => pids().length === 2 && pids().every((p) => p > 0), "the step's command to start");
      await worker.kill();
      await waitFor(async () => pids().every((p) => !isAlive(p)), "the step's processes to end", GRACE_MS).catch(() => undefined);
      const orphans = pids().filter(isAlive).length + (existsSync(file("effect")) ? 1 : 0);

      // Any process reaps a run whose lease ran out; here the test does, once the 1 s lease is over.
      const ended = await waitFor(async () => {
        await t.store.reapExpiredLeases();
        const r = await t.store.getRun(run.id);
        return r?.status !== "running" ? r : undefined;
      }, "the run to be reaped");
      const events = await t.store.listEvents(run.id);
      // True record: failed as outcome unknown at `ship` (it was mid-change), never succeeded or cancelled,
      // and no rollback or later step claimed by a worker that was dead.
      const falseRecords =
        (ended.status === "failed" && ended.outcomeUnknown && ended.failedStep === "ship" ? 0 : 1) +
        events.filter(
          (e) =>
            ["run_succeeded", "run_cancelled", "rollback_started"].includes(e.kind) || (e.kind === "step_succeeded" && e.stepId === "ship"),
        ).length;
      expect(ended.error).toMatch(
        /^worker lost: \S+ stopped heartbeating while step `ship` \(shell\.run\) was changing things; it may be half done\./,
      );
      recordFaultTally(ctx, { orphans, falseRecords });
    } finally {
      await worker.kill();
      for (const pid of pids()) if (isAlive(pid)) process.kill(pid, "SIGKILL");
    }
  });
});
