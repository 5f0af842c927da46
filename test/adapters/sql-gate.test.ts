import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresAdapter } from "../../adapters/postgres/index.js";
import { bindPlaceholders } from "../../adapters/postgres/sql-gate.js";
import { NEEDS_POSTGRES } from "../support/skip-unless.js";
import { assertNoCanary, expectAdapterError, makeCtx } from "./helpers.js";

const gate = createPostgresAdapter().actions.gate!;
const BASE_URL = process.env.TEST_DATABASE_URL;

describe("SQL gates without a database", () => {
  it("binds {{ placeholders }} as parameters, once per name, and refuses one without a value", async () => {
    expect(
      bindPlaceholders("SELECT id FROM t WHERE at >= {{ stage.startedAt }} AND at < {{ now }} OR at = {{stage.startedAt}};", {
        "stage.startedAt": "2026-01-07T10:00:00.000Z",
        now: "x",
      }),
    ).toEqual({ text: "SELECT id FROM t WHERE at >= $1 AND at < $2 OR at = $1", values: ["2026-01-07T10:00:00.000Z", "x"] });
    const err = await expectAdapterError(
      gate.run(
        { name: "since", databaseUrlEnv: "STAGING_DATABASE_URL", sql: "SELECT 1 WHERE now() > {{ release.startedAt }}", vars: {} },
        makeCtx({ credentials: { STAGING_DATABASE_URL: "postgres://127.0.0.1:1/x" } }),
      ),
      "GATE_UNKNOWN_PLACEHOLDER",
    );
    expect(err.userMessage).toBe("the query uses {{ release.startedAt }}, which has no value here.");
  });
});

describe("SQL gates against real PostgreSQL", NEEDS_POSTGRES, () => {
  const name = `opsroom_gates_${randomBytes(4).toString("hex")}`;
  let admin: pg.Client;
  let credentials: Record<string, string>;
  let db: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: BASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const u = new URL(BASE_URL!);
    u.pathname = `/${name}`;
    // Trust auth ignores the password: a canary there must never show in a result or a log.
    if (!u.password) u.password = "CANARYdbpw0123";
    credentials = { STAGING_DATABASE_URL: u.toString() };
    db = new pg.Client({ connectionString: u.toString() });
    await db.connect();
    await db.query(`
      CREATE TABLE user_migrations (id serial PRIMARY KEY, user_id text NOT NULL, status text NOT NULL, updated_at timestamptz NOT NULL);
      CREATE TABLE casfolio_portfolios (id serial PRIMARY KEY, name text);
      INSERT INTO user_migrations (user_id, status, updated_at) VALUES
        ('u-old', 'failed', '2026-01-07T09:00:00Z'), ('u-ok', 'completed', '2026-01-07T10:05:00Z');`);
  });

  afterAll(async () => {
    await db.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  const noFailedSince = {
    name: "no-failed-migrations",
    databaseUrlEnv: "STAGING_DATABASE_URL",
    sql: "SELECT user_id, status FROM user_migrations WHERE status = 'failed' AND updated_at >= {{ stage.startedAt }}",
    vars: { "stage.startedAt": "2026-01-07T10:00:00.000Z" },
  };

  it("passes when the query returns no rows (a failure before the stage started does not count)", async () => {
    const ctx = makeCtx({ credentials });
    const result = await gate.run(noFailedSince, ctx);
    expect(result.summary).toBe(`gate no-failed-migrations passed on STAGING_DATABASE_URL (127.0.0.1:5432/${name}): no rows`);
    assertNoCanary(result, ctx.logs);
  });

  it("fails with the rows as evidence once a row is wrong", async () => {
    await db.query("INSERT INTO user_migrations (user_id, status, updated_at) VALUES ('u-8f1', 'failed', '2026-01-07T10:20:00Z')");
    const ctx = makeCtx({ credentials });
    const err = await expectAdapterError(gate.run(noFailedSince, ctx), "GATE_FAILED");
    expect(err.userMessage).toBe(
      `gate no-failed-migrations failed on STAGING_DATABASE_URL (127.0.0.1:5432/${name}): 1 row where none may be: user_id=u-8f1, status=failed`,
    );
    assertNoCanary(err, ctx.logs);
  });

  it("runs read-only: a query that would write is refused by the server and changes nothing", async () => {
    const err = await expectAdapterError(
      gate.run(
        {
          name: "sneaky",
          databaseUrlEnv: "STAGING_DATABASE_URL",
          sql: "SELECT nextval('casfolio_portfolios_id_seq') AS n",
        },
        makeCtx({ credentials }),
      ),
      "POSTGRES_QUERY_FAILED",
    );
    expect(err.userMessage).toContain("cannot execute nextval() in a read-only transaction");
    const second = await expectAdapterError(
      gate.run(
        { name: "two", databaseUrlEnv: "STAGING_DATABASE_URL", sql: "SELECT 1 WHERE false; DELETE FROM user_migrations" },
        makeCtx({ credentials }),
      ),
      "POSTGRES_QUERY_FAILED",
    );
    expect(second.userMessage).toContain("gate two on STAGING_DATABASE_URL");
    expect((await db.query("SELECT count(*)::int AS n FROM user_migrations")).rows[0]).toEqual({ n: 3 });
  });

  it("stops a query at its statement timeout and fails the gate", async () => {
    const err = await expectAdapterError(
      gate.run(
        {
          name: "slow",
          databaseUrlEnv: "STAGING_DATABASE_URL",
          sql: "SELECT 1 AS x FROM (SELECT pg_sleep(3)) AS s OFFSET 1",
          timeoutSeconds: 1,
        },
        makeCtx({ credentials }),
      ),
      "POSTGRES_GATE_TIMEOUT",
    );
    expect(err.userMessage).toMatch(/^gate slow: the query ran past its 1 s limit on STAGING_DATABASE_URL/);
  });

  it("checks that casfolio_* tables are empty, naming the table that is not", async () => {
    const empty = {
      name: "casfolio-empty",
      databaseUrlEnv: "STAGING_DATABASE_URL",
      sql: "SELECT 'casfolio_portfolios' AS table_name, count(*) AS rows FROM casfolio_portfolios HAVING count(*) > 0",
    };
    await gate.run(empty, makeCtx({ credentials }));
    await db.query("INSERT INTO casfolio_portfolios (name) VALUES ('legacy')");
    const err = await expectAdapterError(gate.run(empty, makeCtx({ credentials })), "GATE_FAILED");
    expect(err.userMessage).toContain("1 row where none may be: table_name=casfolio_portfolios, rows=1");
  });
});
