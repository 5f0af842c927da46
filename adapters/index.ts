import type { Adapter } from "./types.js";
import { createBoardAdapter, type ChecklistStore } from "./board/index.js";
import { createDigitaloceanAdapter, type DigitaloceanAdapterOptions } from "./digitalocean/index.js";
import { createGithubAdapter, type GithubAdapterOptions } from "./github/index.js";
import { createHistoryAdapter, type RunHistoryReader } from "./history/index.js";
import { createHttpAdapter } from "./http/index.js";
import { createPostgresAdapter, type MigrationHistoryStore, type PostgresAdapterOptions } from "./postgres/index.js";
import { createReportAdapter } from "./report/index.js";
import { createRolloutAdapter, type RolloutScheduler } from "./rollout/index.js";
import type { Clock } from "./shared/clock.js";
import type { FetchLike } from "./shared/http-client.js";
import { createShellAdapter, type ShellAdapterOptions } from "./shell/index.js";
import { createSupabaseAdapter, type SupabaseAdapterOptions } from "./supabase/index.js";
import { createVercelAdapter, type VercelAdapterOptions } from "./vercel/index.js";

export { createBoardAdapter } from "./board/index.js";
export type { ChecklistStore } from "./board/index.js";
export { createDigitaloceanAdapter } from "./digitalocean/index.js";
export { createGithubAdapter } from "./github/index.js";
export { createHistoryAdapter } from "./history/index.js";
export type { HistoryRun, RunHistoryReader } from "./history/index.js";
export { createHttpAdapter } from "./http/index.js";
export { createPostgresAdapter } from "./postgres/index.js";
export type { MigrationFileRun, MigrationHistoryStore } from "./postgres/index.js";
export { createReportAdapter } from "./report/index.js";
export { createRolloutAdapter } from "./rollout/index.js";
export type { LiveRollout, RolloutScheduler, StagePlan } from "./rollout/index.js";
export { createShellAdapter } from "./shell/index.js";
export { createSupabaseAdapter } from "./supabase/index.js";
export { createVercelAdapter } from "./vercel/index.js";
export type { Clock } from "./shared/clock.js";
export { systemClock } from "./shared/clock.js";
export type { DryRunPlan, PlannedCall } from "./shared/action.js";
export { AdapterFailure } from "./shared/errors.js";

export interface AdapterOptions {
  /** One fetch for every HTTP adapter (tests, proxies); the global fetch by default. */
  fetch?: FetchLike;
  /** Provider API bases, for proxies, GitHub Enterprise Server and local test servers. */
  baseUrls?: { github?: string; githubWeb?: string; vercel?: string; digitalocean?: string; supabaseManagement?: string };
  /** Time for polling actions; the system clock by default. */
  clock?: Clock;
  /** Per-request limit for provider calls, on top of each step's own timeout; default 30 s. */
  requestTimeoutMs?: number;
  /** Default Vercel team (id or slug) when a step gives none. */
  vercelTeam?: string;
  /** opsroom env → feature_flags.environment value; prod → production by default. */
  supabaseEnvironments?: SupabaseAdapterOptions["environments"];
  /** Where relative migrationsDir and shell cwd values are resolved; the working directory by default. */
  baseDir?: string;
  /** The environment every shell command starts from (e.g. PATH, HOME); nothing else is inherited. */
  shellEnv?: ShellAdapterOptions["baseEnv"];
  /** opsroom's run history, read-only, for triage's changes; absent where no store is open. */
  history?: RunHistoryReader;
  /** Where approved rollouts are scheduled (opsroom's store); absent where no store is open. */
  rollouts?: RolloutScheduler;
  /** The ops board's checklist states and history; absent where no store is open. */
  checklist?: ChecklistStore;
  /** Each migration file's runs per environment (promotion checks); absent where no store is open. */
  migrationHistory?: MigrationHistoryStore;
}

/**
 * Every adapter, configured. Only the composition root calls this; everything else receives the list.
 *
 * @example const adapters = createAdapters({ shellEnv: { PATH: env.PATH }, vercelTeam: "team_abc" });
 */
export function createAdapters(options: AdapterOptions = {}): Adapter[] {
  const common = {
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
  };
  const github: GithubAdapterOptions = {
    ...common,
    ...(options.baseUrls?.github ? { apiUrl: options.baseUrls.github } : {}),
    ...(options.baseUrls?.githubWeb ? { webUrl: options.baseUrls.githubWeb } : {}),
  };
  const vercel: VercelAdapterOptions = {
    ...common,
    ...(options.baseUrls?.vercel ? { apiUrl: options.baseUrls.vercel } : {}),
    ...(options.vercelTeam ? { team: options.vercelTeam } : {}),
  };
  const digitalocean: DigitaloceanAdapterOptions = {
    ...common,
    ...(options.baseUrls?.digitalocean ? { apiUrl: options.baseUrls.digitalocean } : {}),
  };
  const postgres: PostgresAdapterOptions = {
    ...(options.baseDir ? { baseDir: options.baseDir } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    migrationHistory: options.migrationHistory,
  };
  return [
    createHttpAdapter({
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.baseDir ? { baseDir: options.baseDir } : {}),
    }),
    createGithubAdapter(github),
    createVercelAdapter(vercel),
    createSupabaseAdapter({
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
      ...(options.supabaseEnvironments ? { environments: options.supabaseEnvironments } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.baseUrls?.supabaseManagement ? { managementApiUrl: options.baseUrls.supabaseManagement } : {}),
    }),
    createDigitaloceanAdapter(digitalocean),
    createPostgresAdapter(postgres),
    createShellAdapter({
      ...(options.shellEnv ? { baseEnv: options.shellEnv } : {}),
      ...(options.baseDir ? { baseDir: options.baseDir } : {}),
    }),
    createReportAdapter(options.clock ? { clock: options.clock } : {}),
    createHistoryAdapter({ reader: options.history, ...(options.clock ? { clock: options.clock } : {}) }),
    createRolloutAdapter({ scheduler: options.rollouts, ...(options.clock ? { clock: options.clock } : {}) }),
    createBoardAdapter({
      checklist: options.checklist,
      ...(options.baseDir ? { baseDir: options.baseDir } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    }),
  ];
}
