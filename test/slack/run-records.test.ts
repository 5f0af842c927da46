/** `/ops runs` and `/ops run <id>`: the audit trail in Slack, answered only to the person asking. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACTION } from "../../src/slack/action-ids.js";
import { closeSharedPglite, findInThread, OPS_CHANNEL, startHarness, textOf, USERS, type Harness } from "./support/harness.js";

afterAll(closeSharedPglite);

describe("run records from Slack", () => {
  let h: Harness;
  let runId: string;
  beforeAll(async () => {
    h = await startHarness({ mode: "socket", reporter: { minUpdateIntervalMs: 150 } });
    const delivery = await h.slack.sendEvent({
      type: "app_mention",
      user: USERS.dave,
      channel: OPS_CHANNEL,
      text: `<@${h.slack.identity.botUserId}> deploy api to staging`,
    });
    const ts = (delivery.payload.event as { ts: string }).ts;
    const card = await h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, ts, ACTION.approve), 10_000);
    await h.slack.clickButton({ user: USERS.alice, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.approve });
    await h.slack.waitFor(() => textOf(card).includes("Succeeded*"), 15_000);
    runId = (await h.service.listRuns({ limit: 1 }))[0]!.id;
  });
  afterAll(() => h.close());

  const ask = async (text: string) => {
    const before = h.slack.responses.length;
    await h.slack.sendSlashCommand({ command: "/ops", text, user_id: USERS.carol, channel_id: OPS_CHANNEL });
    return h.slack.waitFor(() => h.slack.responses.slice(before).find(Boolean), 10_000);
  };

  it("/ops run <id> shows the message that asked, the plan hash, who approved, the events and the outcome", async () => {
    const answer = JSON.stringify(await ask(`run ${runId.slice(0, 8)}`));
    expect(answer).toContain("deploy api to staging");
    expect(answer).toContain(`<@${USERS.alice}>`);
    expect(answer).toContain("run_succeeded");
    expect(answer).toContain("ephemeral");
  });

  it("/ops runs lists the latest runs with their ids", async () => {
    const answer = JSON.stringify(await ask("runs"));
    expect(answer).toContain(runId.slice(0, 8));
    expect(answer).toContain("succeeded");
  });
});
