import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../src/config/load-config.js";
import { renderOutcomeText } from "../../src/console/render-text.js";
import { buildPlan } from "../../src/planner/build-plan.js";
import { loadRunbooks } from "../../src/runbook/load-runbooks.js";
import { previewRunOf } from "../../src/slack/render-plan-card.js";
import { renderSummary } from "../../src/slack/render-replies.js";
import { progressFromEvents, statusLine } from "../../src/slack/render-run-status.js";
import type { Run } from "../../src/store/types.js";
import { FIXTURES } from "./support/harness.js";

const config = loadConfigFile(path.join(FIXTURES, "opsroom.yml"), {});
const deploy = loadRunbooks(path.join(FIXTURES, "runbooks")).find((r) => r.id === "deploy")!;
const NOW = new Date("2026-05-01T14:02:00Z");

/** A deploy whose worker died while its dispatch step was changing things (as the reaper records it). */
function lostMidChange(): Run {
  const plan = buildPlan({ runbook: deploy, params: { service: "api", env: "prod" } }, config);
  const error =
    "worker lost: host:1 stopped heartbeating while step `dispatch` (github.dispatchWorkflow) was changing things; it may be half done. Outcome unknown — check what dispatch changed before running it again";
  return {
    ...previewRunOf(plan, "U0DAVE001", NOW),
    id: "9f1c2b3a-0000-4000-8000-000000000001",
    status: "failed",
    startedAt: new Date(NOW.getTime() - 60_000),
    finishedAt: NOW,
    failedStep: "dispatch",
    error,
    summary: error,
    outcomeUnknown: true,
  };
}

describe("a run whose outcome is unknown", () => {
  it("is not shown as a plain failure: the card, the summary and the console say to check what it changed", () => {
    const run = lostMidChange();
    expect(statusLine(run, progressFromEvents([], run.plan), NOW, "UTC")).toBe(
      "❓ *Outcome unknown* at `dispatch` — check what it changed before running it again",
    );
    expect(
      renderSummary({ run, progress: progressFromEvents([], run.plan), links: [], escalation: "@oncall", canRetry: true }).text,
    ).toMatch(/^❓ .*outcome unknown.* — check what it changed before running it again\.$/);
    expect(renderOutcomeText(run)).toMatch(/^\? outcome unknown \(failed\): worker lost: .*it may be half done\./);
  });
});
