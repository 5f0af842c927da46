import type { Logger } from "pino";
import type { Run } from "../store/types.js";
import { createRunRecorder, RecordingFailed } from "./run-recorder.js";
import { checkCredentials, describeError, runStep, StepFailure, type StepDeps, type StepOutputs } from "./run-step.js";

export type PreflightResult = { ok: true; summaries: string[] } | { ok: false; stepId: string; reason: string };

// Preflight runs before anyone approves; it must never hang a plan card for long.
const PREFLIGHT_BUDGET_MS = 20_000;

/**
 * Runs a mutating plan's validate and preflight steps (read-only by definition) as soon as the plan
 * exists, so the people approving see the diff, the migrations, the flag change or the commits
 * about to ship. A step whose action writes is never run here.
 */
export async function runPreflight(run: Run, deps: StepDeps): Promise<PreflightResult> {
  const log: Logger = deps.log.child({ run_id: run.id, runbook: run.runbook, stage: "preflight" });
  const steps = run.plan.steps.filter(
    (s) => (s.phase === "validate" || s.phase === "preflight") && deps.actions.find(s.uses)?.risk === "read",
  );
  if (steps.length === 0) return { ok: true, summaries: [] };
  const signal = AbortSignal.timeout(PREFLIGHT_BUDGET_MS);
  const outputs: StepOutputs = {};
  const summaries: string[] = [];
  // Nothing is approved yet, let alone changed: a database that is down is said as it is, at once.
  const recorder = createRunRecorder(run, { ...deps, log, recordRetryMs: 0 });
  try {
    checkCredentials(steps, deps);
    for (const step of steps) {
      const summary = await runStep(run, step, outputs, signal, deps, log, recorder);
      if (summary) summaries.push(summary);
    }
    return { ok: true, summaries };
  } catch (error) {
    if (error instanceof StepFailure) return { ok: false, stepId: error.stepId, reason: error.reason };
    return {
      ok: false,
      stepId: "preflight",
      reason: signal.aborted
        ? `preflight took longer than ${PREFLIGHT_BUDGET_MS / 1000} s`
        : describeError(error instanceof RecordingFailed ? error.cause : error),
    };
  }
}
