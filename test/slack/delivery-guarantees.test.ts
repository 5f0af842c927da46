/**
 * What Slack's platform throws at the app: redelivered events, double clicks, forged signatures,
 * 429s in the middle of a run, a cancel mid-run, and two bot processes sharing one database.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ACTION } from "../../src/slack/action-ids.js";
import { STORE_BACKENDS } from "../support/test-stores.js";
import { gate } from "./support/gate.js";
import { closeSharedPglite, findInThread, OPS_CHANNEL, startHarness, textOf, USERS, type Harness } from "./support/harness.js";

afterAll(closeSharedPglite);

const mentionText = (h: Harness, text: string) => `<@${h.slack.identity.botUserId}> ${text}`;

async function cardFor(h: Harness, ts: string) {
  return h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, ts, ACTION.approve), 10_000);
}

function summaryIn(h: Harness, ts: string, cardTs: string, word: string) {
  return h.slack.waitFor(
    (s) => s.messages({ channel: OPS_CHANNEL, threadTs: ts }).find((m) => m.ts !== cardTs && m.text.includes(word)),
    15_000,
  );
}

describe.each(["socket", "http"] as const)("delivery guarantees (%s mode)", (mode) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ mode, reporter: { minUpdateIntervalMs: 150 } });
  });
  afterAll(() => h.close());
  afterEach(() => {
    h.slack.clearFaults();
    h.behaviours.delete("http.check");
  });

  it("an event delivered three times and Approve clicked twice make one run, one card, one summary", async () => {
    const delivery = await h.slack.sendEvent(
      { type: "app_mention", user: USERS.dave, channel: OPS_CHANNEL, text: mentionText(h, "deploy api to staging") },
      { retries: 2 },
    );
    expect(delivery.attempts.map((a) => a.acked)).toEqual([true, true, true]);
    const ts = (delivery.payload.event as { ts: string }).ts;
    const card = await cardFor(h, ts);

    await Promise.all([
      h.slack.clickButton({ user: USERS.alice, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.approve }),
      h.slack.clickButton({ user: USERS.alice, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.approve }),
    ]);
    await summaryIn(h, ts, card.ts, "succeeded");
    const runs = (await h.service.listRuns({ limit: 50 })).filter((r) => r.idempotencyKey === `slack:${delivery.eventId}`);
    expect(runs).toHaveLength(1);
    expect(await h.service.listApprovals(runs[0]!.id)).toHaveLength(1);
    const thread = h.slack.messages({ channel: OPS_CHANNEL, threadTs: ts });
    expect(thread.filter((m) => m.text.startsWith("Deploy api → staging"))).toHaveLength(1);
    expect(thread.filter((m) => m.ts !== card.ts && m.text.includes("succeeded"))).toHaveLength(1);
    expect(h.slack.ephemeralMessages({ user: USERS.alice })).toHaveLength(0);
  });

  it("a non-command redelivered by Slack is answered once, never silently", async () => {
    const delivery = await h.slack.sendEvent(
      { type: "app_mention", user: USERS.dave, channel: OPS_CHANNEL, text: mentionText(h, "what a week, huh") },
      { retries: 2 },
    );
    const ts = (delivery.payload.event as { ts: string }).ts;
    const reply = await h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, ts, "didn't find a command"), 5000);
    expect(reply.text).toContain("help");
    // Give a straggling duplicate the chance to show up: the next event is handled after all three.
    const next = await h.slack.sendEvent({ type: "app_mention", user: USERS.dave, channel: OPS_CHANNEL, text: mentionText(h, "help") });
    await h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, (next.payload.event as { ts: string }).ts, "Here's what I can do"), 5000);
    expect(h.slack.messages({ channel: OPS_CHANNEL, threadTs: ts })).toHaveLength(1);
  });

  it("cancels mid-run: the status shows who cancelled, the summary says so, and later phases never run", async () => {
    const verify = gate();
    h.behaviours.set("http.check", verify.behaviour);
    const delivery = await h.slack.sendEvent({
      type: "app_mention",
      user: USERS.dave,
      channel: OPS_CHANNEL,
      text: mentionText(h, "deploy api to staging"),
    });
    const ts = (delivery.payload.event as { ts: string }).ts;
    const card = await cardFor(h, ts);
    await h.slack.clickButton({ user: USERS.alice, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.approve });
    await verify.entered;
    await h.slack.waitFor(() => textOf(card).includes(ACTION.cancel), 10_000);
    await h.slack.clickButton({ user: USERS.dave, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.cancel });
    await h.slack.waitFor(() => textOf(card).includes("Cancelled*"), 15_000);
    expect(textOf(card)).toContain(`by <@${USERS.dave}>`);
    expect(textOf(card)).toContain("⏹️ Health after deploy");
    await summaryIn(h, ts, card.ts, "cancelled");
  });
  it("429s on updates and posts during a run delay it, and the final status and summary still arrive", async () => {
    const delivery = await h.slack.sendEvent({
      type: "app_mention",
      user: USERS.dave,
      channel: OPS_CHANNEL,
      text: mentionText(h, "deploy payments to staging"),
    });
    const ts = (delivery.payload.event as { ts: string }).ts;
    const card = await cardFor(h, ts);
    h.slack.injectFault({ method: "chat.update", status: 429, retryAfterSec: 1, times: 1 });
    h.slack.injectFault({ method: "chat.postMessage", status: 429, retryAfterSec: 1, times: 1 });
    await h.slack.clickButton({ user: USERS.bob, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.approve });
    await summaryIn(h, ts, card.ts, "succeeded");
    await h.slack.waitFor(() => textOf(card).includes("✅ *Succeeded*"), 15_000);
    const limited = h.slack.calls.filter((c) => c.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(2);
  });
});

describe("a forged HTTP request", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ mode: "http" });
  });
  afterAll(() => h.close());

  it.each(["forged", "stale", "none"] as const)("with a %s signature is rejected with 401 and does nothing", async (signature) => {
    const delivery = await h.slack.sendEvent(
      { type: "app_mention", user: USERS.dave, channel: OPS_CHANNEL, text: mentionText(h, "deploy api to prod") },
      { signature },
    );
    expect(delivery.status).toBe(401);
    const click = await h.slack.sendSlashCommand(
      { command: "/ops", text: "deploy api to prod", user_id: USERS.dave, channel_id: OPS_CHANNEL },
      { signature },
    );
    expect(click.status).toBe(401);
    expect(await h.service.listRuns({ limit: 5 })).toHaveLength(0);
    expect(h.slack.messages(OPS_CHANNEL)).toHaveLength(0);
  });
});

describe.each(STORE_BACKENDS)("two bot processes on one database (%s)", (backend) => {
  it("handle each event once in HTTP mode, even when Slack delivers it to both at the same time", async () => {
    const h = await startHarness({ mode: "http", backend, bots: 2, reporter: { minUpdateIntervalMs: 150 } });
    try {
      const event = {
        type: "app_mention",
        user: USERS.dave,
        channel: OPS_CHANNEL,
        text: mentionText(h, "deploy api to staging"),
        ts: "1700000000.000100",
      };
      h.deliverTo(0);
      const first = h.slack.sendEvent(event, { eventId: "Ev0TWOBOTS1" });
      h.deliverTo(1);
      const second = h.slack.sendEvent(event, { eventId: "Ev0TWOBOTS1", retries: 1 });
      const deliveries = await Promise.all([first, second]);
      expect(deliveries.every((d) => d.acked)).toBe(true);
      const card = await cardFor(h, event.ts);

      // A non-command reaching both processes is answered once too.
      const chat = {
        type: "app_mention",
        user: USERS.dave,
        channel: OPS_CHANNEL,
        text: mentionText(h, "lovely weather"),
        ts: "1700000000.000200",
      };
      h.deliverTo(0);
      const a = h.slack.sendEvent(chat, { eventId: "Ev0TWOBOTS2" });
      h.deliverTo(1);
      const b = h.slack.sendEvent(chat, { eventId: "Ev0TWOBOTS2" });
      await Promise.all([a, b]);
      await h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, chat.ts, "didn't find a command"), 5000);

      // The approval lands on the other process; the run is reported once, by one of them.
      h.deliverTo(1);
      await h.slack.clickButton({ user: USERS.alice, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.approve });
      await summaryIn(h, event.ts, card.ts, "succeeded");
      await h.slack.waitFor(() => textOf(card).includes("✅ *Succeeded*"), 10_000);
      const thread = h.slack.messages({ channel: OPS_CHANNEL, threadTs: event.ts });
      expect(thread.filter((m) => m.text.startsWith("Deploy api → staging"))).toHaveLength(1);
      expect(thread.filter((m) => m.ts !== card.ts && m.text.includes("succeeded"))).toHaveLength(1);
      expect(thread.filter((m) => textOf(m).includes("Workflow log"))).toHaveLength(1);
      expect(h.slack.messages({ channel: OPS_CHANNEL, threadTs: chat.ts })).toHaveLength(1);
      expect((await h.service.listRuns({ limit: 10 })).filter((r) => r.idempotencyKey === "slack:Ev0TWOBOTS1")).toHaveLength(1);
    } finally {
      await h.close();
    }
  });

  it("in Socket Mode, a redelivery to the other process after the first one went away is not handled again", async () => {
    const h = await startHarness({ mode: "socket", backend, bots: 2, reporter: { minUpdateIntervalMs: 150 } });
    try {
      const event = {
        type: "app_mention",
        user: USERS.dave,
        channel: OPS_CHANNEL,
        text: mentionText(h, "deploy api to staging"),
        ts: "1700000000.000300",
      };
      // The server delivers to the newest connection: bot 1.
      await h.slack.sendEvent(event, { eventId: "Ev0SOCKET01" });
      const card = await cardFor(h, event.ts);
      await h.bots[1]!.app.stop();
      await h.slack.waitFor((s) => s.socketConnections.open === 1, 5000);
      await h.slack.sendEvent(event, { eventId: "Ev0SOCKET01", retries: 1 });
      // Bot 0 adopts the run that bot 1 left, and runs the approval through to the end.
      await h.slack.clickButton({ user: USERS.alice, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.approve });
      await summaryIn(h, event.ts, card.ts, "succeeded");
      const thread = h.slack.messages({ channel: OPS_CHANNEL, threadTs: event.ts });
      expect(thread.filter((m) => m.text.startsWith("Deploy api → staging"))).toHaveLength(1);
      expect((await h.service.listRuns({ limit: 10 })).filter((r) => r.idempotencyKey === "slack:Ev0SOCKET01")).toHaveLength(1);
    } finally {
      await h.close();
    }
  });
});
