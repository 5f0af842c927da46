import type pg from "pg";
import { z } from "zod";
import { AdapterError, OpsError } from "../../src/errors.js";
import type { AdapterAction, Artifact, CredentialSpec } from "../types.js";
import { adapterAction, type ActionContext } from "../shared/action.js";
import { boolArg, envNameArg, optionalInt, optionalText } from "../shared/args.js";
import { systemClock, type Clock } from "../shared/clock.js";
import { schemasArg, snapshotSchema } from "./catalog.js";
import { sqlErrorText, withDatabase } from "./connect.js";
import { erDiagram } from "./er-diagram.js";
import { readMigrations, transactionControl, type MigrationFile } from "./migration-files.js";
import type { MigrationHistoryStore } from "./promotion.js";
import { describeChanges, diffSchemas } from "./schema-diff-sql.js";

/** The bookkeeping table opsroom keeps in each target database. */
export const MIGRATIONS_TABLE = "opsroom_target_migrations";

/**
 * pg_try_advisory_xact_lock(classid, objid) key: one migration at a time per database, across every
 * opsroom worker. 0x6f70 is "op"; 1 is "migrate".
 */
const LOCK_CLASS = 0x6f70;
const LOCK_OBJECT = 1;

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS public.${MIGRATIONS_TABLE} (
  name text PRIMARY KEY,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  run_id text
)`;

const databaseCredential = (name: string): CredentialSpec => ({
  name,
  description: "the target database's connection URL (postgres://user:password@host:5432/db)",
});

export const statusArgs = z.strictObject({
  /** Name of the credential (environment variable) that holds the database URL. */
  databaseUrlEnv: envNameArg,
  migrationsDir: z.string({ error: "must be the folder of *.sql migrations" }).min(1, "must not be empty"),
});

interface Applied {
  name: string;
  checksum: string;
}

async function appliedMigrations(client: pg.Client): Promise<Applied[]> {
  const { rows } = await client.query<{ exists: boolean }>(`SELECT to_regclass('public.${MIGRATIONS_TABLE}') IS NOT NULL AS exists`);
  if (!rows[0]?.exists) return [];
  return (await client.query<Applied>(`SELECT name, checksum FROM public.${MIGRATIONS_TABLE} ORDER BY name`)).rows;
}

function compare(files: readonly MigrationFile[], applied: readonly Applied[]) {
  const byName = new Map(applied.map((a) => [a.name, a.checksum]));
  const fileNames = new Set(files.map((f) => f.name));
  return {
    pending: files.filter((f) => !byName.has(f.name)),
    changed: files.filter((f) => byName.has(f.name) && byName.get(f.name) !== f.checksum).map((f) => f.name),
    unknown: applied.filter((a) => !fileNames.has(a.name)).map((a) => a.name),
  };
}

function warnings(changed: readonly string[], unknown: readonly string[]): string {
  return [
    changed.length ? `; edited after being applied: ${changed.join(", ")}` : "",
    unknown.length ? `; applied but no longer in the folder: ${unknown.join(", ")}` : "",
  ].join("");
}

export function createMigrationStatus(baseDir: string): AdapterAction {
  return adapterAction("postgres", "migrationStatus", {
    description: `List the migration files not yet applied to a database (recorded in ${MIGRATIONS_TABLE}).`,
    args: statusArgs,
    risk: "read",
    credentialsFor: (args) => [databaseCredential(args.databaseUrlEnv)],
    async run(args, ctx) {
      const { files } = await readMigrations(baseDir, args.migrationsDir, "migrationStatus");
      const applied = await withDatabase(ctx, args.databaseUrlEnv, (client) => appliedMigrations(client));
      const { pending, changed, unknown } = compare(files, applied);
      const list = pending.map((f) => f.name);
      return {
        summary:
          (pending.length === 0
            ? `${args.databaseUrlEnv}: up to date with ${args.migrationsDir} (${files.length} applied)`
            : `${args.databaseUrlEnv}: ${pending.length} of ${files.length} migrations pending: ${list.slice(0, 5).join(", ")}${list.length > 5 ? ", …" : ""}`) +
          warnings(changed, unknown),
        data: { pending: list, applied: applied.map((a) => a.name), changed, unknown, total: files.length },
        artifacts: [{ kind: "text", title: `Pending migrations for ${args.databaseUrlEnv}`, content: list.join("\n") || "(none)" }],
      };
    },
  });
}

export const migrateArgs = statusArgs.extend({
  /** Apply every pending file inside one transaction and roll it back: shows what would change, writes nothing. */
  dryRun: z.preprocess((v) => (v === undefined || v === "" ? true : v), boolArg()),
  /** How long a DDL statement may wait for a table lock before the migration gives up; default 15 s. */
  lockTimeoutSeconds: optionalInt(1, 600),
  schemas: schemasArg,
  /** The opsroom environment, so each file's outcome is recorded in opsroom's migration history (promotion checks). */
  env: optionalText(),
});

/** Each pending file of one attempt as far as it got: its SQL ran (ok) or raised (failed). */
type Tried = { file: MigrationFile; outcome: "ok" | "failed" }[];

/**
 * Applies pending migration files in one transaction under an advisory lock, recording each in
 * opsroom_target_migrations. With dryRun (the default) the same transaction is rolled back at the end,
 * so a dry run proves the files apply and reports the schema they would produce, and writes nothing.
 */
export function createMigrate(baseDir: string, history?: MigrationHistoryStore, clock: Clock = systemClock): AdapterAction {
  /**
   * Records what happened to each file, when the step names its env: a file that ran before another
   * failed is "rolled_back" (nothing of the attempt was kept). A record that cannot be written does not
   * change the migration's result (it is logged); the next plan then simply knows less.
   */
  const record = async (args: z.output<typeof migrateArgs>, ctx: ActionContext, tried: Tried, startedMs: number, error?: string) => {
    if (!history || !args.env || tried.length === 0) return;
    const failed = tried.some((t) => t.outcome === "failed");
    const at = new Date(clock.now());
    const durationMs = Math.max(0, Math.round(performance.now() - startedMs));
    try {
      await history.recordMigrationFiles(
        tried.map(({ file, outcome }) => ({
          env: args.env!,
          fileName: file.name,
          checksum: file.checksum,
          outcome: outcome === "failed" ? "failed" : failed || error ? "rolled_back" : "ok",
          dryRun: args.dryRun,
          durationMs,
          error: outcome === "failed" && error ? error.slice(0, 1000) : null,
          runId: ctx.runId ?? null,
          at,
        })),
      );
    } catch (err) {
      ctx.log.warn({ err }, "could not record the migration files' outcome in opsroom's history");
    }
  };
  return adapterAction("postgres", "migrate", {
    description: "Apply pending SQL migrations in one transaction (dryRun: apply, report the schema change, roll back).",
    args: migrateArgs,
    risk: "write",
    credentialsFor: (args) => [databaseCredential(args.databaseUrlEnv)],
    async dryRun(args) {
      const { files } = await readMigrations(baseDir, args.migrationsDir, "migrate");
      return {
        calls: [],
        summary: `would connect to ${args.databaseUrlEnv}, take the migration lock and ${args.dryRun ? "try (then roll back)" : "apply"} the files of ${args.migrationsDir} not yet in ${MIGRATIONS_TABLE} (${files.length} files: ${
          files
            .map((f) => f.name)
            .slice(-5)
            .join(", ") || "none"
        })`,
      };
    },
    async run(args, ctx) {
      const { files } = await readMigrations(baseDir, args.migrationsDir, "migrate");
      const tried: Tried = [];
      const startedMs = performance.now();
      let result;
      try {
        result = await withDatabase(ctx, args.databaseUrlEnv, async (client, where) => {
          await client.query("BEGIN");
          try {
            const result = await migrateInTransaction(client, ctx, args, files, where, tried);
            await client.query(args.dryRun ? "ROLLBACK" : "COMMIT");
            return result;
          } catch (err) {
            await client.query("ROLLBACK").catch(() => undefined);
            throw err;
          }
        });
      } catch (err) {
        await record(args, ctx, tried, startedMs, err instanceof OpsError ? err.userMessage : ctx.scrub.text(String(err)));
        throw err;
      }
      await record(args, ctx, tried, startedMs);
      return result;
    },
  });
}

async function migrateInTransaction(
  client: pg.Client,
  ctx: ActionContext,
  args: z.output<typeof migrateArgs>,
  files: readonly MigrationFile[],
  where: string,
  tried: Tried,
) {
  await client.query(`SET LOCAL lock_timeout = '${(args.lockTimeoutSeconds ?? 15) * 1000}ms'`);
  const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_xact_lock($1, $2) AS locked", [LOCK_CLASS, LOCK_OBJECT]);
  if (!rows[0]?.locked) {
    throw new AdapterError(
      "postgres",
      "migrate",
      "POSTGRES_MIGRATION_LOCKED",
      `another migration is running on ${where}; nothing was applied.`,
      {
        retryable: true,
        hint: "Wait for it to finish, then run again.",
      },
    );
  }
  await client.query(CREATE_TABLE);
  const { pending, changed, unknown } = compare(files, await appliedMigrations(client));
  const mode = args.dryRun ? "dry run" : "migrate";
  if (pending.length === 0) {
    return {
      summary: `${args.databaseUrlEnv}: nothing to apply, up to date with ${args.migrationsDir}${warnings(changed, unknown)}`,
      data: { dryRun: args.dryRun, applied: [], changes: [], changed, unknown },
    };
  }
  for (const file of pending) {
    const control = transactionControl(file.sql);
    if (control) {
      throw new AdapterError(
        "postgres",
        "migrate",
        "POSTGRES_MIGRATION_HAS_TRANSACTION",
        `${file.name} contains ${control}; opsroom applies all pending files in one transaction (and rolls it back on a dry run), so files must not manage transactions. Nothing was applied.`,
        { hint: `Remove the ${control} statements from ${file.name}.` },
      );
    }
  }
  const before = await snapshotSchema(client, args.schemas);
  for (const file of pending) {
    ctx.log.info({ migration: file.name, dry_run: args.dryRun }, "applying migration");
    try {
      await client.query(file.sql);
      tried.push({ file, outcome: "ok" });
    } catch (err) {
      tried.push({ file, outcome: "failed" });
      if (ctx.signal.aborted) throw err;
      throw new AdapterError(
        "postgres",
        "migrate",
        "POSTGRES_MIGRATION_FAILED",
        `${args.dryRun ? "dry run: " : ""}${file.name} failed on ${where}: ${ctx.scrub.text(sqlErrorText(err, file.sql))}. Nothing was applied (the transaction was rolled back).`,
        { hint: `Fix ${file.name} and run the ${mode} again.`, cause: err },
      );
    }
    await client.query(`INSERT INTO public.${MIGRATIONS_TABLE} (name, checksum, run_id) VALUES ($1, $2, $3)`, [
      file.name,
      file.checksum,
      ctx.runId,
    ]);
  }
  const after = await snapshotSchema(client, args.schemas);
  const diff = diffSchemas(before, after);
  const names = pending.map((f) => f.name);
  const verb = args.dryRun ? "would apply" : "applied";
  const artifacts: Artifact[] = [
    {
      kind: "diff",
      title: `Schema change ${args.dryRun ? "the migrations would make" : "made"} (as SQL)`,
      filename: "schema-change.sql",
      content: diff.statements.join("\n\n") || "-- no schema change",
    },
    {
      kind: "text",
      title: "Changed tables (Mermaid erDiagram)",
      filename: "changed-tables.mmd",
      content: erDiagram(before, after, diff.changes, diff.changedTables),
    },
    {
      kind: "file",
      title: `Migrations ${verb}`,
      filename: "migrations.sql",
      content: pending.map((f) => `-- ${f.name}\n${f.sql}`).join("\n\n"),
    },
  ];
  return {
    summary: `${args.dryRun ? "dry run (rolled back): " : ""}${verb} ${names.length} migration${names.length === 1 ? "" : "s"} to ${args.databaseUrlEnv}: ${describeChanges(diff.changes)}${warnings(changed, unknown)}`,
    data: { dryRun: args.dryRun, applied: names, changes: diff.changes, changed, unknown },
    artifacts,
  };
}
