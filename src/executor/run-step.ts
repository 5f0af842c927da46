import type { Logger } from "pino";
import {
  artifactsOfError,
  credentialsOf,
  type AdapterAction,
  type Artifact,
  type CredentialSpec,
  type StepResult,
} from "../../adapters/types.js";
import { OpsError } from "../errors.js";
import type { PlannedStep } from "../planner/plan.js";
import type { Redactor } from "../redact.js";
import { isTruthy, renderValue } from "../runbook/render-template.js";
import type { Store } from "../store/store.js";
import type { Run } from "../store/types.js";
import type { ActionLookup } from "./action-catalog.js";
import type { RunRecorder } from "./run-recorder.js";

export interface StepDeps {
  store: Store;
  actions: ActionLookup;
  /** Where declared credentials are looked up by name. */
  credentials: Readonly<Record<string, string | undefined>>;
  redactor: Redactor;
  log: Logger;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Outputs of finished steps, by step id: what `{{ steps.<id>.data }}` reads, and the action each `uses`.
 * A `continueOnError` step that could not run leaves `error` and the settings it was `missing` (when that
 * was why), so a report can say "not checked — set X" rather than "failed".
 */
export type StepOutputs = Record<
  string,
  { data: unknown; summary: string; error?: string; uses?: string; missing?: string[]; override?: string }
>;

/** A step that failed for good (after its retries); carries the reason people read. */
export class StepFailure extends Error {
  constructor(
    readonly stepId: string,
    readonly reason: string,
    /** The settings that were not set, when that is why. */
    readonly missing: readonly string[] = [],
  ) {
    super(reason);
  }
}

export class Cancelled extends Error {}

/** Fails fast, naming every setting the given steps need and the environment does not have. */
export function checkCredentials(steps: readonly PlannedStep[], deps: Pick<StepDeps, "actions" | "credentials">): void {
  const missing = new Map<string, string>();
  for (const step of steps) {
    // An optional step reports its own missing credential when its turn comes.
    if (step.continueOnError) continue;
    const action = deps.actions.find(step.uses);
    for (const credential of action ? credentialsNeeded(action, step.args) : []) {
      // A credential named by an arg the config left unset (postgres' databaseUrlEnv) has no name: the
      // step's own arg check, or the runbook's settings check, says which setting is missing instead.
      if (!credential.name) continue;
      if (!deps.credentials[credential.name])
        missing.set(credential.name, `${credential.name} (${credential.description}; needed by ${step.uses})`);
    }
  }
  if (missing.size > 0) {
    const plural = missing.size > 1;
    throw new StepFailure(
      "credentials",
      `Missing setting${plural ? "s" : ""}: ${[...missing.values()].join("; ")}. Set ${plural ? "them" : "it"} in the environment and try again.`,
      [...missing.keys()],
    );
  }
}

/**
 * The credentials a step needs, as far as its args tell before it runs. Names that depend on the args
 * (shell's `env`, postgres' `databaseUrlEnv`) are read from the args validated by the action's schema,
 * defaults applied; args that only validate once rendered (`steps.<id>.data`) give the static list here,
 * and the adapter refuses a missing one when the step runs.
 */
function credentialsNeeded(action: AdapterAction, args: unknown): readonly CredentialSpec[] {
  const parsed = action.args.safeParse(args);
  return parsed.success ? credentialsOf(action, parsed.data) : action.credentials;
}

/**
 * Runs one planned step: renders late args, validates them with the action's schema, calls the
 * adapter with a per-step timeout, retries read-only steps with backoff, and records its events and
 * artifacts (a failed step's too: a failing command's output is what people need most) through
 * `recorder`. Returns the step's one-line summary, or undefined when its condition was false.
 * A step's result is never mistaken for a recording problem: the call is the only thing that can fail
 * the step; a record that cannot be written throws RecordingFailed.
 */
export async function runStep(
  run: Run,
  step: PlannedStep,
  outputs: StepOutputs,
  runSignal: AbortSignal,
  deps: StepDeps,
  runLog: Logger,
  recorder: RunRecorder,
): Promise<string | undefined> {
  const [adapterId, actionName] = step.uses.split(".");
  const log = runLog.child({ step_id: step.id, adapter: adapterId, action: actionName });
  const scope = { steps: outputs, params: run.plan.params };
  if (step.runIf !== undefined && !isTruthy(renderValue(step.runIf, scope))) {
    await recorder.event({ kind: "step_skipped", phase: step.phase, stepId: step.id, message: step.skipNote ?? "condition not met" });
    return undefined;
  }
  const action = deps.actions.find(step.uses);
  if (!action) throw new StepFailure(step.id, `Unknown action ${step.uses}.`);
  if (step.continueOnError) checkCredentials([{ ...step, continueOnError: false }], deps);
  const rawArgs = { ...step.args };
  for (const key of step.lateArgs) rawArgs[key] = renderValue(rawArgs[key], scope);
  const parsed = action.args.safeParse(rawArgs);
  if (!parsed.success) {
    const reason = `${step.uses} got invalid arguments: ${parsed.error.issues.map((i) => `${i.path.join(".") || "args"}: ${i.message}`).join("; ")}`;
    await recorder.event({ kind: "step_failed", phase: step.phase, stepId: step.id, message: reason });
    throw new StepFailure(step.id, reason);
  }
  if (action.risk === "write") await recorder.mutationStarted(step);
  const maxAttempts = action.risk === "read" ? step.retries + 1 : 1;
  for (let attempt = 1; ; attempt++) {
    const started = Date.now();
    await recorder.event({
      kind: "step_started",
      phase: step.phase,
      stepId: step.id,
      message: step.description,
      data: { uses: step.uses, attempt },
    });
    let result: StepResult;
    try {
      result = await callAction(action, parsed.data, step, run, runSignal, deps, log);
    } catch (error) {
      if (runSignal.aborted)
        throw runSignal.reason instanceof StepFailure
          ? runSignal.reason
          : runSignal.reason instanceof Error
            ? runSignal.reason
            : new Cancelled("cancelled");
      const reason = describeError(error);
      const retry = attempt < maxAttempts && (!(error instanceof OpsError) || error.retryable);
      // The failure is an event people see; the log keeps the full error for whoever debugs.
      log.info({ err: error, attempt }, "step failed");
      if (retry) {
        await recorder.event({
          kind: "step_retry",
          phase: step.phase,
          stepId: step.id,
          message: reason,
          data: { duration_ms: Date.now() - started, attempt },
        });
        await (deps.sleep ?? sleep)(250 * 2 ** (attempt - 1), runSignal);
        continue;
      }
      recorder.stepEnded(step, `failed: ${reason}`);
      const artifacts = failureArtifacts(error);
      await recorder.artifacts(step.id, artifacts);
      await recorder.event({
        kind: "step_failed",
        phase: step.phase,
        stepId: step.id,
        message: reason,
        data: { duration_ms: Date.now() - started, attempt, artifacts: artifacts.length },
      });
      throw new StepFailure(step.id, reason);
    }
    outputs[step.id] = {
      data: result.data,
      summary: result.summary,
      uses: step.uses,
      ...(result.override ? { override: result.override } : {}),
    };
    recorder.stepEnded(step, result.summary);
    await recorder.artifacts(step.id, result.artifacts ?? []);
    await recorder.event({
      kind: "step_succeeded",
      phase: step.phase,
      stepId: step.id,
      message: result.summary,
      data: {
        duration_ms: Date.now() - started,
        artifacts: result.artifacts?.length ?? 0,
        ...(result.override ? { override: result.override } : {}),
      },
    });
    return result.summary;
  }
}

/** What a failed call still produced (a failing command's output); a timeout keeps it on its cause. */
function failureArtifacts(error: unknown): readonly Artifact[] {
  const own = artifactsOfError(error);
  return own.length > 0 || !(error instanceof Error) ? own : artifactsOfError(error.cause);
}

async function callAction(
  action: AdapterAction,
  args: unknown,
  step: PlannedStep,
  run: Run,
  runSignal: AbortSignal,
  deps: StepDeps,
  log: Logger,
) {
  const timeout = AbortSignal.timeout(step.timeoutSeconds * 1000);
  const signal = AbortSignal.any([runSignal, timeout]);
  // Each action gets only the credentials it declared, never the whole environment.
  const credentials = Object.fromEntries(
    credentialsOf(action, args).flatMap((c) => (deps.credentials[c.name] ? [[c.name, deps.credentials[c.name]!]] : [])),
  );
  try {
    return await action.run(args, { log, signal, runId: run.id, stepId: step.id, dryRun: false, credentials });
  } catch (error) {
    if (timeout.aborted && !runSignal.aborted) {
      throw new OpsError("ADAPTER_TIMEOUT", `${step.uses} did not finish within ${step.timeoutSeconds} s.`, {
        retryable: true,
        cause: error,
      });
    }
    throw error;
  }
}

export function describeError(error: unknown): string {
  if (error instanceof OpsError) return error.hint ? `${error.userMessage} ${error.hint}` : error.userMessage;
  if (error instanceof Error) return error.message;
  return String(error);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
