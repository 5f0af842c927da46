import type { Logger } from "pino";
import type { Plan, PlannedStep } from "../planner/plan.js";
import type { ActionLookup } from "./action-catalog.js";

/** One step of a dry run: the adapter call a real run would make, and for write actions the exact requests. */
export interface DryRunStep {
  phase: PlannedStep["phase"];
  id: string;
  uses: string;
  args: Record<string, unknown>;
  risk: "read" | "write";
  /** The provider requests a write action would send (method, URL, body), from the adapter itself. */
  requests: string[];
  /** Why requests are missing: the args depend on earlier steps' results. */
  note?: string;
}

/**
 * Lists every call a real run of the plan would make, with rendered arguments, and makes none of
 * them: read actions are not called at all, write actions are asked (with `dryRun: true`) to
 * describe their requests, which they answer without touching the network.
 */
export async function dryRunPlan(plan: Plan, deps: { actions: ActionLookup; log: Logger }): Promise<DryRunStep[]> {
  const steps: DryRunStep[] = [];
  for (const step of [...plan.steps, ...plan.rollback]) {
    const action = deps.actions.find(step.uses);
    const base = {
      phase: step.phase,
      id: step.id,
      uses: step.uses,
      args: step.args,
      risk: action?.risk ?? "read",
      requests: [] as string[],
    };
    if (!action || action.risk === "read") {
      steps.push(base);
      continue;
    }
    if (step.lateArgs.length > 0) {
      steps.push({
        ...base,
        note: `${step.lateArgs.join(", ")} come${step.lateArgs.length === 1 ? "s" : ""} from earlier steps at run time`,
      });
      continue;
    }
    try {
      const result = await action.run(step.args, {
        log: deps.log,
        signal: AbortSignal.timeout(5_000),
        runId: "dry-run",
        stepId: step.id,
        dryRun: true,
        credentials: {},
      });
      const calls = (result.data as { calls?: { method: string; url: string; body?: unknown }[] } | undefined)?.calls ?? [];
      steps.push({
        ...base,
        requests: calls.map((c) => `${c.method} ${c.url}${c.body === undefined ? "" : ` ${JSON.stringify(c.body)}`}`),
      });
    } catch (error) {
      steps.push({ ...base, note: `cannot describe: ${(error as Error).message}` });
    }
  }
  return steps;
}
