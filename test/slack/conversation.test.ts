/**
 * Everything around the happy path: questions with choices, help and chit-chat, DMs, `/ops`, the
 * Edit form (a new plan hash voids earlier approvals), Dry run, Retry after a failure, incident
 * channels (triage offered, nothing run from a message), App Home, and that no secret gets out.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AdapterError } from "../../src/errors.js";
import { timeOfDay } from "../../src/service/time-text.js";
import { ACTION, VIEW } from "../../src/slack/action-ids.js";
import {
  APPROVER_GROUP,
  closeSharedPglite,
  eventually,
  findInThread,
  INCIDENT_CHANNEL,
  OPS_CHANNEL,
  startHarness,
  textOf,
  USERS,
  type Harness,
} from "./support/harness.js";

afterAll(closeSharedPglite);

describe("conversations with opsroom in Slack", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ mode: "socket", reporter: { minUpdateIntervalMs: 100 } });
  });
  afterAll(() => h.close());
  afterEach(() => {
    h.behaviours.delete("github.dispatchWorkflow.fail");
  });

  const mention = async (text: string, user: string = USERS.dave, channel = OPS_CHANNEL) => {
    const delivery = await h.slack.sendEvent({ type: "app_mention", user, channel, text: `<@${h.slack.identity.botUserId}> ${text}` });
    expect(delivery.acked).toBe(true);
    return (delivery.payload.event as { ts: string }).ts;
  };
  const card = (ts: string, channel = OPS_CHANNEL) => h.slack.waitFor((s) => findInThread(s, channel, ts, "Requested by <@"), 10_000);
  /** A plan card once it can be approved (its preflight is in). */
  const approvable = (ts: string) => h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, ts, ACTION.approve), 10_000);

  it("asks for a missing param with its choices as buttons, and the picked choice turns the question into the plan card", async () => {
    const ts = await mention("deploy api");
    const question = await h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, ts, `${ACTION.pick}.`), 5000);
    expect(textOf(question)).toContain('"text":"staging"');
    expect(textOf(question)).toContain("Fill in a form");
    const choices = (
      question.blocks?.find((b) => (b as { block_id?: string }).block_id === "question_choices") as {
        elements: { action_id: string; text: { text: string } }[];
      }
    ).elements;
    const staging = choices.find((e) => e.text.text === "staging")!;
    await Promise.all([
      h.slack.clickButton({ user: USERS.dave, channel: OPS_CHANNEL, messageTs: question.ts, actionId: staging.action_id }),
      h.slack.clickButton({ user: USERS.dave, channel: OPS_CHANNEL, messageTs: question.ts, actionId: staging.action_id }),
    ]);
    await h.slack.waitFor(() => textOf(question).includes(ACTION.approve), 5000);
    expect(textOf(question)).toContain("Deploy api → staging");
    await eventually(async () => (await h.service.listRuns({ limit: 20 })).some((r) => r.origin.messageTs === question.ts));
    expect((await h.service.listRuns({ limit: 20 })).filter((r) => r.runbook === "deploy" && r.origin.threadTs === ts)).toHaveLength(1);
  });

  it("answers help and chit-chat addressed to it, in DMs too, never with silence", async () => {
    const ts = await mention("");
    await h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, ts, "Here's what I can do"), 5000);
    const dm = await h.slack.sendEvent({
      type: "message",
      channel: "D0DAVE001",
      channel_type: "im",
      user: USERS.dave,
      text: "how was your weekend?",
    });
    const dmTs = (dm.payload.event as { ts: string }).ts;
    const reply = await h.slack.waitFor((s) => findInThread(s, "D0DAVE001", dmTs, "didn't find a command"), 5000);
    expect(reply.text).toContain("`help`");
    const planned = await h.slack.sendEvent({
      type: "message",
      channel: "D0DAVE001",
      channel_type: "im",
      user: USERS.dave,
      text: "deploy payments to staging",
    });
    await card((planned.payload.event as { ts: string }).ts, "D0DAVE001");
  });

  it("/ops posts the card in the channel, and answers questions and help only to the person who typed it", async () => {
    const planned = await h.slack.sendSlashCommand({
      command: "/ops",
      text: "deploy api to staging",
      user_id: USERS.dave,
      channel_id: OPS_CHANNEL,
    });
    expect(planned.acked).toBe(true);
    const top = await h.slack.waitFor((s) => s.messages(OPS_CHANNEL).find((m) => !m.thread_ts && textOf(m).includes(ACTION.approve)), 5000);
    expect(top.text).toContain("Deploy api → staging");

    await h.slack.sendSlashCommand({ command: "/ops", text: "", user_id: USERS.carol, channel_id: OPS_CHANNEL });
    await h.slack.waitFor((s) => s.ephemeralMessages({ user: USERS.carol }).find((e) => e.text.includes("Here's what I can do")), 5000);

    await h.slack.sendSlashCommand({ command: "/ops", text: "deploy payments", user_id: USERS.carol, channel_id: OPS_CHANNEL });
    const question = await h.slack.waitFor(
      (s) => s.ephemeralMessages({ user: USERS.carol }).find((e) => JSON.stringify(e.blocks ?? []).includes(ACTION.pick)),
      5000,
    );
    const prodChoice = (
      question.blocks?.find((b) => (b as { block_id?: string }).block_id === "question_choices") as {
        elements: { action_id: string; text: { text: string } }[];
      }
    ).elements.find((e) => e.text.text === "prod")!;
    await h.slack.clickButton({ user: USERS.carol, channel: OPS_CHANNEL, messageTs: question.ts, actionId: prodChoice.action_id });
    await h.slack.waitFor((s) => s.messages(OPS_CHANNEL).find((m) => !m.thread_ts && m.text.startsWith("Deploy payments → prod")), 5000);
    await h.slack.waitFor(() => question.text.includes("the card is in the channel"), 5000);
  });

  it("Edit opens a form from the runbook's params; saving makes a new plan whose hash voids the earlier approval", async () => {
    const ts = await mention("deploy api to dev");
    const first = await approvable(ts);
    await h.slack.clickButton({ user: USERS.alice, channel: OPS_CHANNEL, messageTs: first.ts, actionId: ACTION.approve });
    await h.slack.waitFor(() => textOf(first).includes("*Needs 2 approvals* (1 given)"), 5000);

    await h.slack.clickButton({ user: USERS.dave, channel: OPS_CHANNEL, messageTs: first.ts, actionId: ACTION.edit });
    const form = await h.slack.waitFor(
      (s) => s.views({ user: USERS.dave, openOnly: true }).find((v) => v.view.callback_id === VIEW.planForm),
      5000,
    );
    const blockIds = (form.view.blocks as { block_id: string }[]).map((b) => b.block_id);
    expect(blockIds).toEqual(expect.arrayContaining(["param:service", "param:env", "param:ref", "param:at"]));

    const bad = await h.slack.submitView({
      viewId: form.id,
      values: {
        "param:service": { value: { type: "static_select", selected_option: { value: "api" } } },
        "param:env": { value: { type: "static_select", selected_option: { value: "dev" } } },
        "param:at": { value: "no idea when" },
      },
    });
    expect(bad.responseAction).toBe("errors");
    expect(JSON.stringify(bad.errors)).toContain("param:at");

    await h.slack.submitView({
      viewId: form.id,
      values: {
        "param:service": { value: { type: "static_select", selected_option: { value: "api" } } },
        "param:env": { value: { type: "static_select", selected_option: { value: "dev" } } },
        "param:ref": { value: "v2.0.1" },
      },
    });
    const second = await h.slack.waitFor(
      (s) =>
        s
          .messages({ channel: OPS_CHANNEL, threadTs: ts })
          .find((m) => m.ts !== first.ts && textOf(m).includes("approvals of the earlier plan are void")),
      5000,
    );
    expect(textOf(second)).toContain("v2.0.1");
    expect(textOf(second)).toContain("*Needs 2 approvals* from");
    expect(textOf(second)).not.toContain("given)");
    await h.slack.waitFor(() => textOf(first).includes(`Replaced* by an edited plan from <@${USERS.dave}> — not run`), 5000);

    // The earlier approval cannot start anything: the old plan is gone, its buttons say so.
    await h.slack
      .clickButton({ user: USERS.bob, channel: OPS_CHANNEL, messageTs: first.ts, actionId: ACTION.approve })
      .catch(() => undefined);
    const newRun = await eventually(async () => (await h.service.listRuns({ limit: 20 })).find((r) => r.origin.messageTs === second.ts));
    expect(newRun.status).toBe("pending_approval");
    expect(await h.service.listApprovals(newRun.id)).toHaveLength(0);
  });

  it("a scheduled run shows its time once approved and can be cancelled until then", async () => {
    const ts = await mention("deploy payments to staging");
    const first = await approvable(ts);
    await h.slack.clickButton({ user: USERS.dave, channel: OPS_CHANNEL, messageTs: first.ts, actionId: ACTION.edit });
    const form = await h.slack.waitFor(
      (s) => s.views({ user: USERS.dave, openOnly: true }).find((v) => v.view.callback_id === VIEW.planForm),
      5000,
    );
    const at = new Date(Date.now() + 2 * 3600_000).toISOString();
    await h.slack.submitView({
      viewId: form.id,
      values: {
        "param:service": { value: { type: "static_select", selected_option: { value: "payments" } } },
        "param:env": { value: { type: "static_select", selected_option: { value: "staging" } } },
        "param:at": { value: at },
      },
    });
    const scheduled = await h.slack.waitFor(
      (s) => s.messages({ channel: OPS_CHANNEL, threadTs: ts }).find((m) => m.ts !== first.ts && textOf(m).includes(ACTION.approve)),
      5000,
    );
    await h.slack.clickButton({ user: USERS.bob, channel: OPS_CHANNEL, messageTs: scheduled.ts, actionId: ACTION.approve });
    await h.slack.waitFor(() => textOf(scheduled).includes("Scheduled*") && textOf(scheduled).includes(ACTION.cancel), 5000);
    // One format, in the config's zone.
    expect(textOf(scheduled)).toContain(`Scheduled* for ${timeOfDay(new Date(at), "UTC", new Date())}`);
    await h.slack.clickButton({ user: USERS.dave, channel: OPS_CHANNEL, messageTs: scheduled.ts, actionId: ACTION.cancel });
    await h.slack.waitFor(() => textOf(scheduled).includes("before it started — not run"), 5000);
  });

  it("Dry run shows the clicker every call the plan would make and makes none", async () => {
    const ts = await mention("deploy api to staging");
    const planned = await approvable(ts);
    await h.slack.clickButton({ user: USERS.carol, channel: OPS_CHANNEL, messageTs: planned.ts, actionId: ACTION.dryRun });
    const dry = await h.slack.waitFor((s) => s.ephemeralMessages({ user: USERS.carol }).find((e) => e.text.startsWith("Dry run")), 5000);
    expect(JSON.stringify(dry.blocks)).toContain("POST https://fake.example/github.dispatchWorkflow");
    expect(JSON.stringify(dry.blocks)).toContain("nothing was called");
  });

  it("a failed run states its reason once, on the status; the short summary mentions the escalation group for real, with Plan it again", async () => {
    const reason = "GitHub answered 422: workflow deploy.yml has no workflow_dispatch trigger";
    h.behaviours.set("github.dispatchWorkflow", async () => {
      throw new AdapterError("github", "dispatchWorkflow", "ADAPTER_HTTP", reason);
    });
    try {
      const ts = await mention("deploy payments to staging");
      const planned = await approvable(ts);
      await h.slack.clickButton({ user: USERS.alice, channel: OPS_CHANNEL, messageTs: planned.ts, actionId: ACTION.approve });
      const summary = await h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, ts, ACTION.retry), 10_000);
      await h.slack.waitFor(() => textOf(planned).includes("❌ *Failed*"), 5000);
      // The status says where and why; the summary where, what was rolled back and who to call.
      expect(textOf(planned)).toContain(`❌ *Start the deploy workflow* — ${reason}`);
      expect(textOf(summary)).toContain("failed at *Start the deploy workflow*");
      // The rollback dispatches the same workflow, so it fails too, and the summary says so.
      expect(textOf(summary)).toContain("The rollback failed at *Redeploy the previous ref*");
      expect(textOf(summary)).toContain(`<!subteam^${APPROVER_GROUP}>`);
      expect(textOf(summary)).toContain("Plan it again");
      const thread = h.slack.messages({ channel: OPS_CHANNEL, threadTs: ts }).filter((m) => m.ts !== ts);
      expect(thread.filter((m) => textOf(m).includes("no workflow_dispatch trigger")).map((m) => m.ts)).toEqual([planned.ts]);

      await h.slack.clickButton({ user: USERS.dave, channel: OPS_CHANNEL, messageTs: summary.ts, actionId: ACTION.retry });
      // A new plan: a mutating runbook needs approval again.
      const retried = await h.slack.waitFor(
        (s) =>
          s
            .messages({ channel: OPS_CHANNEL, threadTs: ts })
            .find((m) => textOf(m).includes("Retry of run") && textOf(m).includes(ACTION.approve)),
        5000,
      );
      expect(textOf(retried)).toContain("*Needs 1 approval*");
    } finally {
      h.behaviours.set("github.dispatchWorkflow", async (args) => ({ summary: `workflow ${String(args.workflow)} dispatched` }));
    }
  });

  it("in an incident channel offers read-only triage as buttons, runs nothing from the message, and runs what is clicked", async () => {
    const before = (await h.service.listRuns({ limit: 100 })).length;
    const chatter = await h.slack.sendEvent({
      type: "message",
      channel: INCIDENT_CHANNEL,
      user: USERS.carol,
      text: "anyone up for lunch?",
    });
    const report = await h.slack.sendEvent({
      type: "message",
      channel: INCIDENT_CHANNEL,
      user: USERS.carol,
      text: "payments is down in prod, customers see 500s",
    });
    const elsewhere = await h.slack.sendEvent({
      type: "message",
      channel: OPS_CHANNEL,
      user: USERS.carol,
      text: "payments is down in prod, customers see 500s",
    });
    const reportTs = (report.payload.event as { ts: string }).ts;
    const offer = await h.slack.waitFor((s) => findInThread(s, INCIDENT_CHANNEL, reportTs, `${ACTION.triage}.0`), 5000);
    expect(textOf(offer)).toContain("Incident triage");
    expect(textOf(offer)).toContain("read-only");
    expect((await h.service.listRuns({ limit: 100 })).length).toBe(before);
    expect(h.slack.messages({ channel: INCIDENT_CHANNEL, threadTs: (chatter.payload.event as { ts: string }).ts })).toHaveLength(0);
    expect(h.slack.messages({ channel: OPS_CHANNEL, threadTs: (elsewhere.payload.event as { ts: string }).ts })).toHaveLength(0);

    await h.slack.clickButton({ user: USERS.carol, channel: INCIDENT_CHANNEL, messageTs: offer.ts, actionId: `${ACTION.triage}.0` });
    const triage = await h.slack.waitFor(
      (s) => s.messages({ channel: INCIDENT_CHANNEL, threadTs: reportTs }).find((m) => m.text.startsWith("Incident triage")),
      5000,
    );
    expect(textOf(triage)).toContain("read-only");
    await h.slack.waitFor(() => textOf(triage).includes("✅ *Succeeded*"), 10_000);
    await h.slack.waitFor(
      (s) => s.messages({ channel: INCIDENT_CHANNEL, threadTs: reportTs }).find((m) => m.ts !== triage.ts && m.text.includes("succeeded")),
      10_000,
    );
  });

  it("App Home lists my pending approvals, the queue, recent runs and worker health, and approves from there", async () => {
    const ts = await mention("deploy api to staging");
    const planned = await approvable(ts);
    await h.slack.sendEvent({ type: "app_home_opened", user: USERS.bob, channel: "D0BOB0001", tab: "home" });
    const home = await h.slack.waitFor((s) => s.views({ user: USERS.bob }).find((v) => v.type === "home"), 5000);
    const text = JSON.stringify(home.view.blocks);
    for (const heading of ["Waiting for your approval", "Running", "Queued", "Scheduled", "Recent", "Workers"])
      expect(text).toContain(heading);
    expect(text).toContain("🟢");
    expect(text).toContain(ACTION.approve);

    const runId = (await eventually(async () => (await h.service.listRuns({ limit: 20 })).find((r) => r.origin.messageTs === planned.ts)))
      .id;
    const approve = (home.view.blocks as { type: string; elements?: { action_id: string; value: string }[] }[])
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === ACTION.approve && e.value.includes(runId));
    expect(approve).toBeDefined();
    await h.slack.clickButton({ user: USERS.bob, viewId: home.id, actionId: ACTION.approve, value: approve!.value });
    await h.slack.waitFor(() => textOf(planned).includes("Approved by <@U0BOB0001>"), 10_000);
  });
});

/**
 * No known secret reaches Slack (messages, ephemerals, views, uploaded files, any call's arguments)
 * or the logs, whether it comes from a person's input, an adapter's output or an error message.
 */
const GITHUB_TOKEN = `ghp_${"A1b2C3d4E5".repeat(4)}`;

describe("secrets in the Slack front end", () => {
  let h: Harness;
  const logs: string[] = [];
  beforeAll(async () => {
    h = await startHarness({ mode: "socket", logLines: logs, reporter: { minUpdateIntervalMs: 100 } });
  });
  afterAll(() => h.close());

  it("never shows a token: not from a form, an adapter's artifact, nor a failure message", async () => {
    const botToken = h.slack.botToken;
    h.behaviours.set("github.compareRefs", async () => ({
      summary: `compared with token ${botToken}`,
      artifacts: [
        { kind: "text", title: "Raw response", content: `authorization: Bearer ${GITHUB_TOKEN}\n${"line\n".repeat(40)}token=${botToken}` },
      ],
    }));
    h.behaviours.set("github.dispatchWorkflow", async () => {
      throw new Error(`422 from https://x-access-token:${GITHUB_TOKEN}@github.com with ${botToken}`);
    });

    const delivery = await h.slack.sendEvent({
      type: "app_mention",
      user: USERS.dave,
      channel: OPS_CHANNEL,
      text: `<@${h.slack.identity.botUserId}> deploy api to staging ${GITHUB_TOKEN}`,
    });
    const ts = (delivery.payload.event as { ts: string }).ts;
    const first = await h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, ts, ACTION.edit), 10_000);
    await h.slack.clickButton({ user: USERS.dave, channel: OPS_CHANNEL, messageTs: first.ts, actionId: ACTION.edit });
    const form = await h.slack.waitFor(
      (s) => s.views({ user: USERS.dave, openOnly: true }).find((v) => v.view.callback_id === VIEW.planForm),
      5000,
    );
    await h.slack.submitView({
      viewId: form.id,
      values: {
        "param:service": { value: { type: "static_select", selected_option: { value: "api" } } },
        "param:env": { value: { type: "static_select", selected_option: { value: "staging" } } },
        "param:ref": { value: `main-${botToken}` },
      },
    });
    const edited = await h.slack.waitFor(
      (s) =>
        s
          .messages({ channel: OPS_CHANNEL, threadTs: ts })
          .find((m) => textOf(m).includes("earlier plan are void") && textOf(m).includes(ACTION.approve)),
      5000,
    );
    expect(textOf(edited)).toContain("[REDACTED]");
    await h.slack.clickButton({ user: USERS.carol, channel: OPS_CHANNEL, messageTs: edited.ts, actionId: ACTION.dryRun });
    await h.slack.waitFor((s) => s.ephemeralMessages({ user: USERS.carol }).length > 0, 5000);
    await h.slack.clickButton({ user: USERS.alice, channel: OPS_CHANNEL, messageTs: edited.ts, actionId: ACTION.approve });
    await h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, ts, ACTION.retry), 10_000);

    const everything = JSON.stringify({
      messages: h.slack.messages({ includeDeleted: true }),
      ephemerals: h.slack.ephemeralMessages(),
      // What the person typed into the form is theirs (the view's `state`); what opsroom sent is checked.
      views: h.slack.views().map((v) => ({ ...v, view: { ...v.view, state: undefined } })),
      files: h.slack.files().map((f) => ({ ...f, content: f.content?.toString() })),
      responses: h.slack.responses,
      args: h.slack.calls.map((c) => c.args),
    });
    for (const secret of [botToken, h.slack.appToken, GITHUB_TOKEN]) {
      expect(everything).not.toContain(secret);
      expect(logs.filter((l) => l.includes(secret))).toEqual([]);
    }
    expect(everything).toContain("[REDACTED]");
  });
});
