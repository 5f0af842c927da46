import type { Intent } from "../parser/intent.js";
import type { Plan } from "../planner/plan.js";
import type { RunFilter, Store } from "../store/store.js";
import type { Approval, Run, RunEvent, RunStatus, StoredArtifact } from "../store/types.js";

/**
 * Everything on record about one run, in the order it happened: the message that asked, how it was
 * understood, the plan and its hash, who approved or rejected it, every event and artifact, and how
 * it ended. What `opsroom runs show|export`, `/ops run <id>` and any later front end show. Secrets
 * were redacted before any of it was stored.
 *
 * @example { run: { id, runbook: "deploy", … }, request: { text: "deploy api to staging", source: "slack", channel: "C0OPS" }, parse: { runbook: "deploy", confidence: 0.93, … }, planHash: "d3e5…", approvals: [{ approver: "U0ALICE01", decision: "approve", … }], events: […], artifacts: […], outcome: { status: "succeeded", … } }
 */
export interface RunChain {
  run: Run;
  /** The message that asked (absent for runs made from buttons or forms, and runs from before it was kept). */
  request: { text: string; source: string; user: string; channel?: string; threadTs?: string } | null;
  /** How the message was understood. */
  parse: Omit<Intent, "text"> | null;
  plan: Plan;
  planHash: string;
  approvals: Approval[];
  events: RunEvent[];
  artifacts: StoredArtifact[];
  outcome: {
    status: RunStatus;
    summary: string | null;
    error: string | null;
    failedStep: string | null;
    startedAt: Date | null;
    finishedAt: Date | null;
  };
}

/** What a run keeps of the message that asked for it (in its origin, under `request`). */
export interface StoredRequest {
  text: string;
  intent?: Omit<Intent, "text">;
}

export function createRunChains(store: Store) {
  const chainOf = async (run: Run): Promise<RunChain> => {
    const [approvals, events, artifacts] = await Promise.all([
      store.listApprovals(run.id),
      store.listEvents(run.id),
      store.listArtifacts(run.id),
    ]);
    const stored = run.origin.request as StoredRequest | undefined;
    const channel = typeof run.origin.channel === "string" ? run.origin.channel : undefined;
    const threadTs = typeof run.origin.threadTs === "string" ? run.origin.threadTs : undefined;
    return {
      run,
      request: stored
        ? {
            text: stored.text,
            source: run.source,
            user: run.requestedBy,
            ...(channel ? { channel } : {}),
            ...(threadTs ? { threadTs } : {}),
          }
        : null,
      parse: stored?.intent ?? null,
      plan: run.plan,
      planHash: run.planHash,
      approvals,
      events,
      artifacts,
      outcome: {
        status: run.status,
        summary: run.summary,
        error: run.error,
        failedStep: run.failedStep,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
      },
    };
  };

  return {
    /** The chain of one run, by its id or the start of it (as cards show it); undefined when none or several match. */
    async runChain(idOrPrefix: string): Promise<RunChain | undefined> {
      const found = await store.listRuns({ idPrefix: idOrPrefix, limit: 2 });
      return found.length === 1 ? chainOf(found[0]!) : undefined;
    },

    /** The chains of every run the filter matches, newest first, read a page at a time. */
    async *runChains(filter: Omit<RunFilter, "olderThan">): AsyncGenerator<RunChain> {
      let remaining = filter.limit ?? Number.POSITIVE_INFINITY;
      let olderThan: RunFilter["olderThan"];
      while (remaining > 0) {
        const page = await store.listRuns({ ...filter, limit: Math.min(100, remaining), ...(olderThan ? { olderThan } : {}) });
        for (const run of page) yield await chainOf(run);
        if (page.length < Math.min(100, remaining)) return;
        remaining -= page.length;
        olderThan = page.at(-1)!;
      }
    },
  };
}
