import type { Logger } from "pino";
import type { Artifact } from "../../adapters/types.js";
import { StoreError, StoreUnavailableError } from "../errors.js";
import type { PlannedStep } from "../planner/plan.js";
import type { Redactor } from "../redact.js";
import type { Store } from "../store/store.js";
import type { NewRunEvent, Run } from "../store/types.js";

/**
 * The database stayed unreachable while the executor had something to record. Not a failed step: what
 * the step did is in `RunRecorder.lastChange`, and the run ends as "outcome unknown", never rolled back.
 */
export class RecordingFailed extends Error {
  constructor(
    readonly what: string,
    readonly waitedMs: number,
    cause: unknown,
  ) {
    const seconds = (waitedMs / 1000).toFixed(waitedMs < 10_000 ? 1 : 0);
    super(`opsroom could not record ${what}: its database was unreachable for ${seconds} s`, { cause });
  }
}

/** This worker no longer holds the run (its lease ran out and the run was ended or taken over elsewhere). */
export class LeaseLost extends Error {}

/**
 * Everything an executor writes about one run: redacted, and retried while the database is
 * unreachable, because a step that ran must never be recorded as one that did not. Remembers the last
 * step that changes things this attempt started, and what it reported, for the summary of a run whose
 * recording failed.
 */
export interface RunRecorder {
  event(event: NewRunEvent): Promise<void>;
  artifacts(stepId: string | null, artifacts: readonly Artifact[]): Promise<void>;
  summary(content: string): Promise<void>;
  /** Durable before the step starts; throws LeaseLost when another worker has the run now. */
  mutationStarted(step: PlannedStep): Promise<void>;
  /** Remembers what a step that changes things reported, before it is recorded. */
  stepEnded(step: PlannedStep, result: string): void;
  cancelRequested(): Promise<boolean>;
  cancelledBy(): Promise<string | null>;
  /** The last step that changes things this attempt started, and what it reported if it ended. */
  readonly lastChange: { step: PlannedStep; result?: string } | undefined;
}

export interface RecorderDeps {
  store: Store;
  redactor: Redactor;
  log: Logger;
  /** How long one record is retried while the database is unreachable. Default 60 s (two leases). */
  recordRetryMs?: number;
}

const DEFAULT_RECORD_RETRY_MS = 60_000;
const BACKOFF_MAX_MS = 5_000;

/** `stop` ends the retrying early: the worker lost the run's lease or is stopping. */
export function createRunRecorder(run: Run, deps: RecorderDeps, stop?: AbortSignal): RunRecorder {
  const { store, redactor, log } = deps;
  const retryMs = deps.recordRetryMs ?? DEFAULT_RECORD_RETRY_MS;
  let lastChange: RunRecorder["lastChange"];

  const durably = async <T>(what: string, write: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) throw error;
        const waited = Date.now() - started;
        if (waited >= retryMs || stop?.aborted) throw new RecordingFailed(what, waited, error);
        const delay = Math.min(BACKOFF_MAX_MS, 100 * 2 ** attempt, Math.max(retryMs - waited, 1));
        log.warn({ err: error, what, retry_in_ms: delay }, "recording failed; retrying");
        await sleep(delay, stop).catch(() => {});
      }
    }
  };

  return {
    get lastChange() {
      return lastChange;
    },
    async event(event) {
      const what = !event.stepId
        ? "the run's progress"
        : event.kind === "step_started"
          ? `the start of ${event.stepId}`
          : `the result of ${event.stepId}`;
      await durably(what, () => store.appendEvent(run.id, redactor.redact(event)));
    },
    async artifacts(stepId, artifacts) {
      for (const artifact of artifacts) {
        await durably(`the output of ${stepId ?? "the run"}`, () =>
          store.addArtifact(
            run.id,
            redactor.redact({
              stepId,
              kind: artifact.kind,
              title: artifact.title,
              content: artifact.content ?? null,
              url: artifact.url ?? null,
              filename: artifact.filename ?? null,
            }),
          ),
        );
      }
    },
    async summary(content) {
      await durably("the summary", () =>
        store.addArtifact(run.id, { stepId: null, kind: "summary", title: "Summary", content, url: null, filename: null }),
      );
    },
    async mutationStarted(step) {
      try {
        await durably(`the start of ${step.id}`, () => store.markMutationStarted(run.id, step.id));
      } catch (error) {
        if (error instanceof StoreError && error.code === "STORE_RUN_NOT_HELD") throw new LeaseLost(error.userMessage, { cause: error });
        throw error;
      }
      lastChange = { step };
    },
    stepEnded(step, result) {
      if (lastChange?.step === step) lastChange = { step, result };
    },
    cancelRequested: () => durably("whether the run was cancelled", () => store.isCancelRequested(run.id)),
    cancelledBy: async () => (await durably("who cancelled the run", () => store.getRun(run.id)))?.cancelRequestedBy ?? null,
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
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
