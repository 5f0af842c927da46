import { buildPlan } from "../../../src/planner/build-plan.js";
import type { Plan } from "../../../src/planner/plan.js";
import { RunbookSchema } from "../../../src/runbook/runbook-schema.js";
import type { NewRun } from "../../../src/store/types.js";
import { exampleConfig } from "../../support/fixtures.js";

/**
 * A runbook that changes things with one real command (step `ship`) and undoes them with another
 * (rollback step `undo`, which writes `undoMarker`): what a shell deploy looks like to the executor.
 */
export function shellDeploy(ship: string[], undoMarker: string): NewRun {
  const runbook = RunbookSchema.parse({
    id: "shell-deploy",
    title: "Shell deploy",
    owner: "platform",
    escalation: "@oncall-platform",
    risk: "write",
    triggers: { verbs: ["ship"] },
    phases: { action: [{ id: "ship", uses: "shell.run", with: { command: ship }, timeoutSeconds: 120 }] },
    rollback: [{ id: "undo", uses: "shell.run", with: { command: ["sh", "-c", `echo undone > ${undoMarker}`] } }],
  });
  const plan: Plan = buildPlan({ runbook, params: {} }, exampleConfig);
  return { plan, status: "queued", requestedBy: "U_FAULTS", source: "test" };
}
