/**
 * Block Kit renderings against Slack's limits (50 blocks a message, 100 a view, 3,000 characters a
 * section), checked with the loopback server's validator, which answers like Slack does.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildPlan } from "../../src/planner/build-plan.js";
import type { Plan, PlannedStep } from "../../src/planner/plan.js";
import type { PreflightResult } from "../../src/executor/run-preflight.js";
import type { RunDescription } from "../../src/service/chat-use-cases.js";
import { approveBlockOf, preflightStateOf } from "../../src/service/plan-preflight.js";
import { paramFields } from "../../src/service/param-fields.js";
import { ACTION, decodeDraft } from "../../src/slack/action-ids.js";
import { renderAppHome } from "../../src/slack/render-app-home.js";
import { renderBoardModal } from "../../src/slack/render-board-modal.js";
import type { OpsBoardView } from "../../src/service/board-use-cases.js";
import type { BoardItem } from "../../adapters/report/ops-board.js";
import { previewRunOf, renderRunCard } from "../../src/slack/render-plan-card.js";
import { renderPlanDetails } from "../../src/slack/render-plan-details.js";
import { renderPlanForm } from "../../src/slack/render-plan-form.js";
import { renderArtifact, renderDryRun, renderQuestion, renderSummary, renderTriageOffer } from "../../src/slack/render-replies.js";
import { progressFromEvents } from "../../src/slack/render-run-status.js";
import type { Run, RunEvent, StoredArtifact } from "../../src/store/types.js";
import { validateBlocks, validateView } from "../slack-server/slack-api-server.js";
import { FIXTURES } from "./support/harness.js";
import { loadConfigFile } from "../../src/config/load-config.js";
import { loadRunbooks } from "../../src/runbook/load-runbooks.js";

const config = loadConfigFile(path.join(FIXTURES, "opsroom.yml"), {});
const runbooks = loadRunbooks(path.join(FIXTURES, "runbooks"));
const deploy = runbooks.find((r) => r.id === "deploy")!;
const NOW = new Date("2026-05-01T14:02:00Z");

/** A pending run recorded for the plan: the preview run plus what recording adds (id, origin, key). */
function runOf(plan: Plan, overrides: Partial<Run> = {}): Run {
  return {
    ...previewRunOf(plan, "U0DAVE001", NOW),
    id: "9f1c2b3a-0000-4000-8000-000000000001",
    status: "pending_approval",
    origin: { channel: "C0OPS0001", threadTs: "1.000001", messageTs: "1.000002" },
    idempotencyKey: "slack:Ev1",
    runAt: NOW,
    expiresAt: new Date(NOW.getTime() + 30 * 60_000),
    ...overrides,
  };
}

/** The description the service gives, from the same rules (preflight state, whether Approve may be offered). */
function describeRun(run: Run, events: readonly RunEvent[] = [], now = NOW): RunDescription {
  const preflight = preflightStateOf(run, events, now);
  const block = approveBlockOf(run, preflight, now);
  return {
    run,
    approvals: [],
    approvalsCounted: 0,
    confirmApprove: run.env === "prod",
    canEdit: run.status === "pending_approval",
    canCancel: run.status === "running",
    canRetry: run.status === "failed",
    preflight,
    canApprove: block === undefined,
    ...(block ? { approveBlock: block } : {}),
  };
}

const preflightDone = (result: PreflightResult) => ({ preflight: { afterEventId: 0, startedAt: NOW.toISOString(), result } });

/** A plan with far more steps, and far longer args, than any card can show. */
function hugePlan(): Plan {
  const plan = buildPlan({ runbook: deploy, params: { service: "api", env: "prod" } }, config);
  const step = (i: number): PlannedStep => ({
    ...plan.steps[0]!,
    id: `step-${i}`,
    description: `Step number ${i} ${"x".repeat(200)}`,
    args: { payload: "y".repeat(5000), i },
  });
  return { ...plan, steps: Array.from({ length: 120 }, (_, i) => step(i)), rollback: Array.from({ length: 40 }, (_, i) => step(1000 + i)) };
}

const event = (id: number, kind: RunEvent["kind"], extra: Partial<RunEvent> = {}): RunEvent => ({
  id,
  runId: "r",
  at: new Date(NOW.getTime() + id * 1000),
  kind,
  phase: null,
  stepId: null,
  message: "",
  data: {},
  ...extra,
});

describe("Block Kit renderings", () => {
  it("keeps a plan card of a huge plan within 50 blocks and 3,000 characters a section, and Slack accepts it", () => {
    const plan = hugePlan();
    const artifacts: StoredArtifact[] = [
      {
        id: 1,
        runId: "r",
        stepId: "changes",
        kind: "diff",
        title: "Commits",
        content: "z".repeat(50_000),
        url: null,
        filename: null,
        createdAt: NOW,
      },
    ];
    const run = runOf(plan, {
      origin: { channel: "C0OPS0001", messageTs: "1.000002", ...preflightDone({ ok: true, summaries: ["3 commits to ship"] }) },
    });
    const card = renderRunCard({ description: describeRun(run), events: [], artifacts, now: NOW, timeZone: "UTC" });
    expect(card.blocks.length).toBeLessThanOrEqual(50);
    expect(validateBlocks(card.blocks, "message")).toEqual([]);
    // Prod asks for a confirmation before approving.
    expect(JSON.stringify(card.blocks)).toContain("Approve in prod?");
    // The steps are in the Plan details modal, which keeps to a view's 100 blocks.
    const details = renderPlanDetails(run, "UTC", NOW);
    expect(validateView(details)).toEqual([]);
    expect(JSON.stringify(details)).toContain("Dry run* lists every call");
  });

  it("links the run's Runboard page from the card when the Runboard has a public URL", () => {
    const plan = buildPlan({ runbook: deploy, params: { service: "api", env: "staging" } }, config);
    const viewUrl = "https://ops.example.com/runboard/runs/7b0c?t=1767859200.sig";
    const card = renderRunCard({ description: describeRun(runOf(plan)), events: [], artifacts: [], now: NOW, timeZone: "UTC", viewUrl });
    expect(validateBlocks(card.blocks, "message")).toEqual([]);
    expect(JSON.stringify(card.blocks[1])).toContain(`<${viewUrl}|View run>`);
    const without = renderRunCard({ description: describeRun(runOf(plan)), events: [], artifacts: [], now: NOW, timeZone: "UTC" });
    expect(JSON.stringify(without.blocks)).not.toContain("View run");
  });

  it("shows Approve only once the checks are in, Re-check instead of Approve when one failed, and stops waiting for checks that never report", () => {
    const plan = buildPlan({ runbook: deploy, params: { service: "api", env: "staging" } }, config);
    const waiting = renderRunCard({ description: describeRun(runOf(plan)), events: [], artifacts: [], now: NOW, timeZone: "UTC" });
    expect(JSON.stringify(waiting.blocks)).not.toContain(ACTION.approve);
    expect(JSON.stringify(waiting.blocks)).toContain("Checking the plan");
    // Never "checking" and "waiting for approval" as two states at once.
    expect(JSON.stringify(waiting.blocks)).not.toContain("Waiting for approval");
    const late = new Date(NOW.getTime() + 60_000);
    const overdue = renderRunCard({
      description: describeRun(runOf(plan), [], late),
      events: [],
      artifacts: [],
      now: late,
      timeZone: "UTC",
    });
    expect(JSON.stringify(overdue.blocks)).toContain(ACTION.approve);
    expect(JSON.stringify(overdue.blocks)).toContain("did not report back");
    const failed = renderRunCard({
      description: describeRun(
        runOf(plan, { origin: preflightDone({ ok: false, stepId: "credentials", reason: "Missing setting: GITHUB_TOKEN" }) }),
      ),
      events: [],
      artifacts: [],
      now: NOW,
      timeZone: "UTC",
    });
    const text = JSON.stringify(failed.blocks);
    expect(text).toContain("❌ *Credentials* — Missing setting: GITHUB_TOKEN");
    expect(text).not.toContain(ACTION.approve);
    expect(text).toContain(ACTION.recheck);
    // One primary button, and it is Re-check.
    expect(text.match(/"style":"primary"/g)).toHaveLength(1);
  });

  it("renders the living status of a running, failed and expired run within the limits", () => {
    const plan = buildPlan({ runbook: deploy, params: { service: "api", env: "staging" } }, config);
    const events = [
      event(1, "run_started"),
      event(2, "phase_started", { phase: "validate" }),
      event(3, "phase_finished", { phase: "validate" }),
      event(4, "phase_started", { phase: "preflight" }),
      event(5, "phase_finished", { phase: "preflight" }),
      event(6, "phase_started", { phase: "action" }),
      event(7, "step_started", { phase: "action", stepId: "dispatch", message: "Start the deploy workflow" }),
    ];
    const running = renderRunCard({
      description: { ...describeRun(runOf(plan, { status: "running", startedAt: NOW })), canCancel: true },
      events,
      artifacts: [],
      now: NOW,
      timeZone: "UTC",
    });
    expect(validateBlocks(running.blocks, "message")).toEqual([]);
    const text = JSON.stringify(running.blocks);
    expect(text).toContain("🔄 *Start the deploy workflow* · started <!date^");
    expect(text).toContain("◻️ Health after deploy");
    expect(text).toContain(ACTION.cancel);

    const failedEvents = [
      ...events,
      event(8, "step_failed", { phase: "action", stepId: "dispatch", message: "GitHub answered 422" }),
      event(9, "rollback_started", { message: "rolling back" }),
      event(10, "rollback_finished", { message: "redeploy-previous: ok" }),
      event(11, "run_failed", { phase: "action", stepId: "dispatch", message: "GitHub answered 422" }),
    ];
    const failed = renderRunCard({
      description: describeRun(
        runOf(plan, { status: "failed", startedAt: NOW, finishedAt: new Date(NOW.getTime() + 11_000), failedStep: "dispatch" }),
      ),
      events: failedEvents,
      artifacts: [],
      now: NOW,
      timeZone: "UTC",
    });
    expect(JSON.stringify(failed.blocks)).toContain("❌ *Start the deploy workflow* — GitHub answered 422");
    expect(JSON.stringify(failed.blocks)).toContain("↩️ *Rolled back*");
    expect(JSON.stringify(failed.blocks)).toContain("❌ *Failed* after 11 s · rolled back");

    const expired = renderRunCard({
      description: describeRun(runOf(plan, { status: "expired", finishedAt: NOW })),
      events: [event(1, "run_expired")],
      artifacts: [],
      now: NOW,
      timeZone: "UTC",
    });
    expect(expired.text).toContain("expired — not run");
    expect(JSON.stringify(expired.blocks)).not.toContain(ACTION.approve);
  });

  it("reads only the last attempt of a requeued run", () => {
    const plan = buildPlan({ runbook: deploy, params: { service: "api", env: "staging" } }, config);
    const progress = progressFromEvents(
      [
        event(1, "step_succeeded", { phase: "preflight", stepId: "changes", message: "3 commits to ship" }),
        event(2, "run_started"),
        event(3, "step_succeeded", { phase: "validate", stepId: "repository", message: "acme/api" }),
        event(4, "step_started", { phase: "preflight", stepId: "changes" }),
        event(5, "run_requeued", { message: "worker lost" }),
        event(6, "run_started"),
        event(7, "step_started", { phase: "validate", stepId: "repository" }),
      ],
      plan,
    );
    expect(progress.checks.map((c) => [c.id, c.state])).toEqual([
      ["repository", "running"],
      ["changes", "waiting"],
    ]);
    expect(progress.startedAt?.getTime()).toBe(NOW.getTime() + 6000);
  });

  it("renders questions with choices, triage offers, summaries, artifacts and dry runs that Slack accepts", () => {
    const question = renderQuestion({
      text: "Which env?",
      runbook: "deploy",
      params: { service: "api" },
      field: { name: "env", type: "env", required: true, description: "", choices: ["dev", "staging", "prod"] },
      alternatives: [{ runbook: "rollback", title: "Rollback" }],
    });
    expect(validateBlocks(question.blocks, "message")).toEqual([]);
    const buttons = JSON.stringify(question.blocks);
    expect(buttons).toContain("Did you mean Rollback?");
    const pick = (question.blocks[2] as unknown as { elements: { value: string }[] }).elements[1]!;
    expect(decodeDraft(pick.value)).toEqual({ runbook: "deploy", params: { service: "api" }, set: { name: "env", value: "staging" } });

    expect(
      validateBlocks(
        renderTriageOffer({
          options: [{ runbook: "incident-triage", title: "Incident triage", params: { service: "payments", env: "prod" } }],
        }).blocks,
        "message",
      ),
    ).toEqual([]);

    const plan = buildPlan({ runbook: deploy, params: { service: "api", env: "staging" } }, config);
    const failed = runOf(plan, {
      status: "failed",
      startedAt: NOW,
      finishedAt: new Date(NOW.getTime() + 3000),
      failedStep: "dispatch",
      summary: "Deploy (staging) failed in action at step dispatch after 3.0 s.\nReason: 422\nRolled back: redeploy-previous: ok",
    });
    const summary = renderSummary({
      run: failed,
      progress: progressFromEvents([], plan),
      links: [],
      escalation: "<!subteam^S0ONCALL1>",
      canRetry: true,
    });
    expect(validateBlocks(summary.blocks, "message")).toEqual([]);
    expect(JSON.stringify(summary.blocks)).toContain(ACTION.retry);
    expect(JSON.stringify(summary.blocks)).toContain("<!subteam^S0ONCALL1>");

    const artifact: StoredArtifact = {
      id: 7,
      runId: "r",
      stepId: "logs",
      kind: "text",
      title: "Logs",
      content: "```\n".repeat(5000),
      url: null,
      filename: "logs.txt",
      createdAt: NOW,
    };
    expect(validateBlocks(renderArtifact(artifact, true).blocks, "message")).toEqual([]);

    const dry = renderDryRun(runOf(hugePlan()), []);
    expect(dry.blocks.length).toBeLessThanOrEqual(50);
    expect(validateBlocks(dry.blocks, "message")).toEqual([]);
  });

  it("builds the Edit form from the runbook's param schema, and an App Home within 100 blocks", () => {
    const fields = paramFields(deploy, config, { service: "api", env: "staging" });
    const form = renderPlanForm({
      title: "Deploy",
      fields,
      meta: { runbook: "deploy", runId: "r1", channel: "C1", threadTs: "1.2" },
      editing: true,
    });
    expect(validateView(form)).toEqual([]);
    const env = (form.blocks as { block_id: string; element: { type: string; initial_option?: { value: string } } }[]).find(
      (b) => b.block_id === "param:env",
    )!;
    expect(env.element).toMatchObject({ type: "static_select", initial_option: { value: "staging" } });

    const plan = buildPlan({ runbook: deploy, params: { service: "api", env: "staging" } }, config);
    const many = Array.from({ length: 60 }, (_, i) => runOf(plan, { id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}` }));
    const home = renderAppHome(
      {
        pendingForMe: many.map((run) => describeRun(run)),
        mine: many,
        running: many,
        queued: many,
        scheduled: many,
        recent: many,
        workers: [
          {
            id: "w1",
            hostname: "h",
            pid: 1,
            concurrency: 4,
            startedAt: NOW,
            heartbeatAt: NOW,
            stoppedAt: null,
            status: "healthy",
            heartbeatAgeMs: 100,
          },
        ],
      },
      NOW,
      "UTC",
    );
    expect(validateView(home)).toEqual([]);
  });

  it("App Home's ops board and its full-board modal keep Slack's limits, however big the board", () => {
    const long = "x".repeat(400);
    const step = (i: number): BoardItem => ({
      section: "checklist",
      name: `Step ${i} ${long}`,
      block: `block-${i % 30}`,
      status: i % 2 ? "Blocked" : "Done",
      reasons: i % 2 ? [`Supabase: ${long}`] : [],
      missing: [],
      owner: "@dana",
      detail: long,
      lane: "Supabase",
      notes: long,
      updated: "updated 3 h ago by U0DAVE001",
    });
    const feed = (i: number): BoardItem => ({
      section: "feed",
      name: `Feed ${i}`,
      block: "seeds",
      status: "Warning",
      reasons: [`stale: last modified 3 d ago, over its limit of 1d ${long}`],
      missing: [],
      owner: null,
      detail: "3 d ago",
      metric: "Last modified",
      value: "2026-11-30T00:00:00.000Z",
    });
    const items = [...Array.from({ length: 150 }, (_, i) => step(i)), ...Array.from({ length: 60 }, (_, i) => feed(i))];
    const board: OpsBoardView = {
      env: "production-eu-west-with-a-long-name",
      verdict: "no",
      reasons: items.map((i) => i.name),
      missing: [],
      blocks: Array.from({ length: 30 }, (_, i) => ({
        block: `block-${i}`,
        verdict: "no" as const,
        blocking: [long, long, long],
        missing: [],
      })),
      items,
      generatedAt: NOW.toISOString(),
      runId: "00000000-0000-4000-8000-000000000001",
      checklistLive: true,
    };
    const home = renderAppHome(
      { pendingForMe: [], mine: [], running: [], queued: [], scheduled: [], recent: [], workers: [] },
      NOW,
      "UTC",
      new Map(),
      { kind: "board", board },
    );
    expect(validateView(home)).toEqual([]);
    const blocks = home.blocks as { type: string; text?: { text: string } }[];
    // The board comes first, right under the title, and says where the rest is.
    expect(blocks[2]!.text!.text).toContain("safe to cut over: *⛔ no*");
    expect(JSON.stringify(blocks)).toContain("more: Show full board");
    expect(JSON.stringify(blocks)).toContain("_updated 3 h ago by <@U0DAVE001>_");
    expect(validateView(renderBoardModal(board, { timeZone: "UTC", now: NOW }))).toEqual([]);
  });
});
