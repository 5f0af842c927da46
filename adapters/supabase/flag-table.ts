import type pg from "pg";
import type { CredentialSpec } from "../types.js";
import type { ActionContext } from "../shared/action.js";
import { withDatabase } from "../postgres/connect.js";
import { clientFor, postgrestError, SUPABASE_CREDENTIALS, type SupabaseAdapterOptions } from "./client.js";

/** A row of feature_flags as created by the flags migration (seed 003). */
export interface FlagRow {
  id: string;
  flag_key: string;
  description: string | null;
  is_enabled: boolean;
  rollout_percentage: number | null;
  environment: string;
  target_user_ids: string[] | null;
  metadata: Record<string, unknown> | null;
  created_at: string | null;
  updated_at: string | null;
}

export interface FlagPatch {
  is_enabled?: boolean;
  rollout_percentage?: number;
  metadata?: Record<string, unknown>;
  /** The users who get the flag whatever the percentage (seed 003: uuid[]). */
  target_user_ids?: string[];
  updated_at: string;
}

/**
 * The feature_flags table, wherever it is read from. Through Supabase's REST API (PostgREST, with
 * SUPABASE_URL and the service role key), or over a Postgres connection to the database named by
 * `databaseUrlEnv` (the same table of a Supabase project's own database, or any Postgres: the dev
 * environment's). Both speak the same rows, so the flag runbook, the ops board and triage read alike.
 */
export interface FlagTable {
  list(environment: string): Promise<FlagRow[]>;
  /** The flag's row in the environment, and the environments it exists in otherwise. */
  find(flag: string, environment: string): Promise<{ row: FlagRow | undefined; elsewhere: string[] }>;
  /** Compare-and-set on updated_at: undefined when the row changed since `expectedUpdatedAt`. */
  update(flag: string, environment: string, patch: FlagPatch, expectedUpdatedAt: string | null): Promise<FlagRow | undefined>;
}

export const TABLE = "feature_flags";
export const COLUMNS = "id,flag_key,description,is_enabled,rollout_percentage,environment,target_user_ids,metadata,created_at,updated_at";

/** The credentials the table's access needs: the database URL's variable, or Supabase's pair. */
export function flagTableCredentials(args: { databaseUrlEnv?: string | undefined }): readonly CredentialSpec[] {
  return args.databaseUrlEnv
    ? [{ name: args.databaseUrlEnv, description: "the database holding the feature_flags table (postgres://…)" }]
    : SUPABASE_CREDENTIALS;
}

/** Runs `fn` against the table this step reads: over Postgres when `databaseUrlEnv` is given, else REST. */
export function withFlagTable<T>(
  ctx: ActionContext,
  options: SupabaseAdapterOptions,
  databaseUrlEnv: string | undefined,
  fn: (table: FlagTable) => Promise<T>,
): Promise<T> {
  if (databaseUrlEnv) return withDatabase(ctx, databaseUrlEnv, (client) => fn(sqlTable(client)));
  return fn(restTable(ctx, options));
}

function restTable(ctx: ActionContext, options: SupabaseAdapterOptions): FlagTable {
  const client = clientFor(ctx, options);
  return {
    async list(environment) {
      const { data, error, status } = await client
        .from(TABLE)
        .select(COLUMNS)
        .eq("environment", environment)
        .order("flag_key")
        .retry(false)
        .abortSignal(ctx.signal);
      if (error) throw postgrestError(ctx, `list feature flags for ${environment}`, error, status);
      return (data ?? []) as unknown as FlagRow[];
    },
    async find(flag, environment) {
      const { data, error, status } = await client
        .from(TABLE)
        .select(COLUMNS)
        .eq("flag_key", flag)
        .eq("environment", environment)
        .retry(false)
        .abortSignal(ctx.signal);
      if (error) throw postgrestError(ctx, `read flag ${flag}`, error, status);
      const row = (data as unknown as FlagRow[] | null)?.[0];
      if (row) return { row, elsewhere: [] };
      const other = await client.from(TABLE).select("environment").eq("flag_key", flag).retry(false).abortSignal(ctx.signal);
      return { row: undefined, elsewhere: ((other.data ?? []) as Array<{ environment: string }>).map((r) => r.environment) };
    },
    async update(flag, environment, patch, expectedUpdatedAt) {
      let query = client.from(TABLE).update(patch).eq("flag_key", flag).eq("environment", environment);
      query = expectedUpdatedAt === null ? query.is("updated_at", null) : query.eq("updated_at", expectedUpdatedAt);
      const { data, error, status } = await query.select(COLUMNS).retry(false).abortSignal(ctx.signal);
      if (error) throw postgrestError(ctx, `update flag ${flag}`, error, status);
      return (data as unknown as FlagRow[] | null)?.[0];
    },
  };
}

// Timestamps travel as ISO text with microseconds (to_json), so the compare-and-set matches exactly.
const SELECT = `SELECT id::text, flag_key, description, is_enabled, rollout_percentage, environment,
  to_json(target_user_ids) AS target_user_ids, metadata,
  to_json(created_at) #>> '{}' AS created_at, to_json(updated_at) #>> '{}' AS updated_at`;

function sqlTable(client: pg.Client): FlagTable {
  return {
    async list(environment) {
      return (await client.query<FlagRow>(`${SELECT} FROM ${TABLE} WHERE environment = $1 ORDER BY flag_key`, [environment])).rows;
    },
    async find(flag, environment) {
      const { rows } = await client.query<FlagRow>(`${SELECT} FROM ${TABLE} WHERE flag_key = $1 AND environment = $2`, [flag, environment]);
      if (rows[0]) return { row: rows[0], elsewhere: [] };
      const other = await client.query<{ environment: string }>(`SELECT environment FROM ${TABLE} WHERE flag_key = $1`, [flag]);
      return { row: undefined, elsewhere: other.rows.map((r) => r.environment) };
    },
    async update(flag, environment, patch, expectedUpdatedAt) {
      const { rows } = await client.query<FlagRow>(
        `WITH changed AS (
           UPDATE ${TABLE} SET is_enabled = coalesce($3, is_enabled), rollout_percentage = coalesce($4, rollout_percentage),
             metadata = coalesce($5::jsonb, metadata), updated_at = $6, target_user_ids = coalesce($8::uuid[], target_user_ids)
           WHERE flag_key = $1 AND environment = $2 AND updated_at IS NOT DISTINCT FROM $7::timestamptz RETURNING *)
         ${SELECT} FROM changed`,
        [
          flag,
          environment,
          patch.is_enabled ?? null,
          patch.rollout_percentage ?? null,
          patch.metadata === undefined ? null : JSON.stringify(patch.metadata),
          patch.updated_at,
          expectedUpdatedAt,
          patch.target_user_ids ?? null,
        ],
      );
      return rows[0];
    },
  };
}
