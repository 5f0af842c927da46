/**
 * A staged rollout's status message in its thread, and its controls clicked through the loopback Slack
 * API server by the real Bolt app: pause, resume, skip (approvers only) and abort-and-revert. The schedule
 * is the real store's; the driver is a stand-in that announces the rollout, as the real one does when it
 * queues a stage.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_RUNBOOKS_DIR } from "../../src/config/load-config.js";
import { ACTION } from "../../src/slack/action-ids.js";
import type { RolloutEvents } from "../../src/slack/rollout-messages.js";
import type { Rollout } from "../../src/store/rollouts.js";
import { closeSharedPglite, eventually, OPS_CHANNEL, startHarness, textOf, USERS, type Harness } from "./support/harness.js";

afterAll(closeSharedPglite);

type Listener = Parameters<RolloutEvents["subscribe"]>[0];

describe("a rollout's controls in its thread", () => {
  let h: Harness;
  const listeners = new Set<Listener>();
  const driver: RolloutEvents = {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  beforeAll(async () => {
    h = await startHarness({ mode: "socket", runbooksDir: DEFAULT_RUNBOOKS_DIR, rollouts: driver });
  });
  afterAll(() => h.close());

  const THREAD = "1767780000.000100";
  const statusOf = async (id: string) => (await h.store.rollouts.get(id))!;
  const click = (user: string, messageTs: string, actionId: string, value: string) =>
    h.slack.clickButton({ user, channel: OPS_CHANNEL, messageTs, actionId, value });

  it("pauses, resumes, skips (approvers only) and aborts with a revert, from the status message's buttons", async () => {
    const { run: plan } = await h.service.submitPlan(
      "rollout",
      { flag: "featureMatrix", env: "staging", stages: ["10", "100"], every: "PT30M" },
      { user: USERS.dave, source: "slack", origin: { channel: OPS_CHANNEL, threadTs: THREAD }, deferPreflight: true },
    );
    const rollout: Rollout = await h.store.rollouts.start({
      runId: plan.id,
      flag: "featureMatrix",
      env: "staging",
      lockKey: "flag:featureMatrix:staging",
      stages: [
        { percent: 10, cohorts: ["ops"] },
        { percent: 100, cohorts: ["ops"] },
      ],
      everySeconds: 1800,
      original: { enabled: false, rolloutPercentage: 0, cohorts: ["ops"] },
      firstAt: new Date(Date.now() + 30 * 60_000),
    });
    for (const l of listeners) l.onRolloutChanged?.(rollout);
    const status = await h.slack.waitFor(
      (s) => s.messages({ channel: OPS_CHANNEL, threadTs: THREAD }).find((m) => textOf(m).includes(ACTION.rolloutPause)),
      10_000,
    );
    expect(textOf(status)).toContain("Rollout");
    expect(textOf(status)).toContain("○ 10%  ○ 100%");
    expect(textOf(status)).toMatch(/next: 10% in (29|30) min/);

    // Someone who is neither requester, approver nor admin is told why, and nothing changes.
    await click(USERS.carol, status.ts, ACTION.rolloutPause, rollout.id);
    await h.slack.waitFor((s) => s.responses.some((r) => r.user === USERS.carol && JSON.stringify(r.body).includes("can't")), 10_000);
    expect((await statusOf(rollout.id)).status).toBe("active");

    await click(USERS.dave, status.ts, ACTION.rolloutPause, rollout.id);
    await h.slack.waitFor(() => textOf(status).includes(ACTION.rolloutResume), 10_000);
    expect(await statusOf(rollout.id)).toMatchObject({ status: "paused", updatedBy: USERS.dave });

    await click(USERS.dave, status.ts, ACTION.rolloutResume, rollout.id);
    await h.slack.waitFor(() => textOf(status).includes(ACTION.rolloutPause), 10_000);
    expect((await statusOf(rollout.id)).status).toBe("active");

    // Skipping the wait is an approver's decision: the requester is refused, alice (an approver) may.
    await click(USERS.dave, status.ts, ACTION.rolloutSkip, rollout.id);
    await h.slack.waitFor((s) => s.responses.some((r) => r.user === USERS.dave && JSON.stringify(r.body).includes("approve")), 10_000);
    await click(USERS.alice, status.ts, ACTION.rolloutSkip, rollout.id);
    await eventually(async () => (await statusOf(rollout.id)).nextAt!.getTime() <= Date.now(), 10_000);
    await h.slack.waitFor(() => textOf(status).includes("due now"), 10_000);

    await click(USERS.dave, status.ts, ACTION.rolloutAbort, rollout.id);
    await h.slack.waitFor(() => textOf(status).includes("aborted") && !textOf(status).includes(ACTION.rolloutPause), 10_000);
    const revert = await eventually(async () => (await h.service.listRuns({ runbook: "flag", limit: 1 }))[0]);
    expect(revert).toMatchObject({ params: { flag: "featureMatrix", env: "staging", action: "disable", percent: 0, cohorts: ["ops"] } });
    expect(revert.origin).toMatchObject({ channel: OPS_CHANNEL, threadTs: THREAD });

    // Once it has ended, "roll back the featureMatrix rollout" in a thread is the exact reverse as a plan card there.
    const delivery = await h.slack.sendEvent({
      type: "app_mention",
      user: USERS.dave,
      channel: OPS_CHANNEL,
      text: `<@${h.slack.identity.botUserId}> roll back the featureMatrix rollout`,
    });
    const asked = (delivery.payload.event as { ts: string }).ts;
    const card = await h.slack.waitFor(
      (s) => s.messages({ channel: OPS_CHANNEL, threadTs: asked }).find((m) => textOf(m).includes("Requested by <@")),
      10_000,
    );
    expect(textOf(card)).toContain("featureMatrix");
    const planned = await eventually(async () => (await h.service.listRuns({ runbook: "flag", limit: 1 }))[0]);
    expect(planned).toMatchObject({
      status: "pending_approval",
      params: { flag: "featureMatrix", env: "staging", action: "disable", percent: 0, cohorts: ["ops"] },
    });
    expect(planned.origin).toMatchObject({ channel: OPS_CHANNEL, threadTs: asked });
  });
});
