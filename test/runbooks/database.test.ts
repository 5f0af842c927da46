/** The migrate, schema-sync and ops-board runbooks against real PostgreSQL (scratch databases on TEST_DATABASE_URL). */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConfigFile } from "../../src/config/config-schema.js";
import { fixturePath } from "../adapters/helpers.js";
import {
  CREDENTIALS,
  flagRow,
  githubDeployments,
  plan,
  stepEvent,
  supabaseRest,
  testConfig,
  untilStepStarted,
  useRunbookHarness,
} from "./harness.js";
import { NEEDS_POSTGRES } from "../support/skip-unless.js";

const BASE_URL = process.env.TEST_DATABASE_URL;
const h = useRunbookHarness();

describe("migrate runbook without a database", () => {
  it("names the settings an env without a database lacks", async () => {
    const { outcome } = await h.run(plan("migrate", { env: "dev" }));
    expect(outcome).toMatchObject({ status: "failed", failedStep: "settings" });
    expect(outcome.status === "failed" && outcome.error).toBe(
      "migrations on dev needs the settings databaseUrlEnv, migrationsDir, which are not in the config: set environments.dev.settings.databaseUrlEnv; environments.dev.settings.migrationsDir. databaseUrlEnv names the environment variable holding the database URL, e.g. STAGING_DATABASE_URL.",
    );
  });

  it("names the database URL variable when it is not set", async () => {
    const { outcome } = await h.run(plan("migrate", { env: "staging" }));
    expect(outcome.status === "failed" && outcome.error).toBe(
      // The adapter's description holds an example URL whose "password" the executor's redactor masks too.
      "Missing setting: STAGING_DATABASE_URL (the target database's connection URL (postgres://user:[REDACTED]@host:5432/db); needed by postgres.migrationStatus). Set it in the environment and try again.",
    );
  });

  it("a dry run connects to nothing and shows the migrate step with its database and folder", async () => {
    const steps = await h.dryRun(plan("migrate", { env: "prod" }));
    expect(steps.map((s) => [s.phase, s.id, s.risk])).toEqual([
      ["validate", "settings", "read"],
      ["preflight", "pending", "read"],
      ["preflight", "promotion", "read"],
      ["action", "apply", "write"],
      ["verify", "status", "read"],
      ["verify", "nothing-pending", "read"],
    ]);
    expect(steps.find((s) => s.id === "apply")?.args).toEqual({
      databaseUrlEnv: "PROD_DATABASE_URL",
      migrationsDir: "migrations",
      dryRun: false,
      env: "prod",
    });
  });

  it("schema-sync refuses to compare an env with itself", async () => {
    const { outcome } = await h.run(plan("schema-sync", { from: "prod", to: "prod" }), {
      credentials: { ...CREDENTIALS, PROD_DATABASE_URL: "postgres://postgres@127.0.0.1:1/never" },
    });
    expect(outcome.status === "failed" && outcome.error).toBe("schema sync compares two environments; prod and prod are the same.");
  });
});

describe("database runbooks against real PostgreSQL", NEEDS_POSTGRES, () => {
  const created: string[] = [];
  let admin: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: BASE_URL });
    await admin.connect();
  });
  afterAll(async () => {
    for (const name of created) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  /** A fresh database; its URL carries a canary password (trust auth ignores it) that must never be recorded. */
  async function database(sqlFile?: string): Promise<string> {
    const name = `opsroom_runbooks_${randomBytes(4).toString("hex")}`;
    await admin.query(`CREATE DATABASE ${name}`);
    created.push(name);
    const url = new URL(BASE_URL!);
    url.pathname = `/${name}`;
    if (!url.password) url.password = "CANARYdbpw0123";
    if (sqlFile) await query(url.toString(), readFileSync(fixturePath(`postgres/${sqlFile}`), "utf8"));
    return url.toString();
  }

  async function query(url: string, sql: string): Promise<Array<Record<string, unknown>>> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows as Array<Record<string, unknown>>;
    } finally {
      await client.end();
    }
  }

  it("a dry run lists the pending migrations, applies them in a rolled-back transaction and reports the schema change", async () => {
    const staging = await database();
    const p = plan("migrate", { env: "staging", dryRun: true });
    expect(p.mutating).toBe(false);
    const { outcome, events, artifacts, succeeded } = await h.run(p, { credentials: { ...CREDENTIALS, STAGING_DATABASE_URL: staging } });
    expect(outcome.status).toBe("succeeded");
    expect(succeeded).toEqual(["settings", "pending", "promotion", "apply"]);
    expect(stepEvent(events, "step_succeeded", "pending")?.message).toBe(
      "STAGING_DATABASE_URL: 2 of 2 migrations pending: 20260103120000_create_feature_flags.sql, 20260104090000_create_user_migrations.sql",
    );
    expect(stepEvent(events, "step_succeeded", "apply")?.message).toMatch(
      /^dry run \(rolled back\): would apply 2 migrations to STAGING_DATABASE_URL: \+table public\.feature_flags/,
    );
    expect(artifacts.map((a) => a.filename).filter(Boolean)).toEqual(["schema-change.sql", "changed-tables.mmd", "migrations.sql"]);
    // Each file's dry run is kept in opsroom's store (here PGlite), for the next plan's promotion check.
    expect((await h.store().migrations.latestDryRun("staging")).map((r) => [r.fileName, r.outcome, r.dryRun])).toEqual([
      ["20260103120000_create_feature_flags.sql", "ok", true],
      ["20260104090000_create_user_migrations.sql", "ok", true],
    ]);
    expect(
      await query(staging, "SELECT to_regclass('public.feature_flags') AS t, to_regclass('public.opsroom_target_migrations') AS m"),
    ).toEqual([{ t: null, m: null }]);
  });

  it("migrates for real and verifies nothing is left pending", async () => {
    const prod = await database();
    const { outcome, events } = await h.run(plan("migrate", { env: "prod" }), { credentials: { ...CREDENTIALS, PROD_DATABASE_URL: prod } });
    expect(outcome.status).toBe("succeeded");
    expect(stepEvent(events, "step_succeeded", "status")?.message).toBe("PROD_DATABASE_URL: up to date with migrations (2 applied)");
    expect(stepEvent(events, "step_succeeded", "nothing-pending")?.message).toBe("pending migrations on prod: [] as expected");
    expect(await query(prod, "SELECT count(*)::int AS n FROM opsroom_target_migrations")).toEqual([{ n: 2 }]);
  });

  it("a failing migration applies nothing, and there is nothing to roll back", async () => {
    const qa = await database();
    const { outcome } = await h.run(plan("migrate", { env: "qa" }), { credentials: { ...CREDENTIALS, QA_DATABASE_URL: qa } });
    expect(outcome).toMatchObject({ status: "failed", failedStep: "apply" });
    expect(outcome.status === "failed" && outcome.error).toMatch(
      /^002_bad_column\.sql failed on QA_DATABASE_URL \(.+\): column "titel" of relation "activities" does not exist \(42703\) at line 4\. Nothing was applied/,
    );
    expect(outcome.summary).toContain("Nothing was rolled back (the runbook has no rollback steps).");
    expect(await query(qa, "SELECT to_regclass('public.activities') AS t")).toEqual([{ t: null }]);
  });

  const slowConfig = () => {
    const config = structuredClone(testConfig) as ConfigFile;
    config.environments.qa!.settings.migrationsDir = "slow";
    return config;
  };

  it("ends a migration that runs past the step timeout, leaving nothing applied", async () => {
    const qa = await database();
    const p = plan("migrate", { env: "qa" }, slowConfig());
    p.steps.find((s) => s.id === "apply")!.timeoutSeconds = 1;
    const { outcome } = await h.run(p, { credentials: { ...CREDENTIALS, QA_DATABASE_URL: qa } });
    expect(outcome).toMatchObject({ status: "failed", failedStep: "apply", error: "postgres.migrate did not finish within 1 s." });
    expect(await query(qa, "SELECT to_regclass('public.slow_marker') AS t")).toEqual([{ t: null }]);
  });

  it("stops a migration when cancelled mid-step", async () => {
    const qa = await database();
    const { outcome, trail } = await h.run(plan("migrate", { env: "qa" }, slowConfig()), {
      credentials: { ...CREDENTIALS, QA_DATABASE_URL: qa },
      during: async (runId, events) => {
        await untilStepStarted(events, "apply");
        await h.store().requestCancel(runId, "U2");
      },
    });
    expect(outcome.status).toBe("cancelled");
    expect(trail.at(-1)).toBe("run_cancelled action");
    expect(await query(qa, "SELECT to_regclass('public.slow_marker') AS t")).toEqual([{ t: null }]);
  });

  it("schema-sync writes the SQL that brings the target in line with the source, and an ER diagram, changing neither", async () => {
    const prod = await database("schema-from.sql");
    const staging = await database("schema-to.sql");
    const { outcome, events, artifacts } = await h.run(plan("schema-sync", { from: "staging", to: "prod" }), {
      credentials: { ...CREDENTIALS, STAGING_DATABASE_URL: staging, PROD_DATABASE_URL: prod },
    });
    expect(outcome.status).toBe("succeeded");
    expect(stepEvent(events, "step_succeeded", "diff")?.message).toMatch(
      /^\d+ differences from PROD_DATABASE_URL to STAGING_DATABASE_URL: /,
    );
    const sql = artifacts.find((a) => a.filename === "schema-diff.sql")?.content ?? "";
    expect(sql).toMatch(/^-- From PROD_DATABASE_URL to STAGING_DATABASE_URL, schemas: public/);
    expect(sql).toContain("DROP FUNCTION public.obsolete()");
    expect(artifacts.find((a) => a.filename === "changed-tables.mmd")?.content).toMatch(/^erDiagram/);
    expect(
      await query(
        prod,
        "SELECT to_regclass('public.users') IS NOT NULL AS users, to_regprocedure('public.obsolete()') IS NOT NULL AS obsolete",
      ),
    ).toEqual([{ users: true, obsolete: true }]);
  });

  it("ops-board shows pending migrations as blocking a cutover", async () => {
    const prod = await database();
    supabaseRest()
      .get("/rest/v1/feature_flags")
      .query(true)
      .reply(200, [
        flagRow("featureMatrix", true, 100, ["ops", "admin"]),
        flagRow("homeDemoVariant", false, 0, ["ops", "demo"]),
        flagRow("supabaseSnapshot", true, 100, ["all"]),
      ]);
    for (const repo of ["api", "web", "payments", "worker"]) {
      githubDeployments(
        `acme/${repo}`,
        "prod",
        [{ id: 1, sha: "1".repeat(40), ref: "main", state: "success", at: "2026-01-07T08:00:00Z" }],
        3,
      );
    }
    const { outcome, events } = await h.run(plan("ops-board", {}), { credentials: { ...CREDENTIALS, PROD_DATABASE_URL: prod } });
    expect(outcome.status).toBe("succeeded");
    expect(stepEvent(events, "step_succeeded", "board")?.message).toBe(
      "Safe to cut over in prod: no: Database migrations: 2 pending: 20260103120000_create_feature_flags.sql, 20260104090000_create_user_migrations.sql [flags yes, migrations no, deploys yes] (8 healthy, 0 warning, 1 blocked, 0 unknown)",
    );
  });
});
