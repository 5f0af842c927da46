/**
 * Approve with an override reason, in Slack: a plan whose preflight reported something against it (here a
 * Blocked ops board verdict) says so on its card; Approve opens a form asking why (views.open with the
 * click's trigger_id), and the form's submission is the approval. Without a reason, or from the plan's own
 * requester, the form shows the refusal and nothing is recorded; with one, the run goes and the card keeps
 * the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACTION, OVERRIDE_REASON_ACTION, OVERRIDE_REASON_BLOCK, VIEW } from "../../src/slack/action-ids.js";
import { closeSharedPglite, eventually, findInThread, OPS_CHANNEL, startHarness, textOf, USERS, type Harness } from "./support/harness.js";

afterAll(closeSharedPglite);

const BLOCKED = "the ops board of prod says Blocked: dual-write: no — Dual-write queue: Convex: waiting on API";

describe("approving over a Blocked board verdict in Slack", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ mode: "socket", reporter: { minUpdateIntervalMs: 100 } });
    // The deploy's preflight step reports the board's Blocked verdict as the real board.blockVerdicts does.
    h.behaviours.set("github.compareRefs", async () => ({
      summary: `⛔ ops board of prod (5 min ago): dual-write: no — Dual-write queue: Convex: waiting on API`,
      override: BLOCKED,
    }));
  });
  afterAll(() => h.close());

  const mention = async (text: string, user: string) => {
    const delivery = await h.slack.sendEvent({
      type: "app_mention",
      user,
      channel: OPS_CHANNEL,
      text: `<@${h.slack.identity.botUserId}> ${text}`,
    });
    return (delivery.payload.event as { ts: string }).ts;
  };
  const reasonForm = (user: string) =>
    h.slack.waitFor((s) => s.views({ user, openOnly: true }).find((v) => v.view.callback_id === VIEW.overrideReason), 5000);
  const submitReason = (viewId: string, reason: string) =>
    h.slack.submitView({ viewId, values: { [OVERRIDE_REASON_BLOCK]: { [OVERRIDE_REASON_ACTION]: reason } } });

  it("the card says what blocks; Approve asks for a reason; none, or the requester's own, is refused; a reason approves and stays on the card", async () => {
    // Bob may approve prod deploys (through the approver group), but this one is his own request.
    const ts = await mention("deploy api to prod", USERS.bob);
    const card = await h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, ts, ACTION.approve), 10_000);
    expect(textOf(card)).toContain(`⛔ *Blocked:* ${BLOCKED}`);
    expect(textOf(card)).toContain("*Approving needs a reason for the override:* Approve asks for it");
    expect(textOf(card)).toContain("Approve with reason…");

    // Someone who may not approve is told so at once, not asked for a reason first.
    await h.slack.clickButton({ user: USERS.carol, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.approve });
    await h.slack.waitFor(
      (s) => s.ephemeralMessages({ user: USERS.carol }).find((e) => e.text.includes("You can't approve Deploy in prod")),
      5000,
    );
    expect(h.slack.views({ user: USERS.carol, openOnly: true })).toEqual([]);

    await h.slack.clickButton({ user: USERS.bob, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.approve });
    const own = await reasonForm(USERS.bob);
    expect(JSON.stringify(own.view.blocks)).toContain(BLOCKED);
    const refusedOwn = await submitReason(own.id, "I checked the queue myself");
    expect(refusedOwn.responseAction).toBe("errors");
    expect(JSON.stringify(refusedOwn.errors)).toContain("You requested this prod plan, so someone else has to approve it.");

    await h.slack.clickButton({ user: USERS.alice, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.approve });
    const form = await reasonForm(USERS.alice);
    const blank = await submitReason(form.id, "  ");
    expect(blank.responseAction).toBe("errors");
    expect(JSON.stringify(blank.errors)).toContain("Approving Deploy in prod needs an override reason: " + BLOCKED);
    const run = await eventually(async () => (await h.service.listRuns({ limit: 5 })).find((r) => r.origin.messageTs === card.ts));
    expect(await h.service.listApprovals(run.id)).toEqual([]);

    const ok = await submitReason(form.id, "queue drained by hand until the API lands");
    expect(ok.responseAction).toBeUndefined();
    await h.slack.waitFor(() => textOf(card).includes("override: “queue drained by hand until the API lands”"), 10_000);
    const finished = await eventually(async () => {
      const r = await h.service.getRun(run.id);
      return r?.status === "succeeded" ? r : undefined;
    }, 15_000);
    expect(finished.status).toBe("succeeded");
    expect(await h.service.listApprovals(run.id)).toMatchObject([
      { approver: USERS.alice, counts: true, overrideReason: "queue drained by hand until the API lands" },
    ]);
    expect((await h.service.listEvents(run.id)).find((e) => e.kind === "approval_override")?.message).toBe(
      `${USERS.alice} overrode: ${BLOCKED} — because queue drained by hand until the API lands`,
    );
  });
});
