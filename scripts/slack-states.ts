/**
 * opsroom's Slack messages in their main states, rendered by the real renderers from plans the real
 * planner makes of the example config and the shipped runbooks, with events and artifacts shaped like
 * the adapters' own. `npm run render:slack` screenshots them; test/slack/message-quality.test.ts
 * checks every text a person reads in them.
 */
import path from "node:path";
import { loadConfigFile } from "../src/config/load-config.js";
import type { ParamValue } from "../src/parser/intent.js";
import { buildPlan } from "../src/planner/build-plan.js";
import type { Plan } from "../src/planner/plan.js";
import { loadRunbooks } from "../src/runbook/load-runbooks.js";
import type { AppHomeSnapshot, RunDescription } from "../src/service/chat-use-cases.js";
import { approveBlockOf, preflightStateOf, type PreflightRecord } from "../src/service/plan-preflight.js";
import type { Block } from "../src/slack/block-kit.js";
import { renderAppHome } from "../src/slack/render-app-home.js";
import { previewRunOf, renderRunCard } from "../src/slack/render-plan-card.js";
import { renderPlanDetails } from "../src/slack/render-plan-details.js";
import { contactText, renderArtifact, renderSummary } from "../src/slack/render-replies.js";
import { progressFromEvents } from "../src/slack/render-run-status.js";
import type { Approval, Run, RunEvent, StoredArtifact } from "../src/store/types.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const TIME_ZONE = "UTC";

export const USERS = { dave: "U0DAVE001", alice: "U0ALICE01", bob: "U0BOB0001" } as const;
export const ONCALL = "S0ONCALL1";
export const OPS_CHANNEL = "C0OPS0001";
const RESOLVED_ONCALL = `<!subteam^${ONCALL}>`;

/** Names for the ids in the fixtures, as Slack would show them. */
export const SLACK_DIRECTORY = {
  users: [
    { id: USERS.dave, name: "Dave Kim" },
    { id: USERS.alice, name: "Alice Moreau" },
    { id: USERS.bob, name: "Bob Osei" },
  ],
  channels: [{ id: OPS_CHANNEL, name: "ops" }],
  user_groups: [{ id: ONCALL, name: "Platform on-call", handle: "oncall-platform" }],
};

/** One message as a person sees it in a thread; `inChannel` when it is also broadcast to the channel. */
export interface ThreadMessage {
  from: string;
  at: Date;
  text: string;
  blocks: Block[];
  inChannel?: boolean;
}

export type SlackState =
  | { name: string; surface: "thread"; messages: ThreadMessage[] }
  | { name: string; surface: "modal"; title: string; at: Date; blocks: Block[] }
  | { name: string; surface: "home"; at: Date; blocks: Block[] };

const config = loadConfigFile(path.join(ROOT, "config/opsroom.example.yml"), {});
const runbooks = loadRunbooks(path.join(ROOT, "runbooks"));

function planOf(runbook: string, params: Record<string, ParamValue>): Plan {
  const plan = buildPlan({ runbook: runbooks.find((r) => r.id === runbook)!, params }, config);
  // Approvers as a team would set them: a person and the on-call group.
  return plan.approval.required > 0
    ? { ...plan, approval: { ...plan.approval, approvers: { users: [USERS.alice], groups: [ONCALL] } } }
    : plan;
}

/** Builds a run's events one after another, a given number of seconds apart. */
class Timeline {
  readonly events: RunEvent[] = [];
  constructor(
    private at: Date,
    private readonly runId: string,
  ) {}
  add(seconds: number, kind: RunEvent["kind"], extra: Partial<Omit<RunEvent, "id" | "runId" | "at" | "kind">> = {}): this {
    this.at = new Date(this.at.getTime() + seconds * 1000);
    this.events.push({
      id: this.events.length + 1,
      runId: this.runId,
      at: this.at,
      kind,
      phase: null,
      stepId: null,
      message: "",
      data: {},
      ...extra,
    });
    return this;
  }
  step(seconds: number, phase: string, stepId: string, message: string, kind: RunEvent["kind"] = "step_succeeded"): this {
    return this.add(0, "step_started", { phase, stepId }).add(seconds, kind, { phase, stepId, message });
  }
  get now(): Date {
    return this.at;
  }
}

function runOf(plan: Plan, createdAt: Date, overrides: Partial<Run> = {}): Run {
  return {
    ...previewRunOf(plan, USERS.dave, createdAt),
    id: `9f1c2b3a-0000-4000-8000-${plan.runbook
      .padEnd(12, "0")
      .slice(0, 12)
      .replace(/[^0-9a-f]/g, "0")}`,
    origin: { channel: OPS_CHANNEL, threadTs: "1714572000.000100", messageTs: "1714572001.000200" },
    ...overrides,
  };
}

function describe(run: Run, events: readonly RunEvent[], now: Date, approvals: Approval[] = []): RunDescription {
  const preflight = preflightStateOf(run, events, now);
  const block = approveBlockOf(run, preflight, now);
  const counted = approvals.filter((a) => a.decision === "approve" && a.planHash === run.planHash).length;
  return {
    run,
    approvals,
    approvalsCounted: counted,
    confirmApprove: run.env === "prod",
    canEdit: run.status === "pending_approval",
    canCancel: run.status === "running" || run.status === "queued",
    canRetry: run.status === "failed",
    preflight,
    canApprove: block === undefined,
    ...(block ? { approveBlock: block } : {}),
  };
}

function artifact(runId: string, id: number, stepId: string, at: Date, fields: Partial<StoredArtifact>): StoredArtifact {
  return { id, runId, stepId, kind: "text", title: "", content: null, url: null, filename: null, createdAt: at, ...fields };
}

const recorded = (result: PreflightRecord["result"], startedAt: Date): { preflight: PreflightRecord } => ({
  preflight: { afterEventId: 0, startedAt: startedAt.toISOString(), ...(result ? { result } : {}) },
});

/** The deploy's preflight: the config and token checks, what is deployed, and the commits about to ship. */
function deployPreflight(t: Timeline, runId: string): StoredArtifact[] {
  t.step(0.2, "validate", "settings-workflow", "deploy of api to staging (workflow_dispatch): repository, workflow set")
    .step(0.4, "validate", "repository", "acme/api (default branch main)")
    .step(0.6, "preflight", "deployments", "12 deployments of acme/api to staging")
    .step(0.1, "preflight", "deployed", "deployment 1843 of 7638417 (success, 2 h ago)")
    .step(0.7, "preflight", "changes", "main is 3 commits ahead of 7638417");
  return [
    artifact(runId, 1, "changes", t.now, {
      title: "Commits 7638417...main",
      content:
        "a1b2c3d Fix retry budget for webhook deliveries (alice)\n9f8e7d6 Bump pg to 8.23 (renovate)\n1234abc Log slow queue claims (bob)",
    }),
    artifact(runId, 2, "changes", t.now, {
      kind: "link",
      title: "Compare 7638417...main",
      url: "https://github.com/acme/api/compare/7638417...main",
    }),
  ];
}

export function slackStates(now: Date): SlackState[] {
  const states: SlackState[] = [];
  const ago = (minutes: number) => new Date(now.getTime() - minutes * 60_000);
  const card = (d: RunDescription, events: readonly RunEvent[], artifacts: readonly StoredArtifact[], at: Date, extra = {}) =>
    renderRunCard({ description: d, events, artifacts, now: at, timeZone: TIME_ZONE, lockAhead: 0, ...extra });
  const message = (m: { text: string; blocks: Block[] }, at: Date, inChannel = false): ThreadMessage => ({
    from: "opsroom",
    at,
    text: m.text,
    blocks: m.blocks,
    ...(inChannel ? { inChannel } : {}),
  });

  // The plan card of a deploy, its preflight in.
  const deployPlan = planOf("deploy", { service: "api", env: "staging" });
  {
    const created = ago(1);
    const run = runOf(deployPlan, created);
    const t = new Timeline(created, run.id);
    const artifacts = deployPreflight(t, run.id);
    const ready = { ...run, origin: { ...run.origin, ...recorded({ ok: true, summaries: [] }, created) } };
    states.push({
      name: "plan-card-deploy",
      surface: "thread",
      messages: [message(card(describe(ready, t.events, now), t.events, artifacts, now), created, true)],
    });
    states.push({
      name: "plan-details",
      surface: "modal",
      title: "Plan details",
      at: now,
      blocks: renderPlanDetails(ready, TIME_ZONE, now).blocks as Block[],
    });
    // Just posted: the checks are still running.
    const checking = new Timeline(created, run.id).step(0.2, "validate", "settings-workflow", "repository, workflow set");
    const early = { ...run, origin: { ...run.origin, ...recorded(undefined, created) } };
    states.push({
      name: "plan-card-checking",
      surface: "thread",
      messages: [message(card(describe(early, checking.events, created), checking.events, [], created), created, true)],
    });
    // A check failed: no Approve, what to fix, Re-check.
    const blocked = {
      ...run,
      origin: {
        ...run.origin,
        ...recorded(
          {
            ok: false,
            stepId: "credentials",
            reason:
              "Missing setting: GITHUB_TOKEN (a GitHub token with repo and workflow access; needed by github.getRepository). Set it in the environment and try again.",
          },
          created,
        ),
      },
    };
    states.push({
      name: "plan-card-blocked",
      surface: "thread",
      messages: [message(card(describe(blocked, [], now), [], [], now), created, true)],
    });
  }

  // A flag rollout in prod.
  {
    const plan = planOf("flag", { flag: "featureMatrix", action: "rollout", percent: 25, cohorts: ["ops"], env: "prod" });
    const created = ago(2);
    const run = runOf(plan, created, { origin: { channel: OPS_CHANNEL, ...recorded({ ok: true, summaries: [] }, created) } });
    const t = new Timeline(created, run.id)
      .step(0.3, "validate", "current", "featureMatrix in prod: off at 0%, cohorts ops, admin")
      .step(0.3, "preflight", "flags", "12 flags in prod")
      .step(
        0.1,
        "preflight",
        "change",
        "featureMatrix in prod: off → on, 0% → 25%, cohorts ops, admin → ops; 2 flags depend on it (homeDemoVariant, signalAiInsights: both off)",
      );
    states.push({
      name: "plan-card-flag",
      surface: "thread",
      messages: [message(card(describe(run, t.events, now), t.events, [], now), created, true)],
    });
  }

  // Migrations in prod.
  {
    const plan = planOf("migrate", { env: "prod" });
    const created = ago(1);
    const run = runOf(plan, created, { origin: { channel: OPS_CHANNEL, ...recorded({ ok: true, summaries: [] }, created) } });
    const t = new Timeline(created, run.id)
      .step(0.1, "validate", "settings", "migrations on prod: databaseUrlEnv, migrationsDir set")
      .step(
        0.8,
        "preflight",
        "pending",
        "PROD_DATABASE_URL: 2 of 31 migrations pending: 0030_add_invoice_status.sql, 0031_backfill_invoice_status.sql",
      );
    const artifacts = [
      artifact(run.id, 1, "pending", t.now, {
        title: "Pending migrations for PROD_DATABASE_URL",
        content: "0030_add_invoice_status.sql\n0031_backfill_invoice_status.sql",
      }),
    ];
    states.push({
      name: "plan-card-migrate",
      surface: "thread",
      messages: [message(card(describe(run, t.events, now), t.events, artifacts, now), created, true)],
    });
  }

  // A rollback in prod.
  {
    const plan = planOf("rollback", { service: "checkout", env: "prod", ref: "v1.4.0" });
    const created = ago(1);
    const run = runOf(plan, created, { origin: { channel: OPS_CHANNEL, ...recorded({ ok: true, summaries: [] }, created) } });
    const t = new Timeline(created, run.id)
      .step(0.1, "validate", "settings-vercel", "rollback of checkout in prod (Vercel): vercelProject set")
      .step(0.3, "validate", "repository", "acme/checkout (default branch main)")
      .step(0.5, "preflight", "vercel-deployments", "30 ready production deployments of acme-checkout")
      .step(0.1, "preflight", "vercel-current", "dpl_8Hc2 of v1.5.0 (ready, 40 min ago)")
      .step(0.1, "preflight", "vercel-previous", "dpl_3Fa9 of v1.4.0 (ready, 2 days ago)")
      .step(0.6, "preflight", "changes", "v1.5.0 is 4 commits ahead of v1.4.0: these are rolled back");
    const artifacts = [
      artifact(run.id, 1, "changes", t.now, {
        title: "Commits v1.4.0...v1.5.0",
        content:
          "c0ffee1 New checkout summary layout (mina)\nbadf00d Retry card authorisation once (omar)\n5eed123 Bump stripe to 16.2 (renovate)\nfeed456 Copy: shipping times (lea)",
      }),
    ];
    states.push({
      name: "plan-card-rollback",
      surface: "thread",
      messages: [message(card(describe(run, t.events, now), t.events, artifacts, now), created, true)],
    });
  }

  // The deploy, running mid-way: checks and the workflow done, waiting for the workflow to finish.
  const approvalAt = (minutesAgo: number): Approval => ({
    runId: "",
    approver: USERS.bob,
    overrideReason: null,
    decision: "approve",
    counts: true,
    planHash: deployPlan.hash,
    createdAt: ago(minutesAgo + 0.2),
  });
  const startRun = (minutesAgo: number) => {
    const created = ago(minutesAgo + 1);
    const run = runOf(deployPlan, created, { status: "running", startedAt: ago(minutesAgo), expiresAt: null });
    const t = new Timeline(created, run.id);
    const artifacts = deployPreflight(t, run.id);
    const run2 = { ...run, origin: { ...run.origin, ...recorded({ ok: true, summaries: [] }, created) } };
    const live = new Timeline(ago(minutesAgo), run.id);
    live.events.push(...t.events);
    live.events.forEach((e, i) => (e.id = i + 1));
    live
      .add(0, "run_started")
      .step(0.2, "validate", "settings-workflow", "repository, workflow set")
      .step(0.4, "validate", "repository", "acme/api (default branch main)")
      .step(0.6, "preflight", "deployments", "12 deployments")
      .step(0.1, "preflight", "deployed", "deployment 1843 of 7638417")
      .step(0.7, "preflight", "changes", "main is 3 commits ahead of 7638417")
      .step(1.2, "action", "dispatch", "workflow deploy.yml dispatched on main (run 9114)");
    return { run: run2, t: live, artifacts, minutes: minutesAgo };
  };
  {
    const { run, t, artifacts, minutes } = startRun(2);
    t.add(0, "step_started", { phase: "verify", stepId: "wait-workflow" });
    const d = describe(run, t.events, now, [{ ...approvalAt(minutes), runId: run.id }]);
    states.push({ name: "running-deploy", surface: "thread", messages: [message(card(d, t.events, artifacts, now), run.createdAt)] });
  }

  // Succeeded: the card, the workflow log, and a short summary.
  {
    const { run, t, artifacts, minutes } = startRun(6);
    t.step(74, "verify", "wait-workflow", "workflow run 9114 succeeded in 1 min 12 s").step(
      0.3,
      "verify",
      "health",
      "https://api.staging.example.com/healthz answered 200 in 41 ms",
    );
    t.add(0.1, "run_succeeded");
    const done = { ...run, status: "succeeded" as const, finishedAt: t.now };
    const links = [
      artifact(run.id, 9, "dispatch", t.now, {
        kind: "link",
        title: "Workflow run 9114",
        url: "https://github.com/acme/api/actions/runs/9114",
      }),
    ];
    const log = artifact(run.id, 10, "wait-workflow", t.now, {
      title: "Workflow log",
      filename: "deploy.log",
      content: Array.from({ length: 40 }, (_, i) => `step ${i + 1}: ok`).join("\n"),
    });
    states.push({
      name: "succeeded-deploy",
      surface: "thread",
      messages: [
        message(card(describe(done, t.events, now, [{ ...approvalAt(minutes), runId: run.id }]), t.events, artifacts, now), run.createdAt),
        message(renderArtifact(log, true, "Wait for the deploy workflow"), t.now),
        message(
          renderSummary({
            run: done,
            progress: progressFromEvents(t.events, done.plan),
            links: [...artifacts.filter((a) => a.url), ...links],
            escalation: RESOLVED_ONCALL,
            canRetry: false,
          }),
          t.now,
        ),
      ],
    });
  }

  // Failed in verify, rolled back (a staging outcome stays in its thread; a prod one is broadcast).
  {
    const { run, t, artifacts, minutes } = startRun(9);
    t.step(80, "verify", "wait-workflow", "workflow run 9114 succeeded in 1 min 20 s")
      .add(0, "step_started", { phase: "verify", stepId: "health" })
      .add(9, "step_failed", {
        phase: "verify",
        stepId: "health",
        message: "https://api.staging.example.com/healthz answered 503 (expected 2xx) after 3 tries",
      })
      .add(0.1, "rollback_started", { phase: "rollback", message: "rolling back: redeploy-previous, wait-redeploy" })
      .step(1.1, "rollback", "redeploy-previous", "workflow deploy.yml dispatched on main with ref 7638417")
      .step(70, "rollback", "wait-redeploy", "workflow run 9115 succeeded")
      .add(0.1, "rollback_finished", { phase: "rollback", message: "redeploy-previous: ok; wait-redeploy: ok" })
      .add(0.1, "run_failed", {
        phase: "verify",
        stepId: "health",
        message: "https://api.staging.example.com/healthz answered 503 (expected 2xx) after 3 tries",
      });
    const failed = { ...run, status: "failed" as const, finishedAt: t.now, failedStep: "health", mutationStarted: true };
    const d = describe(failed, t.events, now, [{ ...approvalAt(minutes), runId: run.id }]);
    const links = [
      artifact(run.id, 9, "dispatch", t.now, {
        kind: "link",
        title: "Workflow run 9114",
        url: "https://github.com/acme/api/actions/runs/9114",
      }),
    ];
    states.push({
      name: "failed-rollback",
      surface: "thread",
      messages: [
        message(card(d, t.events, artifacts, now), run.createdAt),
        message(
          renderSummary({
            run: failed,
            progress: progressFromEvents(t.events, failed.plan),
            links,
            escalation: contactText(failed.plan.escalation, RESOLVED_ONCALL),
            canRetry: true,
          }),
          t.now,
        ),
      ],
    });
  }

  // Cancelled mid-way.
  {
    const { run, t, artifacts, minutes } = startRun(4);
    t.add(0, "step_started", { phase: "verify", stepId: "wait-workflow" }).add(30, "run_cancelled", {
      phase: "verify",
      message: "cancelled",
    });
    const cancelled = { ...run, status: "cancelled" as const, finishedAt: t.now, cancelRequestedBy: USERS.alice, cancelRequestedAt: t.now };
    states.push({
      name: "cancelled",
      surface: "thread",
      messages: [
        message(
          card(describe(cancelled, t.events, now, [{ ...approvalAt(minutes), runId: run.id }]), t.events, artifacts, now),
          run.createdAt,
        ),
      ],
    });
  }

  // Incident triage: a read-only run, its evidence and the summary naming the suspect.
  {
    const plan = planOf("incident-triage", { service: "payments", env: "prod" });
    const started = ago(1);
    const run = runOf(plan, started, { status: "succeeded", startedAt: started, expiresAt: null });
    const t = new Timeline(started, run.id)
      .add(0, "run_started")
      .step(0.8, "action", "deploys", "3 deployments of acme/payments to prod in the last 24 h")
      .step(0.5, "action", "flags", "2 flag changes in prod in the last 24 h")
      .step(0.3, "action", "health", "https://payments.example.com/healthz answered 500 in 120 ms")
      .step(
        0.1,
        "summarize",
        "suspect",
        "Likely suspect: deploy 4e5f6a7 of payments by omar 12 min before the errors began; suggest: roll back payments in prod to 1a2b3c4. Unhealthy now: payments 500.",
      )
      .add(0.1, "run_succeeded");
    const done = { ...run, finishedAt: t.now };
    const evidence = artifact(run.id, 3, "suspect", t.now, {
      title: "Triage of payments in prod",
      filename: "triage.txt",
      content: [
        "Triage of payments in prod",
        "Errors began: not given; treating it as now",
        "",
        "Likely suspect: deploy 4e5f6a7 of payments by omar 12 min before the errors began",
        "Suggested next step: roll back payments in prod to 1a2b3c4 (a plan to approve; nothing has been changed)",
        "",
        "Health:",
        "  payments: 500 in 120 ms (https://payments.example.com/healthz)",
      ].join("\n"),
    });
    states.push({
      name: "triage-summary",
      surface: "thread",
      messages: [
        message(card(describe(done, t.events, now), t.events, [], now), started),
        message(renderArtifact(evidence, false, "Name the likely suspect"), t.now),
        message(
          renderSummary({
            run: done,
            progress: progressFromEvents(t.events, plan),
            links: [],
            escalation: contactText(plan.escalation),
            canRetry: false,
          }),
          t.now,
        ),
      ],
    });
  }

  // App Home: a prod flag rollout waiting for me, my own deploy waiting for others, the queue, the workers.
  {
    const flag = planOf("flag", { flag: "featureMatrix", action: "rollout", percent: 25, cohorts: ["ops"], env: "prod" });
    const created = ago(4);
    const theirs = runOf(flag, created, {
      requestedBy: USERS.bob,
      origin: { channel: OPS_CHANNEL, ...recorded({ ok: true, summaries: [] }, created) },
    });
    const mine = runOf(deployPlan, ago(2), { id: "9f1c2b3a-0000-4000-8000-00000000d001" });
    const running = runOf(planOf("deploy", { service: "web", env: "staging" }), ago(3), {
      id: "9f1c2b3a-0000-4000-8000-00000000d002",
      status: "running",
      startedAt: ago(2),
    });
    const recent = [
      runOf(planOf("healthcheck", { env: "prod" }), ago(30), {
        id: "9f1c2b3a-0000-4000-8000-00000000d003",
        status: "succeeded",
        finishedAt: ago(29),
      }),
      runOf(deployPlan, ago(50), { id: "9f1c2b3a-0000-4000-8000-00000000d004", status: "failed", finishedAt: ago(45) }),
    ];
    const snapshot: AppHomeSnapshot = {
      pendingForMe: [describe(theirs, [], now)],
      mine: [mine],
      running: [running],
      queued: [],
      scheduled: [],
      recent,
      workers: [
        {
          id: "ops-1:4121:1f2e3d4c",
          hostname: "ops-1",
          pid: 4121,
          concurrency: 4,
          startedAt: ago(600),
          heartbeatAt: now,
          stoppedAt: null,
          status: "healthy",
          heartbeatAgeMs: 2000,
        },
        {
          id: "ops-2:977:9a8b7c6d",
          hostname: "ops-2",
          pid: 977,
          concurrency: 4,
          startedAt: ago(600),
          heartbeatAt: now,
          stoppedAt: null,
          status: "healthy",
          heartbeatAgeMs: 4000,
        },
      ],
    };
    const links = new Map(
      [theirs, mine, running, ...recent].map((r) => [r.id, `https://acme.slack.com/archives/${OPS_CHANNEL}/p1714572001000200`]),
    );
    states.push({ name: "app-home", surface: "home", at: now, blocks: renderAppHome(snapshot, now, TIME_ZONE, links).blocks as Block[] });
  }
  return states;
}
