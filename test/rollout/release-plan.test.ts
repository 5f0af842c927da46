/**
 * Seed 001's release plan as a staged run: staging dry run → staging parity run → production launch, each
 * stage the migration runner (test/fixtures/release/legacy-runner.mjs) against that environment's real
 * PostgreSQL database, then SQL gates over it. Approved once; the rollout driver queues each stage; one
 * clock moved by the test (no real waits).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createConsoleCommands } from "../../src/console/console-commands.js";
import { NEEDS_POSTGRES } from "../support/skip-unless.js";
import { openTestStore, type TestStore } from "../support/test-stores.js";
import { createRig, USERS, type Rig } from "./rollout-rig.js";

const BASE_URL = process.env.TEST_DATABASE_URL;
const CONFIG = path.resolve(import.meta.dirname, "../fixtures/release/opsroom.yml");
const MINUTE = 60_000;

describe("the release plan as a staged run", NEEDS_POSTGRES, () => {
  const names = { staging: `opsroom_rel_stg_${randomBytes(4).toString("hex")}`, prod: `opsroom_rel_prd_${randomBytes(4).toString("hex")}` };
  const urls: Record<string, string> = {};
  // What the fake deploy path (test/fixtures/release/fake-deploy.mjs) says runs where.
  const deployState = path.join(mkdtempSync(path.join(tmpdir(), "opsroom-release-")), "deployed.json");
  const deployed = () => JSON.parse(readFileSync(deployState, "utf8")) as Record<string, { ref: string }>;
  let admin: pg.Client;
  let t: TestStore;

  const sql = async (env: "staging" | "prod", text: string) => {
    const client = new pg.Client({ connectionString: urls[env] });
    await client.connect();
    try {
      return (await client.query(text)).rows as Record<string, unknown>[];
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: BASE_URL });
    await admin.connect();
    for (const env of ["staging", "prod"] as const) {
      await admin.query(`CREATE DATABASE ${names[env]}`);
      const u = new URL(BASE_URL!);
      u.pathname = `/${names[env]}`;
      urls[env] = u.toString();
    }
    t = await openTestStore("pglite");
  });

  afterAll(async () => {
    await t.dispose();
    for (const name of Object.values(names)) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  beforeEach(async () => {
    for (const env of ["staging", "prod"] as const) {
      await sql(
        env,
        `DROP TABLE IF EXISTS user_migrations, activities, casfolio_portfolios;
         CREATE TABLE user_migrations (id serial PRIMARY KEY, user_id text NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
         CREATE TABLE activities (id serial PRIMARY KEY, user_id text NOT NULL, name text NOT NULL);
         CREATE TABLE casfolio_portfolios (id serial PRIMARY KEY, user_id text NOT NULL, name text NOT NULL);
         INSERT INTO casfolio_portfolios (user_id, name) VALUES ('u-1', 'growth'), ('u-2', 'income');`,
      );
    }
    // Each test starts from no live release (a unique lock per release name): abort what a test left.
    await t.db.query("UPDATE rollouts SET status = 'aborted' WHERE status IN ('active', 'paused')");
  });

  const rigAt = () =>
    // The runner's rows are stamped by the database's real now(), so the rig's clock stays just behind it:
    // a stage's wait is read from the status and then skipped (an approver's skip), never waited out.
    createRig(t.store, Date.now() - 1000, {
      configPath: CONFIG,
      credentials: { STAGING_DATABASE_URL: urls.staging!, PROD_DATABASE_URL: urls.prod!, FAKE_DEPLOY_STATE: deployState },
    });

  /** "start the legacy migration release" as dave, approved by alice: the plan shows the stages and gates. */
  async function startRelease(rig: Rig, params: Record<string, string> = { release: "legacy migration" }) {
    const planned = await rig.service.submitPlan("release", params, {
      user: USERS.dave,
      source: "test",
      origin: { channel: "C0OPS0001", threadTs: "1767780000.000100" },
    });
    expect(planned.run.status).toBe("pending_approval");
    const decision = await rig.service.approve(planned.run.id, USERS.alice);
    expect(decision.outcome).toBe("queued");
    const [run] = await rig.drain();
    expect(run!.status).toBe("succeeded");
    return run!;
  }

  /** The wait before the next stage is `minutes`; alice (an approver, not the requester) skips it. */
  const skipWait = async (rig: Rig, minutes: number) => {
    const view = await rig.service.rolloutStatus("legacy-migration");
    expect(view.nextInMs).toBe(minutes * MINUTE);
    await rig.service.controlRollout("legacy-migration", "skip", USERS.alice);
  };

  /** One driver look, then every queued stage run to its end. */
  const step = async (rig: Rig) => {
    await rig.driver.tick();
    const runs = await rig.drain();
    await rig.driver.tick();
    return runs;
  };

  it("runs the three stages in order, each gated, waiting between them", async () => {
    const rig = rigAt();
    const plan = await startRelease(rig);
    expect(plan.summary).toContain(
      "legacy-migration: 3 stages — Staging dry run → Staging parity run → Production launch; each stage's gates after its change",
    );
    const [dry] = await step(rig);
    expect(dry!.status).toBe("succeeded");
    expect(dry!.title).toBe("Legacy migration release: Staging dry run");
    expect(await sql("staging", "SELECT status FROM user_migrations ORDER BY id")).toEqual([
      { status: "failed (Dry run complete)" },
      { status: "failed (Dry run complete)" },
    ]);
    // The dry run rolled its data back: the legacy rows are still there.
    expect(await sql("staging", "SELECT count(*)::int AS n FROM casfolio_portfolios")).toEqual([{ n: 2 }]);

    // Nothing more until the stage's wait (PT10M) is over, or skipped.
    expect(await step(rig)).toEqual([]);
    await skipWait(rig, 10);
    const [parity] = await step(rig);
    expect(parity!.status).toBe("succeeded");
    const events = await t.store.listEvents(parity!.id);
    expect(events.filter((e) => e.kind === "step_succeeded").map((e) => e.stepId)).toEqual([
      "gate-recheck-no-failed-migrations",
      "parity-run",
      "gate-no-failed-migrations",
      "gate-casfolio-empty",
    ]);

    await skipWait(rig, 30);
    const [launch] = await step(rig);
    expect(launch!.status).toBe("succeeded");
    expect(launch!.env).toBe("prod");
    expect(await sql("prod", "SELECT user_id, status FROM user_migrations ORDER BY id")).toEqual([
      { user_id: "u-1", status: "completed" },
      { user_id: "u-2", status: "completed" },
    ]);
    const view = await rig.service.rolloutStatus("legacy-migration");
    expect(view.rollout.status).toBe("succeeded");
    expect(view.rollout.gates.map((g) => `${g.ok ? "✓" : "✗"} ${g.gate}`)).toEqual([
      "✓ no-failed-migrations",
      "✓ recheck-no-failed-migrations",
      "✓ casfolio-empty",
      "✓ recheck-casfolio-empty",
    ]);
  });

  it("stops at stage 2 when a gate fails, with the rows as evidence, and never touches prod", async () => {
    await sql("staging", "INSERT INTO casfolio_portfolios (user_id, name) VALUES ('u-8f1', 'broken')");
    const rig = rigAt();
    await startRelease(rig);
    await step(rig);
    await skipWait(rig, 10);
    const [parity] = await step(rig);
    expect(parity!.status).toBe("failed");
    expect(parity!.error).toContain("gate no-failed-migrations failed on STAGING_DATABASE_URL");
    expect(parity!.error).toContain("1 row where none may be: user_id=u-8f1, status=failed");
    expect(parity!.summary).toContain("@migrations-team");
    // The stage's own rollback ran.
    expect(parity!.summary).toContain("dry-run-back-on: LEGACY_MIGRATION_DRY_RUN back on");

    const printed: string[] = [];
    const console = createConsoleCommands({
      service: rig.service,
      user: USERS.dave,
      print: (text) => printed.push(text),
      follow: async () => {},
      timeZone: "UTC",
      sessionId: "s1",
    });
    await console("rollout status legacy-migration");
    expect(printed.at(-1)).toContain("✓ Staging dry run  ○ Staging parity run  ○ Production launch");
    expect(printed.at(-1)).toContain("stopped at stage 2 (Staging parity run): gate no-failed-migrations failed");
    expect(printed.at(-1)).toContain("user_id=u-8f1, status=failed");
    expect(printed.at(-1)).toContain("owner @migrations-team");

    rig.advance(120 * MINUTE);
    expect(await step(rig)).toEqual([]);
    expect(await sql("prod", "SELECT count(*)::int AS n FROM user_migrations")).toEqual([{ n: 0 }]);
  });

  it("after a restart mid-plan, goes on at the right stage, re-checking the last stage's gates first", async () => {
    const first = rigAt();
    await startRelease(first);
    await step(first);
    await skipWait(first, 10);
    await step(first);
    // Between the parity run and the restart, someone puts legacy rows back on staging.
    await sql("staging", "INSERT INTO casfolio_portfolios (user_id, name) VALUES ('u-9', 'restored')");

    const restarted = first.restart();
    await skipWait(restarted, 30);
    const [launch] = await step(restarted);
    expect(launch!.title).toBe("Legacy migration release: Production launch");
    expect(launch!.status).toBe("failed");
    expect(launch!.failedStep).toBe("gate-recheck-casfolio-empty");
    expect(launch!.error).toContain("legacy_table=casfolio_portfolios, rows=1");
    // The re-check is before the change: prod was never migrated.
    const events = await t.store.listEvents(launch!.id);
    expect(events.some((e) => e.stepId === "launch")).toBe(false);
    expect(await sql("prod", "SELECT count(*)::int AS n FROM user_migrations")).toEqual([{ n: 0 }]);
    const view = await restarted.service.rolloutStatus("legacy-migration");
    expect(view.rollout.stage).toBe(2);
    expect(view.rollout.status).toBe("reverted");
  });

  it("records the release live before each deploy, so rolling the release back deploys exactly those, last stage first", async () => {
    writeFileSync(deployState, JSON.stringify({ staging: { ref: "v1.9.0", sha: "9f1c2ab" }, prod: { ref: "v1.8.2", sha: "77e0d41" } }));
    const rig = rigAt();
    await startRelease(rig, { release: "api-release" });
    const [toStaging] = await step(rig);
    const [toProd] = await step(rig);
    expect([toStaging!.status, toProd!.status]).toEqual(["succeeded", "succeeded"]);
    expect(deployed()).toMatchObject({ staging: { ref: "v2.0.0" }, prod: { ref: "v2.0.0" } });
    expect(
      (await rig.service.rolloutStatus("api-release")).rollout.changes.map((c) => [c.stage, c.kind, c.subject, c.env, c.before.sha]),
    ).toEqual([
      [1, "deploy", "api", "staging", "9f1c2ab"],
      [2, "deploy", "api", "prod", "77e0d41"],
    ]);

    // "roll back the api-release rollout": a plan of its own, pre-filled, waiting for approval.
    const back = await rig.service.planRolloutRollback("api-release", { user: USERS.dave, source: "test" });
    expect(back.run.status).toBe("pending_approval");
    const artifacts = await rig.service.listArtifacts(back.run.id);
    expect(artifacts.map((a) => a.content).join("\n")).toContain(
      "1. api in prod back to 77e0d41 (stage 2) (prod)\n2. api in staging back to 9f1c2ab (stage 1) (staging)",
    );
    expect((await rig.service.approve(back.run.id, USERS.alice)).outcome).toBe("queued");
    await rig.drain();
    const [prodBack] = await step(rig);
    const [stagingBack] = await step(rig);
    expect([prodBack!.env, prodBack!.status, stagingBack!.env, stagingBack!.status]).toEqual(["prod", "succeeded", "staging", "succeeded"]);
    expect(deployed()).toMatchObject({ staging: { ref: "9f1c2ab" }, prod: { ref: "77e0d41" } });
  });

  it("pauses, resumes and aborts between stages like a flag rollout; abort queues no flag revert", async () => {
    const rig = rigAt();
    await startRelease(rig);
    await step(rig);
    const paused = await rig.service.controlRollout("legacy-migration", "pause", USERS.dave);
    expect(paused.rollout.status).toBe("paused");
    rig.advance(60 * MINUTE);
    expect(await step(rig)).toEqual([]);
    const resumed = await rig.service.controlRollout("legacy-migration", "resume", USERS.dave);
    expect(resumed.rollout.status).toBe("active");
    const aborted = await rig.service.controlRollout("legacy-migration", "abort", USERS.dave);
    expect(aborted.rollout.status).toBe("aborted");
    expect(aborted.rollout.reason).toBe(`aborted by ${USERS.dave}; a stage in flight is cancelled, which rolls it back`);
    expect(await step(rig)).toEqual([]);
    // Only the dry run ever ran: the parity run never touched the legacy rows.
    expect(await sql("staging", "SELECT count(*)::int AS n FROM casfolio_portfolios")).toEqual([{ n: 2 }]);
  });

  it("a gate failing after a deploy stage runs the deploy's rollback: the release live before is back", async () => {
    writeFileSync(deployState, JSON.stringify({ staging: { ref: "v1.9.0", sha: "9f1c2ab" }, prod: { ref: "v1.8.2", sha: "77e0d41" } }));
    await sql("staging", "INSERT INTO user_migrations (user_id, status) VALUES ('u-8f1', 'failed')");
    const rig = rigAt();
    await startRelease(rig, { release: "api-gated" });
    const [toStaging] = await step(rig);
    expect(toStaging).toMatchObject({ status: "failed", failedStep: "gate-no-failed-migrations" });
    expect(toStaging!.summary).toContain("shell-redeploy-previous");
    expect(deployed()).toMatchObject({ staging: { ref: "9f1c2ab" }, prod: { ref: "v1.8.2" } });
    expect(await step(rig)).toEqual([]);
    expect((await rig.service.rolloutStatus("api-gated")).rollout.status).toBe("reverted");
  });
});
