import type { Plan } from "../planner/plan.js";
import type { RunDescription } from "../service/chat-use-cases.js";
import { intentOf } from "../service/plan-words.js";
import { planChangeOf } from "../service/plan-preflight.js";
import { timeOfDay } from "../service/time-text.js";
import type { Approval, Run, RunEvent, StoredArtifact } from "../store/types.js";
import { ACTION, encodeRunRef } from "./action-ids.js";
import { actions, button, clamp, context, escapeMrkdwn, excerpt, LIMITS, section, type Block, type SlackMessage } from "./block-kit.js";
import { progressFromEvents, renderChecklist, statusLine } from "./render-run-status.js";

export interface RunCardInput {
  description: RunDescription;
  events: readonly RunEvent[];
  artifacts: readonly StoredArtifact[];
  now: Date;
  timeZone: string;
  /** Runs of the same lock key ahead of this one (queued: its place in line; waiting: what runs now). */
  lockAhead?: number;
  /** A line on top, e.g. "Edited by @x — earlier approvals are void." (else the run's `origin.note`). */
  note?: string;
  /** The card for a plan whose run is being recorded: no buttons yet (they need the run). */
  preview?: boolean;
  /** The run's page on the Runboard (a signed View run link), when the Runboard has a public URL. */
  viewUrl?: string;
}

/**
 * The run a plan is about to become, for the preview card posted while the run is recorded (Slack
 * shows the plan at once; the buttons arrive with the first update).
 */
export function previewRunOf(plan: Plan, requestedBy: string, now: Date): Run {
  const pending = plan.approval.required > 0;
  return {
    id: "",
    runbook: plan.runbook,
    title: plan.title,
    params: plan.params,
    plan,
    planHash: plan.hash,
    env: plan.env ?? null,
    service: plan.service ?? null,
    mutating: plan.mutating,
    status: pending ? "pending_approval" : "queued",
    requestedBy,
    requesters: [requestedBy],
    source: "slack",
    origin: {},
    idempotencyKey: null,
    lockKey: plan.lockKey ?? null,
    requiredApprovals: plan.approval.required,
    selfApproval: plan.approval.selfApproval,
    runAt: plan.runAt ? new Date(plan.runAt) : now,
    expiresAt: pending ? new Date(now.getTime() + plan.approval.expiresInMinutes * 60_000) : null,
    workerId: null,
    leaseExpiresAt: null,
    attempts: 0,
    mutationStarted: false,
    mutatingStep: null,
    outcomeUnknown: false,
    cancelRequestedAt: null,
    cancelRequestedBy: null,
    supersededBy: null,
    failedStep: null,
    error: null,
    summary: null,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    finishedAt: null,
  };
}

const CHANGE_EXCERPT_LINES = 8;
const CHANGE_EXCERPT_CHARS = 900;

/**
 * The one message a run has in Slack, for its whole life. While it waits for approval it is the plan
 * card, answering above the fold what changes, whether it is safe and who decides, with the steps
 * behind "Plan details"; once approved it becomes the status message (a checklist that moves) and
 * ends with the outcome. Its first lines never change, so the card does not jump between versions.
 */
export function renderRunCard(input: RunCardInput): SlackMessage {
  const { description: d, now, timeZone } = input;
  const { run } = d;
  const plan = run.plan;
  const progress = progressFromEvents(input.events, plan);
  const blocks: Block[] = [section(intentLine(plan, timeZone, now))];
  // A note given when the card was posted ("Edited by …", "Retry of …") stays on it: it is kept on the run.
  const note = input.note ?? (typeof run.origin.note === "string" ? run.origin.note : undefined);
  const view = input.viewUrl ? `<${input.viewUrl}|View run>` : undefined;
  blocks.push(context([[`Requested by <@${run.requestedBy}>`, riskText(plan), note, view].filter(Boolean).join(" · ")]));

  const pending = run.status === "pending_approval";
  const started = Boolean(run.startedAt ?? progress.startedAt);
  if (pending) {
    const change = changeSection(d, input.artifacts);
    if (change) blocks.push(change);
    blocks.push(...checkBlocks(d, input.lockAhead));
    blocks.push(section(whoDecides(d, timeZone, now)));
  } else {
    blocks.push(section(statusLine(run, progress, now, timeZone, input.lockAhead)));
    if (started) blocks.push(section(renderChecklist(progress, timeZone, now)));
  }
  const decisions = decisionLines(d.approvals, run.planHash, timeZone, now);
  if (decisions.length > 0) blocks.push(context([decisions.join("\n")]));

  const buttons = input.preview ? [] : cardButtons(d);
  if (buttons.length > 0) blocks.push(actions(buttons, "run_actions"));
  const fallback = `${plainIntent(plan)}: ${pending ? "waiting for approval" : plainStatus(run.status)}`;
  return { text: clamp(fallback, LIMITS.fallbackText), blocks: blocks.slice(0, LIMITS.messageBlocks) };
}

/** "Deploy *api* `main` → *staging*": what the plan does to what, in one line. */
export function intentLine(plan: Plan, timeZone: string, now: Date): string {
  const intent = intentOf(plan);
  const parts = [`*${escapeMrkdwn(intent.title)}*`];
  if (intent.subject) parts.push(`*${escapeMrkdwn(intent.subject)}*`);
  if (intent.detail.length > 0) parts.push(intent.detail.map((d) => `\`${escapeMrkdwn(clamp(d, 80))}\``).join(" "));
  if (intent.env) parts.push(`→ *${escapeMrkdwn(intent.env)}*`);
  if (plan.runAt) parts.push(`at ${timeOfDay(new Date(plan.runAt), timeZone, now)}`);
  return `${plan.mutating ? "🛠️" : "🔎"} ${parts.join(" ")}`;
}

/** The intent line without markup, for notifications. */
export function plainIntent(plan: Plan): string {
  const intent = intentOf(plan);
  return [intent.title, intent.subject, ...intent.detail, intent.env ? `→ ${intent.env}` : undefined].filter(Boolean).join(" ");
}

function riskText(plan: Plan): string {
  if (!plan.mutating) return "read-only";
  return plan.env ? `changes *${escapeMrkdwn(plan.env)}*` : "changes things";
}

function plainStatus(status: Run["status"]): string {
  return status === "expired" ? "expired — not run" : status === "rejected" ? "rejected — not run" : status;
}

/**
 * What the plan will change, from its preflight: the step that reported the change (the commits about
 * to ship, the flag's old → new value, the pending migrations), an excerpt of its list and its links.
 */
function changeSection(d: RunDescription, artifacts: readonly StoredArtifact[]): Block | undefined {
  const { run, preflight } = d;
  const { said: reported, list, links: allLinks } = planChangeOf(run, preflight, artifacts);
  const preflightIds = new Set(run.plan.steps.filter((s) => s.phase === "preflight").map((s) => s.id));
  // The change is what the steps with artifacts reported; without any, the last preflight step's word.
  const said = reported.length > 0 ? reported : preflight.checks.filter((c) => c.ok && preflightIds.has(c.stepId)).slice(-1);
  if (said.length === 0 && !list && allLinks.length === 0) return undefined;
  const lines = ["*What changes*", ...said.map((c) => escapeMrkdwn(clamp(c.detail, 400)))];
  if (list?.content) {
    const cut = excerpt(list.content, CHANGE_EXCERPT_LINES, CHANGE_EXCERPT_CHARS);
    const more = list.content.split("\n").length - CHANGE_EXCERPT_LINES;
    lines.push(`\`\`\`${cut.text}\`\`\``);
    if (cut.truncated) lines.push(more > 0 ? `_… and ${more} more line${more === 1 ? "" : "s"}_` : "_(excerpt)_");
  }
  const links = allLinks.slice(0, 3);
  if (links.length > 0) lines.push(links.map((a) => `<${a.url}|${escapeMrkdwn(clamp(a.title, 120))}>`).join(" · "));
  return section(clamp(lines.join("\n"), LIMITS.sectionText));
}

/** Is it safe: the preflight's checks (what failed and how to fix it), and whether the target is free. */
function checkBlocks(d: RunDescription, lockAhead: number | undefined): Block[] {
  const { preflight, run } = d;
  const lines: string[] = [];
  const passed = preflight.checks.filter((c) => c.ok);
  switch (preflight.state) {
    case "running":
      lines.push("⏳ *Checking the plan* — Approve appears once the checks are in.");
      break;
    case "timed-out":
      lines.push("⚠️ *The checks did not report back* — look at the plan details before approving, or Re-check.");
      break;
    case "done":
      if (preflight.failure) {
        lines.push(`❌ *${escapeMrkdwn(preflight.failure.label)}* — ${escapeMrkdwn(clamp(preflight.failure.detail, 900))}`);
        lines.push("*Can't be approved yet:* fix this, then press *Re-check*.");
      } else lines.push(`✅ *${passed.length === 1 ? "1 check" : `${passed.length} checks`} passed*`);
      break;
    case "none":
      break;
  }
  // The ops board's verdicts always show ("unknown" only informs); what stands against the change asks for a reason.
  const boardSteps = new Set(run.plan.steps.filter((s) => s.uses === "board.blockVerdicts").map((s) => s.id));
  for (const c of passed.filter((c) => boardSteps.has(c.stepId))) lines.push(`🧭 ${escapeMrkdwn(clamp(c.detail, 700))}`);
  for (const c of preflight.overrides) lines.push(`⛔ *Blocked:* ${escapeMrkdwn(clamp(c.override ?? c.detail, 700))}`);
  if (preflight.overrides.length > 0 && !preflight.failure)
    lines.push("*Approving needs a reason for the override:* Approve asks for it, and it is kept with the approval.");
  const target = [intentOf(run.plan).subject, run.env].filter(Boolean).join(" → ");
  if (run.lockKey && lockAhead !== undefined && target)
    lines.push(
      lockAhead > 0
        ? `🔒 ${lockAhead} other run${lockAhead === 1 ? "" : "s"} of ${escapeMrkdwn(target)} ahead: this one waits its turn`
        : `🔓 Nothing else is running on ${escapeMrkdwn(target)}`,
    );
  if (lines.length === 0) return [];
  const blocks = [section(lines.join("\n"))];
  if (passed.length > 0)
    blocks.push(
      context([
        `${preflight.failure ? "Passed" : preflight.state === "running" ? "Done so far" : "Checked"}: ${passed.map((c) => escapeMrkdwn(c.label)).join(" · ")}`,
      ]),
    );
  return blocks;
}

/** Who decides: how many approvals from whom, the requester's part, when the plan expires. */
function whoDecides(d: RunDescription, timeZone: string, now: Date): string {
  const { run } = d;
  const approval = run.plan.approval;
  const who = [...approval.approvers.users.map((u) => `<@${u}>`), ...approval.approvers.groups.map((g) => `<!subteam^${g}>`)];
  const needed = run.requiredApprovals;
  const given = Math.min(d.approvalsCounted, needed);
  const head = `*Needs ${needed === 1 ? "1 approval" : `${needed} approvals`}*${given > 0 ? ` (${given} given)` : ""}`;
  const from = who.length > 0 ? `from ${who.join(" or ")}` : "from anyone in the workspace";
  const self = run.selfApproval ? "" : ", not the requester";
  const expires = run.expiresAt
    ? ` · ${run.expiresAt.getTime() <= now.getTime() ? "expired" : "expires"} ${timeOfDay(run.expiresAt, timeZone, now)}`
    : "";
  return `👤 ${head} ${from}${self}${expires}`;
}

function decisionLines(approvals: readonly Approval[], planHash: string, timeZone: string, now: Date): string[] {
  return approvals.map((a) => {
    const verb = a.decision === "approve" ? "✅ Approved" : "🚫 Rejected";
    const stale = a.planHash !== planHash ? " (an earlier plan — void)" : "";
    const override = a.overrideReason ? ` — override: “${escapeMrkdwn(clamp(a.overrideReason, 300))}”` : "";
    return `${verb} by <@${a.approver}> at ${timeOfDay(a.createdAt, timeZone, now)}${stale}${override}`;
  });
}

/** Approve: the one primary button; protected environments ask "are you sure?" first. */
export function approveButton(d: RunDescription): Record<string, unknown> {
  const { run } = d;
  // An override opens a form asking for the reason, which is confirmation enough.
  const override = d.preflight.overrides.length > 0;
  return button(override ? "Approve with reason…" : "Approve", ACTION.approve, {
    style: "primary",
    value: encodeRunRef({ runId: run.id, planHash: run.planHash }),
    ...(d.confirmApprove && !override
      ? {
          confirm: {
            title: `Approve in ${run.env ?? "production"}?`,
            text: `This runs *${escapeMrkdwn(plainIntent(run.plan))}* as planned.`,
            confirm: "Approve and run",
            deny: "Not yet",
          },
        }
      : {}),
  });
}

/**
 * Buttons only when they can act: Approve when the service says the plan may be approved now,
 * Re-check instead when a failed check blocks it; one primary; the dangerous one asks first.
 */
function cardButtons(d: RunDescription): Record<string, unknown>[] {
  const { run } = d;
  const value = encodeRunRef({ runId: run.id, planHash: run.planHash });
  if (run.status === "pending_approval") {
    const out: Record<string, unknown>[] = [];
    if (d.canApprove) out.push(approveButton(d));
    else if (d.approveBlock?.kind === "preflight-failed") out.push(button("Re-check", ACTION.recheck, { style: "primary", value }));
    if (d.canApprove && d.preflight.state === "timed-out") out.push(button("Re-check", ACTION.recheck, { value }));
    out.push(button("Reject", ACTION.reject, { value }));
    out.push(button("Plan details", ACTION.details, { value }));
    if (run.mutating) out.push(button("Dry run", ACTION.dryRun, { value }));
    if (d.canEdit) out.push(button("Edit", ACTION.edit, { value }));
    return out;
  }
  if (d.canCancel)
    return [
      button("Cancel run", ACTION.cancel, {
        style: "danger",
        value,
        confirm: { title: "Cancel this run?", text: "It stops at the next safe point.", confirm: "Cancel run", deny: "Keep running" },
      }),
    ];
  return [];
}
