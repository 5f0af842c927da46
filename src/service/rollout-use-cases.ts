import { durationText, ladderText } from "../../adapters/rollout/stages.js";
import { InputError, PolicyError } from "../errors.js";
import type { ParamValue } from "../parser/intent.js";
import { buildPlan } from "../planner/build-plan.js";
import type { Runbook } from "../runbook/runbook-schema.js";
import { LIVE_ROLLOUT_STATUSES, stageLabel, type FlagStage, type Rollout, type RolloutStatus } from "../store/rollouts.js";
import type { Run } from "../store/types.js";
import type { OpsServiceDeps, Requester } from "./ops-service.js";
import type { PlannedRun } from "./chat-use-cases.js";
import type { RunPermissions } from "./run-permissions.js";

/** A rollout with what its status message shows. */
export interface RolloutView {
  rollout: Rollout;
  /** The approved plan that started it. */
  plan: Run | undefined;
  /** The stage run in flight, if any. */
  current: Run | undefined;
  /** Milliseconds until the next stage is due (0: due now); null when none is scheduled. */
  nextInMs: number | null;
  /** The flag's owner from the config (paged when a gate fails). */
  owner: string | undefined;
}

export type RolloutControl = "pause" | "resume" | "skip" | "abort";

type PlanRun = (runbook: Runbook, params: Record<string, ParamValue>, requester: Requester) => Promise<PlannedRun>;

/**
 * Control of staged rollouts from a thread or the console: status, pause, resume, skip to the next stage
 * (an approver's decision, never the requester's own where self-approval is off), abort-and-revert, and
 * "roll back the rollout" as a plan of the exact reverse. The schedule itself is the rollout driver's
 * (src/rollout/rollout-driver.ts); these only change what it reads.
 */
export function createRolloutUseCases(deps: OpsServiceDeps, planRun: PlanRun, permissions: RunPermissions) {
  const { store, config, runbooks } = deps;

  const view = async (rollout: Rollout): Promise<RolloutView> => {
    const [plan, current] = await Promise.all([
      store.getRun(rollout.runId),
      rollout.currentRunId ? store.getRun(rollout.currentRunId) : Promise.resolve(undefined),
    ]);
    const nextInMs =
      rollout.status === "active" && rollout.nextAt && !rollout.currentRunId
        ? Math.max(0, rollout.nextAt.getTime() - deps.clock().getTime())
        : null;
    const owner = rollout.kind === "release" ? config.releases[rollout.flag]?.owner : config.flags[rollout.flag]?.owner;
    return { rollout, plan, current, nextInMs, owner };
  };

  /** A rollout by its id (or first 8 characters) or by its flag: the live one, else the latest. */
  const find = async (ref: string, env?: string): Promise<Rollout> => {
    const text = ref.trim();
    if (/^[0-9a-f-]{36}$/i.test(text)) {
      const byId = await store.rollouts.get(text);
      if (byId) return byId;
    }
    const flag = subjects().find((f) => f.toLowerCase() === text.toLowerCase().replace(/\s+/g, "-")) ?? text;
    const all = await store.rollouts.ofFlag(flag, env, 20);
    const found = all.find((r) => LIVE_ROLLOUT_STATUSES.includes(r.status)) ?? all[0] ?? (await findByPrefix(text));
    if (!found) {
      throw new InputError(
        "ROLLOUT_NOT_FOUND",
        `There is no rollout of "${ref}"${env ? ` in ${env}` : ""}. Name the flag (like FSYNC_USE_RPC) or the rollout's id.`,
      );
    }
    return found;
  };

  const findByPrefix = async (prefix: string): Promise<Rollout | undefined> => {
    if (!/^[0-9a-f]{8}$/i.test(prefix)) return undefined;
    for (const flag of subjects()) {
      const hit = (await store.rollouts.ofFlag(flag, undefined, 50)).find((r) => r.id.startsWith(prefix.toLowerCase()));
      if (hit) return hit;
    }
    return undefined;
  };

  /** What staged runs are of: the config's flags and release plans. */
  const subjects = () => [...Object.keys(config.flags), ...Object.keys(config.releases)];

  const requirePlanRun = async (rollout: Rollout): Promise<Run> => {
    const run = await store.getRun(rollout.runId);
    if (!run) throw new InputError("RUN_NOT_FOUND", `The plan of rollout ${rollout.id.slice(0, 8)} is gone.`);
    return run;
  };

  /** The flag runbook's params that put the flag back to its value before the rollout. */
  const reverseParams = (rollout: Rollout): Record<string, ParamValue> => ({
    flag: rollout.flag,
    env: rollout.env,
    action: rollout.original.enabled ? "rollout" : "disable",
    percent: rollout.original.rolloutPercentage,
    cohorts: rollout.original.cohorts,
  });

  const refuse = (rollout: Rollout, what: string, allowed: readonly RolloutStatus[]): never => {
    throw new InputError(
      "ROLLOUT_NOT_ALLOWED_NOW",
      `The rollout of ${rollout.flag} in ${rollout.env} is ${rollout.status}; ${what} only works while it is ${allowed.join(" or ")}.`,
    );
  };

  const changed = async (rollout: Rollout | undefined, original: Rollout, what: string, allowed: readonly RolloutStatus[]) => {
    if (rollout) return view(rollout);
    // Someone else moved it in between: say what it is now.
    return refuse((await store.rollouts.get(original.id)) ?? original, what, allowed);
  };

  return {
    /** Records where a rollout's status message lives, so any process can keep it up to date. */
    attachRolloutMessage: (rolloutId: string, message: { channel: string; ts: string }) =>
      store.rollouts.setStatusMessage(rolloutId, message),

    async rolloutStatus(ref: string, env?: string): Promise<RolloutView> {
      return view(await find(ref, env));
    },

    /** Live rollouts (active or paused), newest first. */
    async liveRollouts(): Promise<RolloutView[]> {
      const views: RolloutView[] = [];
      for (const flag of subjects()) {
        for (const r of await store.rollouts.ofFlag(flag, undefined, 5))
          if (LIVE_ROLLOUT_STATUSES.includes(r.status)) views.push(await view(r));
      }
      return views.sort((a, b) => b.rollout.createdAt.getTime() - a.rollout.createdAt.getTime());
    },

    /**
     * Pause, resume, skip or abort. Pause, resume and abort: the rollout's requesters, approvers and admins
     * (who may cancel its plan). Skip: only someone who may approve its plan, and not its requester where
     * self-approval is off (prod), since skipping a wait is a decision like the approval itself. Abort
     * stops a stage in flight and queues the revert to the pre-rollout value (compare-and-set, read back).
     */
    async controlRollout(ref: string, action: RolloutControl, user: string): Promise<RolloutView> {
      const rollout = await find(ref);
      const plan = await requirePlanRun(rollout);
      const now = deps.clock();
      switch (action) {
        case "pause": {
          await permissions.assertMayCancel(plan, user);
          const next = await store.rollouts.update(rollout.id, ["active"], {
            status: "paused",
            updatedBy: user,
            reason: `paused by ${user}`,
          });
          return changed(next, rollout, "pause", ["active"]);
        }
        case "resume": {
          await permissions.assertMayCancel(plan, user);
          // The next stage re-checks its gates before it changes anything, whenever it runs.
          const nextAt = rollout.nextAt && rollout.nextAt > now ? rollout.nextAt : now;
          const next = await store.rollouts.update(rollout.id, ["paused"], { status: "active", nextAt, updatedBy: user, reason: null });
          return changed(next, rollout, "resume", ["paused"]);
        }
        case "skip": {
          await permissions.assertMayApprove(plan, user);
          if (!plan.selfApproval && plan.requesters.includes(user)) {
            throw new PolicyError(
              "POLICY_SELF_APPROVAL",
              `You asked for the rollout of ${rollout.flag} in ${rollout.env}, so skipping its wait needs someone else's approval.`,
            );
          }
          if (rollout.currentRunId) {
            throw new InputError(
              "ROLLOUT_STAGE_RUNNING",
              `Stage ${rollout.stage + 1} of ${rollout.flag} is running now; skip once it is done.`,
            );
          }
          const next = await store.rollouts.update(rollout.id, ["active", "paused"], {
            status: "active",
            nextAt: now,
            updatedBy: user,
            reason: `next stage brought forward by ${user}`,
          });
          return changed(next, rollout, "skip", ["active", "paused"]);
        }
        case "abort": {
          await permissions.assertMayCancel(plan, user);
          const release = rollout.kind === "release";
          if (!release) requireFlagRunbook(); // before anything changes: the revert needs it
          const next = await store.rollouts.update(rollout.id, ["active", "paused"], {
            status: "aborted",
            nextAt: null,
            updatedBy: user,
            reason: release
              ? `aborted by ${user}; a stage in flight is cancelled, which rolls it back`
              : `aborted by ${user}; the flag goes back to its pre-rollout value`,
          });
          if (!next) return changed(next, rollout, "abort", ["active", "paused"]);
          if (rollout.currentRunId) {
            const current = await store.getRun(rollout.currentRunId);
            if (current && (current.status === "queued" || current.status === "running")) await store.requestCancel(current.id, user);
          }
          if (!release) await queueRevert(next, plan, user);
          return view(next);
        }
      }
    },

    /**
     * "roll back the FSYNC_USE_RPC rollout": the flag runbook's plan that puts the flag back to its value
     * before the rollout (enabled, percentage, cohorts), pre-filled and waiting for its approvals.
     */
    async planRolloutRollback(ref: string, requester: Requester): Promise<PlannedRun & { rollout: Rollout }> {
      const rollout = await find(ref);
      if (LIVE_ROLLOUT_STATUSES.includes(rollout.status)) {
        throw new InputError(
          "ROLLOUT_STILL_LIVE",
          `The rollout of ${rollout.flag} in ${rollout.env} is still ${rollout.status}: abort it instead (it reverts ${rollout.kind === "release" ? "the stage in flight" : "the flag"}).`,
        );
      }
      if (rollout.kind === "release" || rollout.changes.length > 0) {
        // What the stages recorded before they changed anything, reversed: a release plan of its own.
        const releaseRunbook = runbooks.find((r) => r.id === "release-reverse");
        if (!releaseRunbook)
          throw new InputError("PLAN_UNKNOWN_RUNBOOK", 'The "release-reverse" runbook is not loaded, so the way back cannot be planned.');
        return { ...(await planRun(releaseRunbook, { reverseOf: rollout.id }, requester)), rollout };
      }
      const flagRunbook = requireFlagRunbook();
      return { ...(await planRun(flagRunbook, reverseParams(rollout), requester)), rollout };
    },
  };

  function requireFlagRunbook(): Runbook {
    const flagRunbook = runbooks.find((r) => r.id === "flag");
    if (!flagRunbook) throw new InputError("PLAN_UNKNOWN_RUNBOOK", 'The "flag" runbook is not loaded, so a rollout cannot be reverted.');
    return flagRunbook;
  }

  /** The revert after an abort: approved with the rollout (its way back), so queued at once. */
  async function queueRevert(rollout: Rollout, plan: Run, user: string): Promise<void> {
    const revertPlan = buildPlan({ runbook: requireFlagRunbook(), params: reverseParams(rollout) }, config);
    const { request: _request, preflight: _preflight, messageTs: _messageTs, ...origin } = plan.origin;
    await store.createRun({
      plan: revertPlan,
      status: "queued",
      requestedBy: user,
      source: plan.source,
      origin: { ...origin, rollout: { id: rollout.id, revert: true } },
      idempotencyKey: `rollout:${rollout.id}:revert`,
    });
  }
}

/** The status lines of a rollout, for the console and Slack: the ladder, what is next, each gate's last result. */
export function describeRollout(v: RolloutView, timeZone: string): { title: string; ladder: string; state: string; gates: string[] } {
  const { rollout } = v;
  const release = rollout.kind === "release";
  const ladder = rollout.stages
    .map((s, i) => {
      const mark = i < rollout.stage ? "✓" : i === rollout.stage && v.current ? "▶" : "○";
      return `${mark} ${stageLabel(s)}`;
    })
    .join("  ");
  const nextStage = rollout.stages[rollout.stage];
  const at = (d: Date) => d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", timeZone });
  const state = ((): string => {
    switch (rollout.status) {
      case "active":
        if (v.current)
          return release
            ? `stage ${rollout.stage + 1} of ${rollout.stages.length} (${stageLabel(nextStage)}) running: its change, then its gates`
            : `stage ${rollout.stage + 1} of ${rollout.stages.length} (${stageLabel(nextStage)}) running: gates, then the change`;
        return v.nextInMs === null || !nextStage
          ? "active"
          : v.nextInMs === 0
            ? `stage ${rollout.stage + 1} (${stageLabel(nextStage)}) due now`
            : `next: ${stageLabel(nextStage)} in ${durationText(Math.ceil(v.nextInMs / 1000))}${rollout.nextAt ? ` (${at(rollout.nextAt)})` : ""}, after its gates`;
      case "paused":
        return `paused${rollout.updatedBy ? ` by ${rollout.updatedBy}` : ""} after stage ${rollout.stage} of ${rollout.stages.length}; resume re-checks the gates first`;
      case "succeeded":
        return `done: ${rollout.reason ?? "every stage applied"}`;
      case "reverted":
        if (release)
          return `stopped at stage ${rollout.stage + 1} (${stageLabel(nextStage)}): ${rollout.reason ?? "a gate failed"}${v.owner ? ` · owner ${v.owner}` : ""}`;
        return `reverted to ${valueText(rollout)}: ${rollout.reason ?? "a gate failed"}${v.owner ? ` · owner ${v.owner}` : ""}`;
      case "aborted":
        return `aborted: ${rollout.reason ?? ""}`.trim();
    }
  })();
  return {
    title: release
      ? `Release ${rollout.id.slice(0, 8)} of ${rollout.flag}: ${rollout.stages.map(stageLabel).join(" → ")}`
      : `Rollout ${rollout.id.slice(0, 8)} of ${rollout.flag} in ${rollout.env}: ${ladderText(rollout.stages as FlagStage[])}, every ${durationText(rollout.everySeconds)}`,
    ladder,
    state,
    gates: rollout.gates.map((g) => `${g.ok ? "✓" : "✗"} ${g.gate} — ${g.summary} (${at(new Date(g.at))})`),
  };
}

/** "off" or "on at 10% (ops)": the pre-rollout value. */
export function valueText(rollout: Rollout): string {
  const o = rollout.original;
  return o.enabled
    ? `on at ${o.rolloutPercentage}%${o.cohorts.length ? ` (${o.cohorts.join(", ")})` : ""}`
    : `off (${o.rolloutPercentage}%)`;
}

/**
 * The flag named by "roll back the FSYNC_USE_RPC rollout" (also "revert the … rollout", "undo the rollout
 * of …"), or undefined: such a message asks for the reverse of a recorded rollout, not a deploy rollback.
 */
export function rolloutRollbackRequest(text: string): string | undefined {
  const t = text.trim();
  const m =
    /^(?:please\s+)?(?:roll\s*back|revert|undo)\s+(?:the\s+)?(?:staged\s+)?rollout\s+of\s+([A-Za-z][\w.-]*)/i.exec(t) ??
    /^(?:please\s+)?(?:roll\s*back|revert|undo)\s+(?:the\s+)?([A-Za-z][\w.-]*)\s+(?:staged\s+)?rollout\b/i.exec(t);
  return m?.[1];
}
