import { describeRollout, type RolloutView } from "../service/rollout-use-cases.js";
import { ACTION } from "./action-ids.js";
import { actions, button, context, escapeMrkdwn, section, type Block, type SlackMessage } from "./block-kit.js";

/**
 * A staged rollout's status message, kept up to date in its thread: the stage ladder, what is next and
 * when, each gate's last result, and the controls its state allows (pause or resume, skip to the next
 * stage, abort and revert). A finished rollout keeps its ladder and loses its buttons.
 */
export function renderRolloutStatus(view: RolloutView, timeZone: string): SlackMessage {
  const d = describeRollout(view, timeZone);
  const { status, id } = view.rollout;
  const icon = { active: "🚦", paused: "⏸️", succeeded: "✅", reverted: "↩️", aborted: "🛑" }[status];
  const blocks: Block[] = [
    section(`${icon} *${escapeMrkdwn(d.title)}*`),
    section(`\`${escapeMrkdwn(d.ladder)}\`\n${escapeMrkdwn(d.state)}`),
  ];
  if (d.gates.length > 0) blocks.push(context(["*Gates* (last result)", ...d.gates.map(escapeMrkdwn)]));
  const controls: Record<string, unknown>[] = [];
  if (status === "active") controls.push(button("Pause", ACTION.rolloutPause, { value: id }));
  if (status === "paused") controls.push(button("Resume", ACTION.rolloutResume, { value: id, style: "primary" }));
  if (status === "active" || status === "paused") {
    controls.push(
      button("Skip to next stage", ACTION.rolloutSkip, {
        value: id,
        confirm: {
          title: "Skip the wait?",
          text: "The next stage starts now, after its gates. Only an approver may do this.",
          confirm: "Skip",
          deny: "Keep waiting",
        },
      }),
      button("Abort and revert", ACTION.rolloutAbort, {
        value: id,
        style: "danger",
        confirm: {
          title: view.rollout.kind === "release" ? "Abort the release?" : "Abort the rollout?",
          text:
            view.rollout.kind === "release"
              ? "No further stage runs; a stage in flight is cancelled, which runs its rollback."
              : `${view.rollout.flag} goes back to its value before the rollout, read back to check.`,
          confirm: "Abort and revert",
          deny: "Keep going",
        },
      }),
    );
  }
  if (controls.length > 0) blocks.push(actions(controls, `rollout:${id}`));
  return { text: `${d.title}: ${d.state}`, blocks };
}
