import { z } from "zod";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { optionalInstant, optionalInt, optionalText } from "../shared/args.js";
import type { Clock } from "../shared/clock.js";
import { abortable } from "../shared/clock.js";
import { isoOf, type ChangeEvidence, type SymptomEvidence } from "../shared/evidence.js";
import { globalFetch, path, type FetchLike, type ProviderClient } from "../shared/http-client.js";
import { entriesFromText, type LogEntry } from "../shared/log-entries.js";
import { logReport } from "../shared/log-report.js";
import { appArg, DIGITALOCEAN_TOKEN, type AppDeployment } from "./client.js";

/** What triage reads from App Platform: deployments as changes, component health and run logs as symptoms. */

const labels = { service: optionalText(), env: optionalText() };

type Built = Array<{ name: string; source_commit_hash?: string }>;
type Listed = AppDeployment & {
  phase_last_updated_at?: string;
  services?: Built;
  workers?: Built;
  jobs?: Built;
  static_sites?: Built;
  cause_details?: { type?: string; digitalocean_user_action?: { user?: { full_name?: string; email?: string } } } | null;
};

/** Deployments that served traffic: the live one, and the ones live before it. */
const REACHED = new Set(["ACTIVE", "SUPERSEDED"]);
/** Phases whose last update is when the deploy ended (a SUPERSEDED one was last updated when it was replaced). */
const ENDED = new Set(["ACTIVE", "ERROR", "CANCELED"]);

export function createListDeployments(client: ProviderClient, consoleUrl: string): AdapterAction {
  return adapterAction("digitalocean", "listDeployments", {
    description: "List an App Platform app's recent deployments (newest first) as deploy changes.",
    args: z.strictObject({ app: appArg, limit: optionalInt(1, 100), ...labels }),
    risk: "read",
    credentials: [DIGITALOCEAN_TOKEN],
    async run(args, ctx) {
      const { body } = await client.request<{ deployments?: Listed[] }>(ctx, {
        method: "GET",
        path: path`/apps/${args.app}/deployments`,
        query: { per_page: args.limit ?? 10 },
        what: `list deployments of app ${args.app}`,
      });
      const deployments = body.deployments ?? [];
      const evidence: ChangeEvidence[] = deployments.map((d) => {
        const built = [...(d.services ?? []), ...(d.workers ?? []), ...(d.jobs ?? []), ...(d.static_sites ?? [])];
        const sha = built.find((s) => s.source_commit_hash)?.source_commit_hash ?? null;
        const by = d.cause_details?.digitalocean_user_action?.user?.full_name ?? null;
        return {
          type: "change",
          kind: "deploy",
          service: args.service ?? null,
          env: args.env ?? null,
          at: isoOf(d.created_at) ?? new Date(0).toISOString(),
          endedAt: ENDED.has(d.phase) ? isoOf(d.phase_last_updated_at ?? d.updated_at) : null,
          summary: `App Platform deployment ${d.id.slice(0, 8)}${sha ? ` @${sha.slice(0, 7)}` : ""} (${d.cause ?? "no cause given"})${by ? ` by ${by}` : ""}: ${d.phase}`,
          link: `${consoleUrl}/apps/${args.app}/deployments/${d.id}`,
          source: "DigitalOcean deployments",
          provider: "digitalocean",
          reached: REACHED.has(d.phase),
          state: d.phase,
          sha,
          by,
        };
      });
      return {
        summary:
          deployments.length === 0
            ? `no deployments of app ${args.app}`
            : `${deployments.length} deployment${deployments.length === 1 ? "" : "s"} of app ${args.app}; latest ${deployments[0]!.id} ${deployments[0]!.phase}`,
        data: {
          deployments: deployments.map((d) => ({ id: d.id, phase: d.phase, cause: d.cause ?? null, createdAt: d.created_at ?? null })),
          evidence,
        },
      };
    },
  });
}

interface ComponentHealth {
  name: string;
  state?: string;
  replicas_desired?: number;
  replicas_ready?: number;
  cpu_usage_percent?: number;
  memory_usage_percent?: number;
}

/** Health of an app's components (GET /v2/apps/{id}/health): each one's state and ready replicas, as symptoms. */
export function createAppHealth(client: ProviderClient, clock: Clock, consoleUrl: string): AdapterAction {
  return adapterAction("digitalocean", "appHealth", {
    description: "Read the health of an App Platform app's components (state, ready replicas, CPU and memory).",
    args: z.strictObject({ app: appArg, ...labels }),
    risk: "read",
    credentials: [DIGITALOCEAN_TOKEN],
    async run(args, ctx) {
      const { body } = await client.request<{ app_health?: { components?: ComponentHealth[] } }>(ctx, {
        method: "GET",
        path: path`/apps/${args.app}/health`,
        what: `read the health of app ${args.app}`,
      });
      const components = body.app_health?.components ?? [];
      const checkedAt = new Date(clock.now()).toISOString();
      const described = components.map((c) => {
        const healthy = (c.state ?? "UNKNOWN") === "HEALTHY" && (c.replicas_ready ?? 1) >= Math.min(1, c.replicas_desired ?? 1);
        const replicas = c.replicas_desired !== undefined ? `, ${c.replicas_ready ?? 0}/${c.replicas_desired} replicas ready` : "";
        return { c, healthy, said: `${c.state ?? "UNKNOWN"}${replicas}` };
      });
      const evidence: SymptomEvidence[] = described.map(({ c, healthy, said }) => ({
        type: "symptom",
        kind: "health",
        service: args.service ?? c.name,
        env: args.env ?? null,
        at: checkedAt,
        summary: `${c.name} ${healthy ? "healthy" : "unhealthy"}: ${said}`,
        link: `${consoleUrl}/apps/${args.app}`,
        source: "DigitalOcean app health",
        provider: "digitalocean",
        healthy,
        detail: said,
      }));
      const bad = described.filter((d) => !d.healthy);
      return {
        summary:
          components.length === 0
            ? `app ${args.app} reports no component health`
            : `${components.length - bad.length} of ${components.length} components healthy: ${described.map((d) => `${d.c.name} ${d.said}`).join("; ")}`,
        data: { components: described.map((d) => ({ name: d.c.name, state: d.c.state ?? null, healthy: d.healthy })), evidence },
      };
    },
  });
}

/** Archived and live log links are plain text; at most this many are read. */
const MAX_LOG_URLS = 4;

/**
 * Run logs of an app component (GET /v2/apps/{id}/components/{component}/logs?type=RUN): the API answers
 * with links (historic_urls, live_url) to plain-text logs, one line per entry prefixed by the component
 * and an RFC 3339 time; the links are signed and need no token. A live link may stream: each is read for
 * a few seconds at most.
 */
export function createGetLogs(client: ProviderClient, clock: Clock, fetchImpl: FetchLike = globalFetch): AdapterAction {
  return adapterAction("digitalocean", "getLogs", {
    description: "Read an App Platform component's run logs in a window and group the errors by signature.",
    args: z.strictObject({
      app: appArg,
      component: z
        .string({ error: "must be the name of a component in the app spec" })
        .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "must be the name of a component in the app spec (lowercase, digits, -)"),
      since: optionalInstant(),
      until: optionalInstant(),
      readSeconds: optionalInt(1, 60),
      ...labels,
    }),
    risk: "read",
    credentials: [DIGITALOCEAN_TOKEN],
    async run(args, ctx) {
      const { body } = await client.request<{ live_url?: string; historic_urls?: string[] }>(ctx, {
        method: "GET",
        path: path`/apps/${args.app}/components/${args.component}/logs`,
        query: { type: "RUN", follow: "false", pod_connection_timeout: "5s" },
        what: `get the run log links of ${args.component} in app ${args.app}`,
      });
      const urls = [...(body.historic_urls ?? []), ...(body.live_url && /^https:/.test(body.live_url) ? [body.live_url] : [])].slice(
        0,
        MAX_LOG_URLS,
      );
      const readMs = (args.readSeconds ?? 8) * 1000;
      const texts = await Promise.all(urls.map((url) => readText(url, readMs, ctx.signal, fetchImpl)));
      const entries: LogEntry[] = texts.flatMap((t) => entriesFromText(t));
      return logReport(entries, {
        what: `DigitalOcean run logs of ${args.component}`,
        source: "DigitalOcean logs",
        provider: "digitalocean",
        service: args.service,
        env: args.env,
        since: args.since,
        until: args.until ?? clock.now(),
      });
    },
  });
}

/** A signed log link's text, read for at most `ms`; an unreadable link reads as nothing. */
async function readText(url: string, ms: number, signal: AbortSignal, fetchImpl: FetchLike): Promise<string> {
  const limit = AbortSignal.any([signal, AbortSignal.timeout(ms)]);
  let text = "";
  try {
    const response = await abortable(fetchImpl(url, { signal: limit }), limit);
    if (!response.ok || !response.body) return "";
    const decoder = new TextDecoder();
    for await (const chunk of response.body) text += decoder.decode(chunk as Uint8Array, { stream: true });
  } catch {
    // Ran out of time or the link expired: keep what arrived.
  }
  if (signal.aborted) throw signal.reason;
  return text;
}
