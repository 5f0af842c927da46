import type { Db } from "./db.js";

/** One migration file's part in one migrate attempt on one environment (migration 023). */
export interface MigrationFileRun {
  env: string;
  fileName: string;
  checksum: string;
  /** ok: its SQL ran (committed, or rolled back on a dry run); failed: it raised; rolled_back: another file failed. */
  outcome: "ok" | "failed" | "rolled_back";
  dryRun: boolean;
  durationMs: number;
  error: string | null;
  runId: string | null;
  at: Date;
}

export interface MigrationHistory {
  /** Records every file of one migrate attempt (one statement: all or none). */
  recordMigrationFiles(rows: readonly MigrationFileRun[]): Promise<void>;
  /** Everything recorded for these files, in every environment, newest first. */
  migrationFileRuns(fileNames: readonly string[]): Promise<MigrationFileRun[]>;
  /** The files of the newest dry run on `env` (one attempt: its run id), or none. */
  latestDryRun(env: string): Promise<MigrationFileRun[]>;
}

const COLUMNS = "env, file_name, checksum, outcome, dry_run, duration_ms, error, run_id, at";

function toRow(r: Record<string, unknown>): MigrationFileRun {
  return {
    env: r.env as string,
    fileName: r.file_name as string,
    checksum: r.checksum as string,
    outcome: r.outcome as MigrationFileRun["outcome"],
    dryRun: r.dry_run as boolean,
    durationMs: Number(r.duration_ms),
    error: (r.error as string | null) ?? null,
    runId: (r.run_id as string | null) ?? null,
    at: new Date(r.at as string | Date),
  };
}

export function createMigrationHistory(db: Db): MigrationHistory {
  return {
    async recordMigrationFiles(rows) {
      if (rows.length === 0) return;
      await db.query(
        `INSERT INTO migration_file_runs (${COLUMNS})
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::int[], $7::text[], $8::uuid[], $9::timestamptz[])`,
        [
          rows.map((r) => r.env),
          rows.map((r) => r.fileName),
          rows.map((r) => r.checksum),
          rows.map((r) => r.outcome),
          rows.map((r) => r.dryRun),
          rows.map((r) => r.durationMs),
          rows.map((r) => r.error),
          rows.map((r) => r.runId),
          rows.map((r) => r.at.toISOString()),
        ],
      );
    },
    async migrationFileRuns(fileNames) {
      if (fileNames.length === 0) return [];
      const { rows } = await db.query(
        `SELECT ${COLUMNS} FROM migration_file_runs WHERE file_name = ANY($1::text[]) ORDER BY at DESC, id DESC`,
        [fileNames],
      );
      return rows.map((r) => toRow(r as Record<string, unknown>));
    },
    async latestDryRun(env) {
      const { rows } = await db.query(
        `SELECT ${COLUMNS} FROM migration_file_runs
         WHERE env = $1 AND dry_run AND run_id IS NOT DISTINCT FROM
           (SELECT run_id FROM migration_file_runs WHERE env = $1 AND dry_run ORDER BY at DESC, id DESC LIMIT 1)
           AND at = (SELECT max(at) FROM migration_file_runs WHERE env = $1 AND dry_run)
         ORDER BY file_name`,
        [env],
      );
      return rows.map((r) => toRow(r as Record<string, unknown>));
    },
  };
}
