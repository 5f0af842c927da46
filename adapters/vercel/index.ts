import type { Adapter } from "../types.js";
import { systemClock } from "../shared/clock.js";
import { createVercelClient, type VercelAdapterOptions } from "./client.js";
import { createCreateDeployment, createGetDeployment, createListDeployments, createWaitForDeployment } from "./deployments.js";
import { createGetLogs } from "./logs.js";
import { createPromote, createRollback } from "./promote-rollback.js";
import { createGetRuntimeLogs } from "./runtime-logs.js";

export type { VercelAdapterOptions } from "./client.js";

/**
 * Vercel REST API: deployments from Git, promote, instant rollback and build logs. Credential: VERCEL_TOKEN.
 *
 * @example createVercelAdapter({ team: "team_abc123" })
 */
export function createVercelAdapter(options: VercelAdapterOptions = {}): Adapter {
  const client = createVercelClient(options);
  const clock = options.clock ?? systemClock;
  const team = options.team;
  return {
    id: "vercel",
    description: "Vercel: deploy a Git ref, promote, roll back, list deployments, read build and runtime logs.",
    actions: {
      createDeployment: createCreateDeployment(client, team),
      getDeployment: createGetDeployment(client, team),
      waitForDeployment: createWaitForDeployment(client, clock, team),
      promote: createPromote(client, team),
      rollback: createRollback(client, team),
      listDeployments: createListDeployments(client, clock, team),
      getLogs: createGetLogs(client, team),
      getRuntimeLogs: createGetRuntimeLogs(client, clock, team),
    },
  };
}
