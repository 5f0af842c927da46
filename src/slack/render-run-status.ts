import { PHASES } from "../runbook/runbook-schema.js";
import type { Run, RunEvent } from "../store/types.js";
import { clamp, clockTime, escapeMrkdwn, formatDuration, slackDate } from "./block-kit.js";

/** Where one phase of a run stands, read from its events. */
export interface PhaseLine {
  phase: string;
  state: "waiting" | "running" | "done" | "failed" | "skipped" | "cancelled";
  durationMs?: number;
  note?: string;
}

/** A run's progress as the status message shows it. */
export interface RunProgress {
  phases: PhaseLine[];
  /** The step running right now. */
  current?: { stepId: string; description: string; since: Date; attempt?: number };
  /** The step that failed for good (after its retries). */
  failure?: { phase: string; stepId: string; reason: string; eventId: number };
  rollback?: { state: "running" | "done"; message: string };
  /** An edit replaced this plan before it ran: by whom. */
  replacedBy?: string;
  /** Read-only steps run before approval (the preflight shown on the plan card). */
  preflight: { ok: boolean; summaries: string[]; failure?: string; finished: number };
  startedAt?: Date;
}

/**
 * Reads a run's events into a checklist. Events before the last `run_started` belong to the preflight
 * or to an earlier attempt of a requeued run; only the last attempt's progress is shown.
 */
export function progressFromEvents(events: readonly RunEvent[]): RunProgress {
  const lastStart = events.reduce((index, e, i) => (e.kind === "run_started" ? i : index), -1);
  const before = lastStart < 0 ? events : events.slice(0, lastStart);
  const attempt = lastStart < 0 ? [] : events.slice(lastStart);
  const preflight: RunProgress["preflight"] = { ok: true, summaries: [], finished: 0 };
  let replacedBy: string | undefined;
  for (const e of before) {
    if (e.kind === "plan_replaced") replacedBy = typeof e.data.by === "string" ? e.data.by : "someone";
    if (e.kind === "step_succeeded" || e.kind === "step_skipped" || e.kind === "step_failed") preflight.finished++;
    if (e.kind === "step_succeeded" && e.message) preflight.summaries.push(e.message);
    if (e.kind === "step_failed") {
      preflight.ok = false;
      preflight.failure = `${e.stepId ?? "step"} — ${e.message}`;
    }
  }
  const progress: RunProgress = { phases: PHASES.map((phase) => ({ phase, state: "waiting" })), preflight };
  if (replacedBy) progress.replacedBy = replacedBy;
  if (lastStart < 0) return progress;
  progress.startedAt = events[lastStart]!.at;
  const started = new Map<string, Date>();
  const line = (phase: string | null) => progress.phases.find((p) => p.phase === phase);
  for (const e of attempt) {
    switch (e.kind) {
      case "phase_started": {
        const p = line(e.phase);
        if (!p) break;
        started.set(p.phase, e.at);
        p.state = e.message === "nothing to do" ? "skipped" : "running";
        break;
      }
      case "phase_finished": {
        const p = line(e.phase);
        if (!p) break;
        if (p.state !== "skipped") p.state = "done";
        const since = started.get(p.phase);
        if (since) p.durationMs = e.at.getTime() - since.getTime();
        delete progress.current;
        break;
      }
      case "step_started":
        progress.current = {
          stepId: e.stepId ?? "",
          description: e.message,
          since: e.at,
          ...(typeof e.data.attempt === "number" && e.data.attempt > 1 ? { attempt: e.data.attempt } : {}),
        };
        break;
      case "step_succeeded":
      case "step_skipped":
        delete progress.current;
        break;
      case "step_failed":
        if (e.phase !== "rollback") progress.failure = { phase: e.phase ?? "", stepId: e.stepId ?? "", reason: e.message, eventId: e.id };
        delete progress.current;
        break;
      case "rollback_started":
        progress.rollback = { state: "running", message: e.message };
        break;
      case "rollback_finished":
        progress.rollback = { state: "done", message: e.message };
        break;
      case "run_failed": {
        const p = line(e.phase);
        if (p) {
          p.state = "failed";
          const since = started.get(p.phase);
          if (since) p.durationMs = e.at.getTime() - since.getTime();
        }
        progress.failure ??= { phase: e.phase ?? "", stepId: e.stepId ?? "", reason: e.message, eventId: e.id };
        delete progress.current;
        break;
      }
      case "run_cancelled": {
        const p = line(e.phase);
        if (p && p.state === "running") p.state = "cancelled";
        delete progress.current;
        break;
      }
      default:
        break;
    }
  }
  return progress;
}

const MARK: Record<PhaseLine["state"], string> = {
  waiting: "⬜",
  running: "🔄",
  done: "✅",
  failed: "❌",
  skipped: "➖",
  cancelled: "⏹️",
};

/** The checklist, one line per phase, the running step under its phase. */
export function renderChecklist(progress: RunProgress, timeZone: string): string {
  const lines: string[] = [];
  for (const p of progress.phases) {
    const duration = p.durationMs !== undefined ? ` · ${formatDuration(p.durationMs)}` : "";
    const skipped = p.state === "skipped" ? " · nothing to do" : "";
    lines.push(`${MARK[p.state]} *${p.phase}*${duration}${skipped}`);
    if (p.state === "running" && progress.current) {
      const c = progress.current;
      const retry = c.attempt ? ` (attempt ${c.attempt})` : "";
      lines.push(
        `      ↳ \`${escapeMrkdwn(c.stepId)}\` ${escapeMrkdwn(clamp(c.description, 200))}${retry} · since ${slackDate(c.since, "{time_secs}", clockTime(c.since, timeZone, true))}`,
      );
    }
    if (p.state === "failed" && progress.failure) {
      lines.push(`      ↳ \`${escapeMrkdwn(progress.failure.stepId)}\` ${escapeMrkdwn(clamp(progress.failure.reason, 600))}`);
    }
  }
  if (progress.rollback) {
    const mark = progress.rollback.state === "running" ? "🔄" : "↩️";
    lines.push(`${mark} *rollback* · ${escapeMrkdwn(clamp(progress.rollback.message, 600))}`);
  }
  return lines.join("\n");
}

/** One line saying where the run is: running for how long, finished how, or waiting for what. */
export function statusLine(run: Run, progress: RunProgress, now: Date, timeZone: string, lockAhead?: number): string {
  const started = run.startedAt ?? progress.startedAt;
  const took = started && run.finishedAt ? formatDuration(run.finishedAt.getTime() - started.getTime()) : undefined;
  switch (run.status) {
    case "pending_approval":
      return "⏸️ *Waiting for approval*";
    case "queued":
      if (run.runAt.getTime() > now.getTime()) {
        return `🗓️ *Scheduled* for ${slackDate(run.runAt, "{date_short_pretty} {time}", `${clockTime(run.runAt, timeZone)} ${timeZone}`)} — it can be cancelled until then`;
      }
      return lockAhead && lockAhead > 0
        ? `⏳ *Queued* behind ${lockAhead} run${lockAhead === 1 ? "" : "s"} of the same target`
        : "⏳ *Queued* — starting as soon as a worker is free";
    case "running": {
      const elapsed = started ? formatDuration(now.getTime() - started.getTime()) : "a moment";
      const cancel = run.cancelRequestedAt ? ` · cancel requested by <@${run.cancelRequestedBy ?? "someone"}>` : "";
      return `🔄 *Running* for ${elapsed} (as of ${clockTime(now, timeZone, true)})${cancel}`;
    }
    case "succeeded":
      return `✅ *Succeeded*${took ? ` in ${took}` : ""}`;
    case "failed": {
      const where = run.failedStep ? ` at \`${escapeMrkdwn(run.failedStep)}\`` : "";
      if (run.outcomeUnknown) return `❓ *Outcome unknown*${where} — check what it changed before running it again`;
      return `❌ *Failed*${where}${took ? ` after ${took}` : ""}`;
    }
    case "cancelled":
      if (progress.replacedBy && !run.startedAt) return `✏️ *Replaced* by an edited plan from <@${progress.replacedBy}> — not run`;
      return run.startedAt
        ? `⏹️ *Cancelled* by <@${run.cancelRequestedBy ?? "someone"}>${took ? ` after ${took}` : ""}`
        : `⏹️ *Cancelled* by <@${run.cancelRequestedBy ?? "someone"}> before it started — not run`;
    case "rejected":
      return `🚫 *Rejected* — not run`;
    case "expired":
      return "⌛ *expired — not run*";
  }
}
