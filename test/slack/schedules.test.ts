/**
 * Schedules and watches in Slack, against the loopback Slack API with the real Bolt app, worker and
 * executor (fake adapters): created, listed, approved and stopped from chat; an occurrence posts its run
 * card in the channel; a watch posts one alert when its check starts failing, with its next steps as
 * buttons, and Silence holds further alerts back. The scheduler runs on an injected clock.
 */
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startScheduler, type Scheduler } from "../../src/schedules/scheduler.js";
import { ACTION } from "../../src/slack/action-ids.js";
import type { Schedule } from "../../src/store/schedule-records.js";
import { closeSharedPglite, eventually, findInThread, OPS_CHANNEL, startHarness, textOf, USERS, type Harness } from "./support/harness.js";

afterAll(closeSharedPglite);

describe("schedules in Slack", () => {
  let h: Harness;
  let scheduler: Scheduler;
  let now = new Date();

  beforeAll(async () => {
    h = await startHarness({ mode: "socket", reporter: { minUpdateIntervalMs: 100 } });
    await h.db.query("TRUNCATE schedules CASCADE");
    scheduler = await startScheduler(
      {
        store: h.store,
        config: h.config,
        planRequest: (text) => h.service.planScheduledRequest(text),
        notifier: h.bots[0]!.app.scheduleNotifier,
        log: pino({ level: "silent" }),
        clock: () => now,
        owner: "test-scheduler",
      },
      { timers: false },
    );
  });
  afterAll(async () => {
    await scheduler?.stop();
    await h?.close();
  });

  const mention = async (text: string, user: string = USERS.dave) => {
    const delivery = await h.slack.sendEvent({
      type: "app_mention",
      user,
      channel: OPS_CHANNEL,
      text: `<@${h.slack.identity.botUserId}> ${text}`,
    });
    expect(delivery.acked).toBe(true);
    return (delivery.payload.event as { ts: string }).ts;
  };
  const reply = (ts: string, needle: string) => h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, ts, needle), 10_000);
  const scheduleFor = async (request: string): Promise<Schedule> =>
    eventually(async () => (await h.service.listSchedules()).find((s) => s.request === request));

  it("creates a schedule from a mention, posts each occurrence's run card in the channel, and lists and stops it", async () => {
    const ts = await mention("check prod status every 15 minutes");
    const created = await reply(ts, "Scheduled every 15 minutes");
    expect(textOf(created)).toContain("Health check in prod");
    const schedule = await scheduleFor("check prod status");
    expect(schedule).toMatchObject({ channel: OPS_CHANNEL, status: "active", createdBy: USERS.dave });

    now = new Date(schedule.nextAt!.getTime() + 5_000);
    expect(await scheduler.tick()).toMatchObject({ fired: 1 });
    // Once the occurrence's message is posted, the reporter records it on the run.
    const run = await eventually(async () =>
      (await h.service.listRuns({ limit: 20 })).find(
        (r) => (r.origin.schedule as { id?: string } | undefined)?.id === schedule.id && typeof r.origin.messageTs === "string",
      ),
    );
    // The run's card is the occurrence's message, kept up to date by the reporter until the run ends.
    const card = await h.slack.waitFor(
      (s) => s.messages({ channel: OPS_CHANNEL }).find((m) => m.ts === run.origin.messageTs && textOf(m).includes("Health check")),
      10_000,
    );
    await eventually(async () => (await h.service.getRun(run.id))?.status === "succeeded");
    expect(card.thread_ts).toBeUndefined(); // a message of its own in the channel, not a reply

    const listTs = await mention("list schedules");
    expect(textOf(await reply(listTs, "Schedules ("))).toContain("every 15 minutes: check prod status");
    const stopTs = await mention("stop schedule " + schedule.id.slice(0, 8));
    await reply(stopTs, "Stopped every 15 minutes");
    expect((await h.store.schedules.get(schedule.id))?.status).toBe("stopped");
  });

  it("holds a prod deploy schedule until an approver clicks Approve; a non-approver's click does not count", async () => {
    const ts = await mention("every day at 6am deploy api to prod");
    const created = await reply(ts, ACTION.approveSchedule);
    expect(textOf(created)).toContain("starts once approved");
    const schedule = await scheduleFor("deploy api to prod");
    expect(schedule.status).toBe("pending_approval");

    await h.slack.clickButton({ user: USERS.carol, channel: OPS_CHANNEL, messageTs: created.ts, actionId: ACTION.approveSchedule });
    await h.slack.waitFor((s) => s.ephemeralMessages({ user: USERS.carol }).some((e) => JSON.stringify(e).includes("can't approve")), 5000);
    expect((await h.store.schedules.get(schedule.id))?.status).toBe("pending_approval");

    await h.slack.clickButton({ user: USERS.alice, channel: OPS_CHANNEL, messageTs: created.ts, actionId: ACTION.approveSchedule });
    await reply(ts, "✅ Approved");
    expect(await h.store.schedules.get(schedule.id)).toMatchObject({ status: "active", approvedBy: [USERS.alice] });

    const stopTs = await mention("stop the 6am deploy");
    await reply(stopTs, "Stopped every day at 6:00");
  });

  it("posts one alert when a watched check starts failing, mentioning the on-call, with next steps as buttons; Silence is recorded and said in the thread", async () => {
    const ts = await mention("watch prod status every 5 minutes");
    await reply(ts, "only when its state changes");
    const schedule = await scheduleFor("prod status");
    h.behaviours.set("http.check", async () => {
      throw new Error("https://api.example.com/healthz answered 503");
    });
    let at = schedule.nextAt!.getTime() + 5_000;
    const reading = async () => {
      now = new Date(at);
      at += 5 * 60_000;
      expect((await scheduler.tick()).fired).toBe(1);
      const ran = await eventually(async () => {
        const runs = (await h.service.listRuns({ limit: 50 })).filter(
          (r) => (r.origin.schedule as { id?: string } | undefined)?.id === schedule.id,
        );
        return runs.length > 0 && runs.every((r) => r.status === "failed" || r.status === "succeeded") ? runs : undefined;
      }, 10_000);
      await scheduler.tick();
      return ran;
    };
    const alerts = () => h.slack.messages({ channel: OPS_CHANNEL }).filter((m) => m.text.includes("is Blocked"));
    await reading();
    expect(alerts()).toHaveLength(0); // one failure is not yet a change (confirm: 2)
    await reading();
    const alert = await h.slack.waitFor(() => alerts()[0], 5000);
    expect(alert.text).toContain("answered 503");
    expect(alert.text).toContain("Owner: <!subteam^S0ONCALL1>");
    const buttons = textOf(alert);
    expect(buttons).toContain("Open triage");
    expect(buttons).toContain("Show the board");
    expect(buttons).toContain(ACTION.silenceWatch);
    // No watch post while it stays broken; none for the app's own occurrence cards either.
    await reading();
    expect(alerts()).toHaveLength(1);

    await h.slack.clickButton({
      user: USERS.carol,
      channel: OPS_CHANNEL,
      messageTs: alert.ts,
      actionId: ACTION.silenceWatch,
      value: schedule.id,
    });
    await h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, alert.ts, "silenced this watch"), 5000);
    expect((await h.store.schedules.get(schedule.id))?.silencedUntil).not.toBeNull();
    h.behaviours.delete("http.check");
  });
});
