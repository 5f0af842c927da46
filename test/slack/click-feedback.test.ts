/**
 * A person's click is answered on its card at once; the run's own progress keeps the pace that
 * Slack's limits need. The reporter's interval is set far above any wait here, so a card that only
 * changed at its paced turn would never show the click within the test. Closing the app sends what waits.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ACTION } from "../../src/slack/action-ids.js";
import { closeSharedPglite, eventually, findInThread, OPS_CHANNEL, startHarness, textOf, USERS, type Harness } from "./support/harness.js";
import { gate } from "./support/gate.js";

afterAll(closeSharedPglite);

const PACE_MS = 120_000;

describe("clicks on a run's card", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ mode: "socket", reporter: { minUpdateIntervalMs: PACE_MS } });
  });
  afterAll(() => h.close());
  afterEach(() => h.behaviours.delete("github.dispatchWorkflow"));

  const planCard = async () => {
    const delivery = await h.slack.sendEvent({
      type: "app_mention",
      user: USERS.dave,
      channel: OPS_CHANNEL,
      text: `<@${h.slack.identity.botUserId}> deploy api to staging`,
    });
    const ts = (delivery.payload.event as { ts: string }).ts;
    return h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, ts, ACTION.approve), 10_000);
  };

  it("Approve shows on the card right away, and the run's progress after it waits for its paced turn", async () => {
    const action = gate();
    h.behaviours.set("github.dispatchWorkflow", action.behaviour);
    const card = await planCard();
    await h.slack.clickButton({ user: USERS.alice, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.approve });
    await h.slack.waitFor(() => /Approved by <@U0ALICE01>/.test(textOf(card)), 10_000);
    const answered = card.updateCount;
    // The run goes on to the end; its progress waits for the card's next paced turn.
    action.open();
    await eventually(async () => (await h.service.listRuns({ limit: 1 }))[0]?.status === "succeeded", 15_000);
    expect(card.updateCount).toBe(answered);
    expect(textOf(card)).not.toContain("Succeeded*");
  });

  it("Reject shows on the card right away", async () => {
    const card = await planCard();
    await h.slack.clickButton({ user: USERS.bob, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.reject });
    await h.slack.waitFor(() => textOf(card).includes(`Rejected by <@${USERS.bob}>`), 10_000);
  });

  it("Cancel on a running run shows on the card right away", async () => {
    const action = gate();
    h.behaviours.set("github.dispatchWorkflow", action.behaviour);
    const card = await planCard();
    await h.slack.clickButton({ user: USERS.alice, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.approve });
    await h.slack.waitFor(() => textOf(card).includes(ACTION.cancel), 10_000);
    await action.entered;
    await h.slack.clickButton({ user: USERS.dave, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.cancel });
    await h.slack.waitFor(() => textOf(card).includes(`<@${USERS.dave}>`) && /[Cc]ancel/.test(textOf(card)), 10_000);
    // The cancelled run's rollback dispatches the workflow again, through this same gate: open, so the rollback
    // ends now rather than at its step's timeout (the harness's close waits for the worker's runs).
    action.open();
    await eventually(async () => (await h.service.listRuns({ limit: 1 }))[0]?.status === "cancelled", 15_000);
  });
});

describe("closing the app", () => {
  it("sends a card's update still waiting for its paced turn at once: the final state and the summary", async () => {
    const h = await startHarness({ mode: "socket", reporter: { minUpdateIntervalMs: PACE_MS } });
    try {
      const action = gate();
      h.behaviours.set("github.dispatchWorkflow", action.behaviour);
      const delivery = await h.slack.sendEvent({
        type: "app_mention",
        user: USERS.dave,
        channel: OPS_CHANNEL,
        text: `<@${h.slack.identity.botUserId}> deploy api to staging`,
      });
      const ts = (delivery.payload.event as { ts: string }).ts;
      const card = await h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, ts, ACTION.approve), 10_000);
      await h.slack.clickButton({ user: USERS.alice, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.approve });
      await h.slack.waitFor(() => /Approved by <@U0ALICE01>/.test(textOf(card)), 10_000);
      action.open();
      await eventually(async () => (await h.service.listRuns({ limit: 1 }))[0]?.status === "succeeded", 15_000);
      // Finished, but the card waits for its paced turn, minutes away.
      expect(textOf(card)).not.toContain("Succeeded*");
      const updates = card.updateCount;

      const stopping = Date.now();
      await h.bots[0]!.app.stop();
      // Far sooner than the pace: the update was sent, not waited for.
      expect(Date.now() - stopping).toBeLessThan(PACE_MS / 4);
      expect(textOf(card)).toContain("Succeeded*");
      expect(card.updateCount).toBe(updates + 1);
      const summaries = h.slack.messages({ channel: OPS_CHANNEL, threadTs: ts }).filter((m) => m.text.includes("succeeded in"));
      expect(summaries).toHaveLength(1);
    } finally {
      await h.close();
    }
  });
});
