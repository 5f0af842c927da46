import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { StoreError } from "../errors.js";
import type { Db } from "./db.js";

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "migrations");

// Any fixed number works; it only has to be the same in every opsroom process.
const MIGRATION_LOCK_ID = 7_316_042_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d+_.+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = readFileSync(path.join(dir, file), "utf8");
      return {
        version: Number(file.split("_")[0]),
        name: file.replace(/\.sql$/, ""),
        sql,
        checksum: createHash("sha256").update(sql).digest("hex"),
      };
    });
}

/**
 * Applies pending migrations in one transaction under an advisory lock, so two processes starting
 * at once apply each migration exactly once (the second waits, then finds nothing to do).
 * Returns the names applied.
 */
export async function migrate(db: Db, migrations = readMigrations()): Promise<string[]> {
  const applied = await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_ID]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await tx.query<{ version: number; name: string; checksum: string }>(
      "SELECT version, name, checksum FROM schema_migrations",
    );
    const done = new Map(rows.map((r) => [r.version, r]));
    const names: string[] = [];
    for (const migration of migrations) {
      const previous = done.get(migration.version);
      if (previous) {
        if (previous.checksum !== migration.checksum) {
          throw new StoreError(
            "STORE_MIGRATION_CHANGED",
            `Migration ${migration.name} was changed after it was applied; add a new migration instead.`,
          );
        }
        continue;
      }
      await tx.exec(migration.sql);
      await tx.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      names.push(migration.name);
    }
    return names;
  });
  // PGlite has no autovacuum/autoanalyze; without statistics the claim query sorts every queued row.
  // Statistics are stored with the data, and workers refresh them every minute (Store.maintain), so
  // only a schema that just changed needs them now: a whole-database ANALYZE costs half a second.
  if (db.kind === "pglite" && applied.length > 0) await db.query("ANALYZE");
  return applied;
}
