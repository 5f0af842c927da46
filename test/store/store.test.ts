import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openPostgres } from "../../src/store/db.js";
import { migrate, readMigrations } from "../../src/store/migrate.js";
import type { Store } from "../../src/store/store.js";
import type { NewRun } from "../../src/store/types.js";
import { planFor } from "../support/fixtures.js";
import { openTestStore, STORE_BACKENDS, type TestStore } from "../support/test-stores.js";
import { itWhere } from "../support/it-where.js";

const deployPlan = (service = "api", env = "staging") => planFor("deploy", { service, env });
const healthPlan = () => planFor("healthcheck", { env: "dev" });

function pendingDeploy(overrides: Partial<NewRun> = {}): NewRun {
  return {
    plan: deployPlan(),
    status: "pending_approval",
    requestedBy: "U_ALICE",
    source: "test",
    expiresAt: new Date(Date.now() + 60_000),
    ...overrides,
  };
}

describe.each(STORE_BACKENDS)("store on %s", (backend) => {
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

  it("records applied migrations and applies nothing the second time", async () => {
    expect(await migrate(t.db)).toEqual([]);
    const { rows } = await t.db.query<{ name: string }>("SELECT name FROM schema_migrations ORDER BY version");
    expect(rows.map((r) => r.name)).toEqual(readMigrations().map((m) => m.name));
  });

  it("returns the existing run for a repeated idempotency key", async () => {
    const first = await store.createRun(pendingDeploy({ idempotencyKey: "slack:Ev123" }));
    const second = await store.createRun(pendingDeploy({ idempotencyKey: "slack:Ev123" }));
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.run.id).toBe(first.run.id);
    expect(await store.listRuns()).toHaveLength(1);
  });

  it("queues a run once the required approval is recorded", async () => {
    const { run } = await store.createRun(pendingDeploy());
    const result = await store.recordDecision({ runId: run.id, approver: "U_BOB", decision: "approve", planHash: run.planHash });
    expect(result.outcome).toBe("queued");
    expect((await store.getRun(run.id))?.status).toBe("queued");
    expect(await store.listApprovals(run.id)).toMatchObject([{ approver: "U_BOB", decision: "approve", planHash: run.planHash }]);
  });

  it("answers a repeated click of the same approver as a duplicate, also once the run is queued", async () => {
    const { run } = await store.createRun(pendingDeploy());
    expect((await store.recordDecision({ runId: run.id, approver: "U_BOB", decision: "approve", planHash: run.planHash })).outcome).toBe(
      "queued",
    );
    expect((await store.recordDecision({ runId: run.id, approver: "U_BOB", decision: "approve", planHash: run.planHash })).outcome).toBe(
      "duplicate",
    );
  });

  it("makes one queued run out of fifty concurrent approvals", async () => {
    const { run } = await store.createRun(pendingDeploy());
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        store.recordDecision({ runId: run.id, approver: `U_${i % 5}`, decision: "approve", planHash: run.planHash }),
      ),
    );
    const queued = results.filter((r) => r.status === "fulfilled" && r.value.outcome === "queued");
    expect(queued).toHaveLength(1);
    expect((await store.getRun(run.id))?.status).toBe("queued");
    expect((await store.listEvents(run.id)).filter((e) => e.kind === "run_approved")).toHaveLength(1);
  });

  it("refuses self-approval when the plan forbids it", async () => {
    const plan = planFor("deploy", { service: "api", env: "prod" });
    expect(plan.approval.selfApproval).toBe(false);
    const { run } = await store.createRun(pendingDeploy({ plan }));
    await expect(
      store.recordDecision({ runId: run.id, approver: "U_ALICE", decision: "approve", planHash: run.planHash }),
    ).rejects.toMatchObject({ code: "POLICY_SELF_APPROVAL" });
    expect((await store.getRun(run.id))?.status).toBe("pending_approval");
  });

  it("refuses an approval for a different plan hash", async () => {
    const { run } = await store.createRun(pendingDeploy());
    await expect(
      store.recordDecision({ runId: run.id, approver: "U_BOB", decision: "approve", planHash: "not-this-plan" }),
    ).rejects.toMatchObject({ code: "POLICY_PLAN_CHANGED" });
  });

  it("refuses an approval after expiry and marks the plan expired", async () => {
    const { run } = await store.createRun(pendingDeploy({ expiresAt: new Date(Date.now() - 1000) }));
    await expect(
      store.recordDecision({ runId: run.id, approver: "U_BOB", decision: "approve", planHash: run.planHash }),
    ).rejects.toMatchObject({ code: "POLICY_PLAN_EXPIRED" });
    expect((await store.getRun(run.id))?.status).toBe("expired");
  });

  it("refuses illegal transitions in the database itself", async () => {
    const { run } = await store.createRun(pendingDeploy());
    await store.requestCancel(run.id, "U_ALICE");
    await expect(t.db.query("UPDATE runs SET status = 'queued' WHERE id = $1", [run.id])).rejects.toThrow(/already cancelled/);
    const expired = (await store.createRun(pendingDeploy({ expiresAt: new Date(Date.now() - 1000) }))).run;
    await expect(t.db.query("UPDATE runs SET status = 'queued' WHERE id = $1", [expired.id])).rejects.toThrow(/expired/);
  });

  it("supersedes a plan waiting for approval with its edit in one transition: the old plan cancelled, the new one carrying every requester", async () => {
    const { run } = await store.createRun(pendingDeploy());
    const edit = pendingDeploy({ plan: planFor("deploy", { service: "api", env: "staging", ref: "v2" }), requestedBy: "U_BOB" });
    const { previous, run: next } = await store.supersedeRun(run.id, { ...edit, idempotencyKey: `edit:${run.id}` });
    expect(previous).toMatchObject({ status: "cancelled", supersededBy: next.id, cancelRequestedBy: "U_BOB", startedAt: null });
    expect(next).toMatchObject({ status: "pending_approval", requestedBy: "U_BOB", requesters: ["U_ALICE", "U_BOB"] });
    expect((await store.listEvents(run.id)).map((e) => e.kind)).toEqual(["run_created", "plan_replaced", "run_cancelled"]);
    await expect(store.supersedeRun(run.id, edit)).rejects.toMatchObject({ code: "POLICY_NOT_EDITABLE" });
  });

  it("refuses to supersede a plan that was approved, and creates nothing", async () => {
    const { run } = await store.createRun(pendingDeploy());
    await store.recordDecision({ runId: run.id, approver: "U_BOB", decision: "approve", planHash: run.planHash });
    const edit = pendingDeploy({ plan: planFor("deploy", { service: "api", env: "staging", ref: "v2" }), requestedBy: "U_BOB" });
    await expect(store.supersedeRun(run.id, edit)).rejects.toMatchObject({
      code: "POLICY_NOT_EDITABLE",
      userMessage: "This plan is queued; only a plan waiting for approval can be edited.",
    });
    expect(await store.listRuns()).toMatchObject([{ id: run.id, status: "queued", supersededBy: null }]);
  });

  it("never lets a started run be marked replaced by an edit, nor who requested a run change, in the database itself", async () => {
    const { run } = await store.createRun({ plan: deployPlan(), status: "queued", requestedBy: "U_A", source: "test" });
    const other = (await store.createRun(pendingDeploy())).run;
    await store.claimNextRun("w1", 30_000);
    await expect(
      t.db.query("UPDATE runs SET status = 'cancelled', superseded_by = $2, finished_at = now() WHERE id = $1", [run.id, other.id]),
    ).rejects.toThrow(/only a plan waiting for approval can be replaced/);
    await expect(t.db.query("UPDATE runs SET requesters = ARRAY['U_A', 'U_X'] WHERE id = $1", [other.id])).rejects.toThrow(
      /who requested it cannot change/,
    );
    expect(await store.getRun(run.id)).toMatchObject({ status: "running", supersededBy: null });
  });

  it("claims a queued run once and finishes it once", async () => {
    const { run } = await store.createRun({ plan: healthPlan(), status: "queued", requestedBy: "U_ALICE", source: "test" });
    const claimed = await store.claimNextRun("w1", 30_000);
    expect(claimed?.id).toBe(run.id);
    expect(claimed?.status).toBe("running");
    expect(await store.claimNextRun("w2", 30_000)).toBeUndefined();
    expect(await store.finishRun(run.id, "w1", { status: "succeeded", summary: "ok" })).toBe(true);
    expect(await store.finishRun(run.id, "w1", { status: "succeeded", summary: "again" })).toBe(false);
    await expect(t.db.query("UPDATE runs SET status = 'failed' WHERE id = $1", [run.id])).rejects.toThrow(/already succeeded/);
  });

  it("runs one mutating run per lock key at a time, oldest first, and reports queue positions", async () => {
    const queuedDeploy = (service: string) =>
      store.createRun({ plan: deployPlan(service), status: "queued", requestedBy: "U_A", source: "test" });
    const first = (await queuedDeploy("api")).run;
    const second = (await queuedDeploy("api")).run;
    const other = (await queuedDeploy("web")).run;
    const a = await store.claimNextRun("w1", 30_000);
    const b = await store.claimNextRun("w2", 30_000);
    expect([a?.id, b?.id].sort()).toEqual([first.id, other.id].sort());
    expect(await store.claimNextRun("w3", 30_000)).toBeUndefined();
    expect(await store.lockQueuePosition(second.id)).toBe(1);
    await store.finishRun(first.id, a?.id === first.id ? "w1" : "w2", { status: "succeeded", summary: "ok" });
    expect((await store.claimNextRun("w3", 30_000))?.id).toBe(second.id);
  });

  it("does not start a scheduled run before its time, and a cancelled one never", async () => {
    const later = planFor("deploy", { service: "api", env: "staging", at: new Date(Date.now() + 3_600_000).toISOString() });
    const { run } = await store.createRun({ plan: later, status: "queued", requestedBy: "U_A", source: "test" });
    expect(await store.claimNextRun("w1", 30_000)).toBeUndefined();
    await store.requestCancel(run.id, "U_A");
    await t.db.query("UPDATE runs SET run_at = now() - interval '1 second' WHERE id = $1", [run.id]);
    expect(await store.claimNextRun("w1", 30_000)).toBeUndefined();
    expect((await store.getRun(run.id))?.status).toBe("cancelled");
  });

  it("requeues a lost run that changed nothing and fails one that had started changing things", async () => {
    const safe = (await store.createRun({ plan: healthPlan(), status: "queued", requestedBy: "U_A", source: "test" })).run;
    const risky = (await store.createRun({ plan: deployPlan(), status: "queued", requestedBy: "U_A", source: "test" })).run;
    await store.claimNextRun("dead", 1);
    await store.claimNextRun("dead", 1);
    await store.markMutationStarted(risky.id);
    await new Promise((r) => setTimeout(r, 20));
    const reaped = await store.reapExpiredLeases();
    expect(reaped).toEqual({ failed: [risky.id], requeued: [safe.id] });
    expect(await store.getRun(risky.id)).toMatchObject({ status: "failed", error: expect.stringContaining("worker lost") });
    expect((await store.getRun(safe.id))?.status).toBe("queued");
  });

  it("fails a run whose worker was lost mid-change as outcome unknown, naming the step that may be half done", async () => {
    const running = (await store.createRun({ plan: deployPlan(), status: "queued", requestedBy: "U_A", source: "test" })).run;
    const finished = (await store.createRun({ plan: deployPlan("web"), status: "queued", requestedBy: "U_A", source: "test" })).run;
    await store.claimRuns("dead", 1, 2);
    await store.markMutationStarted(running.id, "dispatch");
    await store.appendEvent(running.id, {
      kind: "step_started",
      phase: "action",
      stepId: "dispatch",
      data: { uses: "github.dispatchWorkflow" },
    });
    await store.markMutationStarted(finished.id, "dispatch");
    await store.appendEvent(finished.id, {
      kind: "step_started",
      phase: "action",
      stepId: "dispatch",
      data: { uses: "github.dispatchWorkflow" },
    });
    await store.appendEvent(finished.id, { kind: "step_succeeded", phase: "action", stepId: "dispatch" });
    await new Promise((r) => setTimeout(r, 20));
    await store.reapExpiredLeases();

    expect(await store.getRun(running.id)).toMatchObject({
      status: "failed",
      outcomeUnknown: true,
      failedStep: "dispatch",
      error:
        "worker lost: dead stopped heartbeating while step `dispatch` (github.dispatchWorkflow) was changing things; it may be half done. Outcome unknown — check what dispatch changed before running it again",
    });
    expect((await store.getRun(finished.id))?.error).toBe(
      "worker lost: dead stopped heartbeating after step `dispatch` (github.dispatchWorkflow) succeeded; the steps after it did not run. Outcome unknown — check what dispatch changed before running it again",
    );
    expect((await store.listEvents(running.id)).at(-1)).toMatchObject({ kind: "run_failed", stepId: "dispatch" });
  });

  it("records a cancel request on a running run for the executor to see", async () => {
    const { run } = await store.createRun({ plan: healthPlan(), status: "queued", requestedBy: "U_A", source: "test" });
    await store.claimNextRun("w1", 30_000);
    expect(await store.isCancelRequested(run.id)).toBe(false);
    await store.requestCancel(run.id, "U_B");
    expect(await store.isCancelRequested(run.id)).toBe(true);
  });

  it("keeps events and artifacts in order", async () => {
    const { run } = await store.createRun({ plan: healthPlan(), status: "queued", requestedBy: "U_A", source: "test" });
    await store.appendEvent(run.id, { kind: "phase_started", phase: "validate" });
    const long = "x".repeat(200_000);
    await store.addArtifact(run.id, { stepId: "check", kind: "text", title: "log", content: long, url: null, filename: null });
    const events = await store.listEvents(run.id);
    expect(events.map((e) => e.kind)).toEqual(["run_created", "phase_started"]);
    expect(await store.listEvents(run.id, events[0]!.id)).toHaveLength(1);
    expect((await store.listArtifacts(run.id))[0]?.content).toHaveLength(200_000);
  });

  it("wakes listeners when a run is queued", async () => {
    let woken = 0;
    const stop = await store.onRunQueued(() => woken++);
    await store.createRun({ plan: healthPlan(), status: "queued", requestedBy: "U_A", source: "test" });
    for (let i = 0; i < 100 && woken === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await stop();
    expect(woken).toBeGreaterThan(0);
  });

  itWhere(backend === "postgres")("applies migrations once when two processes start at once", async () => {
    const { createScratchDatabase } = await import("../support/test-stores.js");
    const scratch = await createScratchDatabase();
    const a = openPostgres(scratch.url);
    const b = openPostgres(scratch.url);
    try {
      const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
      expect([...ra, ...rb]).toEqual(readMigrations().map((m) => m.name));
    } finally {
      await a.close();
      await b.close();
      await scratch.drop();
    }
  });
});
