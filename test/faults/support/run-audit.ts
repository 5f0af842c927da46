import type { Store } from "../../../src/store/store.js";
import type { Run, RunEvent } from "../../../src/store/types.js";

/** What every run in the database says, checked against what its events and approvals show happened. */
export interface RunAudit {
  /**
   * Plans changed by someone not allowed to: a run requested, edited, approved or cancelled by an outsider, one
   * that left approval without the approvals that count, or one that changed things over a check that needed an
   * override without an approver's reason.
   */
  bypasses: number;
  /** Runs whose recorded status disagrees with their history (an edit that cancelled a started run, a status without its event). */
  falseRecords: number;
  /** One line per finding, for the assertion message. */
  findings: string[];
}

const FINAL_EVENT: Partial<Record<Run["status"], RunEvent["kind"]>> = {
  succeeded: "run_succeeded",
  failed: "run_failed",
  cancelled: "run_cancelled",
  rejected: "run_rejected",
  expired: "run_expired",
};

/**
 * Reads every run, its events and its approvals back from the database. `outsiders` are the people
 * who, in the scenario, may neither edit, approve nor cancel any of its plans.
 */
export async function auditRuns(store: Store, outsiders: readonly string[]): Promise<RunAudit> {
  const runs = await store.listRuns({ limit: 10_000 });
  const byId = new Map(runs.map((r) => [r.id, r]));
  const findings: string[] = [];
  let bypasses = 0;
  let falseRecords = 0;
  const bypass = (run: Run, why: string) => {
    bypasses++;
    findings.push(`bypass ${run.id.slice(0, 8)}: ${why}`);
  };
  const untrue = (run: Run, why: string) => {
    falseRecords++;
    findings.push(`false record ${run.id.slice(0, 8)}: ${why}`);
  };
  for (const run of runs) {
    const events = await store.listEvents(run.id);
    const kinds = new Set(events.map((e) => e.kind));
    const approvals = await store.listApprovals(run.id);
    const counted = approvals.filter((a) => a.counts).length;
    const started = kinds.has("run_started") || run.startedAt !== null;

    const outsider = run.requesters.find((u) => outsiders.includes(u));
    if (outsider) bypass(run, `requested or edited by ${outsider}`);
    if (run.cancelRequestedBy && outsiders.includes(run.cancelRequestedBy)) bypass(run, `cancelled by ${run.cancelRequestedBy}`);
    for (const a of approvals.filter((x) => outsiders.includes(x.approver))) bypass(run, `${a.decision} by ${a.approver}`);
    const leftApproval = run.status !== "pending_approval" && !["cancelled", "rejected", "expired"].includes(run.status);
    if (run.requiredApprovals > 0 && (leftApproval || started) && counted < run.requiredApprovals)
      bypass(run, `${run.status} with ${counted} of ${run.requiredApprovals} approvals that count`);

    // A check said something stands against the change: it may only have been changed over an approver's reason.
    const against = events.some((e) => e.kind === "step_succeeded" && typeof e.data.override === "string");
    const changing = run.mutationStarted || events.some((e) => e.kind === "step_started" && e.phase === "action");
    if (against && changing && !approvals.some((a) => a.counts && a.overrideReason))
      bypass(run, "changed things over a check that needed an override, with no approver's reason");

    const final = FINAL_EVENT[run.status];
    if (final && !kinds.has(final)) untrue(run, `${run.status} without a ${final} event`);
    for (const [status, kind] of Object.entries(FINAL_EVENT)) {
      if (status !== run.status && kinds.has(kind)) untrue(run, `${run.status} but its events say ${kind}`);
    }
    if (run.supersededBy !== null) {
      if (started) untrue(run, "replaced by an edit after it had started");
      if (run.status !== "cancelled") untrue(run, `replaced by an edit but ${run.status}`);
      const next = byId.get(run.supersededBy);
      if (!next) untrue(run, "replaced by a plan that does not exist");
      else if (!run.requesters.every((u) => next.requesters.includes(u))) untrue(run, "its edit lost a requester");
      if (!events.some((e) => e.kind === "plan_replaced" && e.data.run_id === run.supersededBy))
        untrue(run, "replaced without a plan_replaced event");
    } else if (kinds.has("plan_replaced")) {
      untrue(run, "a plan_replaced event on a run that was not replaced");
    }
  }
  return { bypasses, falseRecords, findings };
}
