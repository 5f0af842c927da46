import type { ParamValue } from "../parser/intent.js";
import type { Plan, PlannedStep } from "../planner/plan.js";
import type { RunDescription } from "../service/chat-use-cases.js";
import type { Approval, Run, RunEvent, StoredArtifact } from "../store/types.js";
import { ACTION, encodeRunRef } from "./action-ids.js";
import {
  actions,
  button,
  clamp,
  clockTime,
  context,
  escapeMrkdwn,
  excerpt,
  fields,
  header,
  LIMITS,
  section,
  sectionsFromLines,
  slackDate,
  type Block,
  type SlackMessage,
} from "./block-kit.js";
import { progressFromEvents, renderChecklist, statusLine } from "./render-run-status.js";

export interface RunCardInput {
  description: RunDescription;
  events: readonly RunEvent[];
  artifacts: readonly StoredArtifact[];
  now: Date;
  timeZone: string;
  /** Runs of the same lock key ahead of a queued run. */
  lockAhead?: number;
  /** A line on top, e.g. "Edited by @x — earlier approvals are void." (else the run's `origin.note`). */
  note?: string;
  /** The card for a plan whose run is being recorded: no buttons yet (they need the run). */
  preview?: boolean;
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

// The card never needs more than this many blocks for its step list; the Dry run button shows all.
const MAX_STEP_BLOCKS = 4;
const PREFLIGHT_EXCERPT_LINES = 12;
const PREFLIGHT_EXCERPT_CHARS = 1200;

/**
 * The one message a run has in Slack, for its whole life: while it waits for approval it is the plan
 * card (what would run, the preflight, who may approve, the buttons); once approved it becomes the
 * status message (a phase checklist with elapsed time and a Cancel button) and ends with the outcome.
 */
export function renderRunCard(input: RunCardInput): SlackMessage {
  const { description: d, now, timeZone } = input;
  const { run } = d;
  const plan = run.plan;
  const progress = progressFromEvents(input.events);
  const target = [plan.service, plan.env].filter(Boolean).join(" → ");
  const title = `${plan.title}${target ? ` · ${target}` : ""}`;
  const blocks: Block[] = [header(title)];
  // A note given when the card was posted ("Edited by …", "Retry of …") stays on it: it is kept on the run.
  const note = input.note ?? (typeof run.origin.note === "string" ? run.origin.note : undefined);
  if (note) blocks.push(context([note]));
  blocks.push(
    fields([
      `*Runbook*\n\`${escapeMrkdwn(plan.runbook)}\``,
      `*Environment*\n${plan.env ? `\`${escapeMrkdwn(plan.env)}\`` : "—"}`,
      `*Risk*\n${plan.mutating ? "✏️ changes things" : "👀 read-only"}`,
      `*Params*\n${formatParams(plan.params)}`,
    ]),
  );
  blocks.push(
    context([
      `Requested by <@${run.requestedBy}> · plan \`${run.planHash.slice(0, 8)}\`${run.id ? ` · run \`${run.id.slice(0, 8)}\`` : ""} · owner ${escapeMrkdwn(plan.owner)} · escalation ${escapeMrkdwn(plan.escalation)}`,
    ]),
  );

  const pending = run.status === "pending_approval";
  const neverStarted = !run.startedAt && !progress.startedAt;
  if (pending || (neverStarted && run.status !== "queued")) {
    blocks.push(...stepBlocks(plan.steps, plan.rollback));
  }
  const preflight = preflightState(d, progress, now);
  if (plan.mutating && (pending || neverStarted)) {
    const preflightBlock =
      preflight.state === "running" && pending
        ? section("⏳ *Preflight* running — *Approve* appears once its result is here.")
        : preflightSection(preflight.result, input.artifacts, run.startedAt, preflight.state === "timed-out");
    if (preflightBlock) blocks.push(preflightBlock);
  }
  if (plan.approval.required > 0 || d.approvals.length > 0) blocks.push(section(approvalLine(d, timeZone, now)));
  const decisions = decisionLines(d.approvals, run.planHash, timeZone);
  if (decisions.length > 0) blocks.push(context([decisions.join("\n")]));

  blocks.push(section(statusLine(run, progress, now, timeZone, input.lockAhead)));
  if (!neverStarted) blocks.push(section(renderChecklist(progress, timeZone)));

  const ref = encodeRunRef({ runId: run.id, planHash: run.planHash });
  if (input.preview) {
    // The buttons come with the first update, once the run exists.
  } else if (pending) {
    // Approvers see the preflight (the diff, the commits about to ship) before they can say yes.
    const approvable = preflight.state !== "running";
    blocks.push(
      actions(
        [
          ...(approvable
            ? [
                button("Approve", ACTION.approve, {
                  style: "primary",
                  value: ref,
                  ...(d.confirmApprove
                    ? {
                        confirm: {
                          title: `Approve in ${plan.env ?? "production"}?`,
                          text: `This runs *${escapeMrkdwn(plan.title)}* against *${escapeMrkdwn(plan.env ?? "")}* as planned (plan \`${run.planHash.slice(0, 8)}\`).`,
                          confirm: "Approve and run",
                          deny: "Not yet",
                        },
                      }
                    : {}),
                }),
              ]
            : []),
          button("Reject", ACTION.reject, { style: "danger", value: ref }),
          button("Dry run", ACTION.dryRun, { value: ref }),
          button("Edit", ACTION.edit, { value: ref }),
        ],
        "run_actions",
      ),
    );
  } else if (d.canCancel) {
    blocks.push(
      actions(
        [
          button("Cancel", ACTION.cancel, {
            style: "danger",
            value: ref,
            confirm: { title: "Cancel this run?", text: "It stops at the next safe point.", confirm: "Cancel run", deny: "Keep running" },
          }),
        ],
        "run_actions",
      ),
    );
  }
  return { text: clamp(`${title}: ${plainStatus(run.status)}`, LIMITS.fallbackText), blocks: blocks.slice(0, LIMITS.messageBlocks) };
}

function plainStatus(status: string): string {
  return status === "pending_approval" ? "waiting for approval" : status === "expired" ? "expired — not run" : status;
}

export function formatParams(params: Record<string, ParamValue>): string {
  const entries = Object.entries(params);
  if (entries.length === 0) return "—";
  return entries
    .map(([k, v]) => `${escapeMrkdwn(k)}=\`${escapeMrkdwn(clamp(Array.isArray(v) ? v.join(",") : String(v), 120))}\``)
    .join(" ");
}

/** The steps a run would make, as the dry run renders them: phase, step, action and its args. */
export function stepLines(steps: readonly PlannedStep[]): string[] {
  return steps.map((s, i) => {
    const args = JSON.stringify(s.args);
    const when = s.runIf ? ` _(if ${escapeMrkdwn(clamp(s.runIf, 80))})_` : "";
    return `${i + 1}. *${s.phase}* \`${escapeMrkdwn(s.id)}\` ${escapeMrkdwn(clamp(s.description, 120))} — \`${escapeMrkdwn(s.uses)}\` \`${escapeMrkdwn(clamp(args, 300))}\`${when}`;
  });
}

function stepBlocks(steps: readonly PlannedStep[], rollback: readonly PlannedStep[]): Block[] {
  const out = sectionsFromLines(
    ["*Steps a run would make*", ...stepLines(steps)],
    MAX_STEP_BLOCKS,
    (n) => `_… and ${n} more — *Dry run* lists every call._`,
  );
  if (rollback.length > 0) {
    out.push(section(clamp(["*On failure it rolls back*", ...stepLines(rollback)].join("\n"), LIMITS.sectionText)));
  }
  return out;
}

/** What a deferred preflight looks like from the run (see `Requester.deferPreflight`). */
type PreflightView = { ok: boolean; summaries: string[]; failure?: string };

// The executor gives a preflight 20 s; after this long without a result the card stops waiting for it.
const PREFLIGHT_WAIT_MS = 30_000;

/**
 * The preflight's result: recorded on the run's origin by the Slack front end when it ran it, else read
 * from the steps' events. `running` while neither exists yet (and it is not overdue).
 */
export function preflightState(
  d: RunDescription,
  progress: ReturnType<typeof progressFromEvents>,
  now: Date,
): { state: "none" | "running" | "done" | "timed-out"; result: PreflightView } {
  const { run } = d;
  const stored = run.origin.preflight as { ok: boolean; summaries?: string[]; stepId?: string; reason?: string } | undefined;
  if (stored && typeof stored.ok === "boolean") {
    return {
      state: "done",
      result: stored.ok
        ? { ok: true, summaries: stored.summaries ?? [] }
        : { ok: false, summaries: [], failure: `${stored.stepId ?? "preflight"} — ${stored.reason ?? "failed"}` },
    };
  }
  const expected = run.plan.steps.filter((s) => s.phase === "validate" || s.phase === "preflight");
  if (!run.mutating || expected.length === 0) return { state: "none", result: progress.preflight };
  if (progress.preflight.failure || progress.preflight.finished >= expected.length || run.status !== "pending_approval")
    return { state: "done", result: progress.preflight };
  return { state: now.getTime() - run.createdAt.getTime() < PREFLIGHT_WAIT_MS ? "running" : "timed-out", result: progress.preflight };
}

function preflightSection(
  preflight: PreflightView,
  artifacts: readonly StoredArtifact[],
  startedAt: Date | null,
  timedOut: boolean,
): Block | undefined {
  const early = artifacts.filter((a) => a.kind !== "summary" && (!startedAt || a.createdAt.getTime() < startedAt.getTime()));
  if (timedOut && preflight.summaries.length === 0)
    return section("⚠️ *Preflight* did not report back; check the plan's steps before approving.");
  if (preflight.summaries.length === 0 && !preflight.failure && early.length === 0) return undefined;
  const lines = [
    preflight.ok
      ? `*Preflight* ✓ ${escapeMrkdwn(clamp(preflight.summaries.join(" · ") || "ok", 600))}`
      : `*Preflight* ✗ ${escapeMrkdwn(clamp(preflight.failure ?? "failed", 600))}`,
  ];
  const first = early.find((a) => a.content || a.url);
  if (first) {
    if (first.url) lines.push(`<${first.url}|${escapeMrkdwn(clamp(first.title, 200))}>`);
    if (first.content) {
      const cut = excerpt(first.content, PREFLIGHT_EXCERPT_LINES, PREFLIGHT_EXCERPT_CHARS);
      lines.push(`_${escapeMrkdwn(first.title)}_`, `\`\`\`${cut.text}\`\`\``);
      if (cut.truncated) lines.push("_(excerpt)_");
    }
    if (early.length > 1) lines.push(`_${early.length - 1} more preflight artifact${early.length > 2 ? "s" : ""}_`);
  }
  return section(clamp(lines.join("\n"), LIMITS.sectionText));
}

function approvalLine(d: RunDescription, timeZone: string, now: Date): string {
  const { run } = d;
  const approval = run.plan.approval;
  const who = [...approval.approvers.users.map((u) => `<@${u}>`), ...approval.approvers.groups.map((g) => `<!subteam^${g}>`)];
  const parts = [
    `*Approval* ${Math.min(d.approvalsCounted, run.requiredApprovals)} of ${run.requiredApprovals}`,
    who.length > 0 ? `from ${who.join(", ")}` : "from anyone in the workspace",
  ];
  if (!run.selfApproval) parts.push("not by the requester");
  if (run.status === "pending_approval" && run.expiresAt) {
    const expired = run.expiresAt.getTime() <= now.getTime();
    parts.push(
      `${expired ? "expired" : "expires"} ${slackDate(run.expiresAt, "{time}", `${clockTime(run.expiresAt, timeZone)} ${timeZone}`)}`,
    );
  }
  return parts.join(" · ");
}

function decisionLines(approvals: readonly Approval[], planHash: string, timeZone: string): string[] {
  return approvals.map((a) => {
    const verb = a.decision === "approve" ? "✅ Approved" : "🚫 Rejected";
    const stale = a.planHash !== planHash ? " (for an earlier plan — void)" : "";
    return `${verb} by <@${a.approver}> at ${slackDate(a.createdAt, "{time}", clockTime(a.createdAt, timeZone))} · plan \`${a.planHash.slice(0, 8)}\`${stale}`;
  });
}
