import type { Plan, PlannedStep } from "../planner/plan.js";
import { formatDuration, timeOfDay } from "../service/time-text.js";
import type { Run, RunEvent } from "../store/types.js";
import { clamp, escapeMrkdwn, timeAgo } from "./block-kit.js";

/** One line of the living checklist: a step of the plan (or of its rollback) and where it stands. */
export interface StepLine {
  id: string;
  label: string;
  state: "waiting" | "running" | "done" | "failed" | "skipped" | "cancelled";
  /** What it reported, or why it failed. */
  detail?: string;
  since?: Date;
  durationMs?: number;
  attempt?: number;
}

/** A run's progress as the status message shows it. */
export interface RunProgress {
  /** The checks (validate and preflight steps), then the steps that change things, verify and summarize. */
  checks: StepLine[];
  steps: StepLine[];
  rollback?: { state: "running" | "done"; steps: StepLine[] };
  /** The step that failed for good (after its retries); the one place its reason is shown. */
  failure?: { phase: string; stepId: string; label: string; reason: string };
  /** An edit replaced this plan before it ran: by whom. */
  replacedBy?: string;
  startedAt?: Date;
}

// Failures of no step of the plan: the credential check before validate, the run's own time limit.
const PSEUDO_STEPS: Record<string, string> = { credentials: "Credentials", timeout: "Time limit", preflight: "Preflight" };

/**
 * Reads a run's events into a checklist of its plan's steps. Events before the last `run_started`
 * belong to the preflight or to an earlier attempt of a requeued run; only the last attempt counts.
 */
export function progressFromEvents(events: readonly RunEvent[], plan: Plan): RunProgress {
  const lastStart = events.reduce((index, e, i) => (e.kind === "run_started" ? i : index), -1);
  const before = lastStart < 0 ? events : events.slice(0, lastStart);
  const attempt = lastStart < 0 ? [] : events.slice(lastStart);
  const line = (s: PlannedStep): StepLine => ({ id: s.id, label: labelOf(s, plan), state: "waiting" });
  const isCheck = (s: PlannedStep) => s.phase === "validate" || s.phase === "preflight";
  const progress: RunProgress = { checks: plan.steps.filter(isCheck).map(line), steps: plan.steps.filter((s) => !isCheck(s)).map(line) };
  for (const e of before) if (e.kind === "plan_replaced") progress.replacedBy = typeof e.data.by === "string" ? e.data.by : "someone";
  if (lastStart < 0) return progress;
  progress.startedAt = events[lastStart]!.at;
  const rollbackLines = plan.rollback.map(line);
  const find = (id: string | null, phase: string | null) =>
    (phase === "rollback" ? rollbackLines : [...progress.checks, ...progress.steps]).find((l) => l.id === id);
  for (const e of attempt) {
    const l = find(e.stepId, e.phase);
    switch (e.kind) {
      case "step_started":
        if (!l) break;
        l.state = "running";
        l.since = e.at;
        if (typeof e.data.attempt === "number" && e.data.attempt > 1) l.attempt = e.data.attempt;
        break;
      case "step_succeeded":
      case "step_skipped":
        if (!l) break;
        l.state = e.kind === "step_succeeded" ? "done" : "skipped";
        l.detail = e.message;
        if (l.since) l.durationMs = e.at.getTime() - l.since.getTime();
        break;
      case "step_failed":
        if (!l) break;
        l.state = "failed";
        l.detail = e.message;
        if (e.phase !== "rollback") progress.failure = { phase: e.phase ?? "", stepId: l.id, label: l.label, reason: e.message };
        break;
      case "rollback_started":
        progress.rollback = { state: "running", steps: rollbackLines };
        break;
      case "rollback_finished":
        progress.rollback = { state: "done", steps: rollbackLines };
        break;
      case "run_failed":
        if (!progress.failure) {
          const stepId = e.stepId ?? "";
          const label = l?.label ?? PSEUDO_STEPS[stepId] ?? (stepId || "Run");
          progress.failure = { phase: e.phase ?? "", stepId, label, reason: e.message };
          if (l) Object.assign(l, { state: "failed", detail: e.message });
          else progress.checks.unshift({ id: stepId, label, state: "failed", detail: e.message });
        }
        break;
      case "run_cancelled":
        for (const s of [...progress.checks, ...progress.steps]) if (s.state === "running") s.state = "cancelled";
        break;
      default:
        break;
    }
  }
  return progress;
}

/** The step's description; forEach copies of one step share it, so those add what they are for. */
function labelOf(step: PlannedStep, plan: Plan): string {
  const same = plan.steps.filter((s) => s.description === step.description).length > 1;
  return same ? `${step.description} (${step.id})` : step.description;
}

const MARK: Record<StepLine["state"], string> = {
  waiting: "◻️",
  running: "🔄",
  done: "✅",
  failed: "❌",
  skipped: "➖",
  cancelled: "⏹️",
};

/**
 * The checklist: the checks as one line while they pass, then each step that changes or verifies
 * something, the running one with how long it has been running, the failed one with its reason.
 */
export function renderChecklist(progress: RunProgress, timeZone: string, now: Date): string {
  const lines: string[] = [];
  const checks = progress.checks;
  const failedCheck = checks.find((c) => c.state === "failed");
  const doneChecks = checks.filter((c) => c.state === "done" || c.state === "skipped").length;
  if (failedCheck) lines.push(stepText(failedCheck, timeZone, now));
  else if (checks.length > 0) {
    const running = checks.find((c) => c.state === "running");
    const took = checks.reduce((ms, c) => ms + (c.durationMs ?? 0), 0);
    if (doneChecks === checks.length)
      lines.push(`${MARK.done} ${checks.length} check${checks.length === 1 ? "" : "s"} passed${took ? ` · ${formatDuration(took)}` : ""}`);
    else if (running)
      lines.push(
        `${MARK.running} Checks (${doneChecks + 1} of ${checks.length}): ${escapeMrkdwn(running.label)} · ${since(running, timeZone, now)}`,
      );
    else lines.push(`${MARK.waiting} ${checks.length} check${checks.length === 1 ? "" : "s"}`);
  }
  for (const s of progress.steps) lines.push(stepText(s, timeZone, now));
  if (progress.rollback) {
    lines.push(progress.rollback.state === "running" ? "↩️ *Rolling back*" : "↩️ *Rolled back*");
    for (const s of progress.rollback.steps) lines.push(`      ${stepText(s, timeZone, now)}`);
  }
  return lines.join("\n");
}

function stepText(s: StepLine, timeZone: string, now: Date): string {
  const label = escapeMrkdwn(clamp(s.label, 120));
  switch (s.state) {
    case "running":
      return `${MARK.running} *${label}*${s.attempt ? ` (attempt ${s.attempt})` : ""} · ${since(s, timeZone, now)}`;
    case "failed":
      return `${MARK.failed} *${label}* — ${escapeMrkdwn(clamp(s.detail ?? "failed", 600))}`;
    case "done":
      return `${MARK.done} ${label}${s.durationMs !== undefined ? ` · ${formatDuration(s.durationMs)}` : ""}`;
    case "skipped":
      return `${MARK.skipped} _${label} — skipped_`;
    default:
      return `${MARK[s.state]} ${label}`;
  }
}

function since(s: StepLine, timeZone: string, now: Date): string {
  return s.since ? `started ${timeAgo(s.since, timeZone, now)}` : "starting";
}

/** One line saying where the run is: queued behind whom, running since when, finished how. */
export function statusLine(run: Run, progress: RunProgress, now: Date, timeZone: string, lockAhead?: number): string {
  const started = run.startedAt ?? progress.startedAt;
  const took = started && run.finishedAt ? formatDuration(run.finishedAt.getTime() - started.getTime()) : undefined;
  switch (run.status) {
    case "pending_approval":
      return "⏸️ *Waiting for approval*";
    case "queued":
      if (run.runAt.getTime() > now.getTime())
        return `🗓️ *Scheduled* for ${timeOfDay(run.runAt, timeZone, now)} — it can be cancelled until then`;
      return lockAhead && lockAhead > 0
        ? `⏳ *Queued* behind ${lockAhead} run${lockAhead === 1 ? "" : "s"} of the same target`
        : "⏳ *Queued* — starting as soon as a worker is free";
    case "running": {
      const cancel = run.cancelRequestedAt ? ` · cancel requested by <@${run.cancelRequestedBy ?? "someone"}>` : "";
      return `🔄 *Running* · started ${started ? timeAgo(started, timeZone, now) : "just now"}${cancel}`;
    }
    case "succeeded":
      return `✅ *Succeeded*${took ? ` in ${took}` : ""}`;
    case "failed": {
      if (run.outcomeUnknown) {
        const where = run.failedStep ? ` at \`${escapeMrkdwn(run.failedStep)}\`` : "";
        return `❓ *Outcome unknown*${where} — check what it changed before running it again`;
      }
      const rolled = progress.rollback?.state === "done" ? " · rolled back" : "";
      return `❌ *Failed*${took ? ` after ${took}` : ""}${rolled}`;
    }
    case "cancelled":
      if (progress.replacedBy && !run.startedAt) return `✏️ *Replaced* by an edited plan from <@${progress.replacedBy}> — not run`;
      return run.startedAt
        ? `⏹️ *Cancelled* by <@${run.cancelRequestedBy ?? "someone"}>${took ? ` after ${took}` : ""}`
        : `⏹️ *Cancelled* by <@${run.cancelRequestedBy ?? "someone"}> before it started — not run`;
    case "rejected":
      return "🚫 *Rejected* — not run";
    case "expired":
      return "⌛ *Expired* — not run";
  }
}
