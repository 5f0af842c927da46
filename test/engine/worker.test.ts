import pino from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startWorker, type Worker } from "../../src/executor/worker.js";
import type { Store } from "../../src/store/store.js";
import { openTestStore, STORE_BACKENDS, type TestStore } from "../support/test-stores.js";
import { createTestExecutor, queuedRun, waitFor } from "./engine-support.js";

const log = pino({ level: "silent" });

interface EventRow {
  run_id: string;
  kind: string;
  at: Date;
  data: Record<string, unknown>;
}

describe.each(STORE_BACKENDS)("worker on %s", (backend) => {
  let t: TestStore;
  let store: Store;
  const workers: Worker[] = [];

  const start = async (options: { concurrency?: number; leaseMs?: number; pollMs?: number } = {}) => {
    const worker = await startWorker({ store, log, execute: createTestExecutor(store), concurrency: 4, ...options });
    workers.push(worker);
    return worker;
  };
  const events = async (kinds: string[]) =>
    (await t.db.query<EventRow>("SELECT run_id, kind, at, data FROM run_events WHERE kind = ANY($1) ORDER BY id", [kinds])).rows;
  const statusCounts = async () => {
    const { rows } = await t.db.query<{ status: string; n: number }>("SELECT status, count(*)::int AS n FROM runs GROUP BY status");
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  };
  const allFinished = async (total: number) => {
    const counts = await statusCounts();
    const finished = (counts.succeeded ?? 0) + (counts.failed ?? 0) + (counts.cancelled ?? 0);
    return finished === total ? counts : undefined;
  };

  beforeAll(async () => {
    t = await openTestStore(backend);
    store = t.store;
  });
  afterAll(async () => {
    await t.dispose();
  });
  beforeEach(async () => {
    await t.db.query("TRUNCATE runs, workers CASCADE");
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop({ abort: true })));
  });

  it("executes each of 300 runs exactly once with two workers sharing the store", async () => {
    await store.createRuns(Array.from({ length: 300 }, () => queuedRun()));
    await Promise.all([start(), start()]);
    const counts = await waitFor(() => allFinished(300), "300 runs to finish");
    expect(counts).toEqual({ succeeded: 300 });
    const started = await events(["run_started"]);
    expect(started).toHaveLength(300);
    expect(new Set(started.map((e) => e.run_id)).size).toBe(300);
    const { rows } = await t.db.query<{ attempts: number; n: number }>("SELECT attempts, count(*)::int AS n FROM runs GROUP BY attempts");
    expect(rows).toEqual([{ attempts: 1, n: 300 }]);
    // Both workers took part.
    expect(new Set(started.map((e) => e.data.worker_id)).size).toBe(2);
  });

  it("runs one run per lock key at a time, in order, and different keys in parallel", async () => {
    const keys = ["deploy:api:staging", "deploy:web:staging", "deploy:db:staging"];
    const created: { id: string; key: string }[] = [];
    for (let i = 0; i < 4; i++) {
      for (const key of keys)
        created.push({ id: (await store.createRun(queuedRun({ lockKey: key, params: { sleep_ms: 120, n: i } }))).run.id, key });
    }
    // Before anything runs, each key's runs wait in creation order.
    const positions = await Promise.all(created.filter((c) => c.key === keys[0]).map((c) => store.queuePosition(c.id)));
    expect(positions.map((p) => p?.ahead)).toEqual([0, 1, 2, 3]);

    await Promise.all([start(), start()]);
    await waitFor(async () => {
      const p = await store.queuePosition(created[9]!.id); // the fourth run of the first key
      return p !== undefined && p.blockedBy !== null && p.ahead < 3 ? p : undefined;
    }, "the fourth run to move up behind a running one");
    await waitFor(() => allFinished(12), "12 runs to finish");

    const rows = await events(["run_started", "run_succeeded"]);
    const span = new Map<string, { start: number; end: number }>();
    for (const e of rows) {
      const s = span.get(e.run_id) ?? { start: 0, end: 0 };
      if (e.kind === "run_started") s.start = new Date(e.at).getTime();
      else s.end = new Date(e.at).getTime();
      span.set(e.run_id, s);
    }
    for (const key of keys) {
      const ofKey = created.filter((c) => c.key === key).map((c) => span.get(c.id)!);
      // In creation order, and each ends before the next starts.
      for (let i = 1; i < ofKey.length; i++) expect(ofKey[i]!.start).toBeGreaterThanOrEqual(ofKey[i - 1]!.end);
    }
    const overlapsAcrossKeys = created.some((a) =>
      created.some((b) => a.key !== b.key && span.get(a.id)!.start < span.get(b.id)!.end && span.get(b.id)!.start < span.get(a.id)!.end),
    );
    expect(overlapsAcrossKeys).toBe(true);
  });

  it("starts a scheduled run no earlier than its time and never starts a cancelled one", async () => {
    // A long poll: the wake-up has to come from the NOTIFY's due time, not from polling.
    await start({ pollMs: 60_000 });
    const soon = (await store.createRun(queuedRun({ runAt: new Date(Date.now() + 1_200), title: "scheduled" }))).run;
    const cancelled = (await store.createRun(queuedRun({ runAt: new Date(Date.now() + 800), title: "cancelled" }))).run;
    expect(await store.claimNextRun("someone-else", 30_000)).toBeUndefined();
    await store.requestCancel(cancelled.id, "U_TEST");
    const done = await waitFor(async () => {
      const run = await store.getRun(soon.id);
      return run?.status === "succeeded" ? run : undefined;
    }, "the scheduled run to succeed");
    expect(done.startedAt!.getTime()).toBeGreaterThanOrEqual(done.runAt.getTime());
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await store.getRun(cancelled.id))?.status).toBe("cancelled");
    expect((await events(["run_started"])).map((e) => e.run_id)).toEqual([soon.id]);
  });

  it("stops a running run when someone asks to cancel it", async () => {
    await start();
    const { run } = await store.createRun(queuedRun({ params: { sleep_ms: 60_000 } }));
    await waitFor(async () => (await events(["step_started"])).length > 0, "the step to start");
    await store.requestCancel(run.id, "U_CANCEL");
    const done = await waitFor(async () => {
      const r = await store.getRun(run.id);
      return r?.status === "cancelled" ? r : undefined;
    }, "the run to be cancelled");
    expect(done.cancelRequestedBy).toBe("U_CANCEL");
    expect(done.summary).toMatch(/cancel requested/);
  });

  it("reaps the runs of a lost worker: fails one that started changing things, retries one that had not", async () => {
    const risky = (await store.createRun(queuedRun({ title: "risky" }))).run;
    const safe = (await store.createRun(queuedRun({ title: "safe" }))).run;
    // A worker that claims with a 300 ms lease and then dies (never heartbeats).
    const claimed = await store.claimRuns("dead-worker", 300, 2);
    expect(claimed.map((r) => r.id).sort()).toEqual([risky.id, safe.id].sort());
    await store.markMutationStarted(risky.id);

    await start({ leaseMs: 600 });
    const failed = await waitFor(async () => {
      const r = await store.getRun(risky.id);
      return r?.status === "failed" ? r : undefined;
    }, "the risky run to be failed");
    expect(failed.error).toMatch(/worker lost: dead-worker/);
    const rerun = await waitFor(async () => {
      const r = await store.getRun(safe.id);
      return r?.status === "succeeded" ? r : undefined;
    }, "the safe run to be retried");
    expect(rerun.attempts).toBe(2);
    const kinds = (await store.listEvents(risky.id)).map((e) => e.kind);
    expect(kinds).toContain("run_failed");
    expect((await store.listEvents(risky.id)).find((e) => e.kind === "run_failed")?.data).toMatchObject({
      reason: "worker lost",
      worker_id: "dead-worker",
    });
    expect((await store.listEvents(safe.id)).map((e) => e.kind)).toContain("run_requeued");
  });

  it("shows each worker's health: healthy while heartbeating, lost when silent, stopped after stop", async () => {
    const worker = await start({ leaseMs: 3_000 });
    await store.registerWorker({ id: "silent", hostname: "elsewhere", pid: 1, concurrency: 2, leaseMs: 3_000 });
    await t.db.query("UPDATE workers SET heartbeat_at = now() - interval '10 seconds' WHERE id = 'silent'");
    const { run } = await store.createRun(queuedRun({ params: { sleep_ms: 60_000 } }));
    await waitFor(async () => (await store.getRun(run.id))?.status === "running", "the run to start");
    const health = await store.listWorkerHealth();
    expect(health.find((w) => w.id === worker.id)).toMatchObject({ status: "healthy", runningRuns: 1, leaseMs: 3_000, concurrency: 4 });
    expect(health.find((w) => w.id === "silent")).toMatchObject({ status: "lost", runningRuns: 0 });
    await worker.stop({ abort: true });
    expect((await store.listWorkerHealth()).find((w) => w.id === worker.id)?.status).toBe("stopped");
  });
});
