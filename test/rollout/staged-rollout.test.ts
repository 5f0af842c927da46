import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openTestStore, type TestStore } from "../support/test-stores.js";
import { createRig, fakeFlagTable, flagRecord, startRollout, USERS } from "./rollout-rig.js";

const MIN = 60_000;
const API_HEALTH = "https://api.example.com";

describe("staged flag rollouts", () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore("pglite");
  });
  afterAll(async () => {
    await t.dispose();
  });
  beforeEach(async () => {
    nock.disableNetConnect();
    // Each test starts from an empty schedule (the runs stay; they are only history).
    await t.db.query("DELETE FROM rollouts");
  });
  afterEach(() => {
    const pending = nock.pendingMocks().filter((m) => !m.includes("supabase.co"));
    nock.cleanAll();
    nock.enableNetConnect();
    expect(pending, "every health interceptor is used").toEqual([]);
  });

  it("runs each stage as a recorded run after its gates, and reverts to the original value when a gate fails at stage 3", async () => {
    const table = fakeFlagTable([flagRecord("FSYNC_USE_RPC", true, 5, ["ops"])]);
    const rig = createRig(t.store);

    const started = await startRollout(rig, {
      flag: "FSYNC_USE_RPC",
      env: "prod",
      stages: ["10", "25", "50", "100"],
      every: "PT30M",
      cohorts: ["ops", "admin"],
    });
    expect(started.status).toBe("succeeded");
    expect(started.summary).toContain("10% → 25% → 50% → 100% (ops, admin), every 30 min");
    const [rollout] = await t.store.rollouts.ofFlag("FSYNC_USE_RPC", "prod");
    expect(rollout).toMatchObject({ status: "active", stage: 0, original: { enabled: true, rolloutPercentage: 5, cohorts: ["ops"] } });

    // Stage 1 is due at once; stage 2 only 30 minutes after stage 1 is done.
    for (const [stage, percent] of [
      [1, 10],
      [2, 25],
    ] as const) {
      nock(API_HEALTH).get("/healthz").reply(200, "ok");
      await rig.driver.tick();
      const [stageRun] = await rig.drain();
      expect(stageRun?.error ?? null).toBeNull();
      expect(stageRun).toMatchObject({ runbook: "rollout-stage", status: "succeeded", params: { stage, percent } });
      expect(stageRun!.origin).toMatchObject({ channel: "C0OPS0001", threadTs: "1767780000.000100" });
      expect(table.row("FSYNC_USE_RPC")).toMatchObject({
        is_enabled: true,
        rollout_percentage: percent,
        metadata: { cohorts: ["ops", "admin"] },
      });
      await rig.driver.tick();
      expect((await rig.service.rolloutStatus("FSYNC_USE_RPC")).rollout).toMatchObject({ stage, status: "active" });
      // Nothing more before the interval has passed.
      rig.advance(29 * MIN);
      await rig.driver.tick();
      expect(await rig.drain()).toEqual([]);
      rig.advance(1 * MIN);
    }

    // Stage 3: the health gate of the flag's service (api) fails before anything changes.
    nock(API_HEALTH).get("/healthz").reply(503, "upstream connect error");
    await rig.driver.tick();
    const [failed] = await rig.drain();
    expect(failed).toMatchObject({
      runbook: "rollout-stage",
      status: "failed",
      failedStep: "gate-health",
      params: { stage: 3, percent: 50 },
    });
    const events = await t.store.listEvents(failed!.id);
    const succeeded = events.filter((e) => e.kind === "step_succeeded").map((e) => e.stepId);
    expect(succeeded).not.toContain("update");
    expect(succeeded).toEqual(expect.arrayContaining(["restore", "restored", "restored-check"]));
    // Back to the pre-rollout value, written with the compare-and-set and read back.
    expect(table.row("FSYNC_USE_RPC")).toMatchObject({ is_enabled: true, rollout_percentage: 5, metadata: { cohorts: ["ops"] } });
    expect(table.patches.at(-1)!.body).toMatchObject({ is_enabled: true, rollout_percentage: 5, metadata: { cohorts: ["ops"] } });
    // Why, with the evidence, and the flag's owner paged (the stage plan's escalation contact).
    expect(failed!.summary).toContain("503");
    expect(failed!.summary).toContain("@fsync-team");

    await rig.driver.tick();
    const status = await rig.service.rolloutStatus("FSYNC_USE_RPC");
    expect(status.rollout).toMatchObject({ status: "reverted", stage: 2 });
    expect(status.rollout.reason).toContain("503");
    expect(status.rollout.gates.find((g) => g.gate === "health")).toMatchObject({ ok: false });
    // And nothing runs after a revert.
    rig.advance(60 * MIN);
    await rig.driver.tick();
    expect(await rig.drain()).toEqual([]);
  });

  it("fails the error gate on a new error signature since the rollout began (grouped as triage groups them) and reverts", async () => {
    const table = fakeFlagTable([flagRecord("signalAiInsights", true, 5, ["mentors"])]);
    const rig = createRig(t.store);
    const at = (minutes: number) => new Date(rig.now().getTime() + minutes * MIN).toISOString();
    // Before the rollout: a known, steady error.
    const lines = [
      { time: at(-40), level: "error", message: "Error: connect ECONNREFUSED 10.0.0.7:6379 (cache miss)" },
      { time: at(-20), level: "error", message: "Error: connect ECONNREFUSED 10.0.0.9:6379 (cache miss)" },
    ];
    nock("https://logs.example.com")
      .persist()
      .get("/search")
      .query(true)
      .reply(200, () => lines.map((l) => JSON.stringify(l)).join("\n"));
    nock("https://search.example.com").get("/healthz").times(2).reply(200, "ok");
    await startRollout(rig, { flag: "signalAiInsights", env: "prod", stages: ["25", "100"], every: "PT30M", cohorts: ["mentors"] });

    await rig.driver.tick();
    const [stage1] = await rig.drain();
    expect(stage1).toMatchObject({ status: "succeeded" });
    const gate = (await t.store.listEvents(stage1!.id)).find((e) => e.kind === "step_succeeded" && e.stepId === "gate-errors");
    expect(gate?.message).toContain("search 0 errors since the rollout began");
    await rig.driver.tick();

    // After stage 1: the same old error again (fine), and a new signature (not fine).
    rig.advance(30 * MIN);
    lines.push(
      { time: at(-5), level: "error", message: "Error: connect ECONNREFUSED 10.0.0.8:6379 (cache miss)" },
      { time: at(-3), level: "error", message: "TypeError: Cannot read properties of undefined (reading 'insight') user=8123" },
    );
    await rig.driver.tick();
    const [stage2] = await rig.drain();
    expect(stage2).toMatchObject({ status: "failed", failedStep: "gate-errors" });
    expect(stage2!.error).toContain(
      "new error signature since the rollout began: `TypeError: Cannot read properties of undefined (reading 'insight') user=<n>` ×1",
    );
    expect(stage2!.error).not.toContain("ECONNREFUSED");
    expect(stage2!.summary).toContain("@discovery");
    expect(table.row("signalAiInsights")).toMatchObject({ is_enabled: true, rollout_percentage: 5, metadata: { cohorts: ["mentors"] } });
    await rig.driver.tick();
    const status = await rig.service.rolloutStatus("signalAiInsights");
    expect(status.rollout.status).toBe("reverted");
    expect(status.rollout.gates.map((g) => [g.gate, g.ok])).toEqual(
      expect.arrayContaining([
        ["errors", false],
        ["health", true],
      ]),
    );
  });

  it("checks the flag's custom gate (an HTTP endpoint answering pass or fail) before each stage", async () => {
    const table = fakeFlagTable([flagRecord("FSYNC_KEEP_CLIENT_BROADCAST", true, 100, [])]);
    const rig = createRig(t.store);
    // A rollout only goes up: a flag already above its target is refused before anyone can approve it.
    await expect(
      rig.service.submitPlan(
        "rollout",
        { flag: "FSYNC_KEEP_CLIENT_BROADCAST", env: "prod", stages: ["50"] },
        { user: USERS.dave, source: "test" },
      ),
    ).resolves.toMatchObject({ preflight: { ok: false } });
    Object.assign(table.row("FSYNC_KEEP_CLIENT_BROADCAST"), { is_enabled: false, rollout_percentage: 0 });
    await startRollout(rig, { flag: "FSYNC_KEEP_CLIENT_BROADCAST", env: "prod", stages: ["50", "100"], every: "PT10M" });
    nock(API_HEALTH).get("/healthz").times(2).reply(200, "ok");
    nock("https://metrics.example.com")
      .get("/gates/realtime-lag")
      .reply(200, { pass: true, lagMs: 80 })
      .get("/gates/realtime-lag")
      .reply(200, { pass: false, lagMs: 4200 });
    await rig.driver.tick();
    expect((await rig.drain())[0]).toMatchObject({ status: "succeeded" });
    await rig.driver.tick();
    rig.advance(10 * MIN);
    await rig.driver.tick();
    const [stage2] = await rig.drain();
    expect(stage2).toMatchObject({ status: "failed", failedStep: "gate-custom-realtime-lag" });
    expect(table.row("FSYNC_KEEP_CLIENT_BROADCAST")).toMatchObject({ is_enabled: false, rollout_percentage: 0 });
    await rig.driver.tick();
    const { rollout } = await rig.service.rolloutStatus("FSYNC_KEEP_CLIENT_BROADCAST");
    expect(rollout.gates.find((g) => g.gate === "custom-realtime-lag")).toMatchObject({ ok: false });
  });

  it("continues at the right stage after a restart, re-checking the gates before the next step", async () => {
    const table = fakeFlagTable([flagRecord("FSYNC_USE_RPC", false, 0, [])]);
    const rig = createRig(t.store);
    await startRollout(rig, { flag: "FSYNC_USE_RPC", env: "prod", stages: ["20", "60", "100"], every: "PT1H" });
    nock(API_HEALTH).get("/healthz").reply(200, "ok");
    await rig.driver.tick();
    await rig.drain();
    expect(table.row("FSYNC_USE_RPC")).toMatchObject({ is_enabled: true, rollout_percentage: 20 });

    // The process dies before it settles stage 1; another one starts 70 minutes later.
    rig.advance(70 * MIN);
    const restarted = rig.restart();
    await restarted.driver.tick(); // settles stage 1: stage 2 is due an hour after that
    expect(await restarted.drain()).toEqual([]);
    restarted.advance(60 * MIN);
    const health = nock(API_HEALTH).get("/healthz").reply(200, "ok");
    await restarted.driver.tick();
    const [stage2] = await restarted.drain();
    expect(health.isDone()).toBe(true);
    expect(stage2).toMatchObject({ status: "succeeded", params: { stage: 2, percent: 60 } });
    const order = (await t.store.listEvents(stage2!.id)).filter((e) => e.kind === "step_started").map((e) => e.stepId);
    expect(order.indexOf("gate-health")).toBeLessThan(order.indexOf("update"));
    expect(order.indexOf("gate-dependencies")).toBeLessThan(order.indexOf("update"));
    expect(table.row("FSYNC_USE_RPC")).toMatchObject({ is_enabled: true, rollout_percentage: 60 });
  });

  it("refuses a second rollout of the same flag while one is live, at plan time and in the database", async () => {
    fakeFlagTable([flagRecord("FSYNC_USE_RPC", false, 0, [])]);
    const rig = createRig(t.store);
    const first = await startRollout(rig, { flag: "FSYNC_USE_RPC", env: "prod", stages: ["50", "100"] });

    const second = await rig.service.submitPlan(
      "rollout",
      { flag: "FSYNC_USE_RPC", env: "prod", stages: ["100"] },
      { user: USERS.dave, source: "test" },
    );
    expect(second.preflight?.ok).toBe(false);
    expect(JSON.stringify(second.preflight)).toContain("already active (stage 0 of 2");
    await expect(rig.service.approve(second.run.id, USERS.alice)).rejects.toThrow();

    // Two processes racing past the plan-time check: the unique lock key lets one through.
    const [live] = await t.store.rollouts.ofFlag("FSYNC_USE_RPC", "prod");
    await expect(
      t.store.rollouts.start({
        runId: first.id,
        flag: "FSYNC_USE_RPC",
        env: "prod",
        lockKey: live!.lockKey,
        stages: live!.stages,
        everySeconds: 60,
        original: live!.original,
        firstAt: new Date(),
      }),
    ).rejects.toMatchObject({ code: "POLICY_ROLLOUT_RUNNING" });
  });

  it("checks the flag's dependency at every stage, not only at plan time", async () => {
    const table = fakeFlagTable([
      flagRecord("featureMatrix", true, 100, ["ops", "admin"]),
      flagRecord("homeDemoVariant", false, 0, ["ops", "demo"]),
    ]);
    nock("https://www.example.com").get("/").reply(200, "ok").get("/").reply(200, "ok");
    const rig = createRig(t.store);
    await startRollout(rig, {
      flag: "homeDemoVariant",
      env: "prod",
      stages: ["10", "25", "50", "100"],
      every: "PT30M",
      cohorts: ["ops", "demo"],
    });
    await rig.driver.tick();
    await rig.drain();
    await rig.driver.tick();
    expect(table.row("homeDemoVariant")).toMatchObject({ is_enabled: true, rollout_percentage: 10 });

    // Someone turns featureMatrix off between stages.
    Object.assign(table.row("featureMatrix"), { is_enabled: false });
    rig.advance(30 * MIN);
    await rig.driver.tick();
    const [stage2] = await rig.drain();
    expect(stage2).toMatchObject({ status: "failed", failedStep: "gate-dependencies" });
    expect(stage2!.error).toContain("depends on featureMatrix (off)");
    expect(stage2!.summary).toContain("@web-team");
    expect(table.row("homeDemoVariant")).toMatchObject({
      is_enabled: false,
      rollout_percentage: 0,
      metadata: { cohorts: ["ops", "demo"] },
    });
    await rig.driver.tick();
    expect((await rig.service.rolloutStatus("homeDemoVariant", "prod")).rollout.status).toBe("reverted");
  });

  it("pauses, resumes (gates first) and aborts with a revert; skipping a wait needs one of its approvers", async () => {
    const table = fakeFlagTable([flagRecord("FSYNC_USE_RPC", true, 5, ["ops"])]);
    const rig = createRig(t.store);
    await startRollout(rig, { flag: "FSYNC_USE_RPC", env: "prod", stages: ["10", "50", "100"], every: "PT2H" });
    nock(API_HEALTH).get("/healthz").reply(200, "ok");
    await rig.driver.tick();
    await rig.drain();
    await rig.driver.tick();

    await expect(rig.service.controlRollout("FSYNC_USE_RPC", "pause", USERS.carol)).rejects.toMatchObject({ code: "POLICY_NOT_ALLOWED" });
    const paused = await rig.service.controlRollout("FSYNC_USE_RPC", "pause", USERS.dave);
    expect(paused.rollout).toMatchObject({ status: "paused", updatedBy: USERS.dave });
    rig.advance(3 * 60 * MIN);
    await rig.driver.tick();
    expect(await rig.drain()).toEqual([]);

    await expect(rig.service.controlRollout("FSYNC_USE_RPC", "skip", USERS.dave)).rejects.toMatchObject({ code: "POLICY_NOT_APPROVER" });
    const resumed = await rig.service.controlRollout("FSYNC_USE_RPC", "resume", USERS.dave);
    expect(resumed.rollout.status).toBe("active");
    expect(resumed.nextInMs).toBe(0);
    nock(API_HEALTH).get("/healthz").reply(200, "ok");
    await rig.driver.tick();
    const [stage2] = await rig.drain();
    expect(stage2).toMatchObject({ status: "succeeded", params: { stage: 2, percent: 50 } });
    await rig.driver.tick();

    // Alice (an approver, not the requester) brings stage 3 forward.
    const skipped = await rig.service.controlRollout("FSYNC_USE_RPC", "skip", USERS.alice);
    expect(skipped.nextInMs).toBe(0);
    const aborted = await rig.service.controlRollout("FSYNC_USE_RPC", "abort", USERS.dave);
    expect(aborted.rollout).toMatchObject({ status: "aborted" });
    const [revert] = await rig.drain();
    expect(revert).toMatchObject({ runbook: "flag", status: "succeeded", params: { action: "rollout", percent: 5, cohorts: ["ops"] } });
    expect(table.row("FSYNC_USE_RPC")).toMatchObject({ is_enabled: true, rollout_percentage: 5, metadata: { cohorts: ["ops"] } });
    await rig.driver.tick();
    expect(await rig.drain()).toEqual([]);
  });

  it('plans "roll back the rollout" as the exact reverse, pre-filled and waiting for approval', async () => {
    const table = fakeFlagTable([flagRecord("FSYNC_USE_RPC", false, 0, ["ops"])]);
    const rig = createRig(t.store);
    await startRollout(rig, { flag: "FSYNC_USE_RPC", env: "prod", stages: ["100"], every: "PT0S" });
    nock(API_HEALTH).get("/healthz").times(4).reply(200, "ok");
    for (let i = 0; i < 4; i++) {
      await rig.driver.tick();
      await rig.drain();
    }
    await rig.driver.tick();
    expect(table.row("FSYNC_USE_RPC")).toMatchObject({ is_enabled: true, rollout_percentage: 100 });
    expect((await rig.service.rolloutStatus("FSYNC_USE_RPC")).rollout.status).toBe("succeeded");

    const planned = await rig.service.planRolloutRollback("FSYNC_USE_RPC", { user: USERS.dave, source: "test" });
    expect(planned.run).toMatchObject({
      runbook: "flag",
      status: "pending_approval",
      params: { flag: "FSYNC_USE_RPC", env: "prod", action: "disable", percent: 0, cohorts: ["ops"] },
    });
  });
});
