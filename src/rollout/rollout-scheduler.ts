import type { RolloutScheduler } from "../../adapters/rollout/index.js";
import type { ReleaseStage, RolloutRecords } from "../store/rollouts.js";

/** The same key as the flag runbook's lockKey: one change of a flag in an env at a time. */
export function rolloutLockKey(flag: string, env: string): string {
  return `flag:${flag}:${env}`;
}

/**
 * The rollout adapter's port onto the store: an approved rollout run records its schedule here, its
 * first stage due at once. `records` is a getter because the store opens while adapters are built.
 */
export function createRolloutScheduler(records: () => RolloutRecords, clock: () => Date): RolloutScheduler {
  return {
    async liveRollout(flag, env) {
      const live = await records().live(rolloutLockKey(flag, env));
      return live ? { id: live.id, status: live.status, stage: live.stage, stages: live.stages.length } : undefined;
    },
    async startRelease(input) {
      const firstAt = clock();
      const last = input.stages[input.stages.length - 1];
      const rollout = await records().start({
        kind: "release",
        runId: input.runId,
        flag: input.release,
        env: last?.env ?? "",
        lockKey: `release:${input.release}`,
        stages: input.stages as ReleaseStage[],
        everySeconds: 0,
        // A release has no flag of its own to restore: its stages' runbooks undo what they change.
        original: { enabled: false, rolloutPercentage: 0, cohorts: [] },
        firstAt,
      });
      return { id: rollout.id, firstAt };
    },
    async recordChange(rolloutId, change) {
      await records().recordChange(rolloutId, change);
    },
    async changesOf(rolloutId) {
      const r = await records().get(rolloutId);
      return r ? { name: r.flag, status: r.status, changes: r.changes } : undefined;
    },
    async startRollout(input) {
      const firstAt = clock();
      const rollout = await records().start({
        runId: input.runId,
        flag: input.flag,
        env: input.env,
        lockKey: rolloutLockKey(input.flag, input.env),
        stages: input.stages,
        everySeconds: input.everySeconds,
        original: input.original,
        firstAt,
      });
      return { id: rollout.id, firstAt };
    },
  };
}
