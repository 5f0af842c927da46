import type { ScheduleNotifier } from "../schedules/scheduler.js";
import { skipNoticeText, watchAlertText } from "../service/schedule-text.js";

/** What schedules do, printed in the console as it happens (runs are listed with `runs`). */
export function createConsoleNotifier(options: { print: (text: string) => void; timeZone: string; now?: () => Date }): ScheduleNotifier {
  const now = options.now ?? (() => new Date());
  return {
    async occurrenceStarted(schedule, run) {
      options.print(`⏰ ${schedule.cadence}: started ${run.title}${run.env ? ` in ${run.env}` : ""} (run ${run.id.slice(0, 8)}).`);
    },
    async skipped(notice) {
      options.print(skipNoticeText(notice, options.timeZone, now()));
    },
    async alert(schedule, alert) {
      options.print(watchAlertText(schedule, alert, alert.owner));
    },
  };
}
