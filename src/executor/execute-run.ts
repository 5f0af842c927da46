import type { Logger } from "pino";
import type { PlannedStep } from "../planner/plan.js";
import { PHASES } from "../runbook/runbook-schema.js";
import type { Store } from "../store/store.js";
import type { Run, RunOutcome } from "../store/types.js";
import { Cancelled, checkCredentials, describeError, runStep, StepFailure, type StepDeps, type StepOutputs } from "./run-step.js";
import { RunInterrupted } from "./worker.js";

export interface ExecutorDeps extends StepDeps {
  /** How often a running step checks whether someone asked to cancel. */
  cancelPollMs?: number;
}

/**
 * Works one claimed run through validate → preflight → action → verify → summarize, recording an
 * event per step. A failed action or verify step of a mutating run triggers the runbook's rollback.
 * Returns the outcome; the caller (the worker) records it.
 */
export async function executeRun(run: Run, workerId: string, deps: ExecutorDeps, workerSignal?: AbortSignal): Promise<RunOutcome> {
  const { store, redactor } = deps;
  const log = deps.log.child({ run_id: run.id, runbook: run.runbook, env: run.env, service: run.service });
  const started = Date.now();
  const runAbort = new AbortController();
  const outputs: StepOutputs = {};
  const summaries: string[] = [];
  const record = (event: Parameters<Store["appendEvent"]>[1]) => store.appendEvent(run.id, redactor.redact(event));
  // Cancellation is seen between steps and, through the AbortSignal, inside a running step.
  // The worker aborts when it loses the run's lease or is stopped; a cancel request arrives the same way.
  workerSignal?.addEventListener("abort", () => runAbort.abort(new Cancelled("stopped by the worker")), { once: true });
  // The runbook's own time limit covers the whole run, whatever each step's limit is.
  const runTimer = setTimeout(
    () => runAbort.abort(new StepFailure("timeout", `${run.title} ran past its ${run.plan.timeoutSeconds} s limit and was stopped.`)),
    run.plan.timeoutSeconds * 1000,
  );
  const cancelWatch = setInterval(() => {
    store.isCancelRequested(run.id).then(
      (yes) => yes && runAbort.abort(new Cancelled("cancelled")),
      () => {},
    );
  }, deps.cancelPollMs ?? 1000);

  try {
    await record({ kind: "run_started", message: `started by worker ${workerId}`, data: { worker_id: workerId, attempt: run.attempts } });
    let currentPhase: string = "validate";
    try {
      for (const phase of PHASES) {
        currentPhase = phase;
        const steps = run.plan.steps.filter((s) => s.phase === phase);
        await record({ kind: "phase_started", phase, message: steps.length === 0 && phase !== "validate" ? "nothing to do" : "" });
        if (phase === "validate") checkCredentials([...run.plan.steps, ...run.plan.rollback], deps);
        for (const step of steps) {
          if (runAbort.signal.aborted) throw runAbort.signal.reason;
          if (await store.isCancelRequested(run.id)) throw new Cancelled("cancelled");
          const summary = await runOptionalStep(run, step, outputs, runAbort.signal, deps, log);
          if (summary) summaries.push(summary);
        }
        await record({ kind: "phase_finished", phase });
      }
    } catch (error) {
      const reason: unknown = runAbort.signal.reason;
      if (!(reason instanceof StepFailure) && (error instanceof Cancelled || reason instanceof Cancelled)) {
        const summary = `${run.title} cancelled during ${currentPhase} after ${seconds(started)}.`;
        // Stopped because this process is shutting down: nobody cancelled it, and the worker hands it back.
        if (workerSignal?.reason instanceof RunInterrupted && workerSignal.reason.reason === "worker_stopping") {
          return { status: "cancelled", summary };
        }
        await record({ kind: "run_cancelled", phase: currentPhase, message: summary });
        return { status: "cancelled", summary };
      }
      const failure =
        reason instanceof StepFailure ? reason : error instanceof StepFailure ? error : new StepFailure(currentPhase, describeError(error));
      const changing = run.mutating && (currentPhase === "action" || currentPhase === "verify");
      const rolledBack = changing ? await rollback(run, outputs, deps, log) : [];
      const summary = redactor.redactText(failureSummary(run, currentPhase, failure, rolledBack, changing, started));
      await record({
        kind: "run_failed",
        phase: currentPhase,
        stepId: failure.stepId,
        message: failure.reason,
        data: { rolled_back: rolledBack },
      });
      await store.addArtifact(run.id, { stepId: null, kind: "summary", title: "Summary", content: summary, url: null, filename: null });
      return { status: "failed", summary, failedStep: failure.stepId, error: redactor.redactText(failure.reason) };
    }
    const summary = redactor.redactText(
      [`${run.title}${run.env ? ` (${run.env})` : ""} succeeded in ${seconds(started)}.`, ...summaries.map((s) => `• ${s}`)].join("\n"),
    );
    await store.addArtifact(run.id, { stepId: null, kind: "summary", title: "Summary", content: summary, url: null, filename: null });
    await record({ kind: "run_succeeded", message: `succeeded in ${seconds(started)}` });
    return { status: "succeeded", summary };
  } finally {
    clearInterval(cancelWatch);
    clearTimeout(runTimer);
  }
}

/** Runs a step; a `continueOnError` step that fails leaves its reason in `steps.<id>.error` and the run goes on. */
async function runOptionalStep(
  run: Run,
  step: PlannedStep,
  outputs: StepOutputs,
  signal: AbortSignal,
  deps: ExecutorDeps,
  log: Logger,
): Promise<string | undefined> {
  try {
    return await runStep(run, step, outputs, signal, deps, log);
  } catch (error) {
    if (!step.continueOnError || !(error instanceof StepFailure) || signal.aborted) throw error;
    outputs[step.id] = { data: undefined, summary: `${step.id} unavailable: ${error.reason}`, error: error.reason };
    if (error.stepId === "credentials") {
      await deps.store.appendEvent(
        run.id,
        deps.redactor.redact({ kind: "step_skipped", phase: step.phase, stepId: step.id, message: error.reason }),
      );
    }
    return `${step.id} unavailable: ${error.reason}`;
  }
}

async function rollback(run: Run, outputs: StepOutputs, deps: ExecutorDeps, log: Logger): Promise<string[]> {
  if (run.plan.rollback.length === 0) return [];
  const { store, redactor } = deps;
  await store.appendEvent(run.id, {
    kind: "rollback_started",
    phase: "rollback",
    message: `rolling back: ${run.plan.rollback.map((s) => s.id).join(", ")}`,
  });
  const done: string[] = [];
  for (const step of run.plan.rollback) {
    try {
      // Rollback must not be stopped by the cancel that may have caused it.
      const summary = await runStep(run, step, outputs, new AbortController().signal, deps, log);
      done.push(`${step.id}${summary ? `: ${summary}` : ""}`);
    } catch (error) {
      done.push(`${step.id} FAILED: ${describeError(error)}`);
    }
  }
  // Step summaries and errors carry provider text: redacted like every other recorded event.
  await store.appendEvent(run.id, redactor.redact({ kind: "rollback_finished", phase: "rollback", message: done.join("; ") }));
  return done;
}

function failureSummary(run: Run, phase: string, failure: StepFailure, rolledBack: string[], changing: boolean, started: number): string {
  return [
    `${run.title}${run.env ? ` (${run.env})` : ""} failed in ${phase} at step ${failure.stepId} after ${seconds(started)}.`,
    `Reason: ${failure.reason}`,
    rolledBack.length > 0
      ? `Rolled back: ${rolledBack.join("; ")}`
      : changing
        ? "Nothing was rolled back (the runbook has no rollback steps)."
        : undefined,
    `Owner: ${run.plan.owner} · Escalation: ${run.plan.escalation}`,
  ]
    .filter(Boolean)
    .join("\n");
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
