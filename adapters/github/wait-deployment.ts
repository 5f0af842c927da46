import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { intArg, optionalInt, repositoryArg } from "../shared/args.js";
import { formatDuration, type Clock } from "../shared/clock.js";
import { path, type ProviderClient } from "../shared/http-client.js";
import { GITHUB_TOKEN, splitRepository } from "./client.js";

export const waitDeploymentArgs = z.strictObject({
  repository: repositoryArg,
  deploymentId: intArg(1, Number.MAX_SAFE_INTEGER),
  pollSeconds: optionalInt(1, 300),
  timeoutSeconds: optionalInt(10, 6 * 3600),
});

interface DeploymentStatus {
  id: number;
  state: string;
  description: string | null;
  environment_url?: string | null;
  log_url?: string | null;
  created_at: string;
}

/** States a deploy listener sets while it works; anything else is final. */
const WORKING = new Set(["queued", "pending", "in_progress", "none"]);

/**
 * Waits for the deploy listener (a workflow on `deployment`, or an external system) to finish a
 * deployment created through the Deployments API: polls its latest status (newest first, one per page)
 * until it is success, and fails on failure, error or inactive (superseded by a newer deployment).
 */
export function createWaitForDeployment(client: ProviderClient, clock: Clock): AdapterAction {
  return adapterAction("github", "waitForDeployment", {
    description: "Wait for a GitHub deployment's latest status to become success; fail on failure, error or inactive.",
    args: waitDeploymentArgs,
    risk: "read",
    credentials: [GITHUB_TOKEN],
    async run(args, ctx) {
      const [owner, repo] = splitRepository(args.repository);
      const pollMs = (args.pollSeconds ?? 10) * 1000;
      const timeoutMs = (args.timeoutSeconds ?? 1800) * 1000;
      const started = clock.now();
      const label = `deployment ${args.deploymentId} of ${args.repository}`;
      const latest = async () => {
        const { body } = await client.request<DeploymentStatus[]>(ctx, {
          method: "GET",
          path: path`/repos/${owner}/${repo}/deployments/${args.deploymentId}/statuses`,
          query: { per_page: 1 },
          what: `get the status of ${label}`,
        });
        return body[0];
      };
      let status = await latest();
      let last = status?.state ?? "none";
      while (WORKING.has(status?.state ?? "none")) {
        if (clock.now() + pollMs - started > timeoutMs) {
          throw new AdapterError(
            "github",
            "waitForDeployment",
            "ADAPTER_TIMEOUT",
            `${label} is still ${status?.state ?? "without a status"} after ${formatDuration(clock.now() - started)}.`,
            {
              retryable: true,
              hint: "Check that a deploy listener (a workflow on: deployment, or your deploy system) picks up deployments for this environment.",
            },
          );
        }
        await clock.sleep(pollMs, ctx.signal);
        status = await latest();
        if ((status?.state ?? "none") !== last)
          ctx.log.info({ deployment_id: args.deploymentId, state: status?.state }, "deployment status");
        last = status?.state ?? "none";
      }
      const s = status!;
      const link = s.log_url || s.environment_url || undefined;
      if (s.state !== "success") {
        throw new AdapterError(
          "github",
          "waitForDeployment",
          "GITHUB_DEPLOYMENT_FAILED",
          `${label} ended ${s.state}${s.description ? `: ${ctx.scrub.text(s.description)}` : ""}${link ? ` — ${link}` : ""}`,
          {
            hint:
              s.state === "inactive"
                ? "A newer deployment to the same environment replaced it."
                : "Open the deployment's log for the reason; the deploy did not complete.",
          },
        );
      }
      return {
        summary: `${label}: success after ${formatDuration(clock.now() - started)}${s.description ? ` (${s.description})` : ""}`,
        data: { deploymentId: args.deploymentId, state: s.state, environmentUrl: s.environment_url ?? null, logUrl: s.log_url ?? null },
        artifacts: link ? [{ kind: "link", title: `Deployment ${args.deploymentId}`, url: link }] : [],
      };
    },
  });
}
