import type { Logger } from "pino";
import { credentialsOf } from "../../adapters/types.js";
import type { TargetSettings } from "../config/config-schema.js";
import { OpsError } from "../errors.js";
import type { ActionLookup } from "./action-catalog.js";

export interface ReadReplicasDeps {
  actions: ActionLookup;
  /** Where the actions' declared credentials are looked up by name. */
  credentials: Readonly<Record<string, string | undefined>>;
  log: Logger;
}

// Someone is waiting in chat for the plan; a provider that takes longer is reported as unreadable, and they are asked.
const READ_BUDGET_MS = 10_000;

/**
 * How many instances of a service run in an env now, read as runbooks/scale.yml's preflight reads it: the
 * `status` command's data.replicas for `deployVia: shell`, else the instance count of `digitaloceanComponent`
 * in the App Platform app `digitaloceanApp`. Throws an OpsError saying why when it cannot be read.
 *
 * @example await readReplicas(resolveTarget(config, "prod", "worker"), { actions, credentials, log }) // → 3
 */
export async function readReplicas(target: TargetSettings, deps: ReadReplicasDeps): Promise<number> {
  if (target.deployVia === "shell") {
    if (!target.commands?.status) throw new OpsError("REPLICAS_UNREADABLE", "the config gives it no `status` command");
    const result = await callRead("shell.read", { command: target.commands.status, env: target.commandEnv ?? [], stepResult: true }, deps);
    const replicas = (result as { replicas?: unknown } | undefined)?.replicas;
    if (typeof replicas !== "number") throw new OpsError("REPLICAS_UNREADABLE", "its `status` command gave no data.replicas");
    return replicas;
  }
  const { digitaloceanApp: app, digitaloceanComponent: component } = target;
  if (!app || !component)
    throw new OpsError(
      "REPLICAS_UNREADABLE",
      "the config gives it no digitaloceanApp and digitaloceanComponent (scaling works for App Platform components and `deployVia: shell`)",
    );
  const data = (await callRead("digitalocean.getApp", { app }, deps)) as {
    components: { name: string; kind: string; instanceCount: number | null; autoscaling: boolean }[];
  };
  const found = data.components.find((c) => c.name === component);
  if (!found) throw new OpsError("REPLICAS_UNREADABLE", `app ${app} has no component named ${component}`);
  if (found.autoscaling) throw new OpsError("REPLICAS_UNREADABLE", `${component} autoscales, so it has no fixed count`);
  if (found.instanceCount === null)
    throw new OpsError("REPLICAS_UNREADABLE", `${component} is a ${found.kind}, which has no instance count`);
  return found.instanceCount;
}

/** Calls a read-only action with only the credentials it declares, like a preflight step; returns its data. */
async function callRead(uses: string, args: Record<string, unknown>, deps: ReadReplicasDeps): Promise<unknown> {
  const action = deps.actions.find(uses);
  if (!action || action.risk !== "read") throw new OpsError("REPLICAS_UNREADABLE", `${uses} is not available`);
  const parsed = action.args.safeParse(args);
  const granted = parsed.success ? credentialsOf(action, parsed.data) : action.credentials;
  const credentials = Object.fromEntries(granted.flatMap((c) => (deps.credentials[c.name] ? [[c.name, deps.credentials[c.name]!]] : [])));
  const [adapter, name] = uses.split(".");
  const result = await action.run(args, {
    log: deps.log.child({ adapter, action: name }),
    signal: AbortSignal.timeout(READ_BUDGET_MS),
    runId: "plan",
    stepId: "current-replicas",
    dryRun: false,
    credentials,
  });
  return result.data;
}
