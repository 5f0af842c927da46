import { InputError, OpsError, PolicyError } from "../errors.js";
import type { PreflightResult } from "../executor/run-preflight.js";
import type { Store } from "../store/store.js";
import type { Run, RunEvent, StoredArtifact } from "../store/types.js";

/** One read-only check of a plan's preflight, in plain words. */
export interface PreflightCheck {
  stepId: string;
  /** The step's description from the runbook ("Commits about to ship"); "Credentials" for the credential check. */
  label: string;
  ok: boolean;
  /** What the step reported, or why it failed. */
  detail: string;
  /** What stands against going ahead, which an approver may override with a reason (see StepResult.override). */
  override?: string;
}

/**
 * A mutating plan's preflight as the people approving it see it: not run (`none`: read-only, or no
 * preflight steps), `running`, `done`, or `timed-out` (it never reported back).
 */
export interface PreflightState {
  state: "none" | "running" | "done" | "timed-out";
  ok: boolean;
  /** Every check that reported, in the order it ran. */
  checks: PreflightCheck[];
  /** The check that failed (it blocks approval: the run would fail the same way). */
  failure?: PreflightCheck;
  /** Checks that passed but say something stands against the change: approving them needs a reason. */
  overrides: PreflightCheck[];
}

/**
 * What is kept on the run (`origin.preflight`) about its latest preflight: the last event before it
 * started (its checks are the step events after that one), when it started, and its result once in.
 */
export interface PreflightRecord {
  afterEventId: number;
  startedAt: string;
  result?: PreflightResult;
}

export const NO_PREFLIGHT: PreflightState = { state: "none", ok: true, checks: [], overrides: [] };

// The executor gives a preflight 20 s; after this long without a result nobody waits for it any longer.
const PREFLIGHT_WAIT_MS = 30_000;

/** Runs a plan's preflight and records it on the run, so every process and front end reads the same result. */
export async function runAndRecordPreflight(
  store: Store,
  run: Run,
  preflight: (run: Run) => Promise<PreflightResult>,
  now: Date,
): Promise<PreflightResult> {
  const afterEventId = (await store.listEvents(run.id)).at(-1)?.id ?? 0;
  const record: PreflightRecord = { afterEventId, startedAt: now.toISOString() };
  await store.setRunOrigin(run.id, { preflight: record });
  let result: PreflightResult;
  try {
    result = await preflight(run);
  } catch (error) {
    result = {
      ok: false,
      stepId: "preflight",
      reason: error instanceof OpsError ? error.userMessage : "the preflight could not run; see opsroom's log",
    };
  }
  await store.setRunOrigin(run.id, { preflight: { ...record, result } });
  return result;
}

/**
 * The preflight of a plan waiting for approval, from its record and its step events. `events` may be
 * any prefix-complete list of the run's events (only those before the run started count).
 */
export function preflightStateOf(run: Run, events: readonly RunEvent[], now: Date): PreflightState {
  const expected = run.plan.steps.filter((s) => s.phase === "validate" || s.phase === "preflight");
  if (!run.mutating || expected.length === 0) return NO_PREFLIGHT;
  const record = readRecord(run.origin.preflight);
  const started = events.findIndex((e) => e.kind === "run_started");
  const before = started < 0 ? events : events.slice(0, started);
  const labels = new Map(expected.map((s) => [s.id, s.description]));
  const checks: PreflightCheck[] = [];
  for (const e of before) {
    if (e.id <= (record?.afterEventId ?? 0) || !e.stepId) continue;
    if (e.kind !== "step_succeeded" && e.kind !== "step_failed") continue;
    const override = e.kind === "step_succeeded" && typeof e.data.override === "string" ? e.data.override : undefined;
    checks.push({
      stepId: e.stepId,
      label: labels.get(e.stepId) ?? e.stepId,
      ok: e.kind === "step_succeeded",
      detail: e.message,
      ...(override ? { override } : {}),
    });
  }
  const overrides = checks.filter((c) => c.ok && c.override !== undefined);
  const result = record?.result;
  if (result) {
    if (result.ok) return { state: "done", ok: true, checks: checks.filter((c) => c.ok), overrides };
    const failure = checks.find((c) => !c.ok && c.stepId === result.stepId) ?? {
      stepId: result.stepId,
      label: result.stepId === "credentials" ? "Credentials" : (labels.get(result.stepId) ?? "Preflight"),
      ok: false,
      detail: result.reason,
    };
    return { state: "done", ok: false, checks: [...checks.filter((c) => c.ok), failure], failure, overrides };
  }
  // Past the plan's life as a plan (approved, rejected, expired): what ran is all there is.
  if (run.status !== "pending_approval") return { state: "done", ok: checks.every((c) => c.ok), checks, overrides };
  const since = record ? Date.parse(record.startedAt) : run.createdAt.getTime();
  return { state: now.getTime() - since < PREFLIGHT_WAIT_MS ? "running" : "timed-out", ok: true, checks, overrides };
}

function readRecord(value: unknown): PreflightRecord | undefined {
  if (!value || typeof value !== "object") return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.afterEventId === "number" && typeof v.startedAt === "string") return v as unknown as PreflightRecord;
  return undefined;
}

/**
 * Why a plan cannot be approved right now. A failed preflight may be fixed and re-checked (a missing
 * token set, a provider back up); the others pass or end on their own.
 */
export interface ApproveBlock {
  kind: "not-pending" | "expired" | "preflight-running" | "preflight-failed";
  reason: string;
}

/**
 * Whether a plan may be approved now: it waits for approval, has not expired, and its preflight is
 * not still running and did not fail (a failed check fails the run the same way, so approving it
 * would only start a run that cannot succeed). A preflight that never reported back does not block.
 */
export function approveBlockOf(run: Run, preflight: PreflightState, now: Date): ApproveBlock | undefined {
  if (run.status !== "pending_approval") return { kind: "not-pending", reason: `This plan is ${run.status.replace("_", " ")}.` };
  if (run.expiresAt && run.expiresAt.getTime() <= now.getTime()) return { kind: "expired", reason: "This plan has expired." };
  if (preflight.state === "running") return { kind: "preflight-running", reason: "Its preflight is still running." };
  if (preflight.failure) return { kind: "preflight-failed", reason: `its check “${preflight.failure.label}” failed` };
  return undefined;
}

/** The longest override reason kept (a sentence or two; the run's events carry it whole). */
export const OVERRIDE_REASON_MAX = 500;

/**
 * The override an approval gives, checked: undefined when the preflight asks for none, the trimmed
 * reason when it asks for one, else a refusal that says
 * what blocks and how to approve with a reason. A reason never stands in for an approver: the store
 * still decides whether the approval counts.
 */
export function overrideOf(run: Run, preflight: PreflightState, reason: string | undefined): string | undefined {
  const given = reason?.trim().replace(/\s+/g, " ") ?? "";
  if (given.length > OVERRIDE_REASON_MAX)
    throw new InputError(
      "OVERRIDE_REASON_TOO_LONG",
      `The override reason is ${given.length} characters; keep it under ${OVERRIDE_REASON_MAX}.`,
    );
  // Nothing to override: a reason given anyway is not an override, and is not recorded as one.
  if (preflight.overrides.length === 0) return undefined;
  if (given.length >= 3) return given;
  throw new PolicyError(
    "POLICY_OVERRIDE_REASON_REQUIRED",
    `Approving ${run.title}${run.env ? ` in ${run.env}` : ""} needs an override reason: ${preflight.overrides.map((c) => c.override).join("; ")}.`,
    {
      hint: `Say why it should go ahead anyway, e.g. \`approve ${run.id.slice(0, 8)} because <reason>\` (in Slack, Approve asks for the reason).`,
    },
  );
}

/** Refuses an approval that the plan's preflight blocks (still running, or failed); other refusals are the store's. */
export async function assertPreflightAllowsApproval(store: Store, run: Run, now: Date): Promise<PreflightState | undefined> {
  if (run.status !== "pending_approval" || !run.mutating) return undefined;
  const preflight = preflightStateOf(run, await store.listEvents(run.id), now);
  const block = approveBlockOf(run, preflight, now);
  if (block?.kind === "preflight-running")
    throw new PolicyError("POLICY_PREFLIGHT_RUNNING", `You can't approve ${run.title} yet: its preflight is still running.`, {
      hint: "Approve once its result is on the plan.",
    });
  if (block?.kind === "preflight-failed")
    // The plan shows why; the refusal names the check without repeating its reason.
    throw new PolicyError("POLICY_PREFLIGHT_FAILED", `You can't approve ${run.title} yet: ${block.reason}.`, {
      hint: "Fix it, then re-check the plan (Re-check on its card) or ask again.",
    });
  return preflight;
}

/** What a plan's card shows under "what changes": the checks that reported it, a list excerpt, links. */
export interface PlanChange {
  /** The passed checks whose steps reported the change, in the order they ran. */
  said: PreflightCheck[];
  /** The artifact whose content the card excerpts. */
  list: StoredArtifact | undefined;
  links: StoredArtifact[];
}

/**
 * The change a plan would make, from the artifacts its preflight stored before the run started. A diff
 * (the flag's old → new value, the pending migrations' schema change) is the change itself; other
 * artifacts (every flag in the env, read to check dependencies) are context, shown only when no step
 * produced a diff.
 */
export function planChangeOf(run: Run, preflight: PreflightState, artifacts: readonly StoredArtifact[]): PlanChange {
  const early = artifacts.filter((a) => a.kind !== "summary" && (!run.startedAt || a.createdAt.getTime() < run.startedAt.getTime()));
  const diffs = early.filter((a) => a.kind === "diff");
  const shown = diffs.length > 0 ? diffs : early;
  const steps = new Set(shown.map((a) => a.stepId));
  return {
    said: preflight.checks.filter((c) => c.ok && steps.has(c.stepId)),
    list: shown.find((a) => a.content),
    links: early.filter((a) => a.url),
  };
}
