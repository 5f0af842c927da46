/**
 * The ops board in Slack, against the loopback Slack API: "show me the ops board" posts the channel's one board
 * message; a checklist change from chat (planned, approved, stored with who and when) updates that same message
 * in place at once, and so does the next showing. The checklist and the board report are the real actions on the real
 * store; the other evidence steps are fakes with nothing to say.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBoardAdapter } from "../../adapters/board/index.js";
import { createReportAdapter } from "../../adapters/report/index.js";
import { DEFAULT_RUNBOOKS_DIR } from "../../src/config/load-config.js";
import { ACTION } from "../../src/slack/action-ids.js";
import { closeSharedPglite, eventually, findInThread, OPS_CHANNEL, startHarness, textOf, USERS, type Harness } from "./support/harness.js";

afterAll(closeSharedPglite);

describe("the ops board message", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ mode: "socket", runbooksDir: DEFAULT_RUNBOOKS_DIR, reporter: { minUpdateIntervalMs: 100 } });
    const board = createBoardAdapter({ checklist: h.store.board });
    const report = createReportAdapter();
    h.behaviours.set("board.checklist", (args, ctx) => board.actions.checklist!.run(args, ctx));
    h.behaviours.set("board.setChecklistStep", (args, ctx) => board.actions.setChecklistStep!.run(args, ctx));
    h.behaviours.set("report.opsBoard", (args, ctx) => report.actions.opsBoard!.run(args, ctx));
  });
  afterAll(() => h.close());

  const say = async (text: string, user: string = USERS.carol) => {
    const delivery = await h.slack.sendEvent({
      type: "app_mention",
      channel: OPS_CHANNEL,
      user,
      text: `<@${h.slack.identity.botUserId}> ${text}`,
    });
    return (delivery.payload.event as { ts: string }).ts;
  };
  const boards = () => h.slack.messages({ channel: OPS_CHANNEL }).filter((m) => !m.thread_ts && m.text.startsWith("Ops board · prod"));
  const boardRuns = async () =>
    (await h.service.listRuns({ limit: 50 })).filter((r) => r.runbook === "ops-board" && r.status === "succeeded");

  it("is posted once and updated in place as the checklist changes from chat", async () => {
    await say("show me the ops board");
    const message = await h.slack.waitFor(() => boards()[0], 15_000);
    expect(textOf(message)).toContain("🔴 *Backfill &amp; reconciliation* · Supabase · Owner: Ops");
    expect(textOf(message)).toContain("dual-write: ⛔ no");

    // A change from chat: planned, approved by someone else, stored with who made it.
    const ask = await say("assign step backfill to @dana", USERS.dave);
    const card = await h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, ask, ACTION.approve), 10_000);
    await h.slack.clickButton({ user: USERS.alice, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.approve });
    const [change] = await eventually(async () => {
      const history = await h.store.board.listChecklistHistory("backfill", 10);
      return history.length ? history : undefined;
    }, 15_000);
    expect(change).toMatchObject({ owner: "@dana", changedBy: USERS.dave, previous: null });
    // The message follows the change by itself, from the reading on record: nobody asked, nothing was read again.
    await h.slack.waitFor(() => textOf(message).includes("Owner: @dana"), 15_000);
    expect(textOf(message)).toContain("checklist as it stands now");
    expect(await boardRuns()).toHaveLength(1);

    await say("show me the ops board");
    await eventually(async () => ((await boardRuns()).length === 2 ? true : undefined), 15_000);
    await h.slack.waitFor(
      () => textOf(message).includes(`Owner: @dana — Supabase: blocked · _updated 0 min ago by <@${USERS.dave}>_`),
      15_000,
    );
    expect(boards()).toHaveLength(1);
    expect(h.slack.callsTo("chat.update").some((c) => (c.args as { ts?: string }).ts === message.ts)).toBe(true);
  });
});
