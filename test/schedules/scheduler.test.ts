/**
 * Schedules and watches against a real database, with an injected clock (no waits): two schedulers over
 * one database (two pools on PostgreSQL: two processes' worth) fire each occurrence once and deliver each
 * watch alert once; a scheduler started after a long outage skips the missed occurrences and says so once.
 */
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../src/config/load-config.js";
import { buildCatalog } from "../../src/parser/intent.js";
import { startScheduler, type Scheduler, type ScheduleNotifier } from "../../src/schedules/scheduler.js";
import type { WatchAlert } from "../../src/schedules/watch-state.js";
import { createOpsService, type OpsService } from "../../src/service/ops-service.js";
import { openPglite, openPostgres, type Db } from "../../src/store/db.js";
import { migrate } from "../../src/store/migrate.js";
import type { Schedule, SkipNotice } from "../../src/store/schedule-records.js";
import { createStore, type Store } from "../../src/store/store.js";
import type { Run } from "../../src/store/types.js";
import { exampleRunbooks } from "../support/fixtures.js";
import { createScratchDatabase, STORE_BACKENDS } from "../support/test-stores.js";

const log = pino({ level: "silent" });
const APPROVER = "U0APPROVER";
const DAVE = "U0DAVE001";

/** What one process's front end was told. */
class RecordingNotifier implements ScheduleNotifier {
  started: Run[] = [];
  skips: SkipNotice[] = [];
  alerts: Array<WatchAlert & { runId: string | null }> = [];
  async occurrenceStarted(_schedule: Schedule, run: Run) {
    this.started.push(run);
  }
  async skipped(notice: SkipNotice) {
    this.skips.push(notice);
  }
  async alert(_schedule: Schedule, alert: WatchAlert & { runId: string | null }) {
    this.alerts.push(alert);
  }
}

function testConfig(watches: Config["watches"] = {}): Config {
  const config = loadConfig({});
  return {
    ...config,
    watches,
    approvals: { ...config.approvals, rules: [...config.approvals.rules, { env: "prod", approvers: { users: [APPROVER], groups: [] } }] },
  };
}

describe.each(STORE_BACKENDS)("schedules across two processes (%s)", (backend) => {
  let now = new Date("2026-03-02T08:58:00Z"); // a Monday
  const clock = () => now;
  let dbs: Db[] = [];
  let drop: (() => Promise<void>) | undefined;
  let stores: Store[];
  let service: OpsService;
  let schedulers: Scheduler[] = [];
  let notifiers: RecordingNotifier[] = [];
  let config: Config;

  beforeAll(async () => {
    if (backend === "postgres") {
      const scratch = await createScratchDatabase();
      drop = scratch.drop;
      dbs = [openPostgres(scratch.url), openPostgres(scratch.url)];
    } else {
      const db = await openPglite(undefined);
      dbs = [db, db]; // PGlite is one in-process session: both "processes" share it.
    }
    await migrate(dbs[0]!);
    stores = dbs.map((db) => createStore(db));
    config = testConfig();
    service = createOpsService({
      store: stores[0]!,
      config,
      runbooks: exampleRunbooks,
      parseContext: { runbooks: exampleRunbooks, catalog: buildCatalog(config), timeZone: "UTC" },
      clock,
      log,
    });
  });

  afterEach(async () => {
    for (const s of schedulers) await s.stop();
    schedulers = [];
    notifiers = [];
    await dbs[0]!.query("TRUNCATE schedules, runs CASCADE");
  });

  afterAll(async () => {
    for (const db of new Set(dbs)) await db.close();
    await drop?.();
  });

  const startTwo = async (cfg: Config = config) => {
    for (let i = 0; i < 2; i++) {
      const notifier = new RecordingNotifier();
      notifiers.push(notifier);
      schedulers.push(
        await startScheduler(
          {
            store: stores[i]!,
            config: cfg,
            planRequest: (text) => service.planScheduledRequest(text),
            notifier,
            log,
            clock,
            owner: `process-${i}`,
          },
          { timers: false },
        ),
      );
    }
  };
  const tickBoth = async () => {
    const results = await Promise.all(schedulers.map((s) => s.tick()));
    return results.reduce((sum, r) => ({
      fired: sum.fired + r.fired,
      skipped: sum.skipped + r.skipped,
      readings: sum.readings + r.readings,
      alerts: sum.alerts + r.alerts,
    }));
  };
  const runsOf = (scheduleId: string) =>
    stores[0]!
      .listRuns({ limit: 500 })
      .then((runs) => runs.filter((r) => (r.origin.schedule as { id?: string } | undefined)?.id === scheduleId));
  /** A worker's part, without a worker: the queued runs end as `outcome` says. */
  const finishQueued = async (outcome: "succeeded" | "failed") => {
    const claimed = await stores[0]!.claimRuns("test-worker", 60_000, 50);
    for (const run of claimed) {
      await stores[0]!.finishRun(
        run.id,
        "test-worker",
        outcome === "succeeded"
          ? { status: "succeeded", summary: "api answered 200" }
          : { status: "failed", summary: "api is down", failedStep: "check", error: "https://api.example.com/healthz answered 503" },
      );
    }
    return claimed.length;
  };

  it("fires each occurrence of an every-15-minutes schedule exactly once with two schedulers ticking at once", async () => {
    now = new Date("2026-03-02T08:58:00Z");
    const created = await service.scheduleText("check prod status every 15 minutes", { user: DAVE, source: "test" });
    expect(created).toMatchObject({ kind: "created", schedule: { status: "active", cadence: "every 15 minutes", runbook: "healthcheck" } });
    await startTwo();
    const schedule = (created as { schedule: Schedule }).schedule;
    expect(schedule.nextAt?.toISOString()).toBe("2026-03-02T09:00:00.000Z");

    let fired = 0;
    for (let i = 0; i < 8; i++) {
      now = new Date(Date.parse("2026-03-02T09:00:03Z") + i * 15 * 60_000);
      fired += (await tickBoth()).fired;
      fired += (await tickBoth()).fired; // a second look at the same moment finds nothing due
    }
    const runs = await runsOf(schedule.id);
    expect(fired).toBe(8);
    expect(runs).toHaveLength(8);
    const occurrences = runs.map((r) => (r.origin.schedule as { occurrenceAt: string }).occurrenceAt).sort();
    expect(new Set(occurrences).size).toBe(8);
    expect(occurrences[0]).toBe("2026-03-02T09:00:00.000Z");
    expect(runs.every((r) => r.status === "queued" && r.source === "schedule" && r.runbook === "healthcheck")).toBe(true);
    expect(notifiers.flatMap((n) => n.started)).toHaveLength(8);
  });

  it("after a restart skips the occurrences missed while down, says so once, and runs the next one on time", async () => {
    now = new Date("2026-03-02T08:58:00Z");
    const created = await service.scheduleText("every weekday at 9am post the ops board in #ops", { user: DAVE, source: "test" });
    expect(created).toMatchObject({
      kind: "created",
      schedule: { cadence: "every weekday at 9:00", channel: "ops", runbook: "ops-board" },
    });
    const id = (created as { schedule: Schedule }).schedule.id;

    // Everything was down from Monday 8:58 until Thursday 10:30: Monday to Thursday 9:00 are missed.
    now = new Date("2026-03-05T10:30:00Z");
    await startTwo();
    const first = await tickBoth();
    expect(first).toMatchObject({ fired: 0, skipped: 4 });
    await tickBoth();
    const skips = notifiers.flatMap((n) => n.skips);
    expect(skips).toHaveLength(1);
    expect(skips[0]).toMatchObject({ skipped: 4 });
    expect(skips[0]!.skippedFrom.toISOString()).toBe("2026-03-02T09:00:00.000Z");
    expect(await runsOf(id)).toHaveLength(0);
    expect((await stores[0]!.schedules.get(id))?.nextAt?.toISOString()).toBe("2026-03-06T09:00:00.000Z");

    // Friday 9:00:20: on time, so it runs.
    now = new Date("2026-03-06T09:00:20Z");
    expect(await tickBoth()).toMatchObject({ fired: 1, skipped: 0 });
    const runs = await runsOf(id);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.origin.channel).toBe("ops");
  });

  it("runs the latest missed occurrence when it is still within the grace period, skipping the older ones", async () => {
    now = new Date("2026-03-02T08:58:00Z");
    const created = await service.scheduleText("check prod status every 15 minutes", { user: DAVE, source: "test" });
    const id = (created as { schedule: Schedule }).schedule.id;
    now = new Date("2026-03-02T10:00:40Z"); // 9:00 … 9:45 missed; 10:00 is 40 s late
    await startTwo();
    expect(await tickBoth()).toMatchObject({ fired: 1, skipped: 4 });
    const runs = await runsOf(id);
    expect((runs[0]!.origin.schedule as { occurrenceAt: string }).occurrenceAt).toBe("2026-03-02T10:00:00.000Z");
  });

  it("alerts once per confirmed change, collapses flapping, and recovers, with two schedulers", async () => {
    now = new Date("2026-03-02T08:58:00Z");
    const created = await service.scheduleText("watch prod status every 5 minutes", { user: DAVE, source: "test", channel: "C0OPS0001" });
    expect(created).toMatchObject({
      kind: "created",
      schedule: { kind: "watch", confirmCount: 2, quietMinutes: 30, channel: "C0OPS0001" },
    });
    await startTwo();
    let minute = 0;
    const reading = async (outcome: "succeeded" | "failed") => {
      now = new Date(Date.parse("2026-03-02T09:00:05Z") + minute * 60_000);
      minute += 5;
      expect((await tickBoth()).fired).toBe(1);
      expect(await finishQueued(outcome)).toBe(1);
      await tickBoth(); // takes the reading in and delivers what it decided
      return notifiers.flatMap((n) => n.alerts);
    };
    expect(await reading("succeeded")).toHaveLength(0);
    expect(await reading("failed")).toHaveLength(0); // one failure is not yet a change
    const down = await reading("failed");
    expect(down).toHaveLength(1);
    expect(down[0]).toMatchObject({
      from: "Healthy",
      to: "Blocked",
      owner: "@oncall-platform",
      reasons: ["https://api.example.com/healthz answered 503"],
    });
    // Flapping inside the 30-minute quiet interval posts nothing more.
    // (9:20 confirms Healthy, 9:30 Blocked again: neither is posted, the last alert was at 9:10.)
    for (const outcome of ["succeeded", "succeeded", "failed", "failed"] as const) await reading(outcome);
    expect(notifiers.flatMap((n) => n.alerts)).toHaveLength(1);
    // Healthy from 9:35 on: confirmed at 9:40, 30 minutes after the last alert, so one recovery alert.
    for (let i = 0; i < 4; i++) await reading("succeeded");
    // Either scheduler may deliver either alert, so they are compared as a set.
    const all = notifiers.flatMap((n) => n.alerts);
    expect(all).toHaveLength(2);
    expect(all.map((a) => `${a.from} → ${a.to}`).sort()).toEqual(["Blocked → Healthy", "Healthy → Blocked"]);
    const delivered = await dbs[0]!.query<{ n: number }>("SELECT count(*)::int AS n FROM watch_alerts WHERE delivered_at IS NOT NULL");
    expect(delivered.rows[0]!.n).toBe(2);
  });

  it("holds a mutating schedule in a protected env until someone other than its creator approves it", async () => {
    now = new Date("2026-03-02T08:58:00Z");
    const created = await service.scheduleText("every day at 6am restart api in prod", { user: DAVE, source: "test" });
    expect(created).toMatchObject({ kind: "created", schedule: { status: "pending_approval", requiredApprovals: 1, nextAt: null } });
    const schedule = (created as { schedule: Schedule }).schedule;
    await startTwo();
    now = new Date("2026-03-03T06:00:10Z");
    expect((await tickBoth()).fired).toBe(0);
    await expect(service.approveSchedule(schedule.id.slice(0, 8), DAVE)).rejects.toMatchObject({ code: "POLICY_NOT_APPROVER" });
    await expect(service.approveSchedule(schedule.id.slice(0, 8), "U0CAROL01")).rejects.toMatchObject({ code: "POLICY_NOT_APPROVER" });
    const approved = await service.scheduleText(`approve schedule ${schedule.id.slice(0, 8)}`, { user: APPROVER, source: "test" });
    expect(approved).toMatchObject({ kind: "approved", outcome: "active", schedule: { approvedBy: [APPROVER] } });
    now = new Date("2026-03-04T06:00:10Z");
    expect((await tickBoth()).fired).toBe(1);
    const runs = await runsOf(schedule.id);
    expect(runs).toMatchObject([{ runbook: "restart", status: "queued", mutating: true, env: "prod" }]);
    expect(runs[0]!.origin.schedule).toMatchObject({ approvedBy: [APPROVER] });
  });

  it("lists schedules and stops one by the words people use for it", async () => {
    now = new Date("2026-03-02T08:58:00Z");
    const user = { user: DAVE, source: "test" };
    await service.scheduleText("every weekday at 9am post the ops board in #ops", user);
    await service.scheduleText("check prod status every 15 minutes", user);
    const listed = await service.scheduleText("list schedules", user);
    expect(listed).toMatchObject({ kind: "list", schedules: [{ cadence: "every weekday at 9:00" }, { cadence: "every 15 minutes" }] });
    expect(await service.scheduleText("stop the 9am board", user)).toMatchObject({
      kind: "stopped",
      schedule: { request: "show the ops board" },
    });
    expect(await service.scheduleText("list schedules", user)).toMatchObject({
      kind: "list",
      schedules: [{ cadence: "every 15 minutes" }],
    });
    // Not a schedule: left for the normal parser.
    expect(await service.scheduleText("stop api", user)).toBeUndefined();
    expect(await service.scheduleText("cancel the healthcheck", user)).toBeUndefined(); // names no schedule or cadence
    // A staged rollout's interval is its own param: one rollout, not a rollout started every minute.
    expect(await service.scheduleText("ramp homeDemoVariant 50/100 every 1 minute in prod", user)).toBeUndefined();
    expect(await service.scheduleText("roll out featureMatrix 10/50/100 every 30 minutes in prod", user)).toBeUndefined();
    expect(await service.scheduleText("stop the 9am board", user)).toMatchObject({
      kind: "question",
      text: 'No active schedule matches "9am board". Type `list schedules` to see them.',
    });
  });

  it("refuses to start a config watch whose request changes things, naming the field", async () => {
    const cfg = testConfig({
      restarts: { request: "restart api in prod", every: "5 minutes", channel: "ops", follow: [], confirm: 1, quietMinutes: 30 },
    });
    await expect(startTwo(cfg)).rejects.toThrow(/watches\.restarts\.request: "restart api in prod" changes things; a watch only reads/);
  });

  it("watches opsroom's own tables from the config: a plan stuck in approval past its expiry, workers' heartbeats", async () => {
    now = new Date("2026-03-02T08:58:00Z");
    const cfg = testConfig({
      "approvals-stuck": {
        reads: "stuck-approvals",
        every: "5 minutes",
        channel: "ops",
        owner: "@oncall-platform",
        follow: [],
        confirm: 1,
        quietMinutes: 30,
      },
      "worker-heartbeat": {
        reads: "worker-heartbeats",
        every: "5 minutes",
        channel: "ops",
        owner: "@oncall-platform",
        follow: [],
        confirm: 1,
        quietMinutes: 30,
      },
    });
    await startTwo(cfg);
    // A plan that expired at 8:40 and is still pending: nothing expired it (no worker reaping).
    const planned = await service.submitPlan("restart", { service: "api", env: "prod" }, { user: DAVE, source: "test" });
    await dbs[0]!.query("UPDATE runs SET expires_at = $2 WHERE id = $1", [planned.run.id, new Date("2026-03-02T08:40:00Z")]);
    now = new Date("2026-03-02T09:00:05Z");
    await tickBoth();
    await tickBoth();
    const alerts = notifiers.flatMap((n) => n.alerts);
    expect(alerts.map((a) => a.name).sort()).toEqual(["Runs waiting for approval", "Worker heartbeats"]);
    expect(alerts.find((a) => a.name === "Worker heartbeats")).toMatchObject({
      to: "Blocked",
      owner: "@oncall-platform",
      reasons: ["no worker is running"],
    });
    expect(alerts.find((a) => a.name === "Runs waiting for approval")).toMatchObject({ to: "Warning" });
    expect(alerts.find((a) => a.name === "Runs waiting for approval")!.reasons[0]).toMatch(
      /^Restart api in prod \(\w{8}\) expired 20 min ago$/,
    );
  });
});
