import type { Adapter, AdapterAction } from "./types.js";
import { createDigitaloceanAdapter, type DigitaloceanAdapterOptions } from "./digitalocean/index.js";
import { createGithubAdapter, type GithubAdapterOptions } from "./github/index.js";
import { createHttpAdapter } from "./http/index.js";
import { createPostgresAdapter, type PostgresAdapterOptions } from "./postgres/index.js";
import { createReportAdapter } from "./report/index.js";
import { parseArgs } from "./shared/action.js";
import type { Clock } from "./shared/clock.js";
import type { FetchLike } from "./shared/http-client.js";
import { createShellAdapter, type ShellAdapterOptions } from "./shell/index.js";
import { createSupabaseAdapter, type SupabaseAdapterOptions } from "./supabase/index.js";
import { createVercelAdapter, type VercelAdapterOptions } from "./vercel/index.js";

export { createDigitaloceanAdapter } from "./digitalocean/index.js";
export { createGithubAdapter } from "./github/index.js";
export { createHttpAdapter } from "./http/index.js";
export { createPostgresAdapter } from "./postgres/index.js";
export { createReportAdapter } from "./report/index.js";
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
  baseUrls?: { github?: string; githubWeb?: string; vercel?: string; digitalocean?: string };
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
  const postgres: PostgresAdapterOptions = options.baseDir ? { baseDir: options.baseDir } : {};
  return [
    createHttpAdapter(options.fetch ? { fetch: options.fetch } : {}),
    createGithubAdapter(github),
    createVercelAdapter(vercel),
    createSupabaseAdapter({
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
      ...(options.supabaseEnvironments ? { environments: options.supabaseEnvironments } : {}),
    }),
    createDigitaloceanAdapter(digitalocean),
    createPostgresAdapter(postgres),
    createShellAdapter({
      ...(options.shellEnv ? { baseEnv: options.shellEnv } : {}),
      ...(options.baseDir ? { baseDir: options.baseDir } : {}),
    }),
    createReportAdapter(options.clock ? { clock: options.clock } : {}),
  ];
}

export interface FoundAction {
  readonly adapter: Adapter;
  readonly name: string;
  readonly action: AdapterAction;
  /** "github.dispatchWorkflow" */
  readonly uses: string;
}

/**
 * The action a runbook step `uses:` ("adapter.action"), or undefined when there is none; `listActions`
 * gives the known names for the error message.
 */
export function findAction(adapters: readonly Adapter[], uses: string): FoundAction | undefined {
  const dot = uses.indexOf(".");
  if (dot <= 0) return undefined;
  const adapter = adapters.find((a) => a.id === uses.slice(0, dot));
  const name = uses.slice(dot + 1);
  const action = adapter && Object.hasOwn(adapter.actions, name) ? adapter.actions[name] : undefined;
  return adapter && action ? { adapter, name, action, uses } : undefined;
}

/** Every "adapter.action" name, sorted. */
export function listActions(adapters: readonly Adapter[]): string[] {
  return adapters.flatMap((a) => Object.keys(a.actions).map((name) => `${a.id}.${name}`)).sort();
}

/**
 * Validates a step's args against its action's schema; throws AdapterError ADAPTER_INVALID_ARGS naming
 * every bad field, what is allowed and the value seen. Actions validate again on run.
 */
export function validateArgs(found: FoundAction, args: unknown): unknown {
  return parseArgs(found.adapter.id, found.name, found.action.args, args);
}
