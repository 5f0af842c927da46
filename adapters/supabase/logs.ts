import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction, CredentialSpec } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { listArg, optionalInstant, optionalText } from "../shared/args.js";
import type { Clock } from "../shared/clock.js";
import { messageOf, ProviderClient, type FetchLike } from "../shared/http-client.js";
import { entryFromRecord, type LogEntry } from "../shared/log-entries.js";
import { logReport } from "../shared/log-report.js";
import { SUPABASE_URL } from "./client.js";

export const SUPABASE_ACCESS_TOKEN: CredentialSpec = {
  name: "SUPABASE_ACCESS_TOKEN",
  description: "a Supabase personal access token (Account → Access Tokens), for the Management API's logs",
};

/**
 * The error lines of each log source, in Supabase's log query language (the Logs Explorer's): Postgres
 * lines of severity ERROR and worse, API gateway requests answered 5xx, edge function errors.
 */
const QUERIES = {
  postgres_logs:
    "select t.timestamp, t.event_message, p.error_severity as level from postgres_logs as t cross join unnest(t.metadata) as m cross join unnest(m.parsed) as p where p.error_severity in ('ERROR', 'FATAL', 'PANIC') order by t.timestamp desc limit 500",
  edge_logs:
    "select t.timestamp, t.event_message, r.status_code as status from edge_logs as t cross join unnest(t.metadata) as m cross join unnest(m.response) as r where r.status_code >= 500 order by t.timestamp desc limit 500",
  function_logs:
    "select t.timestamp, t.event_message, m.level as level from function_logs as t cross join unnest(t.metadata) as m where m.level in ('error', 'fatal') order by t.timestamp desc limit 500",
} as const;

type Source = keyof typeof QUERIES;
const SOURCES = Object.keys(QUERIES) as Source[];

export const getLogsArgs = z.strictObject({
  since: optionalInstant(),
  until: optionalInstant(),
  sources: z.preprocess(
    (v) => (v === "" || v === undefined ? SOURCES : v),
    listArg(z.enum(SOURCES, { error: `must be one of ${SOURCES.join(", ")}` }), "must be a list of log sources"),
  ),
  /** The project ref, when SUPABASE_URL is a custom domain and does not show it. */
  projectRef: optionalText(z.string().regex(/^[a-z0-9]{10,40}$/, "must be a Supabase project ref (lowercase letters and digits)")),
  service: optionalText(),
  env: optionalText(),
});

export interface SupabaseLogsOptions {
  managementApiUrl?: string;
  fetch?: FetchLike;
  requestTimeoutMs?: number;
  clock: Clock;
}

/**
 * Error lines of the project's Postgres, API gateway and edge functions in a window, from the
 * Management API's log endpoint (GET /v1/projects/{ref}/analytics/endpoints/logs.all?sql=…, answering
 * `{ result: [{ timestamp (µs), event_message, … }] }`), grouped by signature.
 */
export function createGetLogs(options: SupabaseLogsOptions): AdapterAction {
  const client = new ProviderClient({
    adapter: "supabase",
    provider: "Supabase",
    codePrefix: "SUPABASE",
    baseUrl: options.managementApiUrl ?? "https://api.supabase.com",
    tokenName: SUPABASE_ACCESS_TOKEN.name,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    errorText: messageOf,
    hints: {
      "401": "SUPABASE_ACCESS_TOKEN was rejected: create a personal access token under Account → Access Tokens.",
      "403": "SUPABASE_ACCESS_TOKEN cannot read this project's logs: its account must be a member of the project's organization.",
      "404": "Check SUPABASE_URL (or the projectRef): the Management API does not know this project.",
    },
  });
  return adapterAction("supabase", "getLogs", {
    description: "Read the error lines of a Supabase project's Postgres, API gateway and edge function logs, grouped by signature.",
    args: getLogsArgs,
    risk: "read",
    credentials: [SUPABASE_URL, SUPABASE_ACCESS_TOKEN],
    async run(args, ctx) {
      const ref = args.projectRef ?? refOf(ctx.credentials[SUPABASE_URL.name] ?? "");
      const until = args.until ?? options.clock.now();
      // The endpoint reads one day at most; without a start it reads the last minute.
      const since = args.since ?? until - 3600_000;
      const entries: LogEntry[] = [];
      for (const source of args.sources) {
        const { body } = await client.request<{ result?: unknown[]; error?: unknown }>(ctx, {
          method: "GET",
          path: `/v1/projects/${ref}/analytics/endpoints/logs.all`,
          query: {
            sql: QUERIES[source],
            iso_timestamp_start: new Date(since).toISOString(),
            iso_timestamp_end: new Date(until).toISOString(),
          },
          what: `read the ${source} of project ${ref}`,
        });
        if (body.error) {
          throw new AdapterError(
            "supabase",
            "getLogs",
            "SUPABASE_LOGS_QUERY_FAILED",
            `Supabase: the ${source} query was refused: ${ctx.scrub.text(messageOf(body) ?? JSON.stringify(body.error)).slice(0, 300)}.`,
          );
        }
        entries.push(...(body.result ?? []).map((r) => entryFromRecord(r)));
      }
      return logReport(entries, {
        what: `Supabase logs of ${ref} (${args.sources.join(", ")})`,
        source: "Supabase logs",
        provider: "supabase",
        service: args.service,
        env: args.env,
        since,
        until,
      });
    },
  });
}

/** "https://abcd1234.supabase.co" → "abcd1234". */
function refOf(url: string): string {
  const host = URL.canParse(url) ? new URL(url).hostname : "";
  const match = /^([a-z0-9]+)\.supabase\.(co|in)$/.exec(host);
  if (!match) {
    throw new AdapterError(
      "supabase",
      "getLogs",
      "SUPABASE_BAD_URL",
      `SUPABASE_URL (${host || "not a URL"}) does not show the project ref.`,
      {
        hint: "Give the step a projectRef (Project Settings → General → Reference ID).",
      },
    );
  }
  return match[1]!;
}
