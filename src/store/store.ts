import { PolicyError, StoreError } from "../errors.js";
import { createBatcher } from "./batcher.js";
import type { Db, Queryable } from "./db.js";
import { createQueueQueries, RELAXED_COMMIT } from "./queue-queries.js";
import { createBoardRecords, type BoardRecords } from "./board-records.js";
import { createMigrationHistory, type MigrationHistory } from "./migration-history.js";
import { createIncidentRecords, type IncidentRecords } from "./incident-records.js";
import { createRolloutRecords, type RolloutRecords } from "./rollouts.js";
import { camelRow, toNumber, toRun, triggerHint } from "./rows.js";
import { createScheduleRecords, type ScheduleRecords } from "./schedule-records.js";
import { createSlackDeliveries, type SlackDeliveries } from "./slack-deliveries.js";
import type {
  Approval,
  NewRun,
  NewRunEvent,
  QueuePosition,
  QueueStats,
  QueueWake,
  Run,
  RunCompletion,
  RunEvent,
  RunOutcome,
  RunStatus,
  StoredArtifact,
  WorkerHealth,
  WorkerInfo,
} from "./types.js";

/**
 * Every SQL statement opsroom runs, each as a named function. Callers see TypeScript types only.
 */
export interface Store {
  readonly kind: Db["kind"];
  /** Creates a run, or returns the existing one when its idempotency key was seen before (`created: false`). */
  createRun(run: NewRun): Promise<{ run: Run; created: boolean }>;
  /** `createRun` for many runs in a few statements (imports, benchmarks); results in input order. */
  createRuns(runs: NewRun[]): Promise<{ run: Run; created: boolean }[]>;
  getRun(id: string): Promise<Run | undefined>;
  /** Runs matching every given filter, newest first. */
  listRuns(filter?: RunFilter): Promise<Run[]>;
  setRunOrigin(id: string, origin: Run["origin"]): Promise<void>;
  recordDecision(input: {
    runId: string;
    approver: string;
    decision: "approve" | "reject";
    planHash: string;
    /** An approval's override of what its preflight reported (the approver's reason, and what it overrides). */
    override?: { reason: string; overrides: string[] };
  }): Promise<DecisionResult>;
  /**
   * An edit: cancels the plan `runId` and creates `next` (whose requesters are the old plan's plus
   * `next.requestedBy`) in one transaction, only while the old plan still waits for approval;
   * otherwise refuses with POLICY_NOT_EDITABLE and changes nothing.
   */
  supersedeRun(runId: string, next: NewRun): Promise<{ previous: Run; run: Run }>;
  listApprovals(runId: string): Promise<Approval[]>;
  claimNextRun(workerId: string, leaseMs: number): Promise<Run | undefined>;
  /** Claims up to `limit` due runs at once, at most one per lock key, oldest first. */
  claimRuns(workerId: string, leaseMs: number, limit: number): Promise<Run[]>;
  /** Extends the leases of the runs this worker still holds; returns their ids (a missing one was lost). */
  extendLeases(workerId: string, runIds: readonly string[], leaseMs: number): Promise<string[]>;
  /** Durable before a step that changes things starts: the run may no longer be retried, and names that step. */
  markMutationStarted(runId: string, stepId?: string): Promise<void>;
  finishRun(runId: string, workerId: string, outcome: RunOutcome): Promise<boolean>;
  /** `finishRun` for many runs in one statement; returns the ids that were still held and are now finished. */
  finishRuns(completions: RunCompletion[]): Promise<string[]>;
  requestCancel(runId: string, by: string): Promise<Run>;
  isCancelRequested(runId: string): Promise<boolean>;
  reapExpiredLeases(): Promise<{ failed: string[]; requeued: string[] }>;
  /**
   * Runs this worker holds and will not finish (it is shutting down): queued again when nothing
   * mutating started, failed otherwise, each with an event saying why.
   */
  handBackRuns(workerId: string, runIds: readonly string[]): Promise<{ failed: string[]; requeued: string[] }>;
  expireStalePlans(): Promise<string[]>;
  /** How many runs of the same lock key must finish before this queued run can start (undefined if not queued). */
  lockQueuePosition(runId: string): Promise<number | undefined>;
  queuePosition(runId: string): Promise<QueuePosition | undefined>;
  /** When the next scheduled (not yet due) queued run falls due. */
  nextScheduledAt(): Promise<Date | undefined>;
  appendEvent(runId: string, event: NewRunEvent): Promise<RunEvent>;
  listEvents(runId: string, afterId?: number): Promise<RunEvent[]>;
  addArtifact(runId: string, artifact: Omit<StoredArtifact, "id" | "runId" | "createdAt">): Promise<StoredArtifact>;
  listArtifacts(runId: string): Promise<StoredArtifact[]>;
  registerWorker(worker: Omit<WorkerInfo, "startedAt" | "heartbeatAt" | "stoppedAt">): Promise<void>;
  workerHeartbeat(workerId: string): Promise<void>;
  stopWorker(workerId: string): Promise<void>;
  listWorkers(): Promise<WorkerInfo[]>;
  /** Every worker seen in the last day with its state (healthy, late, lost, stopped) and running runs. */
  listWorkerHealth(): Promise<WorkerHealth[]>;
  onRunQueued(listener: (wake: QueueWake) => void): Promise<() => Promise<void>>;
  onRunEvent(listener: (runId: string) => void): Promise<() => Promise<void>>;
  /** Someone asked to cancel a running run: its executor should stop at once. */
  onRunCancelRequested(listener: (runId: string) => void): Promise<() => Promise<void>>;
  /** Queue depth, the oldest due run and open approvals, in one statement (metrics scrapes). */
  queueStats(): Promise<QueueStats>;
  /** Housekeeping the database does not do itself (PGlite: VACUUM/ANALYZE); a no-op on Postgres. */
  maintain(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Slack delivery dedupe and status-message leases (slack-deliveries.ts, migration 010). */
  readonly slackDeliveries: SlackDeliveries;
  /** Run history as changes, incident channel messages and summaries (incident-records.ts, migration 016). */
  readonly incidents: IncidentRecords;
  /** Recurring schedules, their occurrences, watch states and alerts (schedule-records.ts, migration 019). */
  readonly schedules: ScheduleRecords;
  /** Staged rollouts' schedules (rollouts.ts, migration 020). */
  readonly rollouts: RolloutRecords;
  /** The ops board: checklist step states and history, board messages (board-records.ts, migration 018). */
  readonly board: BoardRecords;
  /** Each target-database migration file's runs per environment, dry runs included (migration-history.ts, migration 023). */
  readonly migrations: MigrationHistory;
}

/**
 * Which runs `listRuns` returns. Every field is optional; given ones must all match.
 *
 * @example { runbook: "deploy", env: "prod", statuses: ["failed"], since: new Date("2026-01-01"), limit: 100 }
 */
export interface RunFilter {
  statuses?: RunStatus[];
  requestedBy?: string;
  runbook?: string;
  env?: string;
  service?: string;
  /** The start of a run id, as shown on cards (8 characters) or whole. */
  idPrefix?: string;
  /** Created at or after. */
  since?: Date;
  /** Created before. */
  until?: Date;
  /** Only runs whose approval by this person could count (not one of their requesters' own). */
  approvableBy?: string;
  /** Paging: only runs older than this one (newest first, ties broken by id). */
  olderThan?: Pick<Run, "createdAt" | "id">;
  /** Default 20. */
  limit?: number;
}

export type DecisionResult =
  | { outcome: "recorded"; run: Run; approvals: number }
  | { outcome: "queued"; run: Run; approvals: number }
  | { outcome: "rejected"; run: Run }
  | { outcome: "duplicate"; run: Run; approvals: number };

export function createStore(db: Db): Store {
  const getRun = async (id: string, q: Queryable = db) => {
    const { rows } = await q.query("SELECT * FROM runs WHERE id = $1", [id]);
    return rows[0] ? toRun(rows[0]) : undefined;
  };

  const expireStalePlans = async (): Promise<string[]> => {
    const { rows } = await db.query<{ id: string }>(
      `UPDATE runs SET status = 'expired', finished_at = now(), summary = 'expired — not run'
       WHERE status = 'pending_approval' AND expires_at <= now() RETURNING id`,
    );
    for (const row of rows) await insertEvent(db, row.id, { kind: "run_expired", message: "expired — not run" });
    return rows.map((r) => r.id);
  };

  const queue = createQueueQueries(db, { toRun, insertEvent });

  const finishOne = async ({ runId, workerId, outcome }: RunCompletion): Promise<boolean> => {
    try {
      const { rowCount } = await db.query(
        `UPDATE runs SET status = $3, summary = $4, failed_step = $5, error = $6, outcome_unknown = $7, finished_at = now(), lease_expires_at = NULL
         WHERE id = $1 AND worker_id = $2 AND status = 'running'`,
        [
          runId,
          workerId,
          outcome.status,
          outcome.summary,
          outcome.status === "failed" ? outcome.failedStep : null,
          outcome.status === "failed" ? outcome.error : null,
          outcome.status === "failed" && outcome.outcomeUnknown === true,
        ],
      );
      return rowCount > 0;
    } catch (error) {
      return translateTriggerError(error);
    }
  };

  // Events appended by executors commit relaxed (see RELAXED_COMMIT): the run's outcome, written
  // synchronously after them, makes them durable.
  const events = createBatcher<{ runId: string; event: NewRunEvent }, RunEvent>({
    single: ({ runId, event }) => insertEvents(db, [{ runId, event }]).then((rows) => rows[0]!),
    many: (items) => insertEvents(db, items),
  });

  // Which worker claimed a run through this store, so that markMutationStarted (which executors call
  // with the run id only) can refuse a worker that lost the run: a partition longer than the lease,
  // or a relaxed claim lost in a database crash, must not lead to two workers changing things.
  const claimedBy = new Map<string, string>();
  const forget = (runIds: Iterable<string>) => {
    for (const id of runIds) claimedBy.delete(id);
  };
  const claimRuns = async (workerId: string, leaseMs: number, limit: number): Promise<Run[]> => {
    const runs = await queue.claimRuns(workerId, leaseMs, limit);
    for (const run of runs) claimedBy.set(run.id, workerId);
    return runs;
  };

  return {
    kind: db.kind,
    slackDeliveries: createSlackDeliveries(db),
    incidents: createIncidentRecords(db),
    schedules: createScheduleRecords(db),
    rollouts: createRolloutRecords(db),
    board: createBoardRecords(db),
    migrations: createMigrationHistory(db),

    // The run and its run_created event go in one statement: no run without its first event, and
    // one round trip. A repeated idempotency key inserts nothing and returns the existing run.
    async createRun(input) {
      const { rows } = await db.query(INSERT_RUN_SQL, [...newRunParams(input), [input.requestedBy]]);
      if (rows[0]) return { run: toRun(rows[0]), created: true };
      const existing = await db.query("SELECT * FROM runs WHERE idempotency_key = $1", [input.idempotencyKey]);
      if (!existing.rows[0])
        throw new StoreError("STORE_IDEMPOTENCY_RACE", "The run could not be created; try again.", { retryable: true });
      return { run: toRun(existing.rows[0]), created: false };
    },

    async createRuns(inputs) {
      const results: { run: Run; created: boolean }[] = [];
      // Chunks keep one statement's JSON parameter to a few megabytes.
      for (let offset = 0; offset < inputs.length; offset += 500) {
        const chunk = inputs.slice(offset, offset + 500);
        const json = chunk.map((input, i) => {
          const p = newRunParams(input);
          return {
            i,
            runbook: p[0],
            title: p[1],
            params: input.plan.params,
            plan: input.plan,
            plan_hash: p[4],
            env: p[5],
            service: p[6],
            mutating: p[7],
            status: p[8],
            requested_by: p[9],
            source: p[10],
            origin: input.origin ?? {},
            idempotency_key: p[12],
            lock_key: p[13],
            required_approvals: p[14],
            self_approval: p[15],
            run_at: p[16],
            expires_at: input.expiresAt?.toISOString() ?? null,
          };
        });
        const { rows } = await db.query(
          `WITH ins AS (
             INSERT INTO runs (runbook, title, params, plan, plan_hash, env, service, mutating, status, requested_by, source, origin,
                               idempotency_key, lock_key, required_approvals, self_approval, run_at, expires_at, requesters)
             SELECT v.runbook, v.title, v.params, v.plan, v.plan_hash, v.env, v.service, v.mutating, v.status, v.requested_by, v.source, v.origin,
                    v.idempotency_key, v.lock_key, v.required_approvals, v.self_approval, COALESCE(v.run_at, now()), v.expires_at,
                    ARRAY[v.requested_by]
             FROM jsonb_to_recordset($1::jsonb) AS v(i int, runbook text, title text, params jsonb, plan jsonb, plan_hash text, env text, service text,
                    mutating boolean, status text, requested_by text, source text, origin jsonb, idempotency_key text, lock_key text,
                    required_approvals int, self_approval boolean, run_at timestamptz, expires_at timestamptz)
             ORDER BY v.i
             ON CONFLICT (idempotency_key) DO NOTHING
             RETURNING *),
           ev AS (${CREATED_EVENT_SQL})
           SELECT * FROM ins`,
          [JSON.stringify(json)],
        );
        // RETURNING gives the inserted rows in input order; runs with a key are matched by key.
        const created = rows.map(toRun);
        const byKey = new Map(created.filter((r) => r.idempotencyKey !== null).map((r) => [r.idempotencyKey!, r]));
        const unkeyed = created.filter((r) => r.idempotencyKey === null);
        for (const input of chunk) {
          if (input.idempotencyKey === undefined) {
            results.push({ run: unkeyed.shift()!, created: true });
            continue;
          }
          const fresh = byKey.get(input.idempotencyKey);
          if (fresh) {
            byKey.delete(input.idempotencyKey);
            results.push({ run: fresh, created: true });
          } else {
            const existing = await db.query("SELECT * FROM runs WHERE idempotency_key = $1", [input.idempotencyKey]);
            if (!existing.rows[0])
              throw new StoreError("STORE_IDEMPOTENCY_RACE", "The run could not be created; try again.", { retryable: true });
            results.push({ run: toRun(existing.rows[0]), created: false });
          }
        }
      }
      // A bulk load right after the table was analyzed nearly empty leaves the planner believing the
      // queue holds a handful of rows: the claim then sorts every queued row (2.3 ms for 5,000 instead
      // of 0.36 ms). Autovacuum would catch up within a minute; a bulk loader should not make workers
      // wait that long.
      if (inputs.length >= BULK_ANALYZE_ROWS) await db.query("ANALYZE runs");
      return results;
    },

    getRun: (id) => getRun(id),

    async listRuns(filter = {}) {
      // An id prefix is what people copy from a card ("66d34741"); anything but hex and dashes matches nothing.
      const idPrefix =
        filter.idPrefix === undefined ? null : /^[0-9a-f-]+$/i.test(filter.idPrefix) ? `${filter.idPrefix.toLowerCase()}%` : "";
      const { rows } = await db.query(
        `SELECT * FROM runs
         WHERE ($1::text[] IS NULL OR status = ANY($1)) AND ($2::text IS NULL OR requested_by = $2)
           AND ($4::text IS NULL OR runbook = $4) AND ($5::text IS NULL OR env = $5) AND ($6::text IS NULL OR id::text LIKE $6)
           AND ($7::timestamptz IS NULL OR created_at >= $7) AND ($8::timestamptz IS NULL OR created_at < $8)
           AND ($9::timestamptz IS NULL OR (created_at, id) < ($9, $10::uuid))
           AND ($11::text IS NULL OR approval_may_count(runs, $11)) AND ($12::text IS NULL OR service = $12)
         ORDER BY created_at DESC, id DESC LIMIT $3`,
        [
          filter.statuses ?? null,
          filter.requestedBy ?? null,
          filter.limit ?? 20,
          filter.runbook ?? null,
          filter.env ?? null,
          idPrefix,
          filter.since ?? null,
          filter.until ?? null,
          filter.olderThan?.createdAt ?? null,
          filter.olderThan?.id ?? null,
          filter.approvableBy ?? null,
          filter.service ?? null,
        ],
      );
      return rows.map(toRun);
    },

    async setRunOrigin(id, origin) {
      await db.query("UPDATE runs SET origin = origin || $2::jsonb WHERE id = $1", [id, JSON.stringify(origin)]);
    },

    // The approval that satisfies the policy moves the run to queued in the same transaction, and
    // the run row is locked first, so fifty concurrent clicks queue exactly one run. Whether an
    // approval counts is the database's rule (approval_counts, migration 011): one that does not is
    // a requester's own, and is refused rather than stored.
    recordDecision({ runId, approver, decision, planHash, override }) {
      return db
        .transaction(async (tx): Promise<DecisionResult> => {
          const run = await lockRun(tx, runId);
          if (run.status !== "pending_approval") {
            const existing = await tx.query("SELECT 1 FROM approvals WHERE run_id = $1 AND approver = $2", [runId, approver]);
            if (existing.rowCount > 0) return { outcome: "duplicate", run, approvals: await countApprovals(tx, runId) };
            throw new PolicyError(
              "POLICY_NOT_PENDING",
              `This plan is ${run.status.replace("_", " ")}; it can no longer be ${decision === "approve" ? "approved" : "rejected"}.`,
            );
          }
          if (run.planHash !== planHash) {
            throw new PolicyError("POLICY_PLAN_CHANGED", "The plan changed since you saw it; review the new plan and approve that one.");
          }
          if (run.expiresAt && run.expiresAt.getTime() <= Date.now()) {
            // The caller marks it expired after this transaction rolls back (see the catch below).
            throw new PolicyError(
              "POLICY_PLAN_EXPIRED",
              `This plan expired at ${run.expiresAt.toISOString()} and was not run. Ask again for a fresh plan.`,
            );
          }
          const { rows: inserted } = await tx.query<{ counts: boolean }>(
            `INSERT INTO approvals (run_id, approver, decision, plan_hash, override_reason) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (run_id, approver) DO NOTHING
             RETURNING (SELECT approval_counts(approvals, r) FROM runs r WHERE r.id = approvals.run_id) AS counts`,
            [runId, approver, decision, planHash, decision === "approve" ? (override?.reason ?? null) : null],
          );
          if (!inserted[0]) return { outcome: "duplicate", run, approvals: await countApprovals(tx, runId) };
          if (decision === "approve" && !inserted[0].counts) {
            const did = approver === run.requesters[0] ? "requested" : "edited"; // requesters[0] asked first; the rest edited
            throw new PolicyError(
              "POLICY_SELF_APPROVAL",
              `You ${did} this ${run.env ?? ""} plan, so someone else has to approve it.`.replace("  ", " "),
            );
          }
          if (decision === "reject") {
            const updated = await tx.query(
              "UPDATE runs SET status = 'rejected', finished_at = now(), summary = $2 WHERE id = $1 RETURNING *",
              [runId, `rejected by ${approver}`],
            );
            await insertEvent(tx, runId, { kind: "run_rejected", message: `rejected by ${approver}`, data: { approver } });
            return { outcome: "rejected", run: toRun(updated.rows[0]!) };
          }
          const approvals = await countApprovals(tx, runId);
          // Recorded only for an approval that counts (a refused one rolled back above), before the approval itself.
          if (override)
            await insertEvent(tx, runId, {
              kind: "approval_override",
              message: `${approver} overrode: ${override.overrides.join("; ") || "(nothing reported)"} — because ${override.reason}`,
              data: { approver, reason: override.reason, overrides: override.overrides },
            });
          await insertEvent(tx, runId, {
            kind: "run_approved",
            message: `approved by ${approver}`,
            data: { approver, approvals, required: run.requiredApprovals },
          });
          if (approvals < run.requiredApprovals) return { outcome: "recorded", run, approvals };
          const updated = await tx.query("UPDATE runs SET status = 'queued' WHERE id = $1 RETURNING *", [runId]);
          return { outcome: "queued", run: toRun(updated.rows[0]!), approvals };
        })
        .catch(async (error: unknown) => {
          if ((error as PolicyError).code === "POLICY_PLAN_EXPIRED" || triggerHint(error) === "plan_expired") await expireStalePlans();
          return translateTriggerError(error);
        });
    },

    // The old plan leaves pending_approval and its replacement is created in one transaction, with the
    // old row locked first: an approval racing the edit either queues the old plan (and the edit is
    // refused, changing nothing) or finds it replaced. A run that was approved or started is never
    // cancelled by an edit (the guard in migration 011 refuses superseded_by on anything else).
    supersedeRun(runId, next) {
      return db
        .transaction(async (tx) => {
          const previous = await lockRun(tx, runId);
          assertEditable(previous);
          const requesters = [...new Set([...previous.requesters, next.requestedBy])];
          const { rows } = await tx.query(INSERT_RUN_SQL, [...newRunParams(next), requesters]);
          const run = toRun(rows[0]!);
          const by = next.requestedBy;
          const summary = `replaced by an edited plan from ${by} — not run`;
          const { rows: cancelled } = await tx.query(
            `UPDATE runs SET status = 'cancelled', superseded_by = $2, cancel_requested_at = now(), cancel_requested_by = $3,
                             finished_at = now(), summary = $4
             WHERE id = $1 RETURNING *`,
            [runId, run.id, by, summary],
          );
          // plan_replaced first: the old card's last update says "replaced", not merely "cancelled".
          await insertEvent(tx, runId, {
            kind: "plan_replaced",
            message: `edited by ${by} into plan ${run.planHash.slice(0, 8)}`,
            data: { by, plan_hash: run.planHash, run_id: run.id },
          });
          await insertEvent(tx, runId, { kind: "run_cancelled", message: summary, data: { by, superseded_by: run.id } });
          return { previous: toRun(cancelled[0]!), run };
        })
        .catch((error: unknown) => translateTriggerError(error));
    },

    async listApprovals(runId) {
      const { rows } = await db.query(
        `SELECT a.run_id, a.approver, a.decision, a.plan_hash, approval_counts(a, r) AS counts, a.override_reason, a.created_at
         FROM approvals a JOIN runs r ON r.id = a.run_id WHERE a.run_id = $1 ORDER BY a.id`,
        [runId],
      );
      return rows.map((r) => camelRow<Approval>(r));
    },

    async claimNextRun(workerId, leaseMs) {
      const [run] = await claimRuns(workerId, leaseMs, 1);
      return run;
    },

    claimRuns,

    // Synchronous on purpose: a mutating step starts only once this is durable (and with it the claim).
    async markMutationStarted(runId, stepId) {
      const { rowCount } = await db.query(
        `UPDATE runs SET mutation_started = true, mutating_step = coalesce($3, mutating_step)
         WHERE id = $1 AND status = 'running' AND ($2::text IS NULL OR worker_id = $2)`,
        [runId, claimedBy.get(runId) ?? null, stepId ?? null],
      );
      if (rowCount === 0) {
        throw new StoreError(
          "STORE_RUN_NOT_HELD",
          "This run is no longer held by this worker (its lease ran out and it was ended or taken over); nothing was changed.",
        );
      }
    },

    async finishRun(runId, workerId, outcome) {
      const finished = await finishOne({ runId, workerId, outcome });
      forget([runId]);
      return finished;
    },

    async finishRuns(completions) {
      try {
        const finished = await queue.finishRuns(completions);
        forget(completions.map((c) => c.runId));
        return finished;
      } catch (error) {
        return translateTriggerError(error);
      }
    },

    async extendLeases(workerId, runIds, leaseMs) {
      const kept = await queue.extendLeases(workerId, runIds, leaseMs);
      const held = new Set(kept);
      forget(runIds.filter((id) => !held.has(id) && claimedBy.get(id) === workerId));
      return kept;
    },

    async requestCancel(runId, by) {
      return db.transaction(async (tx) => {
        const run = await lockRun(tx, runId);
        if (run.status === "pending_approval" || run.status === "queued") {
          const updated = await tx.query(
            "UPDATE runs SET status = 'cancelled', cancel_requested_at = now(), cancel_requested_by = $2, finished_at = now(), summary = $3 WHERE id = $1 RETURNING *",
            [runId, by, `cancelled by ${by} before it started`],
          );
          await insertEvent(tx, runId, { kind: "run_cancelled", message: `cancelled by ${by} before it started`, data: { by } });
          return toRun(updated.rows[0]!);
        }
        if (run.status === "running" && !run.cancelRequestedAt) {
          const updated = await tx.query(
            "UPDATE runs SET cancel_requested_at = now(), cancel_requested_by = $2 WHERE id = $1 RETURNING *",
            [runId, by],
          );
          await insertEvent(tx, runId, { kind: "cancel_requested", message: `cancel requested by ${by}`, data: { by } });
          return toRun(updated.rows[0]!);
        }
        if (run.status === "running") return run;
        throw new PolicyError("POLICY_NOT_CANCELLABLE", `This run is already ${run.status}.`);
      });
    },

    async isCancelRequested(runId) {
      const { rows } = await db.query<{ c: boolean }>("SELECT cancel_requested_at IS NOT NULL AS c FROM runs WHERE id = $1", [runId]);
      return rows[0]?.c === true;
    },

    reapExpiredLeases: queue.reapExpiredLeases,

    async handBackRuns(workerId, runIds) {
      const ended = await queue.handBackRuns(workerId, runIds);
      forget(runIds);
      return ended;
    },

    expireStalePlans,

    async lockQueuePosition(runId) {
      return (await queue.queuePosition(runId))?.ahead;
    },

    queuePosition: queue.queuePosition,
    nextScheduledAt: queue.nextScheduledAt,

    // Concurrent appends (eight executors each recording a step) share one INSERT; see batcher.ts.
    appendEvent: (runId, event) => events.add({ runId, event }),

    async listEvents(runId, afterId = 0) {
      const { rows } = await db.query("SELECT * FROM run_events WHERE run_id = $1 AND id > $2 ORDER BY id", [runId, afterId]);
      return rows.map(toEvent);
    },

    async addArtifact(runId, artifact) {
      const { rows } = await db.query(
        "INSERT INTO artifacts (run_id, step_id, kind, title, content, url, filename) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        [runId, artifact.stepId, artifact.kind, artifact.title, artifact.content, artifact.url, artifact.filename],
      );
      return toArtifact(rows[0]!);
    },

    async listArtifacts(runId) {
      const { rows } = await db.query("SELECT * FROM artifacts WHERE run_id = $1 ORDER BY id", [runId]);
      return rows.map(toArtifact);
    },

    registerWorker: queue.registerWorker,
    workerHeartbeat: queue.workerHeartbeat,
    stopWorker: queue.stopWorker,
    listWorkers: queue.listWorkers,
    listWorkerHealth: queue.listWorkerHealth,
    onRunQueued: queue.onRunQueued,
    onRunEvent: (listener) => db.listen("opsroom_run_events", listener),
    onRunCancelRequested: queue.onRunCancelRequested,
    maintain: queue.maintain,

    async queueStats() {
      const { rows } = await db.query<{ queued: number; oldest: Date | null; waiting: number }>(
        `SELECT (SELECT count(*)::int FROM runs WHERE status = 'queued' AND run_at <= now()) AS queued,
                (SELECT min(GREATEST(run_at, created_at)) FROM runs WHERE status = 'queued' AND run_at <= now()) AS oldest,
                (SELECT count(*)::int FROM runs WHERE status = 'pending_approval' AND (expires_at IS NULL OR expires_at > now())) AS waiting`,
      );
      const row = rows[0]!;
      return { queued: row.queued, oldestQueuedAt: row.oldest ? new Date(row.oldest) : null, approvalsWaiting: row.waiting };
    },

    async ping() {
      await db.query("SELECT 1");
    },

    close: () => db.close(),
  };
}

/** Only a plan waiting for approval can be edited (supersedeRun checks it again under the row lock). */
export function assertEditable(run: Run): void {
  if (run.status === "pending_approval") return;
  throw new PolicyError(
    "POLICY_NOT_EDITABLE",
    run.supersededBy
      ? "This plan was already replaced by an edited plan; edit that one instead."
      : `This plan is ${run.status.replace("_", " ")}; only a plan waiting for approval can be edited.`,
  );
}

const BULK_ANALYZE_ROWS = 1_000;

const CREATED_EVENT_SQL = `INSERT INTO run_events (run_id, kind, message, data)
  SELECT id, 'run_created', title || ' requested by ' || requested_by, jsonb_build_object('status', status) FROM ins`;

/** One run and its run_created event (see createRun): the params of newRunParams, then the requesters. */
const INSERT_RUN_SQL = `WITH ins AS (
    INSERT INTO runs (runbook, title, params, plan, plan_hash, env, service, mutating, status, requested_by, source, origin,
                      idempotency_key, lock_key, required_approvals, self_approval, run_at, expires_at, requesters)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, COALESCE($17::timestamptz, now()), $18, $19::text[])
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING *),
  ev AS (${CREATED_EVENT_SQL})
  SELECT * FROM ins`;

function newRunParams(input: NewRun): unknown[] {
  const { plan } = input;
  return [
    plan.runbook,
    plan.title,
    JSON.stringify(plan.params),
    JSON.stringify(plan),
    plan.hash,
    plan.env ?? null,
    plan.service ?? null,
    plan.mutating,
    input.status,
    input.requestedBy,
    input.source,
    JSON.stringify(input.origin ?? {}),
    input.idempotencyKey ?? null,
    plan.lockKey ?? null,
    plan.approval.required,
    plan.approval.selfApproval,
    plan.runAt ?? null,
    input.expiresAt ?? null,
  ];
}

/** The approvals that count toward the run's required ones (run_approvals_counted, migration 011). */
async function countApprovals(tx: Queryable, runId: string): Promise<number> {
  const { rows } = await tx.query<{ n: number }>("SELECT run_approvals_counted(r) AS n FROM runs r WHERE r.id = $1", [runId]);
  return rows[0]?.n ?? 0;
}

async function lockRun(tx: Queryable, runId: string): Promise<Run> {
  const { rows } = await tx.query("SELECT * FROM runs WHERE id = $1 FOR UPDATE", [runId]);
  if (!rows[0]) throw new PolicyError("POLICY_UNKNOWN_RUN", `There is no run ${runId}.`);
  return toRun(rows[0]);
}

// Appends events outside any transaction, relaxed (see RELAXED_COMMIT). RETURNING yields rows in the
// order the SELECT fed them (ORDER BY v.i); the check below makes a mismatch fail the batch, which the
// batcher then retries one by one, rather than misattribute ids.
async function insertEvents(q: Queryable, items: { runId: string; event: NewRunEvent }[]): Promise<RunEvent[]> {
  const input = items.map(({ runId, event }, i) => ({
    i,
    run_id: runId,
    kind: event.kind,
    phase: event.phase ?? null,
    step_id: event.stepId ?? null,
    message: event.message ?? "",
    data: event.data ?? {},
  }));
  const { rows } = await q.query(
    `INSERT INTO run_events (run_id, kind, phase, step_id, message, data)
     SELECT v.run_id, v.kind, v.phase, v.step_id, v.message, v.data
     FROM jsonb_to_recordset($1::jsonb) AS v(i int, run_id uuid, kind text, phase text, step_id text, message text, data jsonb), ${RELAXED_COMMIT}
     ORDER BY v.i
     RETURNING *`,
    [JSON.stringify(input)],
  );
  const events = rows.map(toEvent);
  if (events.length !== items.length || events.some((e, i) => e.runId !== items[i]!.runId || e.kind !== items[i]!.event.kind)) {
    throw new StoreError("STORE_BATCH_ORDER", "A batched insert returned rows out of order.");
  }
  return events;
}

async function insertEvent(q: Queryable, runId: string, event: NewRunEvent): Promise<RunEvent> {
  const { rows } = await q.query(
    "INSERT INTO run_events (run_id, kind, phase, step_id, message, data) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
    [runId, event.kind, event.phase ?? null, event.stepId ?? null, event.message ?? "", JSON.stringify(event.data ?? {})],
  );
  return toEvent(rows[0]!);
}

function translateTriggerError(error: unknown): never {
  const hint = triggerHint(error);
  if (hint === "plan_expired")
    throw new PolicyError("POLICY_PLAN_EXPIRED", "This plan expired and was not run. Ask again for a fresh plan.", { cause: error });
  if (hint === "illegal_transition") throw new PolicyError("POLICY_ILLEGAL_TRANSITION", (error as Error).message, { cause: error });
  if (hint === "not_editable")
    throw new PolicyError("POLICY_NOT_EDITABLE", "Only a plan waiting for approval can be replaced by an edit.", { cause: error });
  if (hint === "not_approved")
    throw new PolicyError("POLICY_NOT_APPROVED", "This plan does not have the approvals it needs yet.", { cause: error });
  throw error;
}

function toEvent(row: Record<string, unknown>): RunEvent {
  const event = camelRow<RunEvent>(row);
  return { ...event, id: toNumber(event.id) };
}

function toArtifact(row: Record<string, unknown>): StoredArtifact {
  const artifact = camelRow<StoredArtifact>(row);
  return { ...artifact, id: toNumber(artifact.id) };
}
