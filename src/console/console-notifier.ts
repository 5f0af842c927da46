import type { RolloutListener } from "../rollout/rollout-driver.js";
import type { ScheduleNotifier } from "../schedules/scheduler.js";
import { describeRollout, type RolloutView } from "../service/rollout-use-cases.js";
import { skipNoticeText, watchAlertText } from "../service/schedule-text.js";
import { stageLabel } from "../store/rollouts.js";

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

/**
 * What staged rollouts do between the stages, printed as it happens: the console has no thread to keep a
 * status message in, so each move (a stage done, a revert, a pause, the end) prints the status once.
 */
export function followRolloutsInConsole(options: {
  subscribe: (listener: RolloutListener) => () => void;
  rolloutStatus: (id: string) => Promise<RolloutView>;
  print: (text: string) => void;
  timeZone: string;
}): () => void {
  return options.subscribe({
    onStageQueued: (rollout, run) =>
      options.print(
        `🪜 Rollout ${rollout.id.slice(0, 8)} of ${rollout.flag} in ${rollout.env}: stage ${rollout.stage + 1} of ${rollout.stages.length} (${stageLabel(rollout.stages[rollout.stage])}) queued (run ${run.id.slice(0, 8)}).`,
      ),
    onRolloutChanged: (rollout) =>
      void options
        .rolloutStatus(rollout.id)
        .then((view) => {
          // A stage starting was just printed as queued; its end is the next move worth a status.
          if (view.current) return;
          const d = describeRollout(view, options.timeZone);
          options.print([`🪜 ${d.title}`, `   ${d.ladder}`, `   ${d.state}`].join("\n"));
        })
        .catch(() => undefined),
  });
}
