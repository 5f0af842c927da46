import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { Adapter } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { intArg, listArg, optionalArg, optionalText } from "../shared/args.js";
import { systemClock, type Clock } from "../shared/clock.js";
import { flagRow } from "../report/evidence.js";
import { durationSeconds, durationText, ladderText, planStages, type StagePlan } from "./stages.js";
import { createReleaseActions, type ReleaseScheduler } from "./release.js";

export type { ReleaseScheduler, ReleaseStagePlan, ChangeRecord } from "./release.js";

export { durationSeconds, durationText, ladderText, planStages } from "./stages.js";
export type { StagePlan } from "./stages.js";

/** A live rollout as the scheduler describes it. */
export interface LiveRollout {
  id: string;
  status: string;
  stage: number;
  stages: number;
}

/**
 * Where approved rollouts are kept: the composition root gives the adapter this port onto opsroom's
 * store (the adapter itself never touches it), like the history adapter's reader.
 */
export interface RolloutScheduler extends Partial<ReleaseScheduler> {
  /** The live (active or paused) rollout of this flag in this env, if any. */
  liveRollout(flag: string, env: string): Promise<LiveRollout | undefined>;
  /** Records the schedule of the approved rollout run `runId`; refuses when one is live already. */
  startRollout(input: {
    runId: string;
    flag: string;
    env: string;
    stages: StagePlan[];
    everySeconds: number;
    original: { enabled: boolean; rolloutPercentage: number; cohorts: string[] };
  }): Promise<{ id: string; firstAt: Date }>;
}

export interface RolloutAdapterOptions {
  /** Absent where no store is open (`runbooks validate`, a dry run's catalog): start then says so. */
  scheduler?: RolloutScheduler | undefined;
  clock?: Clock;
}

const flagArg = z.string({ error: "must be a flag key" }).min(1, "must not be empty");
const envArg = z.string({ error: "must be the environment name" }).min(1, "must not be empty");
const cohortsArg = z.preprocess(
  (v) => (v === undefined || v === "" || v === null ? [] : v),
  listArg(z.string().regex(/^[\w.-]+$/, "must be a cohort name like ops"), "must be a list of cohort names"),
);
const currentArg = z
  .unknown()
  .refine((v) => flagRow(v) !== undefined, "must be the flag as supabase.getFlag read it ({{ steps.current.data }})");
const stageListArg = z.array(z.strictObject({ percent: intArg(1, 100), cohorts: z.array(z.string()) }), {
  error: "must be the stages rollout.plan computed ({{ steps.ladder.data.stages }})",
});

const planArgs = z.strictObject({
  flag: flagArg,
  env: envArg,
  stages: z.preprocess(
    (v) => (v === undefined || v === "" || v === null ? [] : typeof v === "number" ? [v] : v),
    listArg(z.union([z.string(), z.number()]), "must be a list of percentages like 10, 25, 50, 100"),
  ),
  every: optionalText(),
  cohorts: cohortsArg,
  current: currentArg,
});

const startArgs = z.strictObject({
  flag: flagArg,
  env: envArg,
  stages: stageListArg,
  everySeconds: intArg(0, 7 * 86_400),
  current: currentArg,
  firstAt: optionalArg(z.string()),
});

/**
 * Staged flag rollouts. `plan` (preflight) turns the request into a ladder of stages, refusing bad stages
 * and a flag that already has a live rollout; `start` (action) records the approved schedule, after which
 * opsroom's rollout driver runs each stage as a run of its own (gates, then the change; see
 * runbooks/rollout-stage.yml).
 */
export function createRolloutAdapter(options: RolloutAdapterOptions = {}): Adapter {
  const clock = options.clock ?? systemClock;
  const requireScheduler = (action: string): RolloutScheduler => {
    if (options.scheduler) return options.scheduler;
    throw new AdapterError("rollout", action, "ROLLOUT_UNAVAILABLE", "opsroom's rollout schedule is not open in this process.");
  };
  return {
    id: "rollout",
    description: "Staged runs: flag rollouts (the ladder of stages) and release plans, and the approved schedule opsroom then drives.",
    actions: {
      ...createReleaseActions(options.scheduler, () => clock.now()),
      plan: adapterAction("rollout", "plan", {
        description: "Turn a rollout request into its stages and interval; refuse a flag that already has a live rollout.",
        args: planArgs,
        risk: "read",
        async run(args) {
          const current = flagRow(args.current)!;
          const from = current.enabled ? current.rolloutPercentage : 0;
          const cohorts = args.cohorts.length > 0 ? args.cohorts : current.cohorts;
          const stages = planStages({ stages: args.stages, cohorts, current: from });
          const everySeconds = durationSeconds(args.every);
          const live = options.scheduler ? await options.scheduler.liveRollout(args.flag, args.env) : undefined;
          if (live) {
            throw new AdapterError(
              "rollout",
              "plan",
              "ROLLOUT_ALREADY_RUNNING",
              `a rollout of ${args.flag} in ${args.env} is already ${live.status} (stage ${live.stage} of ${live.stages}, rollout ${live.id.slice(0, 8)}); two rollouts of one flag never overlap.`,
              { hint: `Abort it first ("rollout abort ${args.flag}"), or wait for it to finish.` },
            );
          }
          const total = everySeconds * (stages.length - 1);
          const original = { enabled: current.enabled, rolloutPercentage: current.rolloutPercentage, cohorts: current.cohorts };
          return {
            summary: `${args.flag} in ${args.env}: ${ladderText(stages)}, one stage every ${durationText(everySeconds)} (${durationText(total) || "at once"} in all) from ${current.enabled ? `on at ${current.rolloutPercentage}%` : "off"}; gates before each stage, back to ${current.enabled ? `${current.rolloutPercentage}%` : "off"} if one fails`,
            data: { stages, everySeconds, original, target: stages[stages.length - 1]!.percent, cohorts, ladder: ladderText(stages) },
          };
        },
      }),
      start: adapterAction("rollout", "start", {
        description: "Record the approved rollout's schedule; its first stage starts at once.",
        args: startArgs,
        risk: "write",
        dryRun(args) {
          return {
            calls: [],
            summary: `would schedule ${args.stages.length} stages of ${args.flag} in ${args.env}: ${ladderText(args.stages)}, every ${durationText(args.everySeconds)}`,
          };
        },
        async run(args, ctx) {
          const current = flagRow(args.current)!;
          const { id, firstAt } = await requireScheduler("start").startRollout({
            runId: ctx.runId,
            flag: args.flag,
            env: args.env,
            stages: args.stages,
            everySeconds: args.everySeconds,
            original: { enabled: current.enabled, rolloutPercentage: current.rolloutPercentage, cohorts: [...current.cohorts] },
          });
          const when = firstAt.getTime() <= clock.now() ? "now" : `at ${firstAt.toISOString()}`;
          return {
            summary: `rollout ${id.slice(0, 8)} of ${args.flag} in ${args.env} scheduled: ${ladderText(args.stages)}, every ${durationText(args.everySeconds)}; first stage ${when}`,
            data: { rolloutId: id, firstAt: firstAt.toISOString() },
          };
        },
      }),
    },
  };
}
