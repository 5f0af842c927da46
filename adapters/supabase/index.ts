import type { Adapter } from "../types.js";
import type { SupabaseAdapterOptions } from "./client.js";
import { createGetFlag, createListFlags, createSetFlag } from "./flags.js";
import { createHealth } from "./health.js";

export type { SupabaseAdapterOptions } from "./client.js";

/**
 * A team's Supabase project as an ops target, through supabase-js: the feature_flags table and health.
 * Credentials: SUPABASE_URL (configuration, not secret) and SUPABASE_SERVICE_ROLE_KEY.
 */
export function createSupabaseAdapter(options: SupabaseAdapterOptions = {}): Adapter {
  return {
    id: "supabase",
    description: "Supabase: feature flags (feature_flags table) and project health.",
    actions: {
      listFlags: createListFlags(options),
      getFlag: createGetFlag(options),
      setFlag: createSetFlag(options),
      health: createHealth(options),
    },
  };
}
