import type { Adapter } from "../types.js";
import { systemClock } from "../shared/clock.js";
import type { SupabaseAdapterOptions } from "./client.js";
import { createGetFlag, createListFlags, createSetFlag } from "./flags.js";
import { createHealth } from "./health.js";
import { createGetLogs } from "./logs.js";

export type { SupabaseAdapterOptions } from "./client.js";

/**
 * A team's Supabase project as an ops target, through supabase-js: the feature_flags table and health;
 * its logs through the Management API. Credentials: SUPABASE_URL (configuration, not secret) and
 * SUPABASE_SERVICE_ROLE_KEY; SUPABASE_ACCESS_TOKEN for logs.
 */
export function createSupabaseAdapter(options: SupabaseAdapterOptions = {}): Adapter {
  return {
    id: "supabase",
    description: "Supabase: feature flags (feature_flags table), project health and logs.",
    actions: {
      listFlags: createListFlags(options),
      getFlag: createGetFlag(options),
      setFlag: createSetFlag(options),
      health: createHealth(options),
      getLogs: createGetLogs({
        clock: options.clock ?? systemClock,
        ...(options.managementApiUrl ? { managementApiUrl: options.managementApiUrl } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
      }),
    },
  };
}
