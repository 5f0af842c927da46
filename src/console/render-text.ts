import type { DryRunStep } from "../executor/dry-run.js";
import type { PreflightResult } from "../executor/run-preflight.js";
import type { Plan, PlannedStep } from "../planner/plan.js";
import type { Run, RunEvent, StoredArtifact } from "../store/types.js";

const EXCERPT_LINES = 12;

/** The plan card as plain text: what would run, with which args, and what it needs to start. */
export function renderPlanText(plan: Plan, run: Run, preflight?: PreflightResult, artifacts: readonly StoredArtifact[] = []): string {
  const params = Object.entries(plan.params)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(",") : String(v)}`)
    .join(" ");
  const lines = [
    `┌ Plan ${run.id.slice(0, 8)} · ${plan.title}${plan.env ? ` → ${plan.env}` : ""} · ${plan.mutating ? "changes things" : "read-only"}`,
    `│ params: ${params || "(none)"}`,
    ...(plan.runAt ? [`│ scheduled for ${plan.runAt}`] : []),
    "│ steps:",
    ...plan.steps.map((s) => `│   ${s.phase.padEnd(9)} ${stepLine(s)}`),
    ...(plan.rollback.length > 0 ? ["│ on failure, rolls back:", ...plan.rollback.map((s) => `│   ${stepLine(s)}`)] : []),
    `│ owner ${plan.owner} · escalation ${plan.escalation}`,
  ];
  if (preflight) {
    lines.push(
      preflight.ok ? `│ preflight ✓ ${preflight.summaries.join(" · ") || "ok"}` : `│ preflight ✗ ${preflight.stepId} — ${preflight.reason}`,
    );
    for (const artifact of artifacts)
      lines.push(
        ...renderArtifactText(artifact)
          .split("\n")
          .map((l) => `│ ${l}`),
      );
  }
  if (run.status === "pending_approval") {
    const needs = plan.approval.required === 1 ? "1 approval" : `${plan.approval.required} approvals`;
    const self = plan.approval.selfApproval ? "" : " from someone other than you";
    lines.push(
      `└ needs ${needs}${self}. Type \`approve\` to run it or \`reject\` to drop it${run.expiresAt ? ` (expires ${run.expiresAt.toISOString().slice(11, 16)} UTC)` : ""}.`,
    );
  } else {
    lines.push("└ read-only: running now.");
  }
  return lines.join("\n");
}

function stepLine(step: PlannedStep): string {
  const args = JSON.stringify(step.args);
  return `${step.id}: ${step.uses} ${args.length > 160 ? `${args.slice(0, 157)}…` : args}`;
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
    case "cancel_requested":
    case "run_requeued":
    case "lease_lost":
      return `… ${event.message}`;
    default:
      return undefined;
  }
}

/** The final word on a run. A run whose change may or may not have happened says so first. */
export function renderOutcomeText(run: Run): string {
  if (run.outcomeUnknown) return `? outcome unknown (failed): ${run.summary ?? ""}`.trimEnd();
  const mark = run.status === "succeeded" ? "✔" : run.status === "failed" ? "✘" : "■";
  return `${mark} ${run.status}: ${run.summary ?? ""}`.trimEnd();
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
    lines.push(`  ${step.phase.padEnd(9)} ${step.id}: ${step.uses} ${JSON.stringify(step.args)}`);
    for (const request of step.requests) lines.push(`            → ${request}`);
    if (step.note) lines.push(`            (${step.note})`);
  }
  return lines.join("\n");
}
