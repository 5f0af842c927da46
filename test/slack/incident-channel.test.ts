/**
 * An incident channel end to end, against the loopback Slack API: a report gets triage offered, the
 * triage's summary becomes the channel's one message kept up to date, its way-back buttons plan normal
 * runs that need approval, later runs are linked from it, and "timeline" uploads the postmortem draft.
 * The evidence adapters are fakes returning evidence in the one shape; report.triage is the real one.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChangeEvidence, SymptomEvidence } from "../../adapters/shared/evidence.js";
import { createReportAdapter } from "../../adapters/report/index.js";
import { ACTION } from "../../src/slack/action-ids.js";
import type { StoredMessage } from "../slack-server/slack-api-server.js";
import {
  closeSharedPglite,
  eventually,
  findInThread,
  FIXTURES,
  INCIDENT_CHANNEL,
  startHarness,
  textOf,
  USERS,
  type Harness,
} from "./support/harness.js";

afterAll(closeSharedPglite);

const MIN = 60_000;
const TYPE_ERROR = "TypeError: cannot read 'amount' of undefined";

describe("an incident channel", () => {
  let h: Harness;
  const T = Date.now() - 20 * MIN;
  const iso = (ms: number) => new Date(ms).toISOString();

  beforeAll(async () => {
    h = await startHarness({
      mode: "socket",
      runbooksDir: path.join(FIXTURES, "incident-runbooks"),
      reporter: { minUpdateIntervalMs: 100 },
    });
    const deploy = (at: number, sha: string, ref: string, state: string): ChangeEvidence => ({
      type: "change",
      kind: "deploy",
      service: "payments",
      env: "prod",
      at: iso(at),
      endedAt: state === "success" ? iso(at + MIN) : null,
      summary: `deploy of acme/payments@${sha.slice(0, 7)} (${ref}) to prod: ${state}`,
      source: "GitHub deployments",
      provider: "github",
      reached: true,
      state,
      ref,
      sha,
      repository: "acme/payments",
    });
    const errors: SymptomEvidence = {
      type: "symptom",
      kind: "errors",
      service: "payments",
      env: "prod",
      at: iso(T + 2 * MIN),
      summary: TYPE_ERROR,
      source: "logs",
      provider: "http",
      windowStart: iso(T - 40 * MIN),
      signature: { signature: TYPE_ERROR, count: 312, firstSeen: iso(T + 2 * MIN), lastSeen: iso(T + 19 * MIN), samples: [TYPE_ERROR] },
    };
    const health: SymptomEvidence = {
      type: "symptom",
      kind: "health",
      service: "payments",
      env: "prod",
      at: iso(Date.now()),
      summary: "payments unhealthy: 500",
      source: "health URLs",
      provider: "http",
      healthy: false,
      detail: "500 Internal Server Error in 12 ms",
    };
    h.behaviours.set("github.listDeployments", async () => ({
      summary: "2 deployments",
      data: {
        evidence: [
          deploy(T, "b84d88e7554fc1fa21bcbc4efae3c782a70d2b9e", "v1.4.1", "success"),
          deploy(T - 26 * 60 * MIN, "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d", "v1.4.0", "inactive"),
        ],
      },
    }));
    h.behaviours.set("http.fetchLogs", async () => ({ summary: "312 error lines", data: { evidence: [errors] } }));
    h.behaviours.set("http.checkAll", async () => ({ summary: "0 of 1 healthy", data: { evidence: [health] } }));
    const report = createReportAdapter();
    h.behaviours.set("report.triage", (args, ctx) => report.actions.triage!.run(args, ctx));
  });
  afterAll(() => h.close());

  const say = async (text: string, user: string = USERS.carol) => {
    const delivery = await h.slack.sendEvent({ type: "message", channel: INCIDENT_CHANNEL, user, text });
    return (delivery.payload.event as { ts: string }).ts;
  };
  const summaries = () =>
    h.slack.messages({ channel: INCIDENT_CHANNEL }).filter((m) => m.fromBot && !m.thread_ts && m.text.startsWith("Incident triage of"));
  const buttonsOf = (message: StoredMessage) =>
    (message.blocks as { block_id?: string; elements?: { action_id: string; text: { text: string } }[] }[]).find(
      (b) => b.block_id === "triage_way_back",
    )?.elements ?? [];

  it("keeps one triage summary with the way back as buttons, plans a rollback through approval, links later runs, and drafts the postmortem", async () => {
    const reportTs = await say("payments is throwing 500s in prod");
    const offer = await h.slack.waitFor((s) => findInThread(s, INCIDENT_CHANNEL, reportTs, `${ACTION.triage}.0`), 5000);
    await h.slack.clickButton({ user: USERS.carol, channel: INCIDENT_CHANNEL, messageTs: offer.ts, actionId: `${ACTION.triage}.0` });

    // The summary: a top-level message of its own, with the suspect, its evidence and the way back.
    const summary = await h.slack.waitFor(() => summaries()[0], 15_000);
    expect(textOf(summary)).toContain("*Likely suspect:* deploy of acme/payments@b84d88e (v1.4.1) to prod: success");
    expect(textOf(summary)).toContain(`${TYPE_ERROR}\` first seen`);
    expect(textOf(summary)).toContain("🔴 payments: 500 Internal Server Error in 12 ms");
    const labels = buttonsOf(summary).map((b) => b.text.text);
    expect(labels).toEqual(["Roll back payments in prod to a84d88e (v1.4.0)", "Run triage again"]);

    // The way back: a normal rollback plan of the ref that was live before, waiting for approval.
    const rollbackButton = buttonsOf(summary)[0]!;
    await Promise.all([
      h.slack.clickButton({ user: USERS.dave, channel: INCIDENT_CHANNEL, messageTs: summary.ts, actionId: rollbackButton.action_id }),
      h.slack.clickButton({ user: USERS.dave, channel: INCIDENT_CHANNEL, messageTs: summary.ts, actionId: rollbackButton.action_id }),
    ]);
    const rollback = await eventually(async () => (await h.service.listRuns({ limit: 50 })).find((r) => r.runbook === "rollback"), 10_000);
    expect(rollback).toMatchObject({
      status: "pending_approval",
      requestedBy: USERS.dave,
      params: { service: "payments", env: "prod", ref: "a84d88e7554f" },
    });
    expect((await h.service.listRuns({ limit: 50 })).filter((r) => r.runbook === "rollback")).toHaveLength(1);
    await h.slack.waitFor((s) => findInThread(s, INCIDENT_CHANNEL, summary.ts, ACTION.approve), 10_000);
    // …and the summary, updated in place, links it.
    await h.slack.waitFor(() => textOf(summary).includes("Runs in this channel since the first triage"), 10_000);
    const card = findInThread(h.slack, INCIDENT_CHANNEL, summary.ts, ACTION.approve)!;
    const link = `https://slack.com/archives/${INCIDENT_CHANNEL}/p${card.ts.replace(".", "")}`;
    await h.slack.waitFor(() => textOf(summary).includes(`<${link}|Roll back of payments in prod> — pending approval`), 10_000);

    // "timeline" in the channel: the postmortem draft, uploaded as a markdown file in its thread. A secret
    // pasted in the channel is kept out of it.
    await say(`the bot token is ${h.config.env.SLACK_BOT_TOKEN}, rotate it`);
    const askTs = await say("timeline");
    const file = await h.slack.waitFor((s) => s.files().find((f) => f.name.startsWith("postmortem-") && f.thread_ts === askTs), 10_000);
    const markdown = file.content?.toString("utf8") ?? "";
    for (const section of [
      "Summary",
      "Impact window",
      "Timeline",
      "Suspects",
      "Actions taken",
      "Owners and escalation",
      "Rollback",
      "Communication",
      "Open follow-ups",
    ]) {
      expect(markdown).toContain(`\n## ${section}\n`);
    }
    expect(markdown).toContain(`${USERS.carol} wrote: “payments is throwing 500s in prod”`);
    expect(markdown).toContain(`${USERS.carol} wrote: “the bot token is [REDACTED], rotate it”`);
    const stored = await h.store.incidents.listMessages(INCIDENT_CHANNEL, new Date(0), 100);
    expect(stored.map((m) => m.text)).toContain("the bot token is [REDACTED], rotate it");
    expect(markdown).toContain(`${USERS.dave} asked for Roll back of payments in prod (ref=a84d88e7554f)`);
    expect(markdown).toContain("- Service payments: owner payments");
    expect(markdown).toContain("- [ ] Roll back of payments is waiting for approval");
    expect(markdown).toContain(
      `- The triage summary, kept up to date as runs happen: https://slack.com/archives/${INCIDENT_CHANNEL}/p${summary.ts.replace(".", "")}`,
    );

    // Triage again: the same one message shows the newer triage.
    const again = buttonsOf(summary).find((b) => b.text.text === "Run triage again")!;
    await h.slack.clickButton({ user: USERS.carol, channel: INCIDENT_CHANNEL, messageTs: summary.ts, actionId: again.action_id });
    const triages = await eventually(async () => {
      const runs = (await h.service.listRuns({ limit: 50 })).filter((r) => r.runbook === "incident-triage" && r.status === "succeeded");
      return runs.length === 2 ? runs : undefined;
    }, 15_000);
    const newest = triages.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0]!;
    await h.slack.waitFor(() => textOf(summary).includes(`from triage run \`${newest.id.slice(0, 8)}\``), 15_000);
    expect(summaries()).toHaveLength(1);
  });
});
