import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { boolArg, gitRefArg, intArg, optionalInt, optionalText, repositoryArg } from "../shared/args.js";
import { isoOf, type ChangeEvidence } from "../shared/evidence.js";
import { path, type ProviderClient } from "../shared/http-client.js";
import { mapLimit } from "../shared/map-limit.js";
import { GITHUB_TOKEN, splitRepository } from "./client.js";

const environmentArg = z
  .string({ error: "must be a GitHub environment name like staging" })
  .min(1, "must not be empty")
  .max(255, "must be at most 255 characters");

const stateArg = z.enum(["queued", "in_progress", "pending", "success", "failure", "error", "inactive"], {
  error: "must be one of queued, in_progress, pending, success, failure, error, inactive",
});

interface Deployment {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  description: string | null;
  created_at: string;
  creator: { login: string } | null;
  statuses_url: string;
}

interface DeploymentStatus {
  id: number;
  state: string;
  description: string | null;
  environment_url?: string | null;
  log_url?: string | null;
  created_at: string;
}

export const createDeploymentArgs = z.strictObject({
  repository: repositoryArg,
  ref: gitRefArg,
  environment: environmentArg,
  description: optionalText(z.string().max(140, "must be at most 140 characters")),
  /** Commit status contexts that must pass first; GitHub checks all of them when not given. */
  requiredContexts: z.array(z.string()).optional(),
  /** Status posted right after creation. */
  initialState: z.preprocess(
    (v) => (v === "" || v === undefined ? "queued" : v),
    z.enum(["queued", "in_progress", "pending"], { error: "must be queued, in_progress or pending" }),
  ),
  productionEnvironment: z.preprocess((v) => (v === "" ? undefined : v), boolArg().optional()),
});

/**
 * Deployments API: creates a deployment (what a deploy listener acts on), then posts its first status.
 * auto_merge is off: a deploy must ship exactly the ref asked for, never a merge GitHub made.
 */
export function createCreateDeployment(client: ProviderClient): AdapterAction {
  const requests = (a: z.output<typeof createDeploymentArgs>, runId: string) => {
    const [owner, repo] = splitRepository(a.repository);
    return {
      create: {
        path: path`/repos/${owner}/${repo}/deployments`,
        body: {
          ref: a.ref,
          environment: a.environment,
          description: a.description ?? `opsroom: deploy ${a.ref} to ${a.environment}`,
          auto_merge: false,
          ...(a.requiredContexts ? { required_contexts: a.requiredContexts } : {}),
          ...(a.productionEnvironment !== undefined ? { production_environment: a.productionEnvironment } : {}),
          payload: { opsroom_run_id: runId },
        },
      },
      statusPath: (id: number | string) => path`/repos/${owner}/${repo}/deployments/${id}/statuses`,
      statusBody: { state: a.initialState, description: `opsroom run ${runId}` },
    };
  };
  return adapterAction("github", "createDeployment", {
    description: "Create a GitHub deployment of a ref to an environment and mark it queued.",
    args: createDeploymentArgs,
    risk: "write",
    credentials: [GITHUB_TOKEN],
    dryRun(args, ctx) {
      const r = requests(args, ctx.runId);
      return {
        calls: [
          { method: "POST", url: client.url(r.create.path), body: r.create.body },
          { method: "POST", url: client.url(r.statusPath("<deployment id>")), body: r.statusBody },
        ],
      };
    },
    async run(args, ctx) {
      const r = requests(args, ctx.runId);
      const created = await client.request<Deployment | { message?: string }>(ctx, {
        method: "POST",
        path: r.create.path,
        body: r.create.body,
        what: `create a deployment of ${args.repository}@${args.ref} to ${args.environment}`,
        accept: [201, 202],
      });
      if (created.status === 202 || !("id" in created.body)) {
        throw new AdapterError(
          "github",
          "createDeployment",
          "GITHUB_DEPLOYMENT_NOT_CREATED",
          `GitHub accepted but did not create a deployment of ${args.repository}@${args.ref} (202): ${ctx.scrub.text((created.body as { message?: string }).message ?? "no reason given")}.`,
          { retryable: true },
        );
      }
      const deployment = created.body;
      await client.request<DeploymentStatus>(ctx, {
        method: "POST",
        path: r.statusPath(deployment.id),
        body: r.statusBody,
        what: `set the status of deployment ${deployment.id}`,
      });
      return {
        summary: `deployment ${deployment.id} of ${args.repository}@${args.ref} (${deployment.sha.slice(0, 7)}) to ${args.environment}: ${args.initialState}`,
        data: {
          deploymentId: deployment.id,
          sha: deployment.sha,
          ref: deployment.ref,
          environment: deployment.environment,
          state: args.initialState,
        },
      };
    },
  });
}

export const setStatusArgs = z.strictObject({
  repository: repositoryArg,
  deploymentId: intArg(1, Number.MAX_SAFE_INTEGER),
  state: stateArg,
  description: optionalText(z.string().max(140, "must be at most 140 characters")),
  environmentUrl: optionalText(z.url({ error: "must be a URL" })),
  logUrl: optionalText(z.url({ error: "must be a URL" })),
});

export function createSetDeploymentStatus(client: ProviderClient): AdapterAction {
  const request = (a: z.output<typeof setStatusArgs>) => {
    const [owner, repo] = splitRepository(a.repository);
    return {
      path: path`/repos/${owner}/${repo}/deployments/${a.deploymentId}/statuses`,
      body: {
        state: a.state,
        ...(a.description ? { description: a.description } : {}),
        ...(a.environmentUrl ? { environment_url: a.environmentUrl } : {}),
        ...(a.logUrl ? { log_url: a.logUrl } : {}),
      },
    };
  };
  return adapterAction("github", "setDeploymentStatus", {
    description: "Post a status (in_progress, success, failure, ...) on a GitHub deployment.",
    args: setStatusArgs,
    risk: "write",
    credentials: [GITHUB_TOKEN],
    dryRun: (args) => {
      const r = request(args);
      return { calls: [{ method: "POST", url: client.url(r.path), body: r.body }] };
    },
    async run(args, ctx) {
      const r = request(args);
      const { body } = await client.request<DeploymentStatus>(ctx, {
        method: "POST",
        path: r.path,
        body: r.body,
        what: `set deployment ${args.deploymentId} of ${args.repository} to ${args.state}`,
      });
      return {
        summary: `deployment ${args.deploymentId} of ${args.repository}: ${body.state}`,
        data: { deploymentId: args.deploymentId, statusId: body.id, state: body.state },
      };
    },
  });
}

export const listDeploymentsArgs = z.strictObject({
  repository: repositoryArg,
  environment: optionalText(environmentArg),
  limit: optionalInt(1, 100),
  /** The opsroom service these deploy, for the evidence. */
  service: optionalText(),
});

/** Deployments that went live: success, or inactive (live once, since replaced). */
const REACHED = new Set(["success", "inactive"]);

/**
 * Recent deployments with each one's latest status, newest first: the "what changed" of a triage.
 * `data.evidence` has each as a change; one with a final status is a range from creation to that status.
 */
export function createListDeployments(client: ProviderClient, webUrl: string): AdapterAction {
  return adapterAction("github", "listDeployments", {
    description: "List recent GitHub deployments (newest first) with their latest status.",
    args: listDeploymentsArgs,
    risk: "read",
    credentials: [GITHUB_TOKEN],
    async run(args, ctx) {
      const [owner, repo] = splitRepository(args.repository);
      const limit = args.limit ?? 10;
      const { body: deployments } = await client.request<Deployment[]>(ctx, {
        method: "GET",
        path: path`/repos/${owner}/${repo}/deployments`,
        query: { environment: args.environment, per_page: limit },
        what: `list deployments of ${args.repository}${args.environment ? ` to ${args.environment}` : ""}`,
      });
      // One status request per deployment; 5 at a time keeps well inside GitHub's secondary rate limits.
      const rows = await mapLimit(deployments.slice(0, limit), 5, async (d) => {
        const { body: statuses } = await client.request<DeploymentStatus[]>(ctx, {
          method: "GET",
          path: path`/repos/${owner}/${repo}/deployments/${d.id}/statuses`,
          query: { per_page: 1 },
          what: `get the status of deployment ${d.id}`,
        });
        const latest = statuses[0];
        return {
          id: d.id,
          ref: d.ref,
          sha: d.sha,
          environment: d.environment,
          createdAt: d.created_at,
          creator: d.creator?.login ?? null,
          description: d.description,
          state: latest?.state ?? "none",
          stateAt: latest?.created_at ?? null,
          environmentUrl: latest?.environment_url ?? null,
        };
      });
      const where = args.environment ? ` to ${args.environment}` : "";
      const evidence: ChangeEvidence[] = rows.map((r) => ({
        type: "change",
        kind: "deploy",
        service: args.service ?? null,
        env: r.environment,
        at: isoOf(r.createdAt) ?? r.createdAt,
        // A success status marks the end of the deploy; an inactive one only when it was replaced.
        endedAt: r.state === "success" || r.state === "failure" || r.state === "error" ? isoOf(r.stateAt) : null,
        summary: `deploy of ${args.repository}@${r.sha.slice(0, 7)}${r.ref !== r.sha ? ` (${r.ref})` : ""} to ${r.environment}${r.creator ? ` by ${r.creator}` : ""}: ${r.state}`,
        link: `${webUrl}/${args.repository}/commit/${r.sha}`,
        source: "GitHub deployments",
        provider: "github",
        reached: REACHED.has(r.state),
        state: r.state,
        ref: r.ref,
        sha: r.sha,
        repository: args.repository,
        by: r.creator,
      }));
      if (rows.length === 0) return { summary: `no deployments of ${args.repository}${where}`, data: { deployments: [], evidence } };
      const latest = rows[0]!;
      const lines = rows.map(
        (r) =>
          `${r.createdAt}  #${r.id}  ${r.ref} (${r.sha.slice(0, 7)}) → ${r.environment}: ${r.state}${r.creator ? ` — ${r.creator}` : ""}`,
      );
      return {
        summary: `${rows.length} recent deployment${rows.length === 1 ? "" : "s"} of ${args.repository}${where}; latest ${latest.ref} (${latest.sha.slice(0, 7)}) ${latest.state} at ${latest.createdAt}`,
        data: { deployments: rows, evidence },
        artifacts: [{ kind: "text", title: `Deployments of ${args.repository}${where}`, content: lines.join("\n") }],
      };
    },
  });
}
