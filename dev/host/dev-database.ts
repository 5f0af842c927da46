import { PGlite } from "@electric-sql/pglite";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile } from "node:fs/promises";
import path from "node:path";

/** The sample app's SQL, as a team keeps it: supabase/migrations/*.sql and supabase/seed.sql. */
export const SAMPLE_SUPABASE = path.resolve(import.meta.dirname, "../sample/supabase");

/** The bookkeeping table of opsroom's postgres adapter (adapters/postgres/migrations.ts), same columns. */
const MIGRATIONS_TABLE = "opsroom_target_migrations";

export interface DatabaseSpec {
  /** The PGlite data folder. */
  folder: string;
  /** Value of feature_flags.environment in the seed data ("development" for dev). */
  environment: string;
  /** How many of the newest migrations to leave pending when the database is created. */
  pending: number;
}

/**
 * Opens a dev database, creating it on first use: every migration but the newest `pending` ones is applied
 * and recorded the way opsroom's migrate runbook records them (so `migrate dev` has something to do), then
 * the seed data goes in. One PGlite instance per folder, held by this process only (see pg-bridge.ts).
 */
export async function openDevDatabase(spec: DatabaseSpec): Promise<PGlite> {
  const fresh = !existsSync(path.join(spec.folder, "PG_VERSION"));
  await mkdir(spec.folder, { recursive: true });
  const db = await PGlite.create(spec.folder);
  if (!fresh) return db;
  const dir = path.join(SAMPLE_SUPABASE, "migrations");
  const names = (await readdir(dir)).filter((n) => n.endsWith(".sql")).sort();
  const applied = names.slice(0, Math.max(0, names.length - spec.pending));
  await db.transaction(async (tx) => {
    await tx.exec(
      `CREATE TABLE public.${MIGRATIONS_TABLE} (name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), run_id text)`,
    );
    for (const name of applied) {
      const sql = await readFile(path.join(dir, name), "utf8");
      await tx.exec(sql);
      const checksum = createHash("sha256").update(sql).digest("hex");
      await tx.query(
        `INSERT INTO public.${MIGRATIONS_TABLE} (name, checksum, applied_at, run_id) VALUES ($1, $2, now() - interval '2 days', 'dev-setup')`,
        [name, checksum],
      );
    }
    await tx.query("SELECT set_config('app.environment', $1, true)", [spec.environment]);
    await tx.exec(await readFile(path.join(SAMPLE_SUPABASE, "seed.sql"), "utf8"));
  });
  // PGlite has no autovacuum or autoanalyze (shared/POSTGRES.md): give the planner statistics once.
  await db.exec("ANALYZE");
  return db;
}
