import type { Adapter } from "../types.js";
import { createMigrate, createMigrationStatus } from "./migrations.js";
import { createQueryTime } from "./query-time.js";
import { createSchemaDiff } from "./schema-diff.js";
import { createSqlGate } from "./sql-gate.js";

export interface PostgresAdapterOptions {
  /** Folder relative migrationsDir values are resolved from; the bot's working directory by default. */
  baseDir?: string;
}

/**
 * A target service's own Postgres database (not opsroom's store): migration status, migrations with a
 * rolled-back dry run, and schema diffs. Credentials are dynamic: the URL is read from the credential
 * named by `databaseUrlEnv` (`fromUrlEnv`, `toUrlEnv`), see `credentialsFor`.
 */
export function createPostgresAdapter(options: PostgresAdapterOptions = {}): Adapter {
  const baseDir = options.baseDir ?? process.cwd();
  return {
    id: "postgres",
    description: "Target databases: pending migrations, migrate (with a rolled-back dry run), schema diff, SQL gates.",
    actions: {
      migrationStatus: createMigrationStatus(baseDir),
      migrate: createMigrate(baseDir),
      schemaDiff: createSchemaDiff(),
      queryTime: createQueryTime(),
      gate: createSqlGate(),
    },
  };
}
