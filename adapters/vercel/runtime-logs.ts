import { z } from "zod";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { optionalArg, optionalInstant, optionalInt, optionalText } from "../shared/args.js";
import type { Clock } from "../shared/clock.js";
import { path, type ProviderClient } from "../shared/http-client.js";
import { mapLimit } from "../shared/map-limit.js";
import { parseLogBody, type LogEntry } from "../shared/log-entries.js";
import { logReport } from "../shared/log-report.js";
import { projectArg, teamArg, teamQuery, VERCEL_TOKEN } from "./client.js";
import { listDeployments } from "./deployments.js";

export const runtimeLogsArgs = z.strictObject({
  project: projectArg,
  target: optionalArg(z.enum(["production", "staging", "preview"], { error: "must be production, staging or preview" })),
  since: optionalInstant(),
  until: optionalInstant(),
  /** How long to listen to each deployment's log stream; 8 s by default. */
  readSeconds: optionalInt(1, 60),
  team: teamArg,
  service: optionalText(),
  env: optionalText(),
});

/**
 * Deployments read: the ones created in the window and the one serving when it began, so an error that
 * was already there before the last deploy is not taken for a new one.
 */
const MAX_DEPLOYMENTS = 3;

/**
 * Runtime logs (function output, errors, requests) of a project's deployments in the window, from
 * GET /v1/projects/{projectId}/deployments/{deploymentId}/runtime-logs: newline-delimited JSON with
 * level, message, timestampInMs and responseStatusCode. The endpoint streams, so each deployment is
 * listened to for a few seconds; lines outside the window are dropped. Errors (level error or fatal, or
 * a 5xx response) are grouped by signature.
 */
export function createGetRuntimeLogs(client: ProviderClient, clock: Clock, defaultTeam: string | undefined): AdapterAction {
  return adapterAction("vercel", "getRuntimeLogs", {
    description: "Read a Vercel project's runtime logs in a window and group the errors by signature.",
    args: runtimeLogsArgs,
    risk: "read",
    credentials: [VERCEL_TOKEN],
    async run(args, ctx) {
      const team = args.team ?? defaultTeam;
      const listed = await listDeployments(client, ctx, { project: args.project, target: args.target, state: "READY", limit: 10, team });
      const since = args.since;
      // Newest first: the ones created in the window, then the one that was live when it began.
      const inWindow = since === undefined ? [] : listed.filter((d) => d.created >= since);
      const chosen = [...inWindow, ...listed.filter((d) => !inWindow.includes(d)).slice(0, 1)].slice(0, MAX_DEPLOYMENTS);
      const readForMs = (args.readSeconds ?? 8) * 1000;
      const bodies = await mapLimit(chosen, MAX_DEPLOYMENTS, async (d) => {
        const { body } = await client.request<string>(ctx, {
          method: "GET",
          path: path`/v1/projects/${args.project}/deployments/${d.uid}/runtime-logs`,
          query: teamQuery(team),
          what: `read the runtime logs of ${d.uid}`,
          readForMs,
        });
        return typeof body === "string" ? body : "";
      });
      const entries: LogEntry[] = bodies.flatMap((b) => parseLogBody(b, "ndjson"));
      const ids = chosen.map((d) => d.uid).join(", ");
      return logReport(entries, {
        what: `Vercel runtime logs of ${args.project}${ids ? ` (${ids})` : " (no ready deployment)"}`,
        source: "Vercel logs",
        provider: "vercel",
        service: args.service,
        env: args.env,
        since,
        until: args.until ?? clock.now(),
      });
    },
  });
}
