import type { Adapter } from "../types.js";
import { createMigrate, createMigrationStatus } from "./migrations.js";
import { createPromotionCheck, type MigrationHistoryStore } from "./promotion.js";
import { systemClock, type Clock } from "../shared/clock.js";
import { createQueryTime } from "./query-time.js";
import { createSchemaDiff } from "./schema-diff.js";
import { createSqlGate } from "./sql-gate.js";

export interface PostgresAdapterOptions {
  /** Folder relative migrationsDir values are resolved from; the bot's working directory by default. */
  baseDir?: string;
  /** opsroom's record of each migration file's runs per environment; absent where no store is open. */
  migrationHistory?: MigrationHistoryStore | undefined;
  clock?: Clock;
}

export type { MigrationFileRun, MigrationHistoryStore } from "./promotion.js";

/**
 * A target service's own Postgres database (not opsroom's store): migration status, migrations with a
 * rolled-back dry run, and schema diffs. Credentials are dynamic: the URL is read from the credential
 * named by `databaseUrlEnv` (`fromUrlEnv`, `toUrlEnv`), see `credentialsFor`.
 */
export function createPostgresAdapter(options: PostgresAdapterOptions = {}): Adapter {
  const baseDir = options.baseDir ?? process.cwd();
  return {
    id: "postgres",
    description:
      "Target databases: pending migrations, promotion from staging, migrate (with a rolled-back dry run), schema diff, SQL gates.",
    actions: {
      migrationStatus: createMigrationStatus(baseDir),
      migrate: createMigrate(baseDir, options.migrationHistory, options.clock ?? systemClock),
      promotion: createPromotionCheck(baseDir, options.migrationHistory, options.clock ?? systemClock),
      schemaDiff: createSchemaDiff(),
      queryTime: createQueryTime(),
      gate: createSqlGate(),
    },
  };
}
