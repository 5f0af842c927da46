import type { WatchAlert } from "../schedules/watch-state.js";
import type { Schedule, SkipNotice } from "../store/schedule-records.js";
import type { ScheduleReply } from "./schedule-use-cases.js";
import { timeOfDay } from "./time-text.js";

/**
 * Schedules, skip notices and watch alerts as text (Slack mrkdwn reads it as is; the console prints it).
 * Front ends add buttons around it, never other words.
 */
export function describeSchedule(s: Schedule, timeZone: string, now: Date): string {
  const where = s.channel ? ` → ${/^[CGD][A-Z0-9]+$/.test(s.channel) ? `<#${s.channel}>` : `#${s.channel}`}` : "";
  const what = s.kind === "watch" ? `watch: ${s.request}` : s.request;
  const state =
    s.status === "pending_approval"
      ? `waiting for approval (${s.approvedBy.length} of ${s.requiredApprovals}): \`approve schedule ${s.id.slice(0, 8)}\``
      : s.nextAt
        ? `next ${timeOfDay(s.nextAt, timeZone, now)}`
        : s.status;
  return `\`${s.id.slice(0, 8)}\` ${s.cadence}: ${what}${where} · ${state}${s.configKey ? ` · from the config (${s.configKey})` : ""}`;
}

export function scheduleReplyText(reply: ScheduleReply, timeZone: string, now: Date): string {
  switch (reply.kind) {
    case "created": {
      const s = reply.schedule;
      const head = `⏰ Scheduled ${s.cadence} (${s.timeZone}): ${s.kind === "watch" ? "watch " : ""}${s.plan?.title ?? s.request}${s.plan?.env ? ` in ${s.plan.env}` : ""}.`;
      const tail =
        s.status === "pending_approval"
          ? ` It changes things in ${s.plan?.env ?? "this environment"}, so it starts once approved (${s.requiredApprovals} needed): \`approve schedule ${s.id.slice(0, 8)}\`.`
          : s.kind === "watch"
            ? ` I'll post only when its state changes (confirmed by ${s.confirmCount} checks, at most once per ${s.quietMinutes} min).`
            : "";
      return `${head}${tail}\n${describeSchedule(s, timeZone, now)}`;
    }
    case "list":
      return reply.schedules.length === 0
        ? "No schedules. Create one like `every weekday at 9am post the ops board in #ops`."
        : `Schedules (${reply.schedules.length}):\n${reply.schedules.map((s) => `• ${describeSchedule(s, timeZone, now)}`).join("\n")}\nStop one with \`stop schedule <id>\`.`;
    case "stopped":
      return `⏹ Stopped ${reply.schedule.cadence}: ${reply.schedule.request} (\`${reply.schedule.id.slice(0, 8)}\`). Nothing more will run from it.`;
    case "which":
      return `Several schedules match "${reply.query}"; say which by its id:\n${reply.matches.map((s) => `• ${describeSchedule(s, timeZone, now)}`).join("\n")}`;
    case "approved":
      return reply.outcome === "active"
        ? `✅ Approved: ${reply.schedule.cadence}: ${reply.schedule.request} is active${reply.schedule.nextAt ? `, next ${timeOfDay(reply.schedule.nextAt, timeZone, now)}` : ""}.`
        : `Approval recorded (${reply.schedule.approvedBy.length} of ${reply.schedule.requiredApprovals}).`;
    case "question":
      return reply.text;
  }
}

export function skipNoticeText(notice: SkipNotice, timeZone: string, now: Date): string {
  const s = notice.schedule;
  const n = notice.skipped;
  return (
    `⏭ Skipped ${n} occurrence${n === 1 ? "" : "s"} of ${s.cadence}: ${s.request} (\`${s.id.slice(0, 8)}\`), missed while opsroom was not running ` +
    `(${timeOfDay(notice.skippedFrom, timeZone, now)} to ${timeOfDay(notice.occurrenceAt, timeZone, now)}); they were not run late.` +
    (s.nextAt && s.status === "active" ? ` Next: ${timeOfDay(s.nextAt, timeZone, now)}.` : "")
  );
}

const ICON: Record<WatchAlert["to"], string> = { Healthy: "🟢", Warning: "🟡", Blocked: "🔴" };

/** `owner` is already a mention where the front end can make one. */
export function watchAlertText(schedule: Schedule, alert: WatchAlert, owner: string | null): string {
  const why = alert.reasons.length > 0 ? `: ${alert.reasons.join("; ")}` : "";
  const recovered = alert.to === "Healthy";
  return (
    `${ICON[alert.to]} *${alert.name}* is ${alert.to}${recovered ? " again" : ""} (was ${alert.from})${recovered ? "" : why}.` +
    `${owner ? ` Owner: ${owner}.` : ""}\n_Watch ${schedule.configKey ?? schedule.id.slice(0, 8)}: ${schedule.request}, ${schedule.cadence}._`
  );
}
