import type { Rollout } from "../store/rollouts.js";
import type { Run } from "../store/types.js";
import { postRunCard, type SlackContext } from "./handlers/slack-context.js";
import { renderRolloutStatus } from "./render-rollout-status.js";

/** What the Slack front end needs of the rollout driver: to hear what it does. */
export interface RolloutEvents {
  subscribe(listener: { onStageQueued?: (rollout: Rollout, run: Run) => void; onRolloutChanged?: (rollout: Rollout) => void }): () => void;
}

/**
 * A rollout in its thread: one status message (claimed once across processes, then updated in place)
 * and each stage run's card, which the run reporter keeps up to date like any run's.
 */
export function createRolloutMessages(ctx: SlackContext) {
  const threadOf = async (rollout: Rollout): Promise<{ channel: string; threadTs: string } | undefined> => {
    const plan = await ctx.service.getRun(rollout.runId);
    const { channel, threadTs } = plan?.origin ?? {};
    return typeof channel === "string" && typeof threadTs === "string" ? { channel, threadTs } : undefined;
  };

  const refresh = async (rolloutId: string): Promise<void> => {
    const view = await ctx.service.rolloutStatus(rolloutId);
    const message = renderRolloutStatus(view, ctx.timeZone);
    const posted = view.rollout.statusMessage;
    if (posted) {
      await ctx.poster.update(posted.channel, posted.ts, message);
      return;
    }
    const thread = await threadOf(view.rollout);
    if (!thread || !(await ctx.service.deliveries.claim(`rollout:${rolloutId}:status`))) return;
    const sent = await ctx.poster.post(thread.channel, message, { threadTs: thread.threadTs });
    await ctx.service.attachRolloutMessage(rolloutId, { channel: sent.channel, ts: sent.ts });
  };

  const stageQueued = async (rollout: Rollout, run: Run): Promise<void> => {
    const thread = await threadOf(rollout);
    if (!thread || !(await ctx.service.deliveries.claim(`rollout:${run.id}:card`))) return;
    await postRunCard(ctx, run, thread);
  };

  const failed = (what: string) => (error: unknown) => ctx.log.warn({ err: error }, `could not ${what}`);
  return {
    refresh,
    /** Follows a rollout driver: stage cards and the status message. Returns the unsubscribe. */
    follow(events: RolloutEvents): () => void {
      return events.subscribe({
        onStageQueued: (rollout, run) => void stageQueued(rollout, run).catch(failed("post a rollout stage's card")),
        onRolloutChanged: (rollout) => void refresh(rollout.id).catch(failed("refresh a rollout's status message")),
      });
    },
  };
}

export type RolloutMessages = ReturnType<typeof createRolloutMessages>;
