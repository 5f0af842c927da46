import { loadConfigFile, DEFAULT_CONFIG_PATH, DEFAULT_RUNBOOKS_DIR } from "../../src/config/load-config.js";
import type { ConfigFile } from "../../src/config/config-schema.js";
import { buildPlan } from "../../src/planner/build-plan.js";
import type { Plan } from "../../src/planner/plan.js";
import { loadRunbooks } from "../../src/runbook/load-runbooks.js";
import type { Runbook } from "../../src/runbook/runbook-schema.js";

export const exampleConfig: ConfigFile = loadConfigFile(DEFAULT_CONFIG_PATH, { PORT: "8787" });
export const exampleRunbooks: Runbook[] = loadRunbooks(DEFAULT_RUNBOOKS_DIR);

export function runbook(id: string): Runbook {
  const found = exampleRunbooks.find((r) => r.id === id);
  if (!found) throw new Error(`no runbook ${id}`);
  return found;
}

export function planFor(id: string, params: Plan["params"], config: ConfigFile = exampleConfig): Plan {
  return buildPlan({ runbook: runbook(id), params }, config);
}
