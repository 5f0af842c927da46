/**
 * A flag rollout's SQL gate (flags.<flag>.gates with `sql`) against real PostgreSQL: checked before each
 * stage like the HTTP gates; a row returned fails it, the flag goes back to its pre-rollout value.
 */
import { randomBytes } from "node:crypto";
import nock from "nock";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NEEDS_POSTGRES } from "../support/skip-unless.js";
import { openTestStore, type TestStore } from "../support/test-stores.js";
import { createRig, fakeFlagTable, flagRecord, startRollout } from "./rollout-rig.js";

const BASE_URL = process.env.TEST_DATABASE_URL;

describe("a flag rollout's SQL gate", NEEDS_POSTGRES, () => {
  const name = `opsroom_flaggate_${randomBytes(4).toString("hex")}`;
  let admin: pg.Client;
  let db: pg.Client;
  let url: string;
  let t: TestStore;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: BASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const u = new URL(BASE_URL!);
    u.pathname = `/${name}`;
    url = u.toString();
    db = new pg.Client({ connectionString: url });
    await db.connect();
    await db.query(
      "CREATE TABLE user_migrations (id serial PRIMARY KEY, user_id text NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())",
    );
    t = await openTestStore("pglite");
    nock.disableNetConnect();
  });

  afterAll(async () => {
    nock.cleanAll();
    nock.enableNetConnect();
    await t.dispose();
    await db.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  it("passes while the query returns no rows, and reverts the flag with the rows as evidence once one is wrong", async () => {
    const table = fakeFlagTable([flagRecord("ENABLE_LEGACY_MIGRATION", false, 0, [])]);
    // The rig's clock stays just behind the database's, which stamps the rows.
    const rig = createRig(t.store, Date.now() - 1000, { credentials: { GATE_DATABASE_URL: url } });
    await startRollout(rig, { flag: "ENABLE_LEGACY_MIGRATION", env: "prod", stages: ["50", "100"], every: "PT0S" });
    nock("https://api.example.com").get("/healthz").times(2).reply(200, "ok");

    await rig.driver.tick();
    const [stage1] = await rig.drain();
    expect(stage1).toMatchObject({ status: "succeeded" });
    expect(table.row("ENABLE_LEGACY_MIGRATION")).toMatchObject({ is_enabled: true, rollout_percentage: 50 });

    // At 50%, the runner fails a user's migration: the gate before stage 2 sees it.
    await db.query("INSERT INTO user_migrations (user_id, status) VALUES ('u-8f1', 'failed')");
    await rig.driver.tick();
    const [stage2] = await rig.drain();
    expect(stage2).toMatchObject({ status: "failed", failedStep: "gate-sql-no-failed-migrations" });
    expect(stage2!.error).toContain("1 row where none may be: user_id=u-8f1, status=failed");
    expect(stage2!.summary).toContain("@migrations-team");
    expect(table.row("ENABLE_LEGACY_MIGRATION")).toMatchObject({ is_enabled: false, rollout_percentage: 0 });
    await rig.driver.tick();
    const { rollout } = await rig.service.rolloutStatus("ENABLE_LEGACY_MIGRATION");
    expect(rollout.status).toBe("reverted");
    expect(rollout.gates.find((g) => g.gate === "sql-no-failed-migrations")).toMatchObject({ ok: false });
  });
});
