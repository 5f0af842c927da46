import type { Plan, PlannedStep } from "../planner/plan.js";
import { argsInWords, conditionInWords } from "../service/plan-words.js";
import type { Run } from "../store/types.js";
import { ACTION, VIEW, encodeRunRef } from "./action-ids.js";
import { actions, button, clamp, context, divider, escapeMrkdwn, LIMITS, section, type Block } from "./block-kit.js";
import { intentLine } from "./render-plan-card.js";

const PHASE_TITLES: Record<PlannedStep["phase"], string> = {
  validate: "Checks before it starts",
  preflight: "What it looks up first",
  action: "What it changes",
  verify: "How it verifies",
  summarize: "Summary",
  rollback: "If it fails after changing something, it rolls back",
};
// Room kept for the head, the dry-run button and the "… more steps" line.
const MAX_STEP_BLOCKS = LIMITS.viewBlocks - 12;
const MAX_ARGS = 12;

/**
 * "Plan details": every step of the plan in plain words with its arguments, in a modal, so the card
 * itself stays short. A value that only exists at run time says where it comes from, never a template.
 */
export function renderPlanDetails(run: Run, timeZone: string, now: Date): Record<string, unknown> {
  const plan = run.plan;
  const blocks: Block[] = [
    section(intentLine(plan, timeZone, now)),
    context([`plan \`${run.planHash.slice(0, 8)}\` · runbook \`${escapeMrkdwn(plan.runbook)}\` · owner ${escapeMrkdwn(plan.owner)}`]),
  ];
  const groups: [PlannedStep["phase"], PlannedStep[]][] = [
    ...(["validate", "preflight", "action", "verify", "summarize"] as const).map((p): [PlannedStep["phase"], PlannedStep[]] => [
      p,
      plan.steps.filter((s) => s.phase === p),
    ]),
    ["rollback", plan.rollback],
  ];
  let shown = 0;
  const total = plan.steps.length + plan.rollback.length;
  for (const [phase, steps] of groups) {
    if (steps.length === 0) continue;
    if (blocks.length >= MAX_STEP_BLOCKS) break;
    blocks.push(divider(), section(`*${PHASE_TITLES[phase]}*`));
    for (const step of steps) {
      if (blocks.length >= MAX_STEP_BLOCKS) break;
      blocks.push(section(stepText(step, plan)));
      shown++;
    }
  }
  if (shown < total) blocks.push(context([`… and ${total - shown} more steps: *Dry run* lists every call.`]));
  if (run.id && run.plan.mutating)
    blocks.push(actions([button("Dry run", ACTION.dryRun, { value: encodeRunRef({ runId: run.id, planHash: run.planHash }) })]));
  return {
    type: "modal",
    callback_id: VIEW.planDetails,
    title: { type: "plain_text", text: "Plan details" },
    close: { type: "plain_text", text: "Close" },
    blocks: blocks.slice(0, LIMITS.viewBlocks),
  };
}

function stepText(step: PlannedStep, plan: Plan): string {
  const lines = [`*${escapeMrkdwn(clamp(step.description, 200))}*  \`${escapeMrkdwn(step.uses)}\``];
  const when = conditionInWords(step, plan);
  if (when) lines.push(`_Runs ${escapeMrkdwn(when)}._`);
  const args = argsInWords(step.args, plan);
  for (const arg of args.slice(0, MAX_ARGS)) {
    const value = arg.atRunTime ? `_${escapeMrkdwn(arg.atRunTime)}_` : `\`${escapeMrkdwn(clamp(arg.value ?? "", 200))}\``;
    lines.push(`• ${escapeMrkdwn(arg.name)}: ${value}`);
  }
  if (args.length > MAX_ARGS) lines.push(`• _… ${args.length - MAX_ARGS} more_`);
  return clamp(lines.join("\n"), LIMITS.sectionText);
}
