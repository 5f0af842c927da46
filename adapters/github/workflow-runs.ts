import { z } from "zod";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { optionalInstant, optionalInt, optionalText, repositoryArg } from "../shared/args.js";
import { isoOf, type ChangeEvidence } from "../shared/evidence.js";
import { path, type ProviderClient } from "../shared/http-client.js";
import { GITHUB_TOKEN, splitRepository } from "./client.js";
import { workflowArg, type WorkflowRun } from "./workflows.js";

export const listWorkflowRunsArgs = z.strictObject({
  repository: repositoryArg,
  /** The deploy workflow (the service's `workflow`): its runs are deploys. */
  workflow: workflowArg,
  /** Only runs created at or after this. */
  since: optionalInstant(),
  limit: optionalInt(1, 100),
  /** The opsroom service the workflow deploys, for the evidence. */
  service: optionalText(),
});

/** A run with who started it, for the evidence. */
interface Run extends WorkflowRun {
  name?: string | null;
  actor?: { login: string } | null;
  triggering_actor?: { login: string } | null;
}

/**
 * Recent runs of a service's deploy workflow (GET /repos/{o}/{r}/actions/workflows/{workflow}/runs),
 * newest first, each a deploy in `data.evidence`. A run does not record which environment it deployed
 * to, so its `env` is null: triage counts it as having reached an environment only when a GitHub
 * deployment or an opsroom run of the same commit says which.
 */
export function createListWorkflowRuns(client: ProviderClient, webUrl: string): AdapterAction {
  return adapterAction("github", "listWorkflowRuns", {
    description: "List recent runs of a deploy workflow (newest first) as deploy changes.",
    args: listWorkflowRunsArgs,
    risk: "read",
    credentials: [GITHUB_TOKEN],
    async run(args, ctx) {
      const [owner, repo] = splitRepository(args.repository);
      const { body } = await client.request<{ total_count: number; workflow_runs: Run[] }>(ctx, {
        method: "GET",
        path: path`/repos/${owner}/${repo}/actions/workflows/${args.workflow}/runs`,
        query: {
          per_page: args.limit ?? 20,
          ...(args.since !== undefined ? { created: `>=${new Date(args.since).toISOString().replace(/\.\d{3}Z$/, "Z")}` } : {}),
        },
        what: `list runs of ${args.workflow} in ${args.repository}`,
      });
      const runs = body.workflow_runs ?? [];
      const evidence: ChangeEvidence[] = runs.map((r) => {
        const state = r.status === "completed" ? (r.conclusion ?? "completed") : (r.status ?? "unknown");
        const by = r.triggering_actor?.login ?? r.actor?.login ?? null;
        return {
          type: "change",
          kind: "deploy",
          service: args.service ?? null,
          env: null,
          at: isoOf(r.run_started_at ?? r.created_at) ?? r.created_at,
          endedAt: r.status === "completed" ? isoOf(r.updated_at) : null,
          summary: `${args.workflow} run #${r.run_number} of ${args.repository}@${r.head_sha.slice(0, 7)}${r.head_branch ? ` (${r.head_branch})` : ""}${by ? ` by ${by}` : ""}: ${state}`,
          link: r.html_url || `${webUrl}/${args.repository}/actions/runs/${r.id}`,
          source: "GitHub workflow runs",
          provider: "github",
          reached: r.conclusion === "success",
          state,
          ref: r.head_branch,
          sha: r.head_sha,
          repository: args.repository,
          by,
        };
      });
      const since = args.since !== undefined ? ` since ${new Date(args.since).toISOString()}` : "";
      return {
        summary:
          runs.length === 0
            ? `no runs of ${args.workflow} in ${args.repository}${since}`
            : `${runs.length} run${runs.length === 1 ? "" : "s"} of ${args.workflow} in ${args.repository}${since}; latest #${runs[0]!.run_number} ${evidence[0]!.state}`,
        data: {
          runs: runs.map((r) => ({
            id: r.id,
            runNumber: r.run_number,
            status: r.status,
            conclusion: r.conclusion,
            sha: r.head_sha,
            branch: r.head_branch,
            createdAt: r.created_at,
            url: r.html_url,
          })),
          evidence,
        },
      };
    },
  });
}
