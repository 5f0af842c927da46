import type { ParamValue } from "../parser/intent.js";
import type { ParamField } from "../service/param-fields.js";
import { encodeFormMeta, VIEW, type FormMeta } from "./action-ids.js";
import { clamp, context, escapeMrkdwn, LIMITS, type Block } from "./block-kit.js";

/** Input blocks are `param:<name>`, their element `value`; the submission is read back with these. */
export const FORM_BLOCK_PREFIX = "param:";
export const FORM_ACTION_ID = "value";

/**
 * The params form built from the runbook's param schema: a menu for closed sets (environments,
 * services, flags, enums, booleans), a number input for integers and percents, text otherwise.
 */
export function renderPlanForm(input: {
  title: string;
  fields: readonly ParamField[];
  meta: FormMeta;
  editing: boolean;
}): Record<string, unknown> {
  const blocks: Block[] = [
    context([
      input.editing
        ? `Editing *${escapeMrkdwn(input.title)}*. Saving makes a new plan: approvals given so far no longer count.`
        : `New *${escapeMrkdwn(input.title)}* request.`,
    ]),
  ];
  for (const field of input.fields.slice(0, LIMITS.viewBlocks - 1)) {
    blocks.push({
      type: "input",
      block_id: `${FORM_BLOCK_PREFIX}${field.name}`,
      optional: !field.required || field.default !== undefined,
      label: { type: "plain_text", text: clamp(field.name, 2000) },
      ...(field.description ? { hint: { type: "plain_text", text: clamp(field.description, 2000) } } : {}),
      element: elementFor(field),
    });
  }
  return {
    type: "modal",
    callback_id: VIEW.planForm,
    private_metadata: encodeFormMeta(input.meta),
    title: { type: "plain_text", text: input.editing ? "Edit plan" : "New request" },
    submit: { type: "plain_text", text: input.editing ? "Save new plan" : "Make plan" },
    close: { type: "plain_text", text: "Cancel" },
    blocks,
  };
}

function elementFor(field: ParamField): Record<string, unknown> {
  const current = field.value ?? field.default;
  if (field.choices && field.choices.length > 0) {
    const option = (v: string) => ({
      text: { type: "plain_text", text: clamp(v, LIMITS.optionText) },
      value: clamp(v, LIMITS.optionValue),
    });
    const initial = current !== undefined ? String(current) : undefined;
    return {
      type: "static_select",
      action_id: FORM_ACTION_ID,
      placeholder: { type: "plain_text", text: `Choose ${clamp(field.name, 100)}` },
      options: field.choices.slice(0, 100).map(option),
      ...(initial !== undefined && field.choices.includes(initial) ? { initial_option: option(initial) } : {}),
    };
  }
  if (field.type === "integer" || field.type === "percent") {
    return {
      type: "number_input",
      action_id: FORM_ACTION_ID,
      is_decimal_allowed: false,
      ...(field.min !== undefined ? { min_value: String(field.min) } : field.type === "percent" ? { min_value: "0" } : {}),
      ...(field.max !== undefined ? { max_value: String(field.max) } : field.type === "percent" ? { max_value: "100" } : {}),
      ...(current !== undefined ? { initial_value: String(current) } : {}),
    };
  }
  return {
    type: "plain_text_input",
    action_id: FORM_ACTION_ID,
    ...(current !== undefined ? { initial_value: clamp(textOf(current), 3000) } : {}),
    ...(field.type === "time" ? { placeholder: { type: "plain_text", text: "e.g. 17:30, tomorrow 9am, 2026-05-01T17:30:00Z" } } : {}),
    ...(field.type === "list" ? { placeholder: { type: "plain_text", text: "comma separated, e.g. ops, admin" } } : {}),
  };
}

function textOf(value: ParamValue): string {
  return Array.isArray(value) ? value.join(", ") : String(value);
}

/** Reads a submitted form's `state.values` back into raw strings per param. */
export function readFormValues(
  values: Record<string, Record<string, { value?: string | null; selected_option?: { value: string } | null }>>,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [blockId, actionsById] of Object.entries(values)) {
    if (!blockId.startsWith(FORM_BLOCK_PREFIX)) continue;
    const entry = actionsById[FORM_ACTION_ID];
    out[blockId.slice(FORM_BLOCK_PREFIX.length)] = entry?.selected_option?.value ?? entry?.value ?? undefined;
  }
  return out;
}
