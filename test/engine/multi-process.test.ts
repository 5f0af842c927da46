import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openPostgres } from "../../src/store/db.js";
import { createStore, type Store } from "../../src/store/store.js";
import { openTestStore, type TestStore } from "../support/test-stores.js";
import { queuedRun, spawnWorker, spawnWorkers, waitFor, type WorkerProcess } from "./engine-support.js";
import { startPostgresProxy } from "../support/tcp-proxy.js";
import { NEEDS_POSTGRES } from "../support/skip-unless.js";

// Real worker processes (test/engine/worker-process.ts) against one scratch database on the real
// server: what only a server shows (PGlite is one process).
describe("run engine across worker processes", NEEDS_POSTGRES, () => {
  let t: TestStore;
  let store: Store;
  let url: string;
  const processes: WorkerProcess[] = [];

  const spawn = async (count: number, options: { concurrency: number; leaseMs?: number; pollMs?: number; url?: string }) => {
    const started = await spawnWorkers(count, { url, ...options });
    processes.push(...started);
    return started;
  };
  const statusCounts = async () => {
    const { rows } = await t.db.query<{ status: string; n: number }>("SELECT status, count(*)::int AS n FROM runs GROUP BY status");
    return Object.fromEntries(rows.map((r) => [r.status, r.n])) as Record<string, number>;
  };
  const allFinished = async (total: number) => {
    const c = await statusCounts();
    return (c.succeeded ?? 0) + (c.failed ?? 0) + (c.cancelled ?? 0) === total ? c : undefined;
  };
  const runOf = async (id: string, status: string) => {
    const run = await store.getRun(id);
    return run?.status === status ? run : undefined;
  };

  beforeAll(async () => {
    t = await openTestStore("postgres");
    store = t.store;
    url = t.url!;
  });
  afterAll(async () => {
    await t.dispose();
  });
  beforeEach(async () => {
    await t.db.query("TRUNCATE runs, workers CASCADE");
  });
  afterEach(async () => {
    await Promise.all(processes.splice(0).map((p) => p.kill()));
  });

  it("4 worker processes × 4 executors claim and finish each of 2,000 runs exactly once", async () => {
    const workers = await spawn(4, { concurrency: 4 });
    // Enqueued while the workers run, in 20 statements of 100: the wake-ups race the claims.
    for (let i = 0; i < 20; i++) await store.createRuns(Array.from({ length: 100 }, () => queuedRun()));
    const counts = await waitFor(() => allFinished(2_000), "2,000 runs to finish", 60_000, 200);
    expect(counts).toEqual({ succeeded: 2_000 });

    const { rows: perRun } = await t.db.query<{ started: number; succeeded: number; attempts: number; n: number }>(
      `SELECT started, succeeded, attempts, count(*)::int AS n FROM (
         SELECT r.id, r.attempts,
                count(*) FILTER (WHERE e.kind = 'run_started')::int AS started,
                count(*) FILTER (WHERE e.kind = 'run_succeeded')::int AS succeeded
         FROM runs r JOIN run_events e ON e.run_id = r.id GROUP BY r.id, r.attempts) x
       GROUP BY started, succeeded, attempts`,
    );
    // Every run: claimed once (attempts 1), executed once, finished once.
    expect(perRun).toEqual([{ started: 1, succeeded: 1, attempts: 1, n: 2_000 }]);
    const { rows: byPid } = await t.db.query<{ pid: number; n: number }>(
      "SELECT (data->>'pid')::int AS pid, count(*)::int AS n FROM run_events WHERE kind = 'run_started' GROUP BY 1",
    );
    expect(byPid.map((r) => r.pid).sort()).toEqual(workers.map((w) => w.child.pid).sort());
  });

  it("reaps the run of a SIGKILLed worker within the lease bound while the others carry on", async () => {
    const leaseMs = 1_500;
    await spawn(3, { concurrency: 2, leaseMs });
    const victim = (await store.createRun(queuedRun({ title: "deploy", params: { sleep_ms: 60_000, mutate: true } }))).run;
    const running = await waitFor(async () => {
      const events = await store.listEvents(victim.id);
      return events.some((e) => e.kind === "step_started") ? store.getRun(victim.id) : undefined;
    }, "the victim's step to start");
    const holder = processes.find((p) => p.workerId === running!.workerId)!;
    expect(holder).toBeDefined();

    await holder.kill();
    const killedAt = Date.now();
    // The others keep working while the victim waits for its lease to run out.
    const others = await store.createRuns(Array.from({ length: 30 }, () => queuedRun({ params: { sleep_ms: 20 } })));
    const failed = await waitFor(() => runOf(victim.id, "failed"), "the victim to be reaped", 30_000);
    expect(failed.error).toMatch(/^worker lost: .* stopped heartbeating during a step that changes things; outcome unknown/);
    expect(failed.outcomeUnknown).toBe(true);
    const event = (await store.listEvents(victim.id)).find((e) => e.kind === "run_failed");
    expect(event?.data).toMatchObject({ reason: "worker lost", worker_id: holder.workerId });
    // Bound: lease (last heartbeat at most that long ago) + the reaper's period (lease/2, ±20 % jitter);
    // plus 3 s of slack for a busy shared machine.
    expect(failed.finishedAt!.getTime() - killedAt).toBeLessThan(leaseMs * 1.6 + 3_000);

    await waitFor(() => allFinished(31), "the other runs to finish", 30_000);
    for (const { run } of others) expect((await store.getRun(run.id))?.status).toBe("succeeded");
    const health = await store.listWorkerHealth();
    expect(health.find((w) => w.id === holder.workerId)?.status).toBe("lost");
    expect(health.filter((w) => w.status === "healthy")).toHaveLength(2);
  });

  it("retries a run whose worker died before it changed anything", async () => {
    await spawn(2, { concurrency: 2, leaseMs: 1_500 });
    const { run } = await store.createRun(queuedRun({ params: { sleep_ms: 60_000, first_attempt_only: true } }));
    const running = await waitFor(
      async () => ((await store.listEvents(run.id)).some((e) => e.kind === "step_started") ? store.getRun(run.id) : undefined),
      "the step to start",
    );
    await processes.find((p) => p.workerId === running!.workerId)!.kill();
    const done = await waitFor(() => runOf(run.id, "succeeded"), "the run to be retried elsewhere", 30_000);
    expect(done.attempts).toBe(2);
    expect(done.workerId).not.toBe(running!.workerId);
    expect((await store.listEvents(run.id)).map((e) => e.kind)).toContain("run_requeued");
  });

  it("never overlaps two runs of one lock key across processes, and runs different keys in parallel", async () => {
    await spawn(3, { concurrency: 3 });
    const keys = ["deploy:api:prod", "deploy:web:prod", "deploy:worker:prod"];
    const created: { id: string; key: string | null }[] = [];
    for (let i = 0; i < 5; i++) {
      for (const key of keys)
        created.push({ id: (await store.createRun(queuedRun({ lockKey: key, params: { sleep_ms: 80 } }))).run.id, key });
      created.push({ id: (await store.createRun(queuedRun({ params: { sleep_ms: 80 } }))).run.id, key: null });
    }
    await waitFor(() => allFinished(created.length), "all runs to finish", 60_000);
    const { rows } = await t.db.query<{ run_id: string; kind: string; at: Date }>(
      "SELECT run_id, kind, at FROM run_events WHERE kind IN ('run_started', 'run_succeeded')",
    );
    const span = new Map<string, { start: number; end: number }>();
    for (const e of rows) {
      const s = span.get(e.run_id) ?? { start: 0, end: 0 };
      s[e.kind === "run_started" ? "start" : "end"] = new Date(e.at).getTime();
      span.set(e.run_id, s);
    }
    const overlap = (a: string, b: string) => span.get(a)!.start < span.get(b)!.end && span.get(b)!.start < span.get(a)!.end;
    for (const key of keys) {
      const ofKey = created.filter((c) => c.key === key);
      for (const a of ofKey) for (const b of ofKey) if (a !== b) expect(overlap(a.id, b.id)).toBe(false);
    }
    expect(created.some((a) => created.some((b) => a.key && b.key && a.key !== b.key && overlap(a.id, b.id)))).toBe(true);
  });

  // The database "restarts" behind a TCP proxy that cuts every connection of the worker and refuses
  // new ones for three seconds. (Restarting the shared cluster would break other suites running on
  // it; pg_terminate_backend alone would let the worker reconnect at once, testing less.)
  it("survives the database going away under a running worker: the run ends, LISTEN comes back", async () => {
    const proxy = await startPostgresProxy(url);
    // A 60 s poll: a run queued after the outage can only be picked up through a re-LISTENed connection.
    const worker = await spawnWorker({ url: proxy.via(url), concurrency: 2, leaseMs: 2_000, pollMs: 60_000, logLevel: "info" });
    processes.push(worker);
    try {
      const { run } = await store.createRun(queuedRun({ params: { sleep_ms: 1_000, mutate: true } }));
      await waitFor(async () => (await store.listEvents(run.id)).some((e) => e.kind === "step_started"), "the step to start");

      await proxy.stop();
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await proxy.start();

      const ended = await waitFor(
        async () => {
          const r = await store.getRun(run.id);
          return r && r.status !== "running" ? r : undefined;
        },
        "the run to end",
        30_000,
      );
      expect(["succeeded", "failed"]).toContain(ended.status);
      if (ended.status === "failed") expect(ended.error).toBeTruthy();

      const dbName = new URL(url).pathname.slice(1);
      await waitFor(
        async () => {
          const { rows } = await t.db.query(
            "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = 'opsroom-engine-test:listen'",
            [dbName],
          );
          return rows.length > 0;
        },
        "the worker to LISTEN again",
        30_000,
      );
      const after = (await store.createRun(queuedRun())).run;
      const done = await waitFor(() => runOf(after.id, "succeeded"), "a run queued after the outage to be picked up by NOTIFY", 15_000);
      expect(done.workerId).toBe(worker.workerId);
      expect((await statusCounts()).running ?? 0).toBe(0);
    } catch (error) {
      const exit = worker.child.exitCode ?? worker.child.signalCode ?? "still running";
      throw new Error(`${(error as Error).message}\nworker (${exit}) logs:\n${worker.logs.join("\n")}`, { cause: error });
    } finally {
      await Promise.all(processes.splice(0).map((p) => p.kill()));
      await proxy.stop();
    }
  }, 100_000);

  it("queues one run for 50 approvals clicked at once in five processes", async () => {
    const { run } = await store.createRun({ ...queuedRun(), status: "pending_approval", expiresAt: new Date(Date.now() + 60_000) });
    await t.db.query("UPDATE runs SET required_approvals = 2 WHERE id = $1", [run.id]);
    // Five separate pools stand in for five bot processes answering the same clicks.
    const stores = Array.from({ length: 5 }, () => createStore(openPostgres(url, { max: 4 })));
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          stores[i % 5]!.recordDecision({ runId: run.id, approver: `U_${i % 7}`, decision: "approve", planHash: run.planHash }),
        ),
      );
      const outcomes = results.map((r) => (r.status === "fulfilled" ? r.value.outcome : (r.reason as { code: string }).code));
      expect(outcomes.filter((o) => o === "queued")).toHaveLength(1);
      expect((await store.getRun(run.id))?.status).toBe("queued");
      expect((await store.listEvents(run.id)).filter((e) => e.kind === "run_approved")).toHaveLength(2);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
