import type { ParamValue } from "../parser/intent.js";

/**
 * Every action_id and view callback_id opsroom puts on a surface, and the button values they carry.
 * Values are JSON, well under Slack's 2,000 characters, and never hold anything secret.
 */
export const ACTION = {
  approve: "opsroom.approve",
  reject: "opsroom.reject",
  dryRun: "opsroom.dry_run",
  edit: "opsroom.edit",
  cancel: "opsroom.cancel",
  retry: "opsroom.retry",
  /** Runs a plan's preflight again (after its failed check was fixed). */
  recheck: "opsroom.recheck",
  /** Opens the plan's steps in a modal. */
  details: "opsroom.details",
  /** A choice for a missing param; suffixed with the choice's index (action ids are unique per message). */
  pick: "opsroom.pick",
  /** "Did you mean …" a runbook. */
  alternative: "opsroom.alt",
  /** A read-only triage runbook offered in an incident channel. */
  triage: "opsroom.triage",
  /** A way back (rollback, flag, restart, revert PR) or a re-run, on an incident channel's triage summary. */
  wayBack: "opsroom.way_back",
  /** Opens the form for a question (all params at once). */
  askForm: "opsroom.ask_form",
  /** Approves a schedule waiting for approval; the value is the schedule id. */
  approveSchedule: "opsroom.approve_schedule",
  /** Holds a watch's alerts back for the config's silenceMinutes; the value is the schedule id. */
  silenceWatch: "opsroom.silence_watch",
  /** A staged rollout's controls, on its status message; the value is the rollout's id. */
  rolloutPause: "opsroom.rollout_pause",
  rolloutResume: "opsroom.rollout_resume",
  rolloutSkip: "opsroom.rollout_skip",
  rolloutAbort: "opsroom.rollout_abort",
  /** App Home: the whole ops board in a modal; the value is the board's env. */
  showBoard: "opsroom.show_board",
} as const;

export const VIEW = {
  /** The params form: editing a pending plan, or filling in a new request. */
  planForm: "opsroom.plan_form",
  /** The plan's steps, read-only. */
  planDetails: "opsroom.plan_details",
  /** Approve over what the preflight reported against the plan: asks the approver's reason (private_metadata: a RunRef). */
  overrideReason: "opsroom.override_reason",
  /** The whole ops board, read-only (from App Home). */
  opsBoard: "opsroom.ops_board",
} as const;

/** The override form's one input (block and action ids). */
export const OVERRIDE_REASON_BLOCK = "override_reason";
export const OVERRIDE_REASON_ACTION = "reason";

/** What the override form carries between opening and submitting: the plan, and where to answer. */
export interface OverrideMeta extends RunRef {
  channel?: string;
  threadTs?: string;
}

export function encodeOverrideMeta(meta: OverrideMeta): string {
  return JSON.stringify({
    r: meta.runId,
    h: meta.planHash,
    ...(meta.channel ? { c: meta.channel } : {}),
    ...(meta.threadTs ? { t: meta.threadTs } : {}),
  });
}

export function decodeOverrideMeta(value: string | undefined): OverrideMeta | undefined {
  const parsed = parse(value);
  if (typeof parsed?.r !== "string" || typeof parsed.h !== "string") return undefined;
  return {
    runId: parsed.r,
    planHash: parsed.h,
    ...(typeof parsed.c === "string" ? { channel: parsed.c } : {}),
    ...(typeof parsed.t === "string" ? { threadTs: parsed.t } : {}),
  };
}

/** Identifies a run and the exact plan the person was looking at. */
export interface RunRef {
  runId: string;
  planHash: string;
}

/** A runbook with params chosen so far (questions, "did you mean", triage offers). */
export interface DraftRef {
  runbook: string;
  params: Record<string, ParamValue>;
  /** The param this button sets, and the value it sets it to. */
  set?: { name: string; value: ParamValue };
}

export function encodeRunRef(ref: RunRef): string {
  return JSON.stringify({ r: ref.runId, h: ref.planHash });
}

export function decodeRunRef(value: string | undefined): RunRef | undefined {
  const parsed = parse(value);
  return typeof parsed?.r === "string" && typeof parsed.h === "string" ? { runId: parsed.r, planHash: parsed.h } : undefined;
}

export function encodeDraft(draft: DraftRef): string {
  return JSON.stringify({ b: draft.runbook, p: draft.params, ...(draft.set ? { s: [draft.set.name, draft.set.value] } : {}) });
}

export function decodeDraft(value: string | undefined): DraftRef | undefined {
  const parsed = parse(value);
  if (typeof parsed?.b !== "string" || typeof parsed.p !== "object" || parsed.p === null) return undefined;
  const draft: DraftRef = { runbook: parsed.b, params: parsed.p as Record<string, ParamValue> };
  if (Array.isArray(parsed.s) && typeof parsed.s[0] === "string") draft.set = { name: parsed.s[0], value: parsed.s[1] as ParamValue };
  return draft;
}

/** What the params form carries between opening and submitting (private_metadata, ≤ 3,000 characters). */
export interface FormMeta {
  runbook: string;
  /** The pending run being edited; absent when the form fills in a new request. */
  runId?: string;
  channel?: string;
  threadTs?: string;
  /** The message the form was opened from (a question to replace with the card). */
  messageTs?: string;
}

export function encodeFormMeta(meta: FormMeta): string {
  return JSON.stringify(meta);
}

export function decodeFormMeta(value: string | undefined): FormMeta | undefined {
  const parsed = parse(value);
  return typeof parsed?.runbook === "string" ? (parsed as unknown as FormMeta) : undefined;
}

function parse(value: string | undefined): Record<string, unknown> | undefined {
  if (!value) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
