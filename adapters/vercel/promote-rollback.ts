import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { optionalText } from "../shared/args.js";
import { path, type ProviderClient } from "../shared/http-client.js";
import { deploymentIdArg, projectArg, teamArg, teamQuery, VERCEL_TOKEN, type VercelProject } from "./client.js";
import { listDeployments, listedData } from "./deployments.js";

export const promoteArgs = z.strictObject({ project: projectArg, deploymentId: deploymentIdArg, team: teamArg });

/** POST /v10/projects/{project}/promote/{deploymentId}: points production at a deployment without rebuilding. */
export function createPromote(client: ProviderClient, defaultTeam: string | undefined): AdapterAction {
  const target = (a: z.output<typeof promoteArgs>) => path`/v10/projects/${a.project}/promote/${a.deploymentId}`;
  return adapterAction("vercel", "promote", {
    description: "Point a Vercel project's production domains at an existing deployment (no rebuild).",
    args: promoteArgs,
    risk: "write",
    credentials: [VERCEL_TOKEN],
    dryRun: (args) => ({ calls: [{ method: "POST", url: client.url(target(args), teamQuery(args.team ?? defaultTeam)) }] }),
    async run(args, ctx) {
      const { status } = await client.request(ctx, {
        method: "POST",
        path: target(args),
        query: teamQuery(args.team ?? defaultTeam),
        what: `promote ${args.deploymentId} to production for ${args.project}`,
        accept: [200, 201, 202],
      });
      return {
        summary: `promoted ${args.deploymentId} to production for ${args.project}${status === 202 ? " (accepted; Vercel finishes it in the background)" : ""}`,
        data: { project: args.project, deploymentId: args.deploymentId, accepted: true, status },
      };
    },
  });
}

export const rollbackArgs = z.strictObject({
  project: projectArg,
  /** Deployment to roll back to; the production deployment before the current one when not given. */
  deploymentId: optionalText(deploymentIdArg),
  description: optionalText(z.string().max(200, "must be at most 200 characters")),
  team: teamArg,
});

/**
 * Instant rollback: POST /v1/projects/{project}/rollback/{deploymentId} (the documented endpoint; there
 * is no /v9 one). Without a deployment id it rolls back to the READY production deployment created
 * before the one production serves now (`targets.production` of the project).
 */
export function createRollback(client: ProviderClient, defaultTeam: string | undefined): AdapterAction {
  const rollbackPath = (project: string, id: string) => path`/v1/projects/${project}/rollback/${id}`;
  const query = (a: z.output<typeof rollbackArgs>) => ({ ...teamQuery(a.team ?? defaultTeam), description: a.description });
  return adapterAction("vercel", "rollback", {
    description: "Roll a Vercel project's production back to an earlier deployment (the previous one by default).",
    args: rollbackArgs,
    risk: "write",
    credentials: [VERCEL_TOKEN],
    dryRun(args) {
      const team = teamQuery(args.team ?? defaultTeam);
      if (args.deploymentId)
        return { calls: [{ method: "POST", url: client.url(rollbackPath(args.project, args.deploymentId), query(args)) }] };
      return {
        calls: [
          { method: "GET", url: client.url(path`/v9/projects/${args.project}`, team), note: "the current production deployment" },
          {
            method: "GET",
            url: client.url("/v6/deployments", { projectId: args.project, target: "production", state: "READY", limit: 20, ...team }),
          },
          {
            method: "POST",
            url: client.url(rollbackPath(args.project, "<previous production deployment>"), query(args)),
          },
        ],
      };
    },
    async run(args, ctx) {
      const team = args.team ?? defaultTeam;
      let to = args.deploymentId;
      let from: string | undefined;
      if (!to) {
        const { body: project } = await client.request<VercelProject>(ctx, {
          method: "GET",
          path: path`/v9/projects/${args.project}`,
          query: teamQuery(team),
          what: `read project ${args.project}`,
        });
        const listed = (
          await listDeployments(client, ctx, { project: args.project, target: "production", state: "READY", limit: 20, team })
        ).map(listedData);
        const current = project.targets?.production?.id ?? listed[0]?.id;
        const currentCreated = listed.find((d) => d.id === current)?.created ?? project.targets?.production?.createdAt;
        const previous = listed.find((d) => d.id !== current && (currentCreated === undefined || d.created < currentCreated));
        if (!previous) {
          throw new AdapterError(
            "vercel",
            "rollback",
            "VERCEL_NO_PREVIOUS_DEPLOYMENT",
            `no READY production deployment of ${args.project} older than the current one${current ? ` (${current})` : ""} to roll back to.`,
            { hint: "Pass deploymentId to roll back to a specific deployment (see vercel.listDeployments)." },
          );
        }
        to = previous.id;
        from = current;
      }
      await client.request(ctx, {
        method: "POST",
        path: rollbackPath(args.project, to),
        query: query(args),
        what: `roll ${args.project} back to ${to}`,
        accept: [200, 201, 202],
      });
      return {
        summary: `rolled ${args.project} production back to ${to}${from ? ` (was ${from})` : ""}`,
        data: { project: args.project, deploymentId: to, previousDeploymentId: from ?? null },
      };
    },
  });
}
