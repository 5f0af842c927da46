/**
 * The ops board beyond its own message, against the loopback Slack API: App Home's first section is the board
 * as last read (read once, within a time limit, when none is on record; never again for each opening), with a
 * "Show full board" modal; a checklist change made from the console updates every channel's board message in
 * place, once even with two opsroom processes, without reading the feeds again. The checklist and the board
 * report are the real actions on the real store; the other evidence steps are fakes with nothing to say.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBoardAdapter } from "../../adapters/board/index.js";
import { createReportAdapter } from "../../adapters/report/index.js";
import { DEFAULT_RUNBOOKS_DIR } from "../../src/config/load-config.js";
import { ACTION } from "../../src/slack/action-ids.js";
import { validateView, type StoredView } from "../slack-server/slack-api-server.js";
import { closeSharedPglite, eventually, OPS_CHANNEL, startHarness, textOf, USERS, type Harness } from "./support/harness.js";

afterAll(closeSharedPglite);

const HOME_CHANNEL = "D0HOME001";
type Block = { type: string; text?: { text: string }; accessory?: { action_id: string; value?: string } };

describe("the ops board in App Home and in every channel", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ mode: "socket", bots: 2, runbooksDir: DEFAULT_RUNBOOKS_DIR, reporter: { minUpdateIntervalMs: 100 } });
    const board = createBoardAdapter({ checklist: h.store.board });
    const report = createReportAdapter();
    h.behaviours.set("board.checklist", (args, ctx) => board.actions.checklist!.run(args, ctx));
    h.behaviours.set("board.setChecklistStep", (args, ctx) => board.actions.setChecklistStep!.run(args, ctx));
    h.behaviours.set("report.opsBoard", (args, ctx) => report.actions.opsBoard!.run(args, ctx));
  });
  afterAll(() => h.close());

  const boardRuns = async () =>
    (await h.service.listRuns({ limit: 50 })).filter((r) => r.runbook === "ops-board" && r.status === "succeeded");
  const homePublishes = (user: string) => h.slack.callsTo("views.publish").filter((c) => (c.args as { user_id?: string }).user_id === user);
  const publishedBlocks = (call: { args: unknown }): Block[] => {
    const view = (call.args as { view: unknown }).view;
    return (typeof view === "string" ? JSON.parse(view) : view).blocks as Block[];
  };
  const openHome = async (user: string, shows: (text: string) => boolean): Promise<StoredView> => {
    await h.slack.sendEvent({ type: "app_home_opened", user, channel: HOME_CHANNEL, tab: "home" });
    return h.slack.waitFor((s) => s.views({ user }).find((v) => v.type === "home" && shows(JSON.stringify(v.view.blocks))), 15_000);
  };
  /** The board's part of App Home: the blocks between the header's context and the first divider. */
  const boardSection = (blocks: Block[]) =>
    blocks.slice(
      2,
      blocks.findIndex((b) => b.type === "divider"),
    );
  const sectionText = (blocks: Block[]) => blocks.map((b) => JSON.stringify(b)).join("\n");
  const boardMessages = () =>
    h.slack.messages({ channel: OPS_CHANNEL }).filter((m) => !m.thread_ts && m.text.startsWith("Ops board · prod"));

  it("with no board on record, App Home says it is reading one, then shows it", async () => {
    expect(await boardRuns()).toHaveLength(0);
    const home = await openHome(USERS.carol, (t) => t.includes("safe to cut over"));

    const [first] = homePublishes(USERS.carol);
    expect(sectionText(boardSection(publishedBlocks(first!)))).toContain("Ops board · prod* — no board on record yet; reading it now");
    const runs = await boardRuns();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.requestedBy).toBe(USERS.carol);
    expect(sectionText(boardSection(home.view.blocks as Block[]))).toContain("safe to cut over: *⛔ no*");
  });

  it("App Home's first section is the board as last read: verdicts with what blocks them, the checklist, the feeds", async () => {
    const home = await openHome(USERS.dave, (t) => t.includes("safe to cut over"));
    const blocks = home.view.blocks as Block[];
    expect(validateView(home.view)).toEqual([]);
    expect(blocks.length).toBeLessThanOrEqual(100);
    const board = boardSection(blocks);
    const [headline] = board;
    expect(headline!.text!.text).toBe("🛫 *Ops board · prod* — safe to cut over: *⛔ no*");
    expect(headline!.accessory).toMatchObject({ action_id: ACTION.showBoard, value: "prod" });
    const text = sectionText(board);
    // Per block, with what blocks it.
    expect(text).toContain(
      "⛔ no *dual-write* — Write-through mutations: Convex: blocked; Backfill &amp; reconciliation: Supabase: blocked",
    );
    // Each checklist step with its status and owner; each feed with its age or why it is unread.
    expect(text).toContain("*Cut-over checklist*");
    expect(text).toContain("🔴 *Backfill &amp; reconciliation* · Blocked · Owner: Ops");
    expect(text).toContain("*Telemetry feeds*");
    expect(text).toContain("*Feature flags*");
    // Opening App Home read nothing again.
    expect(await boardRuns()).toHaveLength(1);

    await h.slack.clickButton({ user: USERS.dave, viewId: home.id, actionId: ACTION.showBoard, value: "prod" });
    const modal = await h.slack.waitFor((s) => s.views({ user: USERS.dave, openOnly: true }).find((v) => v.type === "modal"), 10_000);
    expect(validateView(modal.view)).toEqual([]);
    const full = JSON.stringify(modal.view.blocks);
    for (const part of ["Cut-over checklist", "Telemetry feeds", "Backfill &amp; reconciliation"]) expect(full).toContain(part);
  });

  it("a checklist change from the console updates the channel's board message in place, once across two processes, and App Home shows it", async () => {
    await h.slack.sendEvent({
      type: "app_mention",
      channel: OPS_CHANNEL,
      user: USERS.carol,
      text: `<@${h.slack.identity.botUserId}> show me the ops board`,
    });
    const message = await h.slack.waitFor(() => boardMessages()[0], 15_000);
    expect(textOf(message)).toContain("Owner: Ops");
    const readings = (await boardRuns()).length;

    // The console's way: a typed request, planned, approved by someone else, run by the worker.
    const change = async (text: string) => {
      const submitted = await h.service.submitText(text, { user: USERS.dave, source: "console" });
      expect(submitted.kind).toBe("planned");
      const run = (submitted as { run: { id: string } }).run;
      await h.service.approve(run.id, USERS.alice);
      await eventually(async () => (await h.service.getRun(run.id))?.status === "succeeded", 15_000);
    };
    await change("assign step backfill to @dana");
    await h.slack.waitFor(
      () => textOf(message).includes(`Owner: @dana — Supabase: blocked · _updated 0 min ago by <@${USERS.dave}>_`),
      15_000,
    );
    expect(boardMessages()).toHaveLength(1);
    // The board was not read again: the stored reading, with the checklist as it stands now.
    expect(await boardRuns()).toHaveLength(readings);
    expect(textOf(message)).toContain("checklist as it stands now");

    // Once per change with two processes: both have looked at everything so far; the next change is sent once.
    await Promise.all(h.bots.map((bot) => bot.app.followBoard()));
    await change("assign step write-through mutations to @erin");
    await h.slack.waitFor(() => textOf(message).includes("Owner: @erin"), 15_000);
    await Promise.all(h.bots.map((bot) => bot.app.followBoard()));
    const updatesWithChange = h.slack
      .callsTo("chat.update")
      .filter((c) => (c.args as { ts?: string }).ts === message.ts && JSON.stringify(c.args).includes("@erin"));
    expect(updatesWithChange).toHaveLength(1);

    const home = await openHome(USERS.bob, (t) => t.includes("@dana"));
    expect(sectionText(boardSection(home.view.blocks as Block[]))).toContain(
      `🔴 *Backfill &amp; reconciliation* · Blocked · Owner: @dana · _updated 0 min ago by <@${USERS.dave}>_`,
    );
  });

  it("a board read in one channel updates the board message of every other channel", async () => {
    const OTHER = "C0OPS0002";
    h.slack.addChannel({ id: OTHER, name: "ops-two" });
    const mention = (channel: string) =>
      h.slack.sendEvent({
        type: "app_mention",
        channel,
        user: USERS.carol,
        text: `<@${h.slack.identity.botUserId}> show me the ops board`,
      });
    await mention(OTHER);
    const other = await h.slack.waitFor(
      (s) => s.messages({ channel: OTHER }).find((m) => !m.thread_ts && m.text.startsWith("Ops board · prod")),
      15_000,
    );
    const readings = (await boardRuns()).length;

    await mention(OPS_CHANNEL);
    const newest = await eventually(async () => {
      const runs = await boardRuns();
      return runs.length > readings ? runs.sort((a, b) => b.finishedAt!.getTime() - a.finishedAt!.getTime())[0] : undefined;
    }, 15_000);
    await h.slack.waitFor(() => textOf(other).includes(`by run \`${newest.id.slice(0, 8)}\``), 15_000);
    expect(h.slack.messages({ channel: OTHER }).filter((m) => !m.thread_ts && m.text.startsWith("Ops board"))).toHaveLength(1);
  });
});
