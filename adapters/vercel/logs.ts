import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { optionalArg, optionalInstant, optionalText } from "../shared/args.js";
import { path, type ProviderClient } from "../shared/http-client.js";
import { deploymentIdArg, projectArg, teamArg, teamQuery, VERCEL_TOKEN } from "./client.js";
import { listDeployments } from "./deployments.js";

export const getLogsArgs = z
  .strictObject({
    deploymentId: optionalText(deploymentIdArg),
    /** With no deploymentId: the project's latest deployment (of `target` when given). */
    project: optionalText(projectArg),
    target: optionalArg(z.enum(["production", "staging", "preview"], { error: "must be production, staging or preview" })),
    since: optionalInstant(),
    until: optionalInstant(),
    /** "error" keeps stderr and fatal events only. */
    level: z.preprocess((v) => (v === "" || v === undefined ? "all" : v), z.enum(["all", "error"], { error: "must be all or error" })),
    team: teamArg,
  })
  .refine((a) => a.deploymentId || a.project, { message: "needs deploymentId or project" })
  .refine((a) => a.since === undefined || a.until === undefined || a.since <= a.until, {
    message: "must not be after until",
    path: ["since"],
  });

/** v3 events: newer responses nest the line in `payload`, older ones put it at the top level. */
interface DeploymentEvent {
  type: string;
  created?: number;
  date?: number;
  text?: string;
  payload?: { text?: string; date?: number; info?: { type?: string; name?: string } };
}

const ERROR_TYPES = new Set(["stderr", "fatal", "error"]);

/**
 * Build and deployment events (GET /v3/deployments/{id}/events, follow=0, limit=-1: all of them, not a
 * stream) as one text artifact holding every line. Runtime (function) logs are a different API and are
 * not read here.
 */
export function createGetLogs(client: ProviderClient, defaultTeam: string | undefined): AdapterAction {
  return adapterAction("vercel", "getLogs", {
    description: "Fetch a Vercel deployment's build and deployment log lines (all of them) as a text artifact.",
    args: getLogsArgs,
    risk: "read",
    credentials: [VERCEL_TOKEN],
    async run(args, ctx) {
      const team = args.team ?? defaultTeam;
      let id = args.deploymentId;
      if (!id) {
        const [latest] = await listDeployments(client, ctx, { project: args.project!, target: args.target, limit: 1, team });
        if (!latest) {
          throw new AdapterError(
            "vercel",
            "getLogs",
            "VERCEL_NOT_FOUND",
            `${args.project} has no deployments${args.target ? ` to ${args.target}` : ""} to read logs from.`,
          );
        }
        id = latest.uid;
      }
      const { body } = await client.request<DeploymentEvent[] | string>(ctx, {
        method: "GET",
        path: path`/v3/deployments/${id}/events`,
        query: { follow: 0, limit: -1, direction: "forward", since: args.since, until: args.until, ...teamQuery(team) },
        what: `read the logs of deployment ${id}`,
      });
      const events = parseEvents(body);
      const kept = events.filter((e) => args.level === "all" || ERROR_TYPES.has(e.type));
      const lines = kept.map((e) => {
        const at = e.created ?? e.payload?.date ?? e.date;
        const text = (e.payload?.text ?? e.text ?? "").replace(/\n$/, "");
        return `${at ? new Date(at).toISOString() : "-"} ${e.type.padEnd(7)} ${text}`;
      });
      const errors = events.filter((e) => ERROR_TYPES.has(e.type)).length;
      const window =
        args.since || args.until
          ? ` between ${args.since ? new Date(args.since).toISOString() : "start"} and ${args.until ? new Date(args.until).toISOString() : "now"}`
          : "";
      return {
        summary: `${lines.length} log line${lines.length === 1 ? "" : "s"} from ${id}${window}${args.level === "error" ? " (errors only)" : `, ${errors} on stderr`}`,
        data: { deploymentId: id, lines: lines.length, errorLines: errors },
        artifacts: [
          {
            kind: "text",
            title: `Logs of ${id}${args.level === "error" ? " (errors)" : ""}`,
            filename: `vercel-${id}.log`,
            content: lines.join("\n"),
          },
        ],
      };
    },
  });
}

/** JSON array normally; newline-delimited JSON when Vercel streams. */
function parseEvents(body: DeploymentEvent[] | string | undefined): DeploymentEvent[] {
  if (Array.isArray(body)) return body.filter((e) => e && typeof e.type === "string");
  if (typeof body !== "string") return [];
  const events: DeploymentEvent[] = [];
  for (const line of body.split("\n")) {
    if (!line.trim()) continue;
    try {
      const event = JSON.parse(line) as DeploymentEvent;
      if (typeof event.type === "string") events.push(event);
    } catch {
      events.push({ type: "stdout", text: line });
    }
  }
  return events;
}
