import type { DryRunStep } from "../executor/dry-run.js";
import type { Plan } from "../planner/plan.js";
import type { RunDescription } from "../service/chat-use-cases.js";
import { planChangeOf } from "../service/plan-preflight.js";
import { argsLine, intentOf } from "../service/plan-words.js";
import { formatDuration, timeOfDay } from "../service/time-text.js";
import type { Run, RunEvent, StoredArtifact } from "../store/types.js";

const EXCERPT_LINES = 12;
const CHANGE_LINES = 8;

/**
 * The plan card as plain text, with the same content as in Slack: the intent, what changes (from the
 * preflight), the checks, the steps in plain words (the dry run lists every call), who decides.
 */
export function renderPlanText(d: RunDescription, artifacts: readonly StoredArtifact[], timeZone: string, now: Date): string {
  const { run, preflight } = d;
  const plan = run.plan;
  const intent = intentOf(plan);
  const head = [intent.title, intent.subject, ...intent.detail].filter(Boolean).join(" ");
  const lines = [
    `┌ ${head}${intent.env ? ` → ${intent.env}` : ""} · ${plan.mutating ? `changes ${plan.env ?? "things"}` : "read-only"} · run ${run.id.slice(0, 8)}`,
    ...(plan.runAt ? [`│ scheduled for ${timeOfDay(new Date(plan.runAt), timeZone, now)}`] : []),
    // A note kept on the run when it was planned ("replicas: 5 (3 now + 2)"), as the Slack card shows it.
    ...(typeof run.origin.note === "string" ? [`│ ${run.origin.note}`] : []),
  ];
  const { said, list, links } = planChangeOf(run, preflight, artifacts);
  if (said.length > 0 || list) {
    lines.push(`│ what changes: ${said.map((c) => c.detail).join(" · ") || (list?.title ?? "")}`);
    const rows = list?.content?.split("\n") ?? [];
    lines.push(...rows.slice(0, CHANGE_LINES).map((r) => `│   ${clip(r, 160)}`));
    if (rows.length > CHANGE_LINES) lines.push(`│   … ${rows.length - CHANGE_LINES} more: type \`artifact ${list!.id}\``);
    for (const link of links) lines.push(`│   ${link.title}: ${link.url}`);
  }
  if (preflight.state === "running") lines.push("│ checks: running…");
  if (preflight.state === "timed-out") lines.push("│ checks: did not report back");
  const passed = preflight.checks.filter((c) => c.ok);
  if (passed.length > 0) lines.push(`│ checks: ✓ ${passed.length} passed (${passed.map((c) => c.label).join(", ")})`);
  if (preflight.failure) lines.push(`│ checks: ✗ ${preflight.failure.label} — ${preflight.failure.detail}`);
  // The ops board's verdicts are shown whatever they say ("unknown" only informs); a Blocked one asks for an override.
  const boardSteps = new Set(plan.steps.filter((s) => s.uses === "board.blockVerdicts").map((s) => s.id));
  for (const c of passed.filter((c) => boardSteps.has(c.stepId))) lines.push(`│ ${c.detail}`);
  for (const c of preflight.overrides) lines.push(`│ ⛔ needs an override: ${c.override}`);
  const acting = plan.steps.filter((s) => s.phase !== "validate" && s.phase !== "preflight");
  if (acting.length > 0) lines.push("│ steps:");
  for (const s of acting) lines.push(`│   ${s.phase.padEnd(9)} ${s.description} — ${s.uses}`);
  if (plan.rollback.length > 0)
    lines.push(`│ if it fails after changing something, it rolls back: ${plan.rollback.map((s) => s.description).join(", ")}`);
  lines.push(`│ owner ${plan.owner} · escalation ${plan.escalation.replace(/^@/, "")}`);
  if (run.status !== "pending_approval") {
    // A change the approval policy lets through (approvals.rules with required: 0) is not read-only.
    lines.push(plan.mutating ? "└ no approval needed: running now." : "└ read-only: running now.");
    return lines.join("\n");
  }
  const expires = run.expiresAt ? ` (expires ${timeOfDay(run.expiresAt, timeZone, now)})` : "";
  if (d.approveBlock?.kind === "preflight-failed") {
    lines.push(`└ can't be approved yet: fix the failed check, then ask again${expires}.`);
    return lines.join("\n");
  }
  const needs = plan.approval.required === 1 ? "1 approval" : `${plan.approval.required} approvals`;
  const self = plan.approval.selfApproval ? "" : " from someone other than you";
  if (preflight.overrides.length > 0) {
    lines.push(
      `└ needs ${needs}${self}, each with a reason for the override. Type \`approve ${run.id.slice(0, 8)} because <reason>\` to run it or \`reject\` to drop it${expires}.`,
    );
    return lines.join("\n");
  }
  lines.push(`└ needs ${needs}${self}. Type \`approve\` to run it or \`reject\` to drop it${expires}.`);
  return lines.join("\n");
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** One line per event worth showing; undefined for the ones the console keeps quiet about. */
export function renderEventText(event: RunEvent): string | undefined {
  const ms = typeof event.data.duration_ms === "number" ? ` (${event.data.duration_ms} ms)` : "";
  switch (event.kind) {
    case "phase_started":
      return `▸ ${event.phase}${event.message ? ` — ${event.message}` : ""}`;
    case "step_succeeded":
      return `  ✓ ${event.stepId} — ${event.message}${ms}`;
    case "step_failed":
      return `  ✗ ${event.stepId} — ${event.message}`;
    case "step_retry":
      return `  ↻ ${event.stepId} — ${event.message} (retrying)`;
    case "step_skipped":
      return `  – ${event.stepId} skipped: ${event.message}`;
    case "rollback_started":
      return `▸ rollback — ${event.message}`;
    case "approval_override":
      return `⚑ override: ${event.message}`;
    case "cancel_requested":
    case "run_requeued":
    case "lease_lost":
      return `… ${event.message}`;
    default:
      return undefined;
  }
}

/**
 * The final word on a run, short like the Slack summary: outcome, duration, where it failed (the
 * reason only when no step line above already said it), rollback, escalation contact.
 */
export function renderOutcomeText(run: Run, events: readonly RunEvent[] = []): string {
  if (run.outcomeUnknown) return `? outcome unknown (failed): ${run.summary ?? ""}`.trimEnd();
  const mark = run.status === "succeeded" ? "✔" : run.status === "failed" ? "✘" : "■";
  const intent = intentOf(run.plan);
  const what = [intent.title, intent.subject, ...intent.detail].filter(Boolean).join(" ") + (intent.env ? ` → ${intent.env}` : "");
  const took =
    run.startedAt && run.finishedAt
      ? ` ${run.status === "succeeded" ? "in" : "after"} ${formatDuration(run.finishedAt.getTime() - run.startedAt.getTime())}`
      : "";
  if (run.status !== "failed") return `${mark} ${run.status}: ${what}${took}.`;
  const failed = [...events].reverse().find((e) => e.kind === "run_failed");
  const stepId = failed?.stepId ?? run.failedStep ?? undefined;
  const step = [...run.plan.steps, ...run.plan.rollback].find((s) => s.id === stepId);
  const said = events.some((e) => e.kind === "step_failed" && e.stepId === stepId);
  const reason = !said && (failed?.message ?? run.error) ? ` — ${failed?.message ?? run.error}` : "";
  const rolled = events.some((e) => e.kind === "rollback_finished") ? " Rolled back." : "";
  return `${mark} failed: ${what} failed at ${step?.description ?? stepId ?? "a step"}${took}${reason}.${rolled} Escalation: ${run.plan.escalation.replace(/^@/, "")} (owner ${run.plan.owner}).`;
}

/** An artifact's excerpt; long content points at `artifact <id>`, which prints it whole. */
export function renderArtifactText(artifact: StoredArtifact): string {
  const head = `📎 ${artifact.title}${artifact.url ? ` ${artifact.url}` : ""}`;
  if (!artifact.content) return head;
  const lines = artifact.content.split("\n");
  const excerpt = lines.slice(0, EXCERPT_LINES).map((l) => `   ${l.length > 200 ? `${l.slice(0, 199)}…` : l}`);
  const more =
    lines.length > EXCERPT_LINES ? [`   … ${lines.length - EXCERPT_LINES} more lines: type \`artifact ${artifact.id}\` for all of it`] : [];
  return [head, ...excerpt, ...more].join("\n");
}

/** A dry run: every call a real run would make, in order, and a reminder that none was made. */
export function renderDryRunText(plan: Plan, steps: readonly DryRunStep[]): string {
  const lines = [`Dry run · ${plan.title}${plan.env ? ` → ${plan.env}` : ""} · nothing was called`];
  for (const step of steps) {
    lines.push(`  ${step.phase.padEnd(9)} ${step.id}: ${step.uses} ${argsLine(step.args, plan, 200)}`);
    for (const request of step.requests) lines.push(`            → ${request}`);
    if (step.note) lines.push(`            (${step.note})`);
  }
  return lines.join("\n");
}
