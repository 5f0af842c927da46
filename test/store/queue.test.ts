import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/store.js";
import type { QueueWake } from "../../src/store/types.js";
import { queuedRun, testPlan, waitFor } from "../engine/engine-support.js";
import { openTestStore, STORE_BACKENDS, type TestStore } from "../support/test-stores.js";
import { itWhere } from "../support/it-where.js";

describe.each(STORE_BACKENDS)("run queue on %s", (backend) => {
  let t: TestStore;
  let store: Store;
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

  describe("lifecycle enforced by the database", () => {
    it("refuses to queue a plan without the approvals its policy needs", async () => {
      const { run } = await store.createRun({ ...queuedRun(), status: "pending_approval" });
      await t.db.query("UPDATE runs SET required_approvals = 1 WHERE id = $1", [run.id]);
      await expect(t.db.query("UPDATE runs SET status = 'queued' WHERE id = $1", [run.id])).rejects.toThrow(/has 0 of 1 approvals/);
    });

    it("refuses an approval bound to a plan that has since changed, in TypeScript and in SQL", async () => {
      const { run } = await store.createRun({ ...queuedRun(), status: "pending_approval", expiresAt: new Date(Date.now() + 60_000) });
      await t.db.query("UPDATE runs SET required_approvals = 1 WHERE id = $1", [run.id]);
      await t.db.query("INSERT INTO approvals (run_id, approver, decision, plan_hash) VALUES ($1, 'U_BOB', 'approve', $2)", [
        run.id,
        run.planHash,
      ]);
      await t.db.query("UPDATE runs SET plan_hash = 'replanned' WHERE id = $1", [run.id]);
      // The approval recorded for the old plan does not count for the new one.
      await expect(t.db.query("UPDATE runs SET status = 'queued' WHERE id = $1", [run.id])).rejects.toThrow(/has 0 of 1 approvals/);
      await expect(
        store.recordDecision({ runId: run.id, approver: "U_CAROL", decision: "approve", planHash: run.planHash }),
      ).rejects.toMatchObject({
        code: "POLICY_PLAN_CHANGED",
      });
      expect((await store.getRun(run.id))?.status).toBe("pending_approval");
    });

    it("refuses to insert a run that is already running or finished", async () => {
      const plan = testPlan();
      await expect(
        t.db.query(
          "INSERT INTO runs (runbook, title, plan, plan_hash, mutating, status, requested_by, source) VALUES ('x', 'x', $1, 'h', false, 'running', 'U', 't')",
          [JSON.stringify(plan)],
        ),
      ).rejects.toThrow(/must be pending_approval or queued/);
    });

    it("refuses to put a run back in the queue once it started changing things", async () => {
      const { run } = await store.createRun(queuedRun());
      await store.claimRuns("w1", 30_000, 1);
      await store.markMutationStarted(run.id);
      await expect(
        t.db.query("UPDATE runs SET status = 'queued', worker_id = NULL, lease_expires_at = NULL WHERE id = $1", [run.id]),
      ).rejects.toThrow(/cannot be retried/);
      await expect(t.db.query("UPDATE runs SET mutation_started = false WHERE id = $1", [run.id])).rejects.toThrow(/cannot be undone/);
    });

    it("refuses to start a scheduled run early even when asked directly", async () => {
      const { run } = await store.createRun(queuedRun({ runAt: new Date(Date.now() + 3_600_000) }));
      await expect(
        t.db.query("UPDATE runs SET status = 'running', worker_id = 'w', lease_expires_at = now() + interval '1 minute' WHERE id = $1", [
          run.id,
        ]),
      ).rejects.toThrow(/is scheduled for/);
    });

    it("refuses to finish a run twice, from two workers or one", async () => {
      const { run } = await store.createRun(queuedRun());
      await store.claimRuns("w1", 30_000, 1);
      const results = await Promise.all([
        store.finishRuns([{ runId: run.id, workerId: "w1", outcome: { status: "succeeded", summary: "a" } }]),
        store.finishRun(run.id, "w1", { status: "failed", summary: "b", failedStep: null, error: "x" }),
        store.finishRun(run.id, "w2", { status: "succeeded", summary: "c" }),
      ]);
      expect([results[0].length === 1, results[1], results[2]].filter(Boolean)).toHaveLength(1);
    });
  });

  describe("claiming", () => {
    it("claims a batch of due runs in order, one per lock key, never a scheduled one", async () => {
      const a1 = (await store.createRun(queuedRun({ lockKey: "k:a" }))).run;
      await store.createRun(queuedRun({ lockKey: "k:a" }));
      const b1 = (await store.createRun(queuedRun({ lockKey: "k:b" }))).run;
      const free = (await store.createRuns([queuedRun(), queuedRun()])).map((r) => r.run);
      await store.createRun(queuedRun({ runAt: new Date(Date.now() + 3_600_000) }));
      const claimed = await store.claimRuns("w1", 30_000, 10);
      expect(claimed.map((r) => r.id)).toEqual([a1.id, b1.id, free[0]!.id, free[1]!.id]);
      expect(claimed.every((r) => r.status === "running" && r.workerId === "w1" && r.leaseExpiresAt !== null)).toBe(true);
      expect(await store.claimRuns("w2", 30_000, 10)).toEqual([]);
      expect(await store.nextScheduledAt()).toBeInstanceOf(Date);
    });

    it("does not let a run scheduled for later hold up a due run of the same lock key", async () => {
      const later = (await store.createRun(queuedRun({ lockKey: "k:s", runAt: new Date(Date.now() + 3_600_000) }))).run;
      const now = (await store.createRun(queuedRun({ lockKey: "k:s" }))).run;
      expect((await store.claimRuns("w1", 30_000, 5)).map((r) => r.id)).toEqual([now.id]);
      expect(await store.queuePosition(later.id)).toMatchObject({ ahead: 1, blockedBy: now.id, due: false });
    });

    it("gives each run to one of many concurrent claimers", async () => {
      await store.createRuns(Array.from({ length: 60 }, () => queuedRun()));
      await store.createRuns(Array.from({ length: 6 }, () => queuedRun({ lockKey: "k:shared" })));
      const batches = await Promise.all(Array.from({ length: 12 }, (_, i) => store.claimRuns(`w${i}`, 30_000, 8)));
      const ids = batches.flat().map((r) => r.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(batches.flat().filter((r) => r.lockKey === "k:shared")).toHaveLength(1);
    });

    it("extends only the leases a worker still holds", async () => {
      const [a, b] = (await store.createRuns([queuedRun(), queuedRun()])).map((r) => r.run);
      await store.claimRuns("w1", 30_000, 2);
      await store.finishRun(b!.id, "w1", { status: "succeeded", summary: "ok" });
      expect(await store.extendLeases("w1", [a!.id, b!.id], 60_000)).toEqual([a!.id]);
      expect(await store.extendLeases("w2", [a!.id], 60_000)).toEqual([]);
    });

    it("refuses to mark a change started by a worker that lost the run", async () => {
      const { run } = await store.createRun(queuedRun());
      await store.claimRuns("slow-worker", 1, 1);
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect((await store.reapExpiredLeases()).requeued).toEqual([run.id]);
      await expect(store.markMutationStarted(run.id)).rejects.toMatchObject({ code: "STORE_RUN_NOT_HELD" });
      await t.db.query("UPDATE runs SET run_at = now() - interval '1 second' WHERE id = $1", [run.id]);
      await store.claimRuns("other-worker", 30_000, 1);
      await store.markMutationStarted(run.id);
      expect((await store.getRun(run.id))?.mutationStarted).toBe(true);
    });

    it("fails a run lost by its workers three times instead of retrying it forever", async () => {
      const { run } = await store.createRun(queuedRun());
      for (let attempt = 1; attempt <= 3; attempt++) {
        await t.db.query("UPDATE runs SET run_at = now() - interval '1 second' WHERE id = $1", [run.id]);
        expect(await store.claimRuns(`dead-${attempt}`, 1, 1)).toHaveLength(1);
        await new Promise((resolve) => setTimeout(resolve, 10));
        const reaped = await store.reapExpiredLeases();
        expect(reaped[attempt < 3 ? "requeued" : "failed"]).toEqual([run.id]);
      }
      expect(await store.getRun(run.id)).toMatchObject({
        status: "failed",
        attempts: 3,
        error: expect.stringMatching(/3 attempts, giving up/),
      });
    });
  });

  describe("creation", () => {
    it("creates many runs at once, returning existing runs for repeated idempotency keys", async () => {
      const first = await store.createRun(queuedRun({ idempotencyKey: "slack:Ev1" }));
      const results = await store.createRuns([
        queuedRun(),
        queuedRun({ idempotencyKey: "slack:Ev1" }),
        queuedRun({ idempotencyKey: "slack:Ev2" }),
        queuedRun({ idempotencyKey: "slack:Ev2" }),
      ]);
      expect(results.map((r) => r.created)).toEqual([true, false, true, false]);
      expect(results[1]!.run.id).toBe(first.run.id);
      expect(results[3]!.run.id).toBe(results[2]!.run.id);
      expect(await store.listRuns({ limit: 100 })).toHaveLength(3);
      // Every run has its run_created event.
      const { rows } = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM run_events WHERE kind = 'run_created'");
      expect(rows[0]!.n).toBe(3);
    });

    it("returns one run for the same idempotency key sent concurrently", async () => {
      const results = await Promise.all(Array.from({ length: 20 }, () => store.createRun(queuedRun({ idempotencyKey: "console:42" }))));
      expect(new Set(results.map((r) => r.run.id)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
    });

    it("keeps every run's events in order when many are appended at once", async () => {
      const runs = (await store.createRuns(Array.from({ length: 8 }, () => queuedRun()))).map((r) => r.run);
      const appended = await Promise.all(
        runs.flatMap((run) =>
          Array.from({ length: 10 }, (_, i) =>
            store.appendEvent(run.id, { kind: "step_started", stepId: `s${i}`, message: `${run.id}:${i}` }),
          ),
        ),
      );
      expect(appended.every((e, i) => e.message === `${runs[Math.floor(i / 10)]!.id}:${i % 10}`)).toBe(true);
      for (const run of runs) {
        const steps = (await store.listEvents(run.id)).filter((e) => e.kind === "step_started").map((e) => e.stepId);
        expect(steps).toEqual(Array.from({ length: 10 }, (_, i) => `s${i}`));
      }
    });
  });

  describe("wake-ups", () => {
    it("tells listeners how many runs became claimable, and when a scheduled one is due", async () => {
      const wakes: QueueWake[] = [];
      const stop = await store.onRunQueued((w) => wakes.push(w));
      try {
        await store.createRuns(Array.from({ length: 5 }, () => queuedRun()));
        await waitFor(async () => wakes.length >= 1, "a wake-up", 5_000, 10);
        expect(wakes[0]).toEqual({ count: 5 });
        const at = new Date(Date.now() + 60_000);
        await store.createRun(queuedRun({ runAt: at }));
        await waitFor(async () => wakes.length >= 2, "a second wake-up", 5_000, 10);
        expect(wakes[1]!.count).toBe(0);
        expect(Math.abs(wakes[1]!.runAt!.getTime() - at.getTime())).toBeLessThan(1_000);
      } finally {
        await stop();
      }
    });

    it("wakes listeners when a lock key frees up for a waiting run", async () => {
      const first = (await store.createRun(queuedRun({ lockKey: "k:x" }))).run;
      await store.createRun(queuedRun({ lockKey: "k:x" }));
      await store.claimRuns("w1", 30_000, 5);
      const wakes: QueueWake[] = [];
      const stop = await store.onRunQueued((w) => wakes.push(w));
      try {
        await store.finishRun(first.id, "w1", { status: "succeeded", summary: "ok" });
        await waitFor(async () => wakes.length >= 1, "a wake-up", 5_000, 10);
        expect(wakes[0]).toEqual({ count: 1 });
      } finally {
        await stop();
      }
    });

    itWhere(backend === "postgres")("listens again after its connection is killed", async () => {
      const wakes: QueueWake[] = [];
      const stop = await store.onRunQueued((w) => wakes.push(w));
      try {
        const dbName = new URL(t.url!).pathname.slice(1);
        const { rowCount } = await t.db.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'opsroom:listen'",
          [dbName],
        );
        expect(rowCount).toBe(1);
        await waitFor(async () => wakes.some((w) => w.reconnected), "the reconnect", 10_000, 20);
        await store.createRun(queuedRun());
        await waitFor(async () => wakes.some((w) => w.count === 1), "a wake-up after reconnecting", 10_000, 20);
      } finally {
        await stop();
      }
    });
  });

  it("reports where a queued run stands behind others of its lock key", async () => {
    const running = (await store.createRun(queuedRun({ lockKey: "deploy:api:prod" }))).run;
    const second = (await store.createRun(queuedRun({ lockKey: "deploy:api:prod" }))).run;
    const third = (await store.createRun(queuedRun({ lockKey: "deploy:api:prod" }))).run;
    const unkeyed = (await store.createRun(queuedRun())).run;
    await store.claimRuns("w1", 30_000, 1);
    expect(await store.queuePosition(third.id)).toMatchObject({ ahead: 2, blockedBy: running.id, lockKey: "deploy:api:prod", due: true });
    expect(await store.lockQueuePosition(second.id)).toBe(1);
    expect(await store.queuePosition(unkeyed.id)).toMatchObject({ ahead: 0, blockedBy: null });
    expect(await store.queuePosition(running.id)).toBeUndefined();
  });

  it("forgets workers that have been silent for a week, and keeps the others", async () => {
    await store.registerWorker({ id: "gone", hostname: "h", pid: 1, concurrency: 1 });
    await store.registerWorker({ id: "alive", hostname: "h", pid: 2, concurrency: 1 });
    await t.db.query("UPDATE workers SET heartbeat_at = now() - interval '8 days' WHERE id = 'gone'");
    await store.maintain();
    expect((await store.listWorkers()).map((w) => w.id)).toEqual(["alive"]);
  });
});
