import type { Logger } from "pino";
import { StoreUnavailableError } from "../errors.js";
import type { PlannedStep } from "../planner/plan.js";
import { PHASES } from "../runbook/runbook-schema.js";
import type { Run, RunOutcome } from "../store/types.js";
import { createRunRecorder, LeaseLost, RecordingFailed, type RunRecorder } from "./run-recorder.js";
import { Cancelled, checkCredentials, describeError, runStep, StepFailure, type StepDeps, type StepOutputs } from "./run-step.js";
import { RunInterrupted } from "./worker.js";

export interface ExecutorDeps extends StepDeps {
  /** How often a running step checks whether someone asked to cancel. */
  cancelPollMs?: number;
  /** How long a record (a step's result, an event) is retried while the database is unreachable. */
  recordRetryMs?: number;
}

/**
 * Works one claimed run through validate → preflight → action → verify → summarize, recording an
 * event per step. A failed or cancelled action or verify phase of a mutating run runs the runbook's
 * rollback. Returns the outcome; the caller (the worker) records it.
 *
 * The records stay true when the database goes away: every record is retried (RunRecorder); one that
 * cannot be written ends the run as "outcome unknown", naming the step that was changing things and
 * what it reported, without rollback (a recording failure is not a failed step). A worker that lost
 * the run's lease stops and says so in a `lease_lost` event; the run's outcome is someone else's now.
 */
export async function executeRun(run: Run, workerId: string, deps: ExecutorDeps, workerSignal?: AbortSignal): Promise<RunOutcome> {
  const log = deps.log.child({ run_id: run.id, runbook: run.runbook, env: run.env, service: run.service });
  const started = Date.now();
  const runAbort = new AbortController();
  const outputs: StepOutputs = {};
  const summaries: string[] = [];
  // Records are retried while the database is unreachable, unless the run is no longer this worker's.
  const leaseGone = new AbortController();
  const recorder = createRunRecorder(run, { ...deps, log }, leaseGone.signal);
  // Cancellation is seen between steps and, through the AbortSignal, inside a running step.
  workerSignal?.addEventListener(
    "abort",
    () => {
      const reason = interruption(workerSignal.reason);
      if (reason instanceof LeaseLost) leaseGone.abort(reason);
      runAbort.abort(reason);
    },
    { once: true },
  );
  // The runbook's own time limit covers the whole run, whatever each step's limit is.
  const runTimer = setTimeout(
    () => runAbort.abort(new StepFailure("timeout", `${run.title} ran past its ${run.plan.timeoutSeconds} s limit and was stopped.`)),
    run.plan.timeoutSeconds * 1000,
  );
  const cancelWatch = setInterval(() => {
    deps.store.isCancelRequested(run.id).then(
      (yes) => yes && runAbort.abort(new Cancelled("cancelled")),
      () => {},
    );
  }, deps.cancelPollMs ?? 1000);
  let currentPhase: string = "validate";
  const rollbackState = { started: false };

  try {
    try {
      await recorder.event({
        kind: "run_started",
        message: `started by worker ${workerId}`,
        data: { worker_id: workerId, attempt: run.attempts },
      });
      for (const phase of PHASES) {
        currentPhase = phase;
        const steps = run.plan.steps.filter((s) => s.phase === phase);
        await recorder.event({ kind: "phase_started", phase, message: steps.length === 0 && phase !== "validate" ? "nothing to do" : "" });
        if (phase === "validate") checkCredentials([...run.plan.steps, ...run.plan.rollback], deps);
        for (const step of steps) {
          if (runAbort.signal.aborted) throw runAbort.signal.reason;
          if (await recorder.cancelRequested()) throw new Cancelled("cancelled");
          const summary = await runOptionalStep(run, step, outputs, runAbort.signal, deps, log, recorder);
          if (summary) summaries.push(summary);
        }
        await recorder.event({ kind: "phase_finished", phase });
        if (phase === "preflight") await assertOverridden(run, outputs, deps);
      }
      const summary = deps.redactor.redactText(
        [`${run.title}${run.env ? ` (${run.env})` : ""} succeeded in ${seconds(started)}.`, ...summaries.map((s) => `• ${s}`)].join("\n"),
      );
      await recorder.summary(summary);
      await recorder.event({ kind: "run_succeeded", message: `succeeded in ${seconds(started)}` });
      return { status: "succeeded", summary };
    } catch (error) {
      if (isUnrecorded(error) || runAbort.signal.reason instanceof LeaseLost || error instanceof LeaseLost) throw error;
      const reason: unknown = runAbort.signal.reason;
      // Stopped because this process is shutting down: nobody cancelled it and nothing failed. Nothing
      // is recorded or rolled back here; the worker hands the run back (Store.handBackRuns).
      if (reason instanceof WorkerStopping) return { status: "cancelled", summary: reason.message };
      const changing = run.mutating && (currentPhase === "action" || currentPhase === "verify");
      const rolledBack = changing ? await rollback(run, outputs, deps, log, recorder, rollbackState) : [];
      if (!(reason instanceof StepFailure) && (error instanceof Cancelled || reason instanceof Cancelled)) {
        const by = await recorder.cancelledBy();
        const summary = deps.redactor.redactText(cancelSummary(run, currentPhase, by, rolledBack, changing, started));
        await recorder.event({ kind: "run_cancelled", phase: currentPhase, message: summary, data: { by, rolled_back: rolledBack } });
        return { status: "cancelled", summary };
      }
      const failure =
        reason instanceof StepFailure ? reason : error instanceof StepFailure ? error : new StepFailure(currentPhase, describeError(error));
      const summary = deps.redactor.redactText(failureSummary(run, currentPhase, failure, rolledBack, changing, started));
      await recorder.event({
        kind: "run_failed",
        phase: currentPhase,
        stepId: failure.stepId,
        message: failure.reason,
        data: { rolled_back: rolledBack },
      });
      await recorder.summary(summary);
      return { status: "failed", summary, failedStep: failure.stepId, error: deps.redactor.redactText(failure.reason) };
    }
  } catch (error) {
    if (runAbort.signal.reason instanceof LeaseLost || error instanceof LeaseLost)
      return leaseLost(run, workerId, currentPhase, recorder, log);
    if (isUnrecorded(error)) return unrecorded(run, currentPhase, error, recorder, deps, started, rollbackState.started);
    throw error;
  } finally {
    clearInterval(cancelWatch);
    clearTimeout(runTimer);
  }
}

/**
 * A check that says something stands against the change (StepResult.override) stops a mutating run before
 * its action unless an approval that counts gave a reason: the plan-time preflight asked the approver for
 * one, and this holds when that preflight never reported back, the plan needed no approval, or things
 * changed between the approval and the run.
 */
async function assertOverridden(run: Run, outputs: StepOutputs, deps: ExecutorDeps): Promise<void> {
  if (!run.mutating) return;
  const against = Object.entries(outputs).filter(([, o]) => o.override !== undefined);
  if (against.length === 0) return;
  const approvals = await deps.store.listApprovals(run.id);
  if (approvals.some((a) => a.counts && a.overrideReason)) return;
  throw new StepFailure(
    against[0]![0],
    `${against.map(([, o]) => o.override).join("; ")} — going ahead needs an approver's override reason, and no approval of this run gave one. Nothing was changed; ask again and approve with a reason.`,
  );
}

/** What the worker's abort means for the run: a person's cancel, a lost lease, or the worker shutting down. */
function interruption(reason: unknown): Error {
  if (!(reason instanceof RunInterrupted) || reason.reason === "cancel_requested") return new Cancelled("cancelled");
  if (reason.reason === "lease_lost") return new LeaseLost(reason.message);
  return new WorkerStopping("The worker running it was stopped (opsroom shut down while the run was in progress).");
}

class WorkerStopping extends Error {}

function isUnrecorded(error: unknown): error is RecordingFailed | StoreUnavailableError {
  return error instanceof RecordingFailed || error instanceof StoreUnavailableError;
}

/** Runs a step; a `continueOnError` step that fails leaves its reason in `steps.<id>.error` and the run goes on. */
async function runOptionalStep(
  run: Run,
  step: PlannedStep,
  outputs: StepOutputs,
  signal: AbortSignal,
  deps: ExecutorDeps,
  log: Logger,
  recorder: RunRecorder,
): Promise<string | undefined> {
  try {
    return await runStep(run, step, outputs, signal, deps, log, recorder);
  } catch (error) {
    if (!step.continueOnError || !(error instanceof StepFailure) || signal.aborted) throw error;
    // A missing setting means the source was not checked, which is not a failure: said as such.
    const notChecked = error.missing.length > 0 ? `not checked — set ${error.missing.join(" and ")}` : undefined;
    const summary = notChecked ? `${step.id}: ${notChecked}` : `${step.id} unavailable: ${error.reason}`;
    outputs[step.id] = {
      data: undefined,
      summary,
      error: error.reason,
      uses: step.uses,
      ...(error.missing.length > 0 ? { missing: [...error.missing] } : {}),
    };
    if (error.stepId === "credentials") {
      await recorder.event({ kind: "step_skipped", phase: step.phase, stepId: step.id, message: notChecked ?? error.reason });
    }
    return summary;
  }
}

async function rollback(
  run: Run,
  outputs: StepOutputs,
  deps: ExecutorDeps,
  log: Logger,
  recorder: RunRecorder,
  state: { started: boolean },
): Promise<string[]> {
  if (run.plan.rollback.length === 0) return [];
  state.started = true;
  await recorder.event({
    kind: "rollback_started",
    phase: "rollback",
    message: `rolling back: ${run.plan.rollback.map((s) => s.id).join(", ")}`,
  });
  const done: string[] = [];
  for (const step of run.plan.rollback) {
    try {
      // Rollback must not be stopped by the cancel that may have caused it.
      const summary = await runStep(run, step, outputs, new AbortController().signal, deps, log, recorder);
      done.push(`${step.id}${summary ? `: ${summary}` : ""}`);
    } catch (error) {
      if (isUnrecorded(error) || error instanceof LeaseLost) throw error;
      done.push(`${step.id} FAILED: ${describeError(error)}`);
    }
  }
  await recorder.event({ kind: "rollback_finished", phase: "rollback", message: done.join("; ") });
  return done;
}

/**
 * This worker lost the run's lease: the run was failed as "worker lost" or queued again and taken by
 * another worker. Said in an event of its own (never `run_cancelled`: nobody cancelled anything); the
 * returned outcome is not recorded (the worker knows it no longer holds the run).
 */
async function leaseLost(run: Run, workerId: string, phase: string, recorder: RunRecorder, log: Logger): Promise<RunOutcome> {
  const change = recorder.lastChange;
  const message = [
    `Worker ${workerId} lost this run's lease during ${phase} (it could not reach the database in time), so the run was ended or taken over elsewhere; it stopped its own attempt.`,
    change
      ? `Its last step that changes things, ${change.step.id} (${change.step.uses}), ${change.result ? `reported: ${change.result}` : "was stopped while running"}.`
      : "",
  ]
    .filter(Boolean)
    .join(" ");
  // One try: the database may be what cost the lease, and the run is no longer this worker's to record.
  await recorder.event({ kind: "lease_lost", phase, ...(change ? { stepId: change.step.id } : {}), message }).catch((error: unknown) => {
    log.warn({ err: error }, "could not record the lost lease");
  });
  return { status: "failed", summary: message, failedStep: change?.step.id ?? null, error: "lease lost" };
}

/**
 * The database stayed unreachable while the run had something to record. Nothing is rolled back (a
 * recording failure is not a failed step) and nothing more runs; the outcome, written by the worker
 * once the database is back, says what is known: the step that was changing things and what it reported.
 */
function unrecorded(
  run: Run,
  phase: string,
  error: RecordingFailed | StoreUnavailableError,
  recorder: RunRecorder,
  deps: ExecutorDeps,
  started: number,
  rollingBack: boolean,
): RunOutcome {
  const problem = error instanceof RecordingFailed ? error.message : "opsroom lost its database";
  const change = recorder.lastChange;
  const where = `${run.title}${run.env ? ` (${run.env})` : ""}`;
  const contact = `Owner: ${run.plan.owner} · Escalation: ${run.plan.escalation}`;
  if (!change) {
    const summary = `${where} stopped during ${phase} after ${seconds(started)}: ${problem}. No step that changes things had started, so nothing was changed.\n${contact}`;
    return { status: "failed", summary: deps.redactor.redactText(summary), failedStep: phase, error: deps.redactor.redactText(problem) };
  }
  const step = `\`${change.step.id}\` (${change.step.uses})`;
  const check = `check what ${change.step.id} changed${run.env ? ` in ${run.env}` : ""} before running it again`;
  const summary = [
    `${where}: outcome unknown — ${check}.`,
    change.result
      ? `Step ${step} ran and reported: ${change.result}. Then ${problem}.`
      : `Step ${step} was changing things when ${problem}; it may be half done.`,
    rollingBack
      ? "The rollback was interrupted there: check what it undid, too."
      : "Nothing after it ran and nothing was rolled back (the database, not the step, failed).",
    contact,
  ].join("\n");
  return {
    status: "failed",
    outcomeUnknown: true,
    summary: deps.redactor.redactText(summary),
    failedStep: change.step.id,
    error: deps.redactor.redactText(`outcome unknown: ${problem}`),
  };
}

function cancelSummary(run: Run, phase: string, by: string | null, rolledBack: string[], changing: boolean, started: number): string {
  return [
    `${run.title} cancelled${by ? ` by ${by}` : ""} during ${phase} after ${seconds(started)}.`,
    rolledBack.length > 0
      ? `Rolled back: ${rolledBack.join("; ")}`
      : changing
        ? "Nothing was rolled back (the runbook has no rollback steps)."
        : run.mutating
          ? "Nothing had been changed yet."
          : undefined,
  ]
    .filter(Boolean)
    .join("\n");
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
