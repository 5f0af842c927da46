import type { Logger } from "pino";
import type { Store } from "../store/store.js";
import type { Run, RunEvent } from "../store/types.js";
import type { OpsMetrics } from "./prometheus.js";
import type { UsageEmitter } from "./usage-emitter.js";

interface RunState {
  run: Promise<Run | undefined>;
  /** Events of one run are handled in order, after the run itself was read. */
  chain: Promise<void>;
  phaseStarted: Map<string, number>;
  phaseMs: Record<string, number>;
  startedAt: number;
}

const FINISHED = new Set<RunEvent["kind"]>(["run_succeeded", "run_failed", "run_cancelled"]);
const STEP_OUTCOME = { step_succeeded: "succeeded", step_failed: "failed", step_retry: "retry" } as const;

/**
 * A store whose executors' events also feed the metrics: Prometheus (runs by outcome, phase and step
 * durations) and the usage emitter (run started and finished, adapter calls). Observing the events
 * as they are appended costs no query per event, only one read of each run when it starts; nothing
 * here can slow or fail a run (errors are logged and dropped).
 */
export function withRunMetrics(store: Store, sinks: { metrics?: OpsMetrics; usage?: UsageEmitter; log: Logger }): Store {
  const { metrics, usage, log } = sinks;
  const runs = new Map<string, RunState>();

  const handle = async (state: RunState, event: RunEvent) => {
    const run = await state.run;
    if (!run) return;
    const at = new Date(event.at).getTime();
    const base = { run_id: run.id, runbook: run.runbook, env: run.env, dry_run: run.params.dryRun === true, requester: run.requestedBy };
    if (event.kind === "run_started") {
      state.startedAt = at;
      usage?.record({ type: "run_started", at: new Date(at).toISOString(), ...base, attempt: run.attempts });
    } else if (event.kind === "phase_started" && event.phase) {
      state.phaseStarted.set(event.phase, at);
    } else if (event.kind === "phase_finished" && event.phase && state.phaseStarted.has(event.phase)) {
      const ms = at - state.phaseStarted.get(event.phase)!;
      state.phaseMs[event.phase] = ms;
      metrics?.phaseDuration({ runbook: run.runbook, phase: event.phase }, ms / 1000);
    } else if (event.kind in STEP_OUTCOME && typeof event.data.duration_ms === "number") {
      const outcome = STEP_OUTCOME[event.kind as keyof typeof STEP_OUTCOME];
      const uses = [...run.plan.steps, ...run.plan.rollback].find((s) => s.id === event.stepId)?.uses ?? "unknown.unknown";
      const [adapter = "unknown", action = "unknown"] = uses.split(".");
      metrics?.stepDuration({ adapter, action, outcome }, event.data.duration_ms / 1000);
      usage?.record({
        type: "adapter_call",
        at: new Date(at).toISOString(),
        ...base,
        adapter,
        action,
        ok: outcome === "succeeded",
        latency_ms: event.data.duration_ms,
        ...(outcome === "succeeded" ? {} : { error: event.message.slice(0, 300) }),
      });
    } else if (FINISHED.has(event.kind)) {
      const outcome = event.kind.slice("run_".length);
      metrics?.runFinished({ runbook: run.runbook, env: run.env ?? "", status: outcome });
      usage?.record({
        type: "run_finished",
        at: new Date(at).toISOString(),
        ...base,
        outcome,
        duration_ms: at - state.startedAt,
        phase_ms: state.phaseMs,
      });
      runs.delete(run.id);
    }
  };

  const observe = (runId: string, event: RunEvent) => {
    let state = runs.get(runId);
    if (!state) {
      if (event.kind !== "run_started") return;
      state = {
        run: store.getRun(runId).catch(() => undefined),
        chain: Promise.resolve(),
        phaseStarted: new Map(),
        phaseMs: {},
        startedAt: Date.now(),
      };
      runs.set(runId, state);
    }
    const current = state;
    current.chain = current.chain
      .then(() => handle(current, event))
      .catch((error: unknown) => log.warn({ err: error }, "run metrics failed"));
  };

  return {
    ...store,
    async appendEvent(runId, event) {
      const appended = await store.appendEvent(runId, event);
      observe(runId, appended);
      return appended;
    },
  };
}
