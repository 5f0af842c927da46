import type { Adapter } from "../types.js";
import { systemClock } from "../shared/clock.js";
import { createGithubClient, webUrlFor, type GithubAdapterOptions } from "./client.js";
import { createCompareRefs } from "./compare.js";
import { createCreateDeployment, createListDeployments, createSetDeploymentStatus } from "./deployments.js";
import { createOpenPullRequest } from "./pull-request.js";
import { createLastCommit } from "./last-commit.js";
import { createGetRepository } from "./repository.js";
import { createOpenRevertPullRequest } from "./revert-pull-request.js";
import { createWaitForDeployment } from "./wait-deployment.js";
import { createListWorkflowRuns } from "./workflow-runs.js";
import { createDispatchWorkflow, createWaitForWorkflowRun } from "./workflows.js";

export type { GithubAdapterOptions } from "./client.js";

/**
 * GitHub REST v3: repositories, Actions workflow runs, deployments, compare and pull requests.
 * Credential: GITHUB_TOKEN.
 *
 * @example createGithubAdapter({ apiUrl: "https://ghe.example.com/api/v3" })
 */
export function createGithubAdapter(options: GithubAdapterOptions = {}): Adapter {
  const client = createGithubClient(options);
  const clock = options.clock ?? systemClock;
  const webUrl = (options.webUrl ?? webUrlFor(options.apiUrl)).replace(/\/+$/, "");
  return {
    id: "github",
    description: "GitHub: repositories, Actions workflows, deployments, compare and pull requests.",
    actions: {
      getRepository: createGetRepository(client),
      lastCommit: createLastCommit(client),
      dispatchWorkflow: createDispatchWorkflow(client, clock, webUrl),
      waitForWorkflowRun: createWaitForWorkflowRun(client, clock),
      createDeployment: createCreateDeployment(client),
      setDeploymentStatus: createSetDeploymentStatus(client),
      waitForDeployment: createWaitForDeployment(client, clock),
      listDeployments: createListDeployments(client, webUrl),
      listWorkflowRuns: createListWorkflowRuns(client, webUrl),
      compareRefs: createCompareRefs(client),
      openPullRequest: createOpenPullRequest(client),
      openRevertPullRequest: createOpenRevertPullRequest(client),
    },
  };
}
