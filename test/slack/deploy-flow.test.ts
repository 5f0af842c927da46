/**
 * End to end through the real Bolt app and @slack/web-api against the loopback Slack API server, in
 * Socket Mode and in HTTP mode: a deploy from mention to summary, the approval policy, and runs
 * under the rate limits Slack enforces.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ACTION } from "../../src/slack/action-ids.js";
import {
  closeSharedPglite,
  eventually,
  findInThread,
  FIXTURES,
  OPS_CHANNEL,
  startHarness,
  textOf,
  USERS,
  type Harness,
} from "./support/harness.js";
import { gate } from "./support/gate.js";

afterAll(closeSharedPglite);

describe.each(["socket", "http"] as const)("a deploy requested in Slack (%s mode)", (mode) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ mode, reporter: { minUpdateIntervalMs: 150 } });
  });
  afterAll(() => h.close());
  afterEach(() => {
    h.behaviours.delete("http.check");
    h.setClockOffset(0);
  });

  const mention = async (text: string, user: string = USERS.dave) => {
    const delivery = await h.slack.sendEvent({
      type: "app_mention",
      user,
      channel: OPS_CHANNEL,
      text: `<@${h.slack.identity.botUserId}> ${text}`,
    });
    expect(delivery.acked).toBe(true);
    const ts = (delivery.payload.event as { ts: string }).ts;
    const card = await h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, ts, ACTION.approve), 10_000);
    return { ts, card };
  };

  it("posts a plan card in the thread, runs it once a permitted user approves, updates phase by phase and ends with a summary", async () => {
    const verify = gate({ summary: "https://api.staging.example.com/healthz answered 200 in 12 ms" });
    h.behaviours.set("http.check", verify.behaviour);
    // A real-shaped app_mention (rich_text blocks, formatting and an emoji in the text).
    const fixture = JSON.parse(readFileSync(path.join(FIXTURES, "app-mention-event.json"), "utf8")) as Record<string, unknown>;
    const delivery = await h.slack.sendEvent(fixture);
    expect(delivery.acked).toBe(true);
    const ts = (delivery.payload.event as { ts: string }).ts;
    const card = await h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, ts, ACTION.approve), 10_000);

    const planned = textOf(card);
    // Above the fold: the intent, what changes (the preflight's commits), the checks, who decides.
    expect(planned).toContain("Deploy api → staging");
    expect(planned).toContain("*What changes*");
    expect(planned).toContain("a1b2c3d Fix retry budget");
    expect(planned).toContain("Commits about to ship");
    expect(planned).toContain(`<@${USERS.alice}>`);
    expect(planned).toContain("<!subteam^S0ONCALL1>");
    expect(planned).toContain("*Needs 1 approval*");
    // The steps are behind Plan details, not on the card.
    expect(planned).not.toContain("github.dispatchWorkflow");
    expect(planned).toContain(ACTION.details);
    expect(card.blocks?.length).toBeLessThanOrEqual(50);

    const click = await h.slack.clickButton({ user: USERS.alice, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.approve });
    expect(click.acked).toBe(true);

    // The card becomes the status message: the checklist shows verify running while its step is held.
    await verify.entered;
    await h.slack.waitFor(() => textOf(card).includes("🔄 *Health after deploy*"), 10_000);
    expect(textOf(card)).toContain("✅ Start the deploy workflow");
    expect(textOf(card)).toMatch(/Approved by <@U0ALICE01> at \d\d:\d\d UTC/);
    verify.open();

    const summary = await h.slack.waitFor(
      (s) => s.messages({ channel: OPS_CHANNEL, threadTs: ts }).find((m) => m.ts !== card.ts && m.text.includes("succeeded")),
      10_000,
    );
    expect(textOf(summary)).toContain("Deploy");
    expect(textOf(summary)).toContain("https://github.com/acme/api/actions/runs/42");
    await h.slack.waitFor(() => textOf(card).includes("✅ *Succeeded*"), 10_000);
    expect(textOf(card)).not.toContain(ACTION.cancel);

    // The long workflow log went up as a file in the thread, with an excerpt in its message.
    const file = await h.slack.waitFor((s) => s.files().find((f) => f.name === "deploy.log" && f.thread_ts === ts), 10_000);
    expect(file.content?.toString()).toContain("step 60: ok");
    expect(findInThread(h.slack, OPS_CHANNEL, ts, "Workflow log")).toBeDefined();

    // Exactly one card and one summary in the thread; the card was updated in place.
    expect(
      h.slack
        .messages({ channel: OPS_CHANNEL, threadTs: ts })
        .filter((m) => textOf(m).includes(ACTION.approve) || textOf(m).includes("Succeeded*")),
    ).toHaveLength(1);
    expect(card.updateCount).toBeGreaterThanOrEqual(2);
    const runs = await h.service.listRuns({ limit: 5 });
    expect(runs.filter((r) => r.origin.messageTs === card.ts)).toHaveLength(1);
  });

  it("refuses self-approval in prod with an ephemeral explanation, then runs on a group member's approval", async () => {
    const { card } = await mention("deploy api to prod", USERS.alice);
    const approve = JSON.stringify(card.blocks).match(/"action_id":"opsroom.approve"[^}]*\}/);
    expect(JSON.stringify(card.blocks)).toContain("Approve in prod?");
    expect(approve).not.toBeNull();

    await h.slack.clickButton({ user: USERS.alice, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.approve });
    const refusal = await h.slack.waitFor(
      (s) => s.ephemeralMessages({ user: USERS.alice }).find((e) => e.text.includes("someone else has to approve")),
      5000,
    );
    expect(refusal.text).toContain("prod");
    const run = await eventually(async () => (await h.service.listRuns({ limit: 10 })).find((r) => r.origin.messageTs === card.ts));
    expect((await h.service.getRun(run.id))?.status).toBe("pending_approval");

    await h.slack.clickButton({ user: USERS.bob, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.approve });
    await h.slack.waitFor(() => textOf(card).includes("✅ *Succeeded*"), 10_000);
    expect(textOf(card)).toContain(`Approved by <@${USERS.bob}>`);
  });

  it("refuses an unauthorised approver with an ephemeral explanation and runs nothing", async () => {
    const { card } = await mention("deploy payments to staging");
    await h.slack.clickButton({ user: USERS.carol, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.approve });
    const refusal = await h.slack.waitFor(
      (s) => s.ephemeralMessages({ user: USERS.carol }).find((e) => e.text.includes("can't approve")),
      5000,
    );
    // Approvers are named as mentions that work, not as escaped text.
    expect(refusal.text).toContain(`Approvers: <@${USERS.alice}>, <!subteam^S0ONCALL1>.`);
    const run = await eventually(async () => (await h.service.listRuns({ limit: 10 })).find((r) => r.origin.messageTs === card.ts));
    expect((await h.service.listApprovals(run.id)).length).toBe(0);
    expect((await h.service.getRun(run.id))?.status).toBe("pending_approval");
  });

  it("refuses an expired plan; the card then says expired — not run, and the run never starts", async () => {
    h.setClockOffset(-31 * 60_000);
    const { card } = await mention("deploy api to staging");
    h.setClockOffset(0);
    await h.slack.clickButton({ user: USERS.alice, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.approve });
    await h.slack.waitFor((s) => s.ephemeralMessages({ user: USERS.alice }).find((e) => /expired/i.test(e.text)), 5000);
    await h.slack.waitFor(() => textOf(card).includes("expired — not run"), 10_000);
    const run = await eventually(async () => (await h.service.listRuns({ limit: 10 })).find((r) => r.origin.messageTs === card.ts));
    expect(run.status).toBe("expired");
    expect(run.startedAt).toBeNull();
    expect(textOf(card)).not.toContain(ACTION.approve);
  });

  it("rejects: the card records who rejected, and nothing runs", async () => {
    const { card } = await mention("deploy api to staging");
    await h.slack.clickButton({ user: USERS.bob, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.reject });
    await h.slack.waitFor(() => textOf(card).includes("Rejected*"), 10_000);
    expect(textOf(card)).toContain(`Rejected by <@${USERS.bob}>`);
  });
});

/**
 * Slack's limits as the server enforces them (one post a second per channel, Tier 3 for updates):
 * status updates are coalesced to at most one a second per run, 429s are waited out, and every run
 * still ends with its final state and summary.
 */
describe("runs under Slack's rate limits", () => {
  let h: Harness;
  beforeAll(async () => {
    // The production interval (1 s) on purpose: this is the suite that checks it.
    h = await startHarness({
      mode: "http",
      server: { enforceRateLimits: true, rateLimits: { "chat.postMessage": { limit: 1, windowMs: 1000, per: "channel" } } },
    });
  });
  afterAll(() => h.close());

  it("three runs at once in one channel all reach their final status, each message updated at most once a second", async () => {
    const mentions = await Promise.all(
      ["check dev status", "check staging status", "check prod status"].map((text) =>
        h.slack.sendEvent({
          type: "app_mention",
          user: USERS.carol,
          channel: OPS_CHANNEL,
          text: `<@${h.slack.identity.botUserId}> ${text}`,
        }),
      ),
    );
    const threads = mentions.map((m) => (m.payload.event as { ts: string }).ts);
    const cards = await h.slack.waitFor((s) => {
      const found = threads.map((ts) => s.messages({ channel: OPS_CHANNEL, threadTs: ts }).find((m) => m.text.startsWith("Health check")));
      return found.every((c) => c && textOf(c).includes("✅ *Succeeded*")) ? found : undefined;
    }, 30_000);
    for (const ts of threads) {
      await h.slack.waitFor((s) => s.messages({ channel: OPS_CHANNEL, threadTs: ts }).find((m) => m.text.includes("succeeded in")), 30_000);
    }
    for (const card of cards) {
      const updates = h.slack.callsTo("chat.update").filter((c) => c.args.ts === card!.ts && c.ok);
      for (let i = 1; i < updates.length; i++) expect(updates[i]!.time - updates[i - 1]!.time).toBeGreaterThanOrEqual(990);
    }
    // Posts were refused and waited out rather than dropped.
    expect(h.slack.callsTo("chat.postMessage").some((c) => c.status === 429)).toBe(true);
    expect(h.slack.messages({ channel: OPS_CHANNEL }).filter((m) => m.text.includes("succeeded in"))).toHaveLength(3);
  });
});
