/**
 * Side doors around approvals, tried the way a workspace member would: real Slack payloads (button
 * clicks, view submissions) delivered to the real Bolt app on the loopback Slack API server. Prod's
 * approvers are alice and the group with bob; carol and dave approve nothing; erin is an admin.
 * Each scenario then reads every run back and counts bypasses and false records (run-audit.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACTION, OVERRIDE_REASON_ACTION, OVERRIDE_REASON_BLOCK, VIEW } from "../../src/slack/action-ids.js";
import type { Run } from "../../src/store/types.js";
import { gate } from "../slack/support/gate.js";
import {
  closeSharedPglite,
  eventually,
  findInThread,
  OPS_CHANNEL,
  startHarness,
  textOf,
  USERS,
  type Harness,
} from "../slack/support/harness.js";
import { recordFaultTally } from "./support/fault-tally.js";
import { auditRuns } from "./support/run-audit.js";

afterAll(closeSharedPglite);

describe("no side door around approvals through Slack", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ mode: "socket", reporter: { minUpdateIntervalMs: 100 } });
  });
  afterAll(() => h.close());

  const request = async (text: string, user: string) => {
    const delivery = await h.slack.sendEvent({
      type: "app_mention",
      user,
      channel: OPS_CHANNEL,
      text: `<@${h.slack.identity.botUserId}> ${text}`,
    });
    const ts = (delivery.payload.event as { ts: string }).ts;
    const card = await h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, ts, ACTION.approve), 10_000);
    const run = await eventually(async () => (await h.service.listRuns({ limit: 50 })).find((r) => r.origin.messageTs === card.ts));
    return { ts, card, run };
  };
  const click = (user: string, messageTs: string, actionId: string) =>
    h.slack.clickButton({ user, channel: OPS_CHANNEL, messageTs, actionId });
  const refusalTo = (user: string, needle: string) =>
    h.slack.waitFor((s) => s.ephemeralMessages({ user }).find((e) => e.text.includes(needle)), 5000);

  it("refuses a non-approver's Edit only to them, with mentions that work, opens no form, and the requester still cannot approve alone", async (ctx) => {
    const { card, run } = await request("deploy api to prod", USERS.alice);
    await click(USERS.carol, card.ts, ACTION.edit);
    const refusal = await refusalTo(USERS.carol, "can't edit");
    expect(refusal.text).toContain(`only its requester (<@${USERS.alice}>) or its approvers (<@${USERS.alice}>, <!subteam^S0ONCALL1>) may`);
    expect(refusal.text).not.toContain("&lt;");
    expect(h.slack.views({ user: USERS.carol })).toHaveLength(0);

    await click(USERS.alice, card.ts, ACTION.approve);
    await refusalTo(USERS.alice, "someone else has to approve");
    expect(await h.service.getRun(run.id)).toMatchObject({ status: "pending_approval", requesters: [USERS.alice] });
    const audit = await auditRuns(h.store, [USERS.carol]);
    expect(audit.findings).toEqual([]);
    recordFaultTally(ctx, { bypasses: audit.bypasses, falseRecords: audit.falseRecords });
  });

  it("an approver's edit makes them a requester too: neither the first requester nor the editor can approve the edited plan", async (ctx) => {
    const { ts, card } = await request("deploy api to prod", USERS.alice);
    await click(USERS.bob, card.ts, ACTION.edit);
    const form = await h.slack.waitFor(
      (s) => s.views({ user: USERS.bob, openOnly: true }).find((v) => v.view.callback_id === VIEW.planForm),
      5000,
    );
    await h.slack.submitView({
      viewId: form.id,
      values: {
        "param:service": { value: { type: "static_select", selected_option: { value: "api" } } },
        "param:env": { value: { type: "static_select", selected_option: { value: "prod" } } },
        "param:ref": { value: "v2.0.1" },
      },
    });
    const edited = await h.slack.waitFor(
      (s) => s.messages({ channel: OPS_CHANNEL, threadTs: ts }).find((m) => m.ts !== card.ts && textOf(m).includes(ACTION.approve)),
      10_000,
    );
    await click(USERS.alice, edited.ts, ACTION.approve);
    await refusalTo(USERS.alice, "You requested this prod plan, so someone else has to approve it.");
    await click(USERS.bob, edited.ts, ACTION.approve);
    await refusalTo(USERS.bob, "You edited this prod plan, so someone else has to approve it.");
    const run = await eventually(async () => (await h.service.listRuns({ limit: 50 })).find((r) => r.origin.messageTs === edited.ts));
    expect(run).toMatchObject({ status: "pending_approval", requesters: [USERS.alice, USERS.bob] });
    expect(await h.service.listApprovals(run.id)).toEqual([]);
    const audit = await auditRuns(h.store, [USERS.carol]);
    expect(audit.findings).toEqual([]);
    recordFaultTally(ctx, { bypasses: audit.bypasses, falseRecords: audit.falseRecords });
  });

  it("an override reason is no side door: a non-approver's, the requester's and an empty one are refused; an approver's reason is kept", async (ctx) => {
    const blocked = "the ops board of prod says Blocked: dual-write: no — Dual-write queue: Convex: waiting on API";
    const compare = h.behaviours.get("github.compareRefs")!;
    h.behaviours.set("github.compareRefs", async () => ({ summary: `⛔ ops board of prod: dual-write: no`, override: blocked }));
    const reasonForm = (user: string) =>
      h.slack.waitFor((s) => s.views({ user, openOnly: true }).find((v) => v.view.callback_id === VIEW.overrideReason), 5000);
    const submitReason = (viewId: string, reason: string) =>
      h.slack.submitView({ viewId, values: { [OVERRIDE_REASON_BLOCK]: { [OVERRIDE_REASON_ACTION]: reason } } });
    try {
      const { card, run } = await request("deploy api to prod", USERS.alice);
      await click(USERS.carol, card.ts, ACTION.approve);
      await refusalTo(USERS.carol, "can't approve Deploy in prod");
      expect(h.slack.views({ user: USERS.carol })).toHaveLength(0);

      await click(USERS.alice, card.ts, ACTION.approve);
      const own = await submitReason((await reasonForm(USERS.alice)).id, "it is my call");
      expect(JSON.stringify(own.errors)).toContain("You requested this prod plan, so someone else has to approve it.");
      await click(USERS.bob, card.ts, ACTION.approve);
      const form = await reasonForm(USERS.bob);
      const empty = await submitReason(form.id, "");
      expect(JSON.stringify(empty.errors)).toContain("needs an override reason");
      expect(await h.service.getRun(run.id)).toMatchObject({ status: "pending_approval" });
      expect(await h.service.listApprovals(run.id)).toEqual([]);

      expect((await submitReason(form.id, "API fix is live behind the flag")).responseAction).toBeUndefined();
      await eventually(async () => ((await h.service.getRun(run.id))?.status === "succeeded" ? true : undefined), 15_000);
      expect(await h.service.listApprovals(run.id)).toMatchObject([
        { approver: USERS.bob, overrideReason: "API fix is live behind the flag" },
      ]);
      const audit = await auditRuns(h.store, [USERS.carol]);
      expect(audit.findings).toEqual([]);
      recordFaultTally(ctx, { bypasses: audit.bypasses, falseRecords: audit.falseRecords });
    } finally {
      h.behaviours.set("github.compareRefs", compare);
    }
  });

  it("refuses a non-approver's Cancel of a prod run in its action phase; an admin's cancel is taken and the card names her", async (ctx) => {
    const action = gate();
    const dispatch = h.behaviours.get("github.dispatchWorkflow")!;
    // The deploy's dispatch holds; the rollback's (the cancel comes after the action started) goes through.
    let dispatches = 0;
    h.behaviours.set("github.dispatchWorkflow", (args, stepCtx) => (dispatches++ === 0 ? action.behaviour : dispatch)(args, stepCtx));
    try {
      const { card, run } = await request("deploy api to prod", USERS.dave);
      await click(USERS.alice, card.ts, ACTION.approve);
      await action.entered;
      await h.slack.waitFor(() => textOf(card).includes(ACTION.cancel), 10_000);

      await click(USERS.carol, card.ts, ACTION.cancel);
      const refusal = await refusalTo(USERS.carol, "can't cancel");
      expect(refusal.text).toContain(`or an admin (<@${USERS.erin}>) may`);
      const untouched: Run | undefined = await h.service.getRun(run.id);
      expect(untouched).toMatchObject({ status: "running", cancelRequestedAt: null });

      await click(USERS.erin, card.ts, ACTION.cancel);
      await h.slack.waitFor(() => textOf(card).includes("Cancelled*"), 15_000);
      expect(textOf(card)).toContain(`by <@${USERS.erin}>`);
      expect(await h.service.getRun(run.id)).toMatchObject({ status: "cancelled", cancelRequestedBy: USERS.erin });
      const audit = await auditRuns(h.store, [USERS.carol]);
      expect(audit.findings).toEqual([]);
      recordFaultTally(ctx, { bypasses: audit.bypasses, falseRecords: audit.falseRecords });
    } finally {
      action.open();
      h.behaviours.set("github.dispatchWorkflow", dispatch);
    }
  });
});
