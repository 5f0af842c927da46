import { createRequire } from "node:module";
import type { SupabaseClient } from "@supabase/supabase-js";
import { AdapterError } from "../../src/errors.js";
import type { CredentialSpec } from "../types.js";
import type { ActionContext } from "../shared/action.js";
import type { Clock } from "../shared/clock.js";
import { globalFetch, truncate, type FetchLike } from "../shared/http-client.js";

export interface SupabaseAdapterOptions {
  fetch?: FetchLike;
  /**
   * opsroom environment name → value of the feature_flags.environment column. The column defaults to
   * 'production', so prod maps there; unlisted names map to themselves.
   */
  environments?: Readonly<Record<string, string>>;
  requestTimeoutMs?: number;
  /** https://api.supabase.com unless a proxy or test server stands in (logs). */
  managementApiUrl?: string;
  /** "Now" for the logs window; the system clock by default. */
  clock?: Clock;
}

export const SUPABASE_URL: CredentialSpec = {
  name: "SUPABASE_URL",
  description: "the Supabase project URL, like https://abcd1234.supabase.co",
  secret: false,
};

export const SUPABASE_SERVICE_ROLE_KEY: CredentialSpec = {
  name: "SUPABASE_SERVICE_ROLE_KEY",
  description: "the project's service_role (secret) API key, which bypasses row level security",
};

export const SUPABASE_CREDENTIALS = [SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY] as const;

export const DEFAULT_ENVIRONMENTS: Readonly<Record<string, string>> = {
  prod: "production",
  production: "production",
  staging: "staging",
  dev: "development",
  development: "development",
};

/** The project URL from the credentials, checked, without a trailing slash. */
export function projectUrl(ctx: ActionContext): string {
  const raw = ctx.credentials[SUPABASE_URL.name] ?? "";
  try {
    const url = new URL(raw);
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("not http");
    return url.toString().replace(/\/+$/, "");
  } catch {
    throw new AdapterError("supabase", ctx.action, "SUPABASE_BAD_URL", "SUPABASE_URL is not an http(s) URL.", {
      hint: "Set it to the project URL from Supabase → Project Settings → API, like https://abcd1234.supabase.co.",
    });
  }
}

/**
 * A supabase-js client for one step: no session persistence or refresh timers, and a fetch bound to the
 * step's signal plus a per-request timeout, so every PostgREST call is cancellable.
 */
export function clientFor(ctx: ActionContext, options: SupabaseAdapterOptions): SupabaseClient {
  const fetchImpl = options.fetch ?? globalFetch;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const boundFetch: FetchLike = (input, init) => {
    const signals = [ctx.signal, AbortSignal.timeout(timeoutMs), ...(init?.signal ? [init.signal] : [])];
    return fetchImpl(input, { ...init, signal: AbortSignal.any(signals) });
  };
  return loadSupabase().createClient(projectUrl(ctx), ctx.credentials[SUPABASE_SERVICE_ROLE_KEY.name] ?? "", {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { fetch: boundFetch, headers: { "x-client-info": "opsroom" } },
  });
}

/** supabase-js, loaded when a Supabase step first runs: importing it costs every start a tenth of a second. */
const loadSupabase = () => createRequire(import.meta.url)("@supabase/supabase-js") as typeof import("@supabase/supabase-js");

export interface PostgrestFailure {
  message: string;
  code?: string;
  details?: string | null;
  hint?: string | null;
}

/** Turns a PostgREST error (or a network failure, status 0) into an AdapterError with a stable code. */
export function postgrestError(ctx: ActionContext, what: string, error: PostgrestFailure, status: number): AdapterError {
  const detail = ctx.scrub.text(truncate(error.message, 300));
  const base = `Supabase: could not ${what}`;
  if (status === 0) {
    return new AdapterError("supabase", ctx.action, "SUPABASE_UNREACHABLE", `${base}: ${detail}.`, {
      retryable: true,
      hint: "Check SUPABASE_URL and that the project is not paused.",
    });
  }
  if (status === 401 || status === 403) {
    return new AdapterError("supabase", ctx.action, "SUPABASE_UNAUTHORIZED", `${base} (${status}): ${detail}.`, {
      status,
      hint: "SUPABASE_SERVICE_ROLE_KEY was rejected: use the project's service_role key (Project Settings → API).",
    });
  }
  if (error.code === "PGRST205" || error.code === "42P01") {
    return new AdapterError(
      "supabase",
      ctx.action,
      "SUPABASE_TABLE_MISSING",
      `${base}: table feature_flags does not exist in this project (${error.code}).`,
      {
        status,
        hint: "Create it with the feature flags migration (flag_key, is_enabled, rollout_percentage, environment, metadata).",
      },
    );
  }
  if (status === 429 || status >= 500) {
    return new AdapterError(
      "supabase",
      ctx.action,
      status === 429 ? "SUPABASE_RATE_LIMITED" : "SUPABASE_UNAVAILABLE",
      `${base} (${status}): ${detail}.`,
      {
        status,
        retryable: true,
      },
    );
  }
  return new AdapterError(
    "supabase",
    ctx.action,
    "SUPABASE_REQUEST_FAILED",
    `${base} (${status}${error.code ? ` ${error.code}` : ""}): ${detail}.`,
    {
      status,
    },
  );
}
