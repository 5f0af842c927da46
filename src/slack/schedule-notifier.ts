import type { Logger } from "pino";
import type { ScheduleNotifier } from "../schedules/scheduler.js";
import { scheduleReplyText, skipNoticeText, watchAlertText } from "../service/schedule-text.js";
import type { ScheduleReply } from "../service/schedule-use-cases.js";
import { formatDuration } from "../service/time-text.js";
import type { Schedule } from "../store/schedule-records.js";
import { ACTION, encodeDraft } from "./action-ids.js";
import { actions, button, section, type SlackMessage } from "./block-kit.js";
import type { RunReporter } from "./run-reporter.js";
import type { SlackDirectory } from "./slack-directory.js";
import type { SlackPoster } from "./slack-poster.js";

export interface ScheduleNotifierDeps {
  poster: SlackPoster;
  reporter: Pick<RunReporter, "track">;
  directory: Pick<SlackDirectory, "mention">;
  log: Logger;
  timeZone: string;
  now: () => Date;
  /** How long the Silence button holds a watch's alerts back (config schedules.silenceMinutes). */
  silenceMinutes: number;
}

/**
 * Schedules in Slack: each occurrence's run gets a card in the schedule's channel, kept up to date by
 * the run reporter like any run; skipped occurrences are said once there; a watch's alert names what
 * changed and mentions its owner, with the next steps as buttons (open triage, show the board, silence).
 */
export function createSlackScheduleNotifier(deps: ScheduleNotifierDeps): ScheduleNotifier {
  const { poster } = deps;
  return {
    async occurrenceStarted(schedule, run) {
      if (!schedule.channel)
        return void deps.log.info({ schedule_id: schedule.id, run_id: run.id }, "scheduled run has no channel to post in");
      const text = `⏰ ${schedule.cadence}: ${run.title}${run.env ? ` in ${run.env}` : ""}`;
      // The reporter replaces this with the run's card at once and keeps it up to date.
      const posted = await poster.post(schedule.channel, { text, blocks: [section(text)] });
      await deps.reporter.track(run.id, { channel: posted.channel, threadTs: posted.ts, messageTs: posted.ts });
    },

    async skipped(notice) {
      if (!notice.schedule.channel) return;
      const text = skipNoticeText(notice, deps.timeZone, deps.now());
      await poster.post(notice.schedule.channel, { text, blocks: [section(text)] });
    },

    async alert(schedule, alert) {
      const channel = schedule.channel;
      if (!channel) return;
      const owner = alert.owner ? await deps.directory.mention(alert.owner) : null;
      await poster.post(channel, renderWatchAlert(schedule, watchAlertText(schedule, alert, owner), deps.silenceMinutes));
    },
  };
}

/** The alert with its next steps: triage and the board (read-only plans, as from any button), silence 1 h. */
function renderWatchAlert(schedule: Schedule, text: string, silenceMinutes: number): SlackMessage {
  const env = schedule.plan?.env ?? "prod";
  const service = schedule.plan?.service;
  return {
    text,
    blocks: [
      section(text),
      actions([
        button("Open triage", `${ACTION.triage}.0`, {
          value: encodeDraft({ runbook: "incident-triage", params: { env, ...(service ? { service } : {}) } }),
        }),
        button("Show the board", `${ACTION.triage}.1`, { value: encodeDraft({ runbook: "ops-board", params: { env } }) }),
        button(`Silence ${formatDuration(silenceMinutes * 60_000)}`, ACTION.silenceWatch, { value: schedule.id }),
      ]),
    ],
  };
}

/** A schedule reply; one waiting for approval carries an Approve button for the approvers. */
export function renderScheduleReply(reply: ScheduleReply, timeZone: string, now: Date): SlackMessage {
  const text = scheduleReplyText(reply, timeZone, now);
  const waiting = reply.kind === "created" && reply.schedule.status === "pending_approval" ? reply.schedule : undefined;
  return {
    text,
    blocks: [
      section(text),
      ...(waiting ? [actions([button("Approve schedule", ACTION.approveSchedule, { value: waiting.id, style: "primary" })])] : []),
    ],
  };
}
