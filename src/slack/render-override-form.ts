import { OVERRIDE_REASON_MAX } from "../service/plan-preflight.js";
import type { Run } from "../store/types.js";
import { encodeOverrideMeta, OVERRIDE_REASON_ACTION, OVERRIDE_REASON_BLOCK, VIEW, type OverrideMeta } from "./action-ids.js";
import { clamp, escapeMrkdwn, LIMITS, section, type Block } from "./block-kit.js";
import { plainIntent } from "./render-plan-card.js";

/**
 * The form Approve opens when the plan's preflight reported something against it (a Blocked board
 * verdict, a migration never run on staging): what blocks, and the approver's reason, which is kept
 * with the approval. Submitting it is the approval (no second "are you sure?").
 */
export function renderOverrideForm(
  run: Run,
  overrides: readonly string[],
  meta: Omit<OverrideMeta, "runId" | "planHash">,
): Record<string, unknown> {
  const blocks: Block[] = [
    section(`*${escapeMrkdwn(clamp(plainIntent(run.plan), 200))}*`),
    section(clamp(overrides.map((o) => `⛔ ${escapeMrkdwn(o)}`).join("\n"), LIMITS.sectionText)),
    {
      type: "input",
      block_id: OVERRIDE_REASON_BLOCK,
      label: { type: "plain_text", text: "Why go ahead anyway?" },
      hint: { type: "plain_text", text: "Kept with your approval and shown on the run." },
      element: {
        type: "plain_text_input",
        action_id: OVERRIDE_REASON_ACTION,
        multiline: true,
        min_length: 3,
        max_length: OVERRIDE_REASON_MAX,
      },
    },
  ];
  return {
    type: "modal",
    callback_id: VIEW.overrideReason,
    private_metadata: encodeOverrideMeta({ runId: run.id, planHash: run.planHash, ...meta }),
    title: { type: "plain_text", text: "Approve with override" },
    submit: { type: "plain_text", text: "Approve and run" },
    close: { type: "plain_text", text: "Not yet" },
    blocks,
  };
}
