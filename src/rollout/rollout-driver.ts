import type { Logger } from "pino";
import type { ConfigFile } from "../config/config-schema.js";
import { buildPlan } from "../planner/build-plan.js";
import type { Runbook } from "../runbook/runbook-schema.js";
import { isReleaseStage, stageLabel, type FlagStage, type GateResult, type Rollout } from "../store/rollouts.js";
import { releaseStagePlan } from "./release-stage-plan.js";
import type { Store } from "../store/store.js";
import type { Run, RunEvent } from "../store/types.js";

/** The runbook each stage runs as. */
export const STAGE_RUNBOOK = "rollout-stage";
/** A step of the stage runbook whose id starts with this is a gate; the status shows its last result. */
export const GATE_PREFIX = "gate-";

export interface RolloutDriverDeps {
  store: Store;
  config: ConfigFile;
  runbooks: readonly Runbook[];
  clock: () => Date;
  log: Logger;
}

/** Told what the driver did in this process (Slack posts stage cards and refreshes the status message). */
export interface RolloutListener {
  /** A stage run was queued: its card goes in the rollout's thread. */
  onStageQueued?: (rollout: Rollout, run: Run) => void;
  /** A rollout moved: a stage done, reverted, finished. */
  onRolloutChanged?: (rollout: Rollout) => void;
}

/** The error gate compares the errors since a rollout began with this long a window before it. */
export const BASELINE_MS = 60 * 60_000;

/** How often each process looks at the schedule; a stage starts at most this late. */
export const ROLLOUT_TICK_MS = 5_000;

/**
 * Drives approved rollouts from their schedule in the database (migration 020), so a rollout survives
 * restarts and any process can drive it: each `tick` settles stage runs that ended (next stage due after
 * the interval, or the rollout reverted when one failed) and queues the stage runs that are due. A stage
 * run checks its gates before it changes anything, so a rollout resumed after a restart or a pause
 * re-checks them before the next step. Every change is a compare-and-set on the rollout row, and a stage
 * run's idempotency key names the rollout and stage, so processes racing on one rollout queue one run.
 */
export function createRolloutDriver(deps: RolloutDriverDeps) {
  const { store, config, clock, log } = deps;
  const stageRunbook = deps.runbooks.find((r) => r.id === STAGE_RUNBOOK);
  const listeners = new Set<RolloutListener>();
  const emit = (fn: (l: RolloutListener) => void) => {
    for (const l of listeners) {
      try {
        fn(l);
      } catch (error) {
        log.warn({ err: error }, "a rollout listener failed");
      }
    }
  };

  async function settle(rollout: Rollout, runStatus: string): Promise<void> {
    const runId = rollout.currentRunId!;
    const [run, events] = await Promise.all([store.getRun(runId), store.listEvents(runId)]);
    const gates = mergeGates(rollout.gates, gateResults(events));
    const now = clock();
    const done = rollout.stage + 1;
    const finished = rollout.stages[done - 1];
    // A release stage says how long to wait after it; a flag rollout waits its one interval.
    const waitSeconds = isReleaseStage(finished) ? finished.waitSeconds : rollout.everySeconds;
    const patch = !["active", "paused"].includes(rollout.status)
      ? { gates } // aborted meanwhile: its revert is queued already
      : runStatus === "succeeded"
        ? done >= rollout.stages.length
          ? {
              stage: done,
              status: "succeeded" as const,
              nextAt: null,
              gates,
              reason:
                rollout.kind === "release" ? `every stage done, the last: ${stageLabel(finished)}` : `reached ${stageLabel(finished)}`,
            }
          : { stage: done, nextAt: new Date(now.getTime() + waitSeconds * 1000), gates }
        : runStatus === "cancelled"
          ? { status: "aborted" as const, nextAt: null, gates, reason: run?.summary ?? "the stage run was cancelled" }
          : { status: "reverted" as const, nextAt: null, gates, reason: run?.error ?? run?.summary ?? `the stage run ${runStatus}` };
    const settled = await store.rollouts.settle(rollout.id, runId, patch);
    if (!settled) return; // another process settled it first
    log.info({ rollout_id: rollout.id, run_id: runId, stage: done, status: settled.status }, "rollout stage settled");
    emit((l) => l.onRolloutChanged?.(settled));
  }

  /** The plan of a release's next stage; a stage that cannot be planned stops the release, saying why. */
  async function releasePlan(rollout: Rollout) {
    try {
      return releaseStagePlan(rollout, deps.runbooks, config, clock());
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      log.error({ rollout_id: rollout.id, err: error }, "a release stage could not be planned; the release stops");
      const stopped = await store.rollouts.update(rollout.id, ["active"], { status: "reverted", nextAt: null, reason });
      if (stopped) emit((l) => l.onRolloutChanged?.(stopped));
      return undefined;
    }
  }

  async function queueStage(rollout: Rollout): Promise<void> {
    if (rollout.kind === "release") {
      const plan = await releasePlan(rollout);
      if (plan) await createStageRun(rollout, plan);
      return;
    }
    if (!stageRunbook) {
      log.error({ rollout_id: rollout.id }, `the ${STAGE_RUNBOOK} runbook is not loaded; the rollout cannot go on`);
      return;
    }
    const stage = rollout.stages[rollout.stage] as FlagStage;
    const owner = config.flags[rollout.flag]?.owner;
    // A failed stage pages the flag's owner: the plan's escalation contact is who the summary mentions.
    const runbook = owner ? { ...stageRunbook, escalation: owner } : stageRunbook;
    const plan = buildPlan(
      {
        runbook,
        params: {
          flag: rollout.flag,
          env: rollout.env,
          percent: stage.percent,
          cohorts: stage.cohorts,
          stage: rollout.stage + 1,
          stages: rollout.stages.length,
          rollout: rollout.id,
          originalEnabled: rollout.original.enabled,
          originalPercent: rollout.original.rolloutPercentage,
          originalCohorts: rollout.original.cohorts,
          startedAt: rollout.createdAt.toISOString(),
          baselineSince: new Date(rollout.createdAt.getTime() - BASELINE_MS).toISOString(),
          stageStartedAt: (rollout.stageStartedAt ?? rollout.createdAt).toISOString(),
        },
      },
      config,
    );
    await createStageRun(rollout, plan);
  }

  async function createStageRun(rollout: Rollout, plan: ReturnType<typeof buildPlan>): Promise<void> {
    const parent = await store.getRun(rollout.runId);
    const { request: _request, preflight: _preflight, messageTs: _messageTs, ...origin } = parent?.origin ?? {};
    // Approved once: the rollout's plan was approved, so its stages are queued as they fall due.
    const { run } = await store.createRun({
      plan,
      status: "queued",
      requestedBy: parent?.requestedBy ?? "opsroom",
      source: parent?.source ?? "rollout",
      origin: { ...origin, rollout: { id: rollout.id, stage: rollout.stage + 1 } },
      idempotencyKey: `rollout:${rollout.id}:stage:${rollout.stage + 1}`,
    });
    if (!(await store.rollouts.setCurrentRun(rollout.id, rollout.stage, run.id, clock()))) return;
    log.info({ rollout_id: rollout.id, run_id: run.id, stage: rollout.stage + 1 }, "rollout stage queued");
    const moved = await store.rollouts.get(rollout.id);
    emit((l) => l.onStageQueued?.(moved ?? rollout, run));
    if (moved) emit((l) => l.onRolloutChanged?.(moved));
  }

  return {
    /** One look at every rollout: settle ended stages, queue due ones. Safe to call from every process. */
    async tick(): Promise<void> {
      const first = await store.rollouts.needingAttention(clock());
      for (const { rollout, runStatus } of first.settled) await settle(rollout, runStatus);
      // A settled stage may make the next one due at once (an interval of 0, a skip).
      const due = first.settled.length > 0 ? (await store.rollouts.needingAttention(clock())).due : first.due;
      for (const rollout of due) await queueStage(rollout);
    },

    /** Listens to what this process's driver does; returns the unsubscribe. */
    subscribe(listener: RolloutListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    /** Ticks every `intervalMs` until the returned stop is called (which waits for a tick in progress). */
    start(intervalMs = ROLLOUT_TICK_MS): () => Promise<void> {
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      let running: Promise<void> = Promise.resolve();
      const loop = () => {
        if (stopped) return;
        running = this.tick()
          .catch((error: unknown) => log.warn({ err: error }, "rollout tick failed; trying again"))
          .finally(() => {
            if (!stopped) timer = setTimeout(loop, intervalMs);
          });
      };
      timer = setTimeout(loop, 0);
      return async () => {
        stopped = true;
        clearTimeout(timer);
        await running;
      };
    },
  };
}

export type RolloutDriver = ReturnType<typeof createRolloutDriver>;

/** Each gate step's outcome in a stage run, in order. */
export function gateResults(events: readonly RunEvent[]): GateResult[] {
  return events
    .filter((e) => e.stepId?.startsWith(GATE_PREFIX) && (e.kind === "step_succeeded" || e.kind === "step_failed"))
    .map((e) => ({
      gate: e.stepId!.slice(GATE_PREFIX.length),
      ok: e.kind === "step_succeeded",
      summary: e.message,
      at: e.at.toISOString(),
    }));
}

function mergeGates(previous: readonly GateResult[], latest: readonly GateResult[]): GateResult[] {
  const byGate = new Map(previous.map((g) => [g.gate, g]));
  for (const g of latest) byGate.set(g.gate, g);
  return [...byGate.values()];
}
