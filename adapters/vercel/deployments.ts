import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction, type ActionContext } from "../shared/action.js";
import { gitRefArg, optionalArg, optionalInt, optionalText, repositoryArg } from "../shared/args.js";
import { formatDuration, type Clock } from "../shared/clock.js";
import { isoOf, type ChangeEvidence, type SymptomEvidence } from "../shared/evidence.js";
import { path, type ProviderClient } from "../shared/http-client.js";
import {
  deploymentIdArg,
  httpsUrl,
  projectArg,
  teamArg,
  teamQuery,
  VERCEL_TOKEN,
  type VercelDeployment,
  type VercelListedDeployment,
  type VercelProject,
} from "./client.js";

const targetArg = z.enum(["production", "staging", "preview"], { error: "must be production, staging or preview" });

export const createDeploymentArgs = z.strictObject({
  project: projectArg,
  ref: gitRefArg,
  target: z.preprocess((v) => (v === "" || v === undefined ? "preview" : v), targetArg),
  /** owner/name on GitHub; read from the project's Git connection when not given. */
  repository: optionalText(repositoryArg),
  team: teamArg,
});

type CreateArgs = z.output<typeof createDeploymentArgs>;

function deploymentBody(args: CreateArgs, gitSource: Record<string, unknown>) {
  return {
    name: args.project,
    project: args.project,
    // Vercel's API has no "preview" target: leaving it out makes a preview deployment.
    ...(args.target === "preview" ? {} : { target: args.target }),
    gitSource,
    meta: { opsroom: "true" },
  };
}

export function createCreateDeployment(client: ProviderClient, defaultTeam: string | undefined): AdapterAction {
  return adapterAction("vercel", "createDeployment", {
    description: "Build and deploy a Git ref of a Vercel project (production, staging or preview).",
    args: createDeploymentArgs,
    risk: "write",
    credentials: [VERCEL_TOKEN],
    dryRun(args) {
      const team = teamQuery(args.team ?? defaultTeam);
      const [org, repo] = (args.repository ?? "").split("/");
      const gitSource = args.repository
        ? { type: "github", org, repo, ref: args.ref }
        : { type: "github", repoId: `<repoId linked to ${args.project}>`, ref: args.ref };
      return {
        calls: [
          ...(args.repository
            ? []
            : [
                {
                  method: "GET",
                  url: client.url(path`/v9/projects/${args.project}`, team),
                  note: "the project's linked GitHub repository",
                },
              ]),
          { method: "POST", url: client.url("/v13/deployments", team), body: deploymentBody(args, gitSource) },
        ],
      };
    },
    async run(args, ctx) {
      const team = teamQuery(args.team ?? defaultTeam);
      let gitSource: Record<string, unknown>;
      if (args.repository) {
        const [org, repo] = args.repository.split("/");
        gitSource = { type: "github", org, repo, ref: args.ref };
      } else {
        const { body: project } = await client.request<VercelProject>(ctx, {
          method: "GET",
          path: path`/v9/projects/${args.project}`,
          query: team,
          what: `read project ${args.project}`,
        });
        if (project.link?.type !== "github" || project.link.repoId === undefined) {
          throw new AdapterError(
            "vercel",
            "createDeployment",
            "VERCEL_NO_GIT_LINK",
            `Vercel project ${args.project} is not connected to a GitHub repository, so there is nothing to build ${args.ref} from.`,
            { hint: "Set the service's repository in the config, or connect the repository in Vercel → Project → Settings → Git." },
          );
        }
        gitSource = { type: "github", repoId: project.link.repoId, ref: args.ref };
      }
      const { body: d } = await client.request<VercelDeployment>(ctx, {
        method: "POST",
        path: "/v13/deployments",
        query: team,
        body: deploymentBody(args, gitSource),
        what: `deploy ${args.project}@${args.ref} to ${args.target}`,
      });
      const state = d.readyState ?? d.status ?? "QUEUED";
      return {
        summary: `${args.project}@${args.ref} → ${args.target}: deployment ${d.id} ${state}`,
        data: { deploymentId: d.id, url: httpsUrl(d.url), readyState: state, target: args.target, inspectorUrl: d.inspectorUrl ?? null },
        artifacts: [{ kind: "link", title: `Vercel deployment ${d.id}`, url: d.inspectorUrl ?? httpsUrl(d.url) }],
      };
    },
  });
}

const getArgs = z.strictObject({ deploymentId: deploymentIdArg, team: teamArg });

export function createGetDeployment(client: ProviderClient, defaultTeam: string | undefined): AdapterAction {
  return adapterAction("vercel", "getDeployment", {
    description: "Read a Vercel deployment's state, target and URL.",
    args: getArgs,
    risk: "read",
    credentials: [VERCEL_TOKEN],
    async run(args, ctx) {
      const d = await readDeployment(client, ctx, args.deploymentId, args.team ?? defaultTeam);
      return { summary: `${d.id}: ${stateOf(d)}${d.target ? ` (${d.target})` : ""} ${httpsUrl(d.url)}`, data: deploymentData(d) };
    },
  });
}

export const waitArgs = z.strictObject({
  deploymentId: deploymentIdArg,
  pollSeconds: optionalInt(1, 300),
  timeoutSeconds: optionalInt(10, 6 * 3600),
  team: teamArg,
});

const DONE = new Set(["READY", "ERROR", "CANCELED", "DELETED"]);

export function createWaitForDeployment(client: ProviderClient, clock: Clock, defaultTeam: string | undefined): AdapterAction {
  return adapterAction("vercel", "waitForDeployment", {
    description: "Wait until a Vercel deployment is READY; fail if it ends in ERROR or CANCELED.",
    args: waitArgs,
    risk: "read",
    credentials: [VERCEL_TOKEN],
    async run(args, ctx) {
      const pollMs = (args.pollSeconds ?? 5) * 1000;
      const timeoutMs = (args.timeoutSeconds ?? 1800) * 1000;
      const started = clock.now();
      const team = args.team ?? defaultTeam;
      let d = await readDeployment(client, ctx, args.deploymentId, team);
      while (!DONE.has(stateOf(d))) {
        if (clock.now() + pollMs - started > timeoutMs) {
          throw new AdapterError(
            "vercel",
            "waitForDeployment",
            "ADAPTER_TIMEOUT",
            `Vercel deployment ${d.id} is still ${stateOf(d)} after ${formatDuration(clock.now() - started)}: ${d.inspectorUrl ?? httpsUrl(d.url)}`,
            { retryable: true },
          );
        }
        await clock.sleep(pollMs, ctx.signal);
        d = await readDeployment(client, ctx, args.deploymentId, team);
      }
      if (stateOf(d) !== "READY") {
        throw new AdapterError(
          "vercel",
          "waitForDeployment",
          "VERCEL_DEPLOYMENT_FAILED",
          `Vercel deployment ${d.id} ended ${stateOf(d)}${d.errorMessage ? `: ${ctx.scrub.text(d.errorMessage)}` : ""} — ${d.inspectorUrl ?? httpsUrl(d.url)}`,
          { hint: "Read its build log with vercel.getLogs." },
        );
      }
      return {
        summary: `${d.id} is READY after ${formatDuration(clock.now() - started)}: ${httpsUrl(d.url)}`,
        data: deploymentData(d),
        artifacts: [{ kind: "link", title: `Vercel deployment ${d.id}`, url: d.inspectorUrl ?? httpsUrl(d.url) }],
      };
    },
  });
}

export const listArgs = z.strictObject({
  project: projectArg,
  target: optionalArg(targetArg),
  state: optionalArg(
    z.enum(["BUILDING", "ERROR", "INITIALIZING", "QUEUED", "READY", "CANCELED"], {
      error: "must be BUILDING, ERROR, INITIALIZING, QUEUED, READY or CANCELED",
    }),
  ),
  limit: optionalInt(1, 100),
  team: teamArg,
  /** The opsroom service and environment the project serves, for the evidence. */
  service: optionalText(),
  env: optionalText(),
});

/**
 * The state of the newest deployment of a target, as health: READY serves; a newer one that failed to
 * build leaves the one before serving, which is worth knowing but is no health drop (healthy unknown).
 */
function deploymentState(
  deployments: readonly VercelListedDeployment[],
  args: { project: string; target?: string | undefined; service?: string | undefined; env?: string | undefined },
  checkedAt: string,
): SymptomEvidence | undefined {
  const newest = deployments[0];
  if (!newest || !args.target || args.target === "preview") return undefined;
  const state = newest.readyState ?? newest.state ?? "UNKNOWN";
  return {
    type: "symptom",
    kind: "health",
    service: args.service ?? null,
    env: args.env ?? null,
    at: checkedAt,
    summary: `newest ${args.target} deployment of ${args.project} is ${state}`,
    link: newest.inspectorUrl ?? httpsUrl(newest.url),
    source: "Vercel deployment state",
    provider: "vercel",
    healthy: state === "READY" ? true : null,
    detail: `newest ${args.target} deployment ${newest.uid} ${state}${state === "READY" ? "" : " (the one before it still serves)"}`,
  };
}

/** Vercel deployments that were served: READY. ERROR and CANCELED never were. */
function deployEvidence(
  d: VercelListedDeployment,
  args: { project: string; service?: string | undefined; env?: string | undefined },
): ChangeEvidence {
  const row = listedData(d);
  // A preview deployment of some branch did not reach an environment; production (or a custom environment) did.
  const env = d.target && d.target !== "preview" ? (args.env ?? null) : null;
  return {
    type: "change",
    kind: "deploy",
    service: args.service ?? null,
    env,
    at: row.createdAt ?? new Date(0).toISOString(),
    endedAt: isoOf(d.ready ?? null),
    summary: `Vercel deployment ${row.id} of ${args.project}${row.sha ? `@${row.sha.slice(0, 7)}` : ""}${row.ref ? ` (${row.ref})` : ""} to ${d.target ?? "preview"}${row.creator ? ` by ${row.creator}` : ""}: ${row.state}`,
    link: d.inspectorUrl ?? row.url,
    source: "Vercel deployments",
    provider: "vercel",
    reached: row.state === "READY" && env !== null,
    state: row.state,
    ref: row.ref,
    sha: row.sha,
    by: row.creator,
  };
}

export function createListDeployments(client: ProviderClient, clock: Clock, defaultTeam: string | undefined): AdapterAction {
  return adapterAction("vercel", "listDeployments", {
    description: "List a Vercel project's recent deployments, newest first.",
    args: listArgs,
    risk: "read",
    credentials: [VERCEL_TOKEN],
    async run(args, ctx) {
      const deployments = await listDeployments(client, ctx, {
        project: args.project,
        target: args.target,
        state: args.state,
        limit: args.limit ?? 10,
        team: args.team ?? defaultTeam,
      });
      const rows = deployments.map(listedData);
      const evidence: Array<ChangeEvidence | SymptomEvidence> = deployments.map((d) => deployEvidence(d, args));
      const state = deploymentState(deployments, args, new Date(clock.now()).toISOString());
      if (state) evidence.push(state);
      const where = args.target ? ` (${args.target})` : "";
      if (rows.length === 0) return { summary: `no deployments of ${args.project}${where}`, data: { deployments: [], evidence } };
      const lines = rows.map(
        (r) =>
          `${r.createdAt}  ${r.id}  ${r.state}  ${r.target ?? "preview"}  ${r.ref ?? "?"}${r.sha ? ` (${r.sha.slice(0, 7)})` : ""}${r.creator ? ` — ${r.creator}` : ""}  ${r.url}`,
      );
      const latest = rows[0]!;
      return {
        summary: `${rows.length} deployment${rows.length === 1 ? "" : "s"} of ${args.project}${where}; latest ${latest.id} ${latest.state} at ${latest.createdAt}`,
        data: { deployments: rows, evidence },
        artifacts: [{ kind: "text", title: `Deployments of ${args.project}${where}`, content: lines.join("\n") }],
      };
    },
  });
}

export async function listDeployments(
  client: ProviderClient,
  ctx: ActionContext,
  q: { project: string; target?: string | undefined; state?: string | undefined; limit: number; team?: string | undefined },
): Promise<VercelListedDeployment[]> {
  const { body } = await client.request<{ deployments: VercelListedDeployment[] }>(ctx, {
    method: "GET",
    path: "/v6/deployments",
    query: { projectId: q.project, target: q.target, state: q.state, limit: q.limit, ...teamQuery(q.team) },
    what: `list deployments of ${q.project}`,
  });
  return body.deployments ?? [];
}

export async function readDeployment(
  client: ProviderClient,
  ctx: ActionContext,
  id: string,
  team: string | undefined,
): Promise<VercelDeployment> {
  const { body } = await client.request<VercelDeployment>(ctx, {
    method: "GET",
    path: path`/v13/deployments/${id}`,
    query: teamQuery(team),
    what: `read deployment ${id}`,
  });
  return body;
}

function stateOf(d: VercelDeployment): string {
  return d.readyState ?? d.status ?? "UNKNOWN";
}

function deploymentData(d: VercelDeployment) {
  return {
    deploymentId: d.id,
    url: httpsUrl(d.url),
    readyState: stateOf(d),
    target: d.target ?? null,
    inspectorUrl: d.inspectorUrl ?? null,
    ref: d.meta?.githubCommitRef ?? null,
    sha: d.meta?.githubCommitSha ?? null,
  };
}

export function listedData(d: VercelListedDeployment) {
  return {
    id: d.uid,
    url: httpsUrl(d.url),
    state: d.readyState ?? d.state ?? "UNKNOWN",
    target: d.target ?? null,
    createdAt: Number.isFinite(d.created) ? new Date(d.created).toISOString() : null,
    created: d.created ?? 0,
    creator: d.creator?.username ?? null,
    ref: d.meta?.githubCommitRef ?? null,
    sha: d.meta?.githubCommitSha ?? null,
    message: d.meta?.githubCommitMessage?.split("\n")[0] ?? null,
  };
}
