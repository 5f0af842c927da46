/**
 * What people read, checked as they would read it: through the real Bolt app and the loopback Slack
 * API server, every message, ephemeral reply, modal and App Home a deploy produces has no unrendered
 * template, no `@group` that notifies nobody, and states a failure's reason in one message only;
 * plans waiting for approval and prod outcomes show in the channel, read-only runs never; a failed
 * check offers Re-check instead of Approve. The rendered states of scripts/slack-states.ts (what
 * `npm run render:slack` screenshots) are held to the same rules and to Slack's limits.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { slackStates } from "../../scripts/slack-states.js";
import { AdapterError } from "../../src/errors.js";
import { ACTION, VIEW } from "../../src/slack/action-ids.js";
import { validateBlocks, validateView } from "../slack-server/slack-api-server.js";
import type { StoredMessage } from "../slack-server/types.js";
import {
  APPROVER_GROUP,
  closeSharedPglite,
  defaultBehaviours,
  eventually,
  findInThread,
  OPS_CHANNEL,
  startHarness,
  textOf,
  USERS,
  type Harness,
} from "./support/harness.js";

afterAll(closeSharedPglite);

/** Every string a person reads in a message or view: its notification text and each `text` in its blocks. */
function readable(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) readable(v, out);
  else if (value && typeof value === "object")
    for (const [key, v] of Object.entries(value)) {
      if (key === "text" && typeof v === "string") out.push(v);
      else readable(v, out);
    }
  return out;
}

const templates = (texts: readonly string[]) => texts.filter((t) => /\{\{|\{%/.test(t));
/** `@handle` outside Slack's `<…>` tokens: plain text Slack shows as is, notifying nobody. */
const deadMentions = (texts: readonly string[]) => texts.flatMap((t) => t.replace(/<[^>]*>/g, "").match(/(^|[\s(])@[\w.-]+/g) ?? []);

describe("messages people can act on", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ mode: "socket", reporter: { minUpdateIntervalMs: 100 } });
  });
  afterAll(() => h.close());
  afterEach(() => {
    h.behaviours.clear();
    for (const [uses, behaviour] of defaultBehaviours()) h.behaviours.set(uses, behaviour);
  });

  const mention = async (text: string, user: string = USERS.dave) => {
    const delivery = await h.slack.sendEvent({
      type: "app_mention",
      user,
      channel: OPS_CHANNEL,
      text: `<@${h.slack.identity.botUserId}> ${text}`,
    });
    return (delivery.payload.event as { ts: string }).ts;
  };
  const cardWith = (ts: string, needle: string) => h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, ts, needle), 10_000);
  const runOf = (card: StoredMessage) =>
    eventually(async () => (await h.service.listRuns({ limit: 50 })).find((r) => r.origin.messageTs === card.ts));
  const everythingShown = () => [
    ...h.slack.messages(OPS_CHANNEL).flatMap((m) => [m.text, ...readable(m.blocks)]),
    ...h.slack.ephemeralMessages().flatMap((e) => [e.text, ...readable(e.blocks)]),
    ...h.slack.views().flatMap((v) => readable(v.view)),
  ];

  it("a prod deploy's card, plan details, dry run, status, summary and App Home show no template and no dead @group; the card and the outcome show in the channel", async () => {
    const ts = await mention("deploy api to prod");
    const card = await cardWith(ts, ACTION.approve);
    const run = await runOf(card);
    // Not vacuous: the plan holds a value only known at run time.
    expect(JSON.stringify(run.plan.steps.map((s) => s.args))).toContain("{{ steps.dispatch.data.runId }}");
    expect(card.reply_broadcast).toBe(true);

    await h.slack.clickButton({ user: USERS.carol, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.details });
    const details = await h.slack.waitFor((s) => s.views({ user: USERS.carol }).find((v) => v.view.callback_id === VIEW.planDetails), 5000);
    const detailText = readable(details.view).join("\n");
    expect(detailText).toContain("Wait for the deploy workflow");
    expect(detailText).toContain("the run ID from “Start the deploy workflow”, read at run time");
    expect(validateView(details.view)).toEqual([]);
    await h.slack.clickButton({ user: USERS.carol, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.dryRun });
    await h.slack.waitFor((s) => s.ephemeralMessages({ user: USERS.carol }).find((e) => e.text.startsWith("Dry run")), 5000);

    await h.slack.clickButton({ user: USERS.bob, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.approve });
    const summary = await h.slack.waitFor(
      (s) => s.messages({ channel: OPS_CHANNEL, threadTs: ts }).find((m) => m.ts !== card.ts && m.text.includes("succeeded in")),
      10_000,
    );
    expect(summary.reply_broadcast).toBe(true);
    for (const user of [USERS.dave, USERS.bob]) {
      await h.slack.sendEvent({ type: "app_home_opened", user, channel: "D0HOME001", tab: "home" });
      await h.slack.waitFor((s) => s.views({ user }).find((v) => v.type === "home"), 5000);
    }

    const shown = everythingShown();
    expect(templates(shown)).toEqual([]);
    expect(deadMentions(shown)).toEqual([]);
  });

  it("a failure's reason is stated once in its thread, on the status; the summary calls the escalation group by its real mention", async () => {
    const reason = "GitHub answered 422: the workflow deploy.yml is disabled";
    h.behaviours.set("github.dispatchWorkflow", async () => {
      throw new AdapterError("github", "dispatchWorkflow", "ADAPTER_HTTP", reason);
    });
    const ts = await mention("deploy api to staging");
    const card = await cardWith(ts, ACTION.approve);
    await h.slack.clickButton({ user: USERS.alice, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.approve });
    const summary = await cardWith(ts, ACTION.retry);
    const thread = h.slack.messages({ channel: OPS_CHANNEL, threadTs: ts }).filter((m) => m.ts !== ts);
    expect(thread.filter((m) => textOf(m).includes(reason)).map((m) => m.ts)).toEqual([card.ts]);
    expect(textOf(summary)).toContain(`<!subteam^${APPROVER_GROUP}>`);
    expect(deadMentions(thread.flatMap((m) => [m.text, ...readable(m.blocks)]))).toEqual([]);
    // A staging plan waits in the channel's view too; its outcome stays in the thread.
    expect(card.reply_broadcast).toBe(true);
    expect(summary.reply_broadcast).toBeUndefined();
  });

  it("a read-only run is never broadcast", async () => {
    const ts = await mention("check dev status");
    const card = await h.slack.waitFor(
      (s) => s.messages({ channel: OPS_CHANNEL, threadTs: ts }).find((m) => m.text.startsWith("Health check")),
      10_000,
    );
    const summary = await h.slack.waitFor(
      (s) => s.messages({ channel: OPS_CHANNEL, threadTs: ts }).find((m) => m.ts !== card.ts && m.text.includes("succeeded")),
      10_000,
    );
    expect(card.reply_broadcast).toBeUndefined();
    expect(summary.reply_broadcast).toBeUndefined();
  });

  it("a failed check shows what to fix and Re-check instead of Approve; the service refuses a stale Approve; Re-check brings Approve back", async () => {
    h.behaviours.set("github.compareRefs", async () => {
      throw new AdapterError("github", "compareRefs", "ADAPTER_HTTP", "GitHub answered 502: bad gateway");
    });
    const ts = await mention("deploy api to staging");
    const card = await cardWith(ts, ACTION.recheck);
    expect(textOf(card)).toContain("❌ *Commits about to ship* — GitHub answered 502: bad gateway");
    expect(textOf(card)).not.toContain(ACTION.approve);
    const run = await runOf(card);

    // An Approve from anywhere else (App Home, an old copy of the card) is refused by the service.
    await h.slack.clickButton({
      user: USERS.alice,
      channel: OPS_CHANNEL,
      messageTs: card.ts,
      actionId: ACTION.approve,
      value: JSON.stringify({ r: run.id, h: run.planHash }),
    });
    const refusal = await h.slack.waitFor(
      (s) => s.ephemeralMessages({ user: USERS.alice }).find((e) => e.text.includes("can't approve")),
      5000,
    );
    expect(refusal.text).toContain("its check “Commits about to ship” failed");
    expect((await h.service.getRun(run.id))?.status).toBe("pending_approval");

    h.behaviours.set("github.compareRefs", defaultBehaviours().get("github.compareRefs")!);
    await h.slack.clickButton({ user: USERS.dave, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.recheck });
    await h.slack.waitFor(() => textOf(card).includes(ACTION.approve), 10_000);
    expect(textOf(card)).not.toContain("GitHub answered 502");
    expect(textOf(card)).toContain("a1b2c3d Fix retry budget");
  });

  it("App Home lists my own plan as mine, not as waiting for my approval; others see its risk and a link to its card, and no worker ids", async () => {
    const ts = await mention("deploy api to staging");
    const card = await cardWith(ts, ACTION.approve);
    const run = await runOf(card);
    const homeOf = async (user: string) => {
      const before = h.slack.views({ user }).find((v) => v.type === "home")?.hash;
      await h.slack.sendEvent({ type: "app_home_opened", user, channel: "D0HOME001", tab: "home" });
      const view = await h.slack.waitFor((s) => s.views({ user }).find((v) => v.type === "home" && v.hash !== before), 5000);
      return readable(view.view).join("\n");
    };
    const mine = await homeOf(USERS.dave);
    const waitingForDave = mine.slice(mine.indexOf("Waiting for your approval"), mine.indexOf("Your plans waiting for approval"));
    expect(waitingForDave).not.toContain("Deploy api → staging");
    expect(mine).toContain("*Your plans waiting for approval*");

    const theirs = await homeOf(USERS.alice);
    expect(theirs).toContain("_changes staging_");
    const link = `https://${h.slack.identity.teamDomain}.slack.com/archives/${OPS_CHANNEL}/p${card.ts.replace(".", "")}`;
    expect(theirs).toContain(`<${link}?thread_ts=${ts}&cid=${OPS_CHANNEL}|Open the plan>`);
    for (const worker of await h.store.listWorkers()) expect(theirs).not.toContain(worker.id);
    expect(run.status).toBe("pending_approval");
  });
});

describe("the rendered states (npm run render:slack)", () => {
  const states = slackStates(new Date("2026-05-01T14:02:00Z"));
  const surfaces = states.flatMap((s) =>
    s.surface === "thread"
      ? s.messages.map((m, i) => ({ name: `${s.name}#${i}`, blocks: m.blocks, text: m.text }))
      : [{ name: s.name, blocks: s.blocks, text: "" }],
  );

  it("covers the plan cards, the living status, the outcomes, the modal and App Home", () => {
    expect(states.map((s) => s.name)).toEqual(
      expect.arrayContaining([
        "plan-card-deploy",
        "plan-card-flag",
        "plan-card-migrate",
        "plan-card-rollback",
        "running-deploy",
        "failed-rollback",
        "cancelled",
        "app-home",
        "triage-summary",
        "plan-details",
      ]),
    );
  });

  it.each(surfaces.map((s) => [s.name, s] as const))(
    "%s: no template, no dead @group, one primary button, danger only with a confirm, within Slack's limits",
    (_name, s) => {
      const texts = [s.text, ...readable(s.blocks)];
      expect(templates(texts)).toEqual([]);
      expect(deadMentions(texts)).toEqual([]);
      for (const block of s.blocks.filter((b) => b.type === "actions")) {
        const buttons = (block.elements as { style?: string; confirm?: unknown }[]) ?? [];
        expect(buttons.filter((b) => b.style === "primary").length).toBeLessThanOrEqual(1);
        for (const b of buttons.filter((x) => x.style === "danger")) expect(b.confirm).toBeDefined();
      }
      expect(validateBlocks(s.blocks, "message")).toEqual([]);
    },
  );
});
