import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { abortable } from "../shared/clock.js";
import { abortError, networkErrorCode } from "../shared/errors.js";
import { globalFetch } from "../shared/http-client.js";
import {
  clientFor,
  postgrestError,
  projectUrl,
  SUPABASE_CREDENTIALS,
  SUPABASE_SERVICE_ROLE_KEY,
  type SupabaseAdapterOptions,
} from "./client.js";

/** Auth health (GET /auth/v1/health) and a PostgREST probe that the feature_flags table answers. */
export function createHealth(options: SupabaseAdapterOptions): AdapterAction {
  return adapterAction("supabase", "health", {
    description: "Check the Supabase project answers: auth health and the REST API (feature_flags row count).",
    args: z.strictObject({}),
    risk: "read",
    credentials: SUPABASE_CREDENTIALS,
    async run(_args, ctx) {
      const base = projectUrl(ctx);
      const key = ctx.credentials[SUPABASE_SERVICE_ROLE_KEY.name] ?? "";
      const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(options.requestTimeoutMs ?? 30_000)]);
      const started = performance.now();
      let auth: { status: number; version?: string; name?: string };
      try {
        const res = await abortable((options.fetch ?? globalFetch)(`${base}/auth/v1/health`, { headers: { apikey: key }, signal }), signal);
        const body = (await abortable(res.text(), signal)).trim();
        let parsed: { version?: string; name?: string } = {};
        try {
          parsed = body ? (JSON.parse(body) as typeof parsed) : {};
        } catch {
          parsed = {};
        }
        auth = { status: res.status, ...parsed };
      } catch (err) {
        if (ctx.signal.aborted) throw abortError("supabase", "health", "Supabase auth health check", ctx.signal.reason);
        if (signal.aborted)
          throw abortError("supabase", "health", "Supabase auth health check", new DOMException("timeout", "TimeoutError"));
        throw new AdapterError(
          "supabase",
          "health",
          "SUPABASE_UNREACHABLE",
          `Supabase: cannot reach ${base} (${networkErrorCode(err) ?? "network error"}).`,
          {
            retryable: true,
            cause: err,
            hint: "Check SUPABASE_URL and that the project is not paused.",
          },
        );
      }
      const authMs = Math.round(performance.now() - started);
      if (auth.status === 401 || auth.status === 403) {
        throw new AdapterError("supabase", "health", "SUPABASE_UNAUTHORIZED", `Supabase: ${base}/auth/v1/health answered ${auth.status}.`, {
          status: auth.status,
          hint: "SUPABASE_SERVICE_ROLE_KEY was rejected: use the project's service_role key (Project Settings → API).",
        });
      }
      if (auth.status < 200 || auth.status >= 300) {
        throw new AdapterError("supabase", "health", "SUPABASE_UNHEALTHY", `Supabase: auth health at ${base} answered ${auth.status}.`, {
          status: auth.status,
          retryable: auth.status >= 500,
        });
      }
      const rest = await clientFor(ctx, options)
        .from("feature_flags")
        .select("flag_key", { count: "exact", head: true })
        .retry(false)
        .abortSignal(ctx.signal);
      if (rest.error) throw postgrestError(ctx, "query feature_flags", rest.error, rest.status);
      const version = auth.version ? ` (${auth.name ?? "auth"} ${auth.version})` : "";
      return {
        summary: `Supabase ${new URL(base).host}: auth ${auth.status} in ${authMs} ms${version}; REST ${rest.status}, feature_flags has ${rest.count ?? "?"} rows`,
        data: {
          authStatus: auth.status,
          authVersion: auth.version ?? null,
          restStatus: rest.status,
          flagCount: rest.count ?? null,
          authLatencyMs: authMs,
        },
      };
    },
  });
}
