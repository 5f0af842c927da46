import type { Adapter } from "../types.js";
import { systemClock } from "../shared/clock.js";
import { createGetApp, createGetDeployment, createRestartApp, createScaleComponent, createWaitForDeployment } from "./apps.js";
import { createDigitaloceanClient, type DigitaloceanAdapterOptions } from "./client.js";
import { createAppHealth, createGetLogs, createListDeployments } from "./evidence.js";
import { createRollbackApp } from "./rollback.js";

export type { DigitaloceanAdapterOptions } from "./client.js";

/**
 * DigitalOcean App Platform: read apps, their health, deployments and run logs; redeploy, scale a
 * component, roll back, follow deployments.
 * Credential: DIGITALOCEAN_TOKEN.
 */
export function createDigitaloceanAdapter(options: DigitaloceanAdapterOptions = {}): Adapter {
  const client = createDigitaloceanClient(options);
  const clock = options.clock ?? systemClock;
  const consoleUrl = (options.consoleUrl ?? "https://cloud.digitalocean.com").replace(/\/+$/, "");
  return {
    id: "digitalocean",
    description:
      "DigitalOcean App Platform: app status and health, deployments, run logs, redeploy, scale a component, follow a deployment.",
    actions: {
      getApp: createGetApp(client, consoleUrl),
      restartApp: createRestartApp(client, consoleUrl),
      scaleComponent: createScaleComponent(client, consoleUrl),
      rollbackApp: createRollbackApp(client, consoleUrl),
      getDeployment: createGetDeployment(client),
      waitForDeployment: createWaitForDeployment(client, clock, consoleUrl),
      listDeployments: createListDeployments(client, consoleUrl),
      appHealth: createAppHealth(client, clock, consoleUrl),
      getLogs: createGetLogs(client, clock, options.fetch),
    },
  };
}
