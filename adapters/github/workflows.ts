import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction, type ActionContext } from "../shared/action.js";
import { gitRefArg, optionalInstant, optionalInt, repositoryArg } from "../shared/args.js";
import { formatDuration, type Clock } from "../shared/clock.js";
import { path, type ProviderClient } from "../shared/http-client.js";
import { GITHUB_TOKEN, splitRepository } from "./client.js";

/** A workflow file name (deploy.yml) or its numeric id. */
export const workflowArg = z
  .string({ error: "must be a workflow file name like deploy.yml, or its id" })
  .regex(/^(?:[\w.-]+\.ya?ml|\d+)$/, "must be a workflow file name like deploy.yml, or its id");

const inputValue = z.union([z.string(), z.number(), z.boolean()], { error: "must be a string, number or boolean" });

export const dispatchArgs = z.strictObject({
  repository: repositoryArg,
  workflow: workflowArg,
  ref: gitRefArg,
  /** workflow_dispatch inputs; GitHub allows at most 25. */
  inputs: z
    .record(z.string(), inputValue)
    .refine((o) => Object.keys(o).length <= 25, "must have at most 25 inputs")
    .optional(),
});

export function createDispatchWorkflow(client: ProviderClient, clock: Clock, webUrl: string): AdapterAction {
  const target = (a: z.output<typeof dispatchArgs>) => {
    const [owner, repo] = splitRepository(a.repository);
    return path`/repos/${owner}/${repo}/actions/workflows/${a.workflow}/dispatches`;
  };
  return adapterAction("github", "dispatchWorkflow", {
    description: "Start a GitHub Actions workflow (workflow_dispatch) on a ref with inputs.",
    args: dispatchArgs,
    risk: "write",
    credentials: [GITHUB_TOKEN],
    dryRun: (args) => ({
      calls: [{ method: "POST", url: client.url(target(args)), body: { ref: args.ref, inputs: args.inputs ?? {} } }],
    }),
    async run(args, ctx) {
      const dispatchedAt = new Date(clock.now()).toISOString();
      // 204 No Content is the documented answer; 200 with run details comes back when the caller asks
      // for them (return_run_details, Feb 2026), which we accept if a proxy or newer default sends it.
      const { status, body } = await client.request<{ workflow_run_id?: number; html_url?: string } | undefined>(ctx, {
        method: "POST",
        path: target(args),
        body: { ref: args.ref, inputs: args.inputs ?? {} },
        what: `start workflow ${args.workflow} on ${args.repository}@${args.ref}`,
        accept: [200, 201, 204],
      });
      const runId = status === 200 ? body?.workflow_run_id : undefined;
      const runUrl = status === 200 ? body?.html_url : undefined;
      ctx.log.info({ workflow: args.workflow, ref: args.ref, workflow_run_id: runId }, "workflow dispatched");
      return {
        summary: `started ${args.workflow} on ${args.repository}@${args.ref}${runId ? ` (run ${runId})` : ""}`,
        data: { repository: args.repository, workflow: args.workflow, ref: args.ref, dispatchedAt, runId: runId ?? null },
        artifacts: [
          runUrl
            ? { kind: "link", title: `${args.workflow} run`, url: runUrl }
            : {
                kind: "link",
                title: `${args.workflow} runs`,
                url: `${webUrl}/${args.repository}/actions/workflows/${encodeURIComponent(args.workflow)}`,
              },
        ],
      };
    },
  });
}

export const waitArgs = z
  .strictObject({
    repository: repositoryArg,
    workflow: workflowArg,
    ref: gitRefArg,
    /** Only runs created at or after this (ISO or epoch ms); pass the dispatch step's `dispatchedAt`. */
    createdAfter: optionalInstant(),
    /** Follow this run directly when it is known. */
    runId: optionalInt(1, Number.MAX_SAFE_INTEGER),
    pollSeconds: optionalInt(1, 300),
    timeoutSeconds: optionalInt(10, 6 * 3600),
  })
  // Without either, the newest run could be an older one, and its success would be reported as ours.
  .refine((a) => a.createdAfter !== undefined || a.runId !== undefined, {
    message: "needs createdAfter (the dispatch step's dispatchedAt) or runId, so an earlier run is never taken for this one",
  });

/** A workflow run as GitHub's Actions API returns it (the fields opsroom reads). */
export interface WorkflowRun {
  id: number;
  run_number: number;
  status: string | null;
  conclusion: string | null;
  html_url: string;
  created_at: string;
  updated_at: string;
  run_started_at?: string;
  head_branch: string | null;
  head_sha: string;
  event: string;
}

interface Job {
  name: string;
  conclusion: string | null;
  html_url: string | null;
  steps?: Array<{ name: string; conclusion: string | null; number: number }>;
}

/** GitHub's created_at has one-second resolution and its clock is not ours. */
const CLOCK_SKEW_MS = 10_000;
const DEFAULT_POLL_SECONDS = 10;
const DEFAULT_TIMEOUT_SECONDS = 3600;

export function createWaitForWorkflowRun(client: ProviderClient, clock: Clock): AdapterAction {
  return adapterAction("github", "waitForWorkflowRun", {
    description: "Wait for a workflow_dispatch run of a workflow on a ref to finish; fail unless it succeeds.",
    args: waitArgs,
    risk: "read",
    credentials: [GITHUB_TOKEN],
    async run(args, ctx) {
      const [owner, repo] = splitRepository(args.repository);
      const pollMs = (args.pollSeconds ?? DEFAULT_POLL_SECONDS) * 1000;
      const timeoutMs = (args.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
      const started = clock.now();
      const deadline = started + timeoutMs;
      const label = `${args.workflow} on ${args.repository}@${args.ref}`;
      const getRun = (id: number) =>
        client.request<WorkflowRun>(ctx, {
          method: "GET",
          path: path`/repos/${owner}/${repo}/actions/runs/${id}`,
          what: `get workflow run ${id} of ${args.repository}`,
        });

      let run = args.runId ? (await getRun(args.runId)).body : undefined;
      while (!run) {
        run = await findRun(client, ctx, args, owner, repo);
        if (run) break;
        if (clock.now() + pollMs > deadline) {
          throw new AdapterError(
            "github",
            "waitForWorkflowRun",
            "ADAPTER_TIMEOUT",
            `no workflow_dispatch run of ${label} appeared within ${formatDuration(timeoutMs)}${args.createdAfter ? ` after ${new Date(args.createdAfter).toISOString()}` : ""}.`,
            { retryable: true, hint: "Check the Actions tab: the dispatch may have been rejected or queued behind other runs." },
          );
        }
        await clock.sleep(pollMs, ctx.signal);
      }
      ctx.log.info({ workflow_run_id: run.id, status: run.status }, "following workflow run");

      let lastStatus = run.status;
      while (run.status !== "completed") {
        if (clock.now() + pollMs > deadline) {
          throw new AdapterError(
            "github",
            "waitForWorkflowRun",
            "ADAPTER_TIMEOUT",
            `${label}: run #${run.run_number} is still ${run.status ?? "pending"} after ${formatDuration(clock.now() - started)}: ${run.html_url}`,
            { retryable: true, hint: "It may still finish; follow the link, or wait again with a longer timeoutSeconds." },
          );
        }
        await clock.sleep(pollMs, ctx.signal);
        run = (await getRun(run.id)).body;
        if (run.status !== lastStatus) ctx.log.info({ workflow_run_id: run.id, status: run.status }, "workflow run status");
        lastStatus = run.status;
      }

      const duration = runDuration(run);
      const data = {
        runId: run.id,
        runNumber: run.run_number,
        status: run.status,
        conclusion: run.conclusion,
        htmlUrl: run.html_url,
        headSha: run.head_sha,
        durationSeconds: duration === undefined ? null : Math.round(duration / 1000),
      };
      if (run.conclusion !== "success") {
        const failed = await failedJobs(client, ctx, owner, repo, run.id);
        throw new AdapterError(
          "github",
          "waitForWorkflowRun",
          "GITHUB_WORKFLOW_FAILED",
          `${label}: run #${run.run_number} finished with conclusion ${run.conclusion ?? "none"}${failed ? ` (${failed})` : ""}: ${run.html_url}`,
          { hint: "Open the run for its logs; the deploy did not complete." },
        );
      }
      return {
        summary: `${label}: run #${run.run_number} succeeded${duration !== undefined ? ` in ${formatDuration(duration)}` : ""}`,
        data,
        artifacts: [{ kind: "link", title: `${args.workflow} run #${run.run_number}`, url: run.html_url }],
      };
    },
  });
}

async function findRun(
  client: ProviderClient,
  ctx: ActionContext,
  args: z.output<typeof waitArgs>,
  owner: string,
  repo: string,
): Promise<WorkflowRun | undefined> {
  const since = (args.createdAfter ?? 0) - CLOCK_SKEW_MS;
  const { body } = await client.request<{ total_count: number; workflow_runs: WorkflowRun[] }>(ctx, {
    method: "GET",
    path: path`/repos/${owner}/${repo}/actions/workflows/${args.workflow}/runs`,
    query: {
      branch: args.ref,
      event: "workflow_dispatch",
      per_page: 20,
      created: `>=${new Date(since).toISOString().replace(/\.\d{3}Z$/, "Z")}`,
    },
    what: `list runs of ${args.workflow} on ${args.repository}@${args.ref}`,
  });
  // The earliest run after our dispatch is ours; later ones were started by someone else.
  return (body.workflow_runs ?? [])
    .filter((r) => Date.parse(r.created_at) >= since)
    .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at))[0];
}

async function failedJobs(
  client: ProviderClient,
  ctx: ActionContext,
  owner: string,
  repo: string,
  runId: number,
): Promise<string | undefined> {
  try {
    const { body } = await client.request<{ jobs: Job[] }>(ctx, {
      method: "GET",
      path: path`/repos/${owner}/${repo}/actions/runs/${runId}/jobs`,
      query: { filter: "latest", per_page: 100 },
      what: `list jobs of run ${runId}`,
    });
    const failed = (body.jobs ?? []).filter((j) => j.conclusion && !["success", "skipped", "neutral"].includes(j.conclusion));
    if (failed.length === 0) return undefined;
    return failed
      .slice(0, 3)
      .map((j) => {
        const step = j.steps?.find((s) => s.conclusion === "failure");
        return `job "${j.name}" ${j.conclusion}${step ? ` at step "${step.name}"` : ""}`;
      })
      .join(", ");
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    // The run's own conclusion is the answer; job details only make the message better.
    ctx.log.debug({ err: err instanceof Error ? err.message : String(err) }, "could not list failed jobs");
    return undefined;
  }
}

function runDuration(run: WorkflowRun): number | undefined {
  const start = Date.parse(run.run_started_at ?? run.created_at);
  const end = Date.parse(run.updated_at);
  return Number.isNaN(start) || Number.isNaN(end) ? undefined : Math.max(0, end - start);
}
