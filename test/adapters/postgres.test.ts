import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresAdapter } from "../../adapters/postgres/index.js";
import { credentialsOf } from "../../adapters/types.js";
import { assertNoCanary, expectAdapterError, fixturePath, makeCtx } from "./helpers.js";
import { NEEDS_POSTGRES } from "../support/skip-unless.js";

const postgres = createPostgresAdapter({ baseDir: fixturePath("postgres") });
const { migrationStatus, migrate, schemaDiff } = postgres.actions as Required<typeof postgres.actions>;
const BASE_URL = process.env.TEST_DATABASE_URL;

describe("postgres adapter without a database", () => {
  it("names the dynamic credential it needs from databaseUrlEnv", () => {
    expect(
      credentialsOf(migrate!, { databaseUrlEnv: "STAGING_DATABASE_URL", migrationsDir: "migrations", dryRun: true, schemas: ["public"] }),
    ).toEqual([
      { name: "STAGING_DATABASE_URL", description: "the target database's connection URL (postgres://user:password@host:5432/db)" },
    ]);
    expect(
      credentialsOf(schemaDiff!, { fromUrlEnv: "PROD_DATABASE_URL", toUrlEnv: "STAGING_DATABASE_URL", schemas: ["public"] }).map(
        (c) => c.name,
      ),
    ).toEqual(["PROD_DATABASE_URL", "STAGING_DATABASE_URL"]);
  });

  it("says the credential is missing, by name", async () => {
    const err = await expectAdapterError(
      migrationStatus!.run({ databaseUrlEnv: "STAGING_DATABASE_URL", migrationsDir: "migrations" }, makeCtx({ credentials: {} })),
      "ADAPTER_CREDENTIAL_MISSING",
    );
    expect(err.userMessage).toMatch(/^postgres\.migrationStatus needs STAGING_DATABASE_URL/);
  });

  it("rejects a value that is not a postgres URL without echoing it", async () => {
    const err = await expectAdapterError(
      migrationStatus!.run(
        { databaseUrlEnv: "STAGING_DATABASE_URL", migrationsDir: "migrations" },
        makeCtx({ credentials: { STAGING_DATABASE_URL: "mysql://u:CANARYpw@h/db" } }),
      ),
      "POSTGRES_BAD_URL",
    );
    assertNoCanary(err);
  });

  it("names host, port and error code when the database is unreachable, never the password", async () => {
    const port = await closedPort();
    const url = `postgres://app:CANARYpw0123@127.0.0.1:${port}/app`;
    const ctx = makeCtx({ credentials: { STAGING_DATABASE_URL: url } });
    const err = await expectAdapterError(
      migrationStatus!.run({ databaseUrlEnv: "STAGING_DATABASE_URL", migrationsDir: "migrations" }, ctx),
      "POSTGRES_UNREACHABLE",
    );
    expect(err.userMessage).toBe(`cannot connect to STAGING_DATABASE_URL (127.0.0.1:${port}/app): ECONNREFUSED.`);
    assertNoCanary(err, ctx.logs);
  });

  it("gives up on a server that never answers after the URL's connect_timeout, not the 15 s default", async () => {
    const accepted: Socket[] = [];
    const silent = createServer((socket) => void accepted.push(socket));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const { port } = silent.address() as { port: number };
    try {
      const url = `postgres://app@127.0.0.1:${port}/app?connect_timeout=1`;
      const err = await expectAdapterError(
        migrationStatus!.run(
          { databaseUrlEnv: "STAGING_DATABASE_URL", migrationsDir: "migrations" },
          makeCtx({ credentials: { STAGING_DATABASE_URL: url } }),
        ),
        "POSTGRES_UNREACHABLE",
      );
      expect(err.userMessage).toMatch(new RegExp(`^cannot connect to STAGING_DATABASE_URL \\(127\\.0\\.0\\.1:${port}/app\\): .*timeout`));
    } finally {
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  }, 10_000);

  it("says when the migrations folder is missing", async () => {
    const err = await expectAdapterError(
      migrationStatus!.run(
        { databaseUrlEnv: "X_DATABASE_URL", migrationsDir: "nope" },
        makeCtx({ credentials: { X_DATABASE_URL: "postgres://h/db" } }),
      ),
      "POSTGRES_MIGRATIONS_DIR",
    );
    expect(err.userMessage).toBe("cannot read migrations folder nope (ENOENT).");
  });

  it("a dry run of the step connects to nothing and lists the candidate files", async () => {
    const result = await migrate!.run(
      { databaseUrlEnv: "STAGING_DATABASE_URL", migrationsDir: "migrations", dryRun: false },
      makeCtx({ dryRun: true, credentials: {} }),
    );
    expect(result.summary).toBe(
      "dry run: would connect to STAGING_DATABASE_URL, take the migration lock and apply the files of migrations not yet in opsroom_target_migrations (2 files: 20260103120000_create_feature_flags.sql, 20260104090000_create_user_migrations.sql)",
    );
  });
});

describe("postgres adapter against real PostgreSQL", NEEDS_POSTGRES, () => {
  const names = [1, 2, 3].map(() => `opsroom_adapters_${randomBytes(4).toString("hex")}`);
  let admin: pg.Client;
  const urls: string[] = [];
  let credentials: Record<string, string>;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: BASE_URL });
    await admin.connect();
    for (const name of names) {
      await admin.query(`CREATE DATABASE ${name}`);
      const u = new URL(BASE_URL!);
      u.pathname = `/${name}`;
      // Trust auth ignores the password: plant a canary there so the secret checks have something to find.
      if (!u.password) u.password = "CANARYdbpw0123";
      urls.push(u.toString());
    }
    credentials = { STAGING_DATABASE_URL: urls[0]!, PROD_DATABASE_URL: urls[1]!, SCRATCH_DATABASE_URL: urls[2]! };
  });

  afterAll(async () => {
    for (const name of names) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  const query = async (url: string, sql: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows as Array<Record<string, unknown>>;
    } finally {
      await client.end();
    }
  };

  it("lists every file as pending on a fresh database", async () => {
    const ctx = makeCtx({ credentials });
    const result = await migrationStatus!.run({ databaseUrlEnv: "STAGING_DATABASE_URL", migrationsDir: "migrations" }, ctx);
    assertNoCanary(result, ctx.logs);
    expect(result.summary).toBe(
      "STAGING_DATABASE_URL: 2 of 2 migrations pending: 20260103120000_create_feature_flags.sql, 20260104090000_create_user_migrations.sql",
    );
  });

  it("dry run applies everything in a transaction, reports the schema it would make, and rolls back", async () => {
    const ctx = makeCtx({ credentials });
    const result = await migrate!.run({ databaseUrlEnv: "STAGING_DATABASE_URL", migrationsDir: "migrations", dryRun: true }, ctx);
    expect(result.summary).toBe(
      "dry run (rolled back): would apply 2 migrations to STAGING_DATABASE_URL: +table public.feature_flags, +table public.user_migrations, +function public.is_feature_enabled(p_flag_key text)",
    );
    const sql = result.artifacts?.find((a) => a.filename === "schema-change.sql")?.content ?? "";
    expect(sql).toContain("CREATE TABLE public.feature_flags (\n  id uuid DEFAULT gen_random_uuid() NOT NULL,");
    expect(sql).toContain("id bigint GENERATED BY DEFAULT AS IDENTITY NOT NULL");
    expect(sql).toContain(
      "ALTER TABLE public.user_migrations ADD CONSTRAINT user_migrations_flag_id_fkey FOREIGN KEY (flag_id) REFERENCES feature_flags(id) ON DELETE SET NULL;",
    );
    expect(sql).toContain("CREATE INDEX user_migrations_user_id_idx ON public.user_migrations USING btree (user_id);");
    expect(sql).toContain("CREATE OR REPLACE FUNCTION public.is_feature_enabled(p_flag_key text)");
    const er = result.artifacts?.find((a) => a.filename === "changed-tables.mmd")?.content ?? "";
    expect(er).toContain("  feature_flags {\n    uuid id PK\n    text flag_key UK\n");
    expect(er).toContain('  feature_flags |o--o{ user_migrations : "flag_id"');
    const left = await query(
      urls[0]!,
      "SELECT to_regclass('public.feature_flags') AS t, to_regclass('public.opsroom_target_migrations') AS m",
    );
    expect(left).toEqual([{ t: null, m: null }]);
    assertNoCanary(result, ctx.logs);
  });

  it("migrates for real under the lock, records each file, and is then up to date", async () => {
    const ctx = makeCtx({ credentials });
    const result = await migrate!.run({ databaseUrlEnv: "STAGING_DATABASE_URL", migrationsDir: "migrations", dryRun: false }, ctx);
    expect(result.summary).toMatch(/^applied 2 migrations to STAGING_DATABASE_URL: \+table public\.feature_flags/);
    const recorded = await query(urls[0]!, "SELECT name, run_id FROM opsroom_target_migrations ORDER BY name");
    expect(recorded).toEqual([
      { name: "20260103120000_create_feature_flags.sql", run_id: "run-1" },
      { name: "20260104090000_create_user_migrations.sql", run_id: "run-1" },
    ]);
    expect(await query(urls[0]!, "SELECT count(*)::int AS n FROM feature_flags")).toEqual([{ n: 2 }]);
    const again = await migrate!.run(
      { databaseUrlEnv: "STAGING_DATABASE_URL", migrationsDir: "migrations", dryRun: false },
      makeCtx({ credentials }),
    );
    expect(again.summary).toBe("STAGING_DATABASE_URL: nothing to apply, up to date with migrations");
    const status = await migrationStatus!.run(
      { databaseUrlEnv: "STAGING_DATABASE_URL", migrationsDir: "migrations" },
      makeCtx({ credentials }),
    );
    expect(status.summary).toBe("STAGING_DATABASE_URL: up to date with migrations (2 applied)");
    assertNoCanary(result, ctx.logs);
  });

  it("a failing file fails the whole batch with its name and line, and applies nothing", async () => {
    const ctx = makeCtx({ credentials });
    const err = await expectAdapterError(
      migrate!.run({ databaseUrlEnv: "SCRATCH_DATABASE_URL", migrationsDir: "broken", dryRun: false }, ctx),
      "POSTGRES_MIGRATION_FAILED",
    );
    expect(err.userMessage).toMatch(
      /^002_bad_column\.sql failed on SCRATCH_DATABASE_URL \(127\.0\.0\.1:5432\/opsroom_adapters_\w+\): column "titel" of relation "activities" does not exist \(42703\) at line 4\. Nothing was applied \(the transaction was rolled back\)\.$/,
    );
    expect(await query(urls[2]!, "SELECT to_regclass('public.activities') AS t")).toEqual([{ t: null }]);
    assertNoCanary(err, ctx.logs);
  });

  it("refuses files that manage their own transaction (a COMMIT would make a dry run write)", async () => {
    const err = await expectAdapterError(
      migrate!.run({ databaseUrlEnv: "SCRATCH_DATABASE_URL", migrationsDir: "with-commit", dryRun: true }, makeCtx({ credentials })),
      "POSTGRES_MIGRATION_HAS_TRANSACTION",
    );
    expect(err.userMessage).toMatch(/^001_self_managed\.sql contains BEGIN;/);
    expect(await query(urls[2]!, "SELECT to_regclass('public.t') AS t")).toEqual([{ t: null }]);
  });

  it("says another migration holds the lock", async () => {
    const holder = new pg.Client({ connectionString: urls[2] });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT pg_advisory_xact_lock(28528, 1)");
      const err = await expectAdapterError(
        migrate!.run({ databaseUrlEnv: "SCRATCH_DATABASE_URL", migrationsDir: "migrations", dryRun: true }, makeCtx({ credentials })),
        "POSTGRES_MIGRATION_LOCKED",
      );
      expect(err.retryable).toBe(true);
    } finally {
      await holder.query("ROLLBACK");
      await holder.end();
    }
  });

  it("cancelling mid-migration rejects promptly and the server rolls back", async () => {
    const ctx = makeCtx({ credentials });
    const started = Date.now();
    const pending = migrate!.run({ databaseUrlEnv: "SCRATCH_DATABASE_URL", migrationsDir: "slow", dryRun: false }, ctx);
    setTimeout(() => ctx.controller.abort(), 300);
    await expectAdapterError(pending, "ADAPTER_ABORTED");
    expect(Date.now() - started).toBeLessThan(3000);
    // The running statement is cancelled on the server too, not left sleeping for 30 s.
    let running = -1;
    for (let i = 0; i < 30 && running !== 0; i++) {
      const busy = await query(
        urls[2]!,
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()",
      );
      running = Number(busy[0]?.n);
      if (running !== 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(running).toBe(0);
    expect(await query(urls[2]!, "SELECT to_regclass('public.slow_marker') AS t")).toEqual([{ t: null }]);
  });

  it("schemaDiff writes SQL that turns from into to, and the result then diffs clean", async () => {
    await query(urls[1]!, readFileSync(fixturePath("postgres/schema-from.sql"), "utf8"));
    const to = urls[2]!;
    await query(to, "DROP TABLE IF EXISTS opsroom_target_migrations");
    await query(to, readFileSync(fixturePath("postgres/schema-to.sql"), "utf8"));
    const ctx = makeCtx({ credentials });
    const result = await schemaDiff!.run({ fromUrlEnv: "PROD_DATABASE_URL", toUrlEnv: "SCRATCH_DATABASE_URL" }, ctx);
    const sql = result.artifacts?.find((a) => a.kind === "diff")?.content ?? "";
    expect(result.summary).toMatch(
      /^\d+ differences from PROD_DATABASE_URL to SCRATCH_DATABASE_URL: \+table public\.Order, ~column public\.users\.plan \(text → character varying\(20\), NOT NULL, default none → 'free'::character varying\)/,
    );
    expect(sql).toContain('CREATE TABLE public."Order" (');
    expect(sql).toContain("total_cents bigint GENERATED ALWAYS AS (((total * (100)::numeric))::bigint) STORED");
    expect(sql).toContain("ALTER TABLE public.users ALTER COLUMN plan TYPE character varying(20) USING plan::character varying(20);");
    expect(sql).toContain("ALTER TABLE public.users DROP COLUMN legacy_flag;");
    expect(sql).toContain("DROP TABLE public.sessions;");
    expect(sql).toContain("DROP FUNCTION public.obsolete();");
    expect(sql.indexOf("DROP INDEX public.users_plan_idx;")).toBeLessThan(sql.indexOf("CREATE INDEX users_plan_idx"));
    const er = result.artifacts?.find((a) => a.filename === "changed-tables.mmd")?.content ?? "";
    expect(er).toMatch(/^erDiagram\n/);
    expect(er).toContain('  users ||--o{ Order : "user_id"');
    expect(er).toContain(
      "    character_varying(20) plan \"changed: text → character varying(20), NOT NULL, default none → 'free'::character varying\"",
    );
    expect(er).toContain("  %% dropped: public.sessions");
    assertNoCanary(result, ctx.logs);

    // Applying the generated SQL to `from` must leave nothing to diff.
    const body = sql
      .split("\n")
      .filter((l) => !l.startsWith("--"))
      .join("\n");
    await query(urls[1]!, body);
    const after = await schemaDiff!.run({ fromUrlEnv: "PROD_DATABASE_URL", toUrlEnv: "SCRATCH_DATABASE_URL" }, makeCtx({ credentials }));
    expect(after.summary).toBe("PROD_DATABASE_URL and SCRATCH_DATABASE_URL have the same schema (public)");
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
