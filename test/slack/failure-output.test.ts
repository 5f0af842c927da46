/**
 * The output of a step that failed (a failing command's stderr, a failed deploy's log) is what the
 * people in the thread need most: it is posted there like any other artifact.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdapterFailure } from "../../adapters/shared/errors.js";
import { ACTION } from "../../src/slack/action-ids.js";
import { closeSharedPglite, findInThread, OPS_CHANNEL, startHarness, textOf, USERS, type Harness } from "./support/harness.js";

afterAll(closeSharedPglite);

describe("a deploy whose dispatch fails in Slack", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ mode: "socket", reporter: { minUpdateIntervalMs: 100 } });
  });
  afterAll(() => h.close());

  it("posts the failing step's log in the thread, next to the failure", async () => {
    const log = [...Array.from({ length: 40 }, (_, i) => `step ${i + 1}: ok`), "error: migration 0042 failed: relation users is locked"];
    let calls = 0;
    h.behaviours.set("github.dispatchWorkflow", async () => {
      // The dispatch fails; its rollback (the same action) succeeds.
      if (calls++ > 0) return { summary: "redeployed what was live" };
      throw new AdapterFailure("github", "dispatchWorkflow", "GITHUB_WORKFLOW_FAILED", "The deploy workflow failed at Run migrations.", {
        artifacts: [{ kind: "text", title: "Deploy log", filename: "deploy.log", content: log.join("\n") }],
      });
    });
    const delivery = await h.slack.sendEvent({
      type: "app_mention",
      user: USERS.dave,
      channel: OPS_CHANNEL,
      text: `<@${h.slack.identity.botUserId}> deploy api to staging`,
    });
    const ts = (delivery.payload.event as { ts: string }).ts;
    const card = await h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, ts, ACTION.approve), 10_000);
    await h.slack.clickButton({ user: USERS.alice, channel: OPS_CHANNEL, messageTs: card.ts, actionId: ACTION.approve });

    const file = await h.slack.waitFor((s) => s.files().find((f) => f.name === "deploy.log" && f.thread_ts === ts), 10_000);
    expect(file.content?.toString()).toContain("error: migration 0042 failed: relation users is locked");
    expect(findInThread(h.slack, OPS_CHANNEL, ts, "Deploy log")).toBeDefined();
    await h.slack.waitFor(() => textOf(card).includes("❌ *Failed*"), 10_000);
  });
});
