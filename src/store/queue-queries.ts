import type { Db, Queryable } from "./db.js";
import { camelRow, isUniqueViolation, toNumber } from "./rows.js";
import type { NewRunEvent, QueuePosition, QueueWake, Run, RunCompletion, WorkerHealth, WorkerInfo } from "./types.js";

/**
 * A run whose worker was lost before it changed anything is retried; after this many claims it is
 * failed instead, so a run that kills its worker (out of memory, a crashing adapter) cannot take the
 * whole fleet down one process at a time.
 */
export const MAX_ATTEMPTS = 3;

export const QUEUE_CHANNEL = "opsroom_runs_queued";
export const CANCEL_CHANNEL = "opsroom_run_cancel";

// Claims and events commit without waiting for the WAL flush (synchronous_commit off for that one
// statement, via set_config(..., true) in the statement itself: one round trip). That takes a disk
// flush (0.3–4 ms here) off the path from enqueue to start, and it is safe because Postgres writes WAL
// in order: the first synchronous commit after a claim (the run's mutation_started mark, which every
// mutating step waits for, or its outcome) makes the claim and its events durable too. If the server
// crashes before that, the claim is lost and the run is simply queued again: nothing had changed yet,
// and markMutationStarted refuses a worker that no longer holds the run. Creating runs, approvals,
// mutation marks and outcomes stay synchronous.
export const RELAXED_COMMIT = "(SELECT set_config('synchronous_commit', 'off', true)) AS relaxed_commit";

// The claim takes up to $3 of the oldest due runs, each either without a lock key or the head of its
// key's queue while no run of that key is running, skipping rows other workers hold. Every key has
// one head, so one batch never takes two runs of a key. Two workers can still race for a key across
// snapshots (one commits a claim while the other's snapshot predates it); the partial unique index
// then refuses the second claim (23505) and that worker simply claims again.
const CLAIM_SQL = `
WITH next AS (
  SELECT r.id FROM runs r
  WHERE r.status = 'queued' AND r.run_at <= now()
    AND (r.lock_key IS NULL OR (
      NOT EXISTS (SELECT 1 FROM runs x WHERE x.lock_key = r.lock_key AND x.status = 'running')
      AND NOT EXISTS (SELECT 1 FROM runs y WHERE y.lock_key = r.lock_key AND y.status = 'queued'
                        AND (y.run_at, y.seq) < (r.run_at, r.seq))))
  ORDER BY r.run_at, r.seq
  LIMIT $3
  FOR UPDATE SKIP LOCKED)
UPDATE runs SET status = 'running', worker_id = $1, lease_expires_at = now() + make_interval(secs => $2::float8 / 1000),
       attempts = attempts + 1, started_at = COALESCE(started_at, now())
FROM next, ${RELAXED_COMMIT} WHERE runs.id = next.id
RETURNING runs.*`;

const FINISH_MANY_SQL = `
UPDATE runs r SET status = v.status, summary = v.summary, failed_step = v.failed_step, error = v.error,
       outcome_unknown = v.outcome_unknown, finished_at = now(), lease_expires_at = NULL
FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, worker_id text, status text, summary text, failed_step text, error text,
       outcome_unknown boolean)
WHERE r.id = v.id AND r.worker_id = v.worker_id AND r.status = 'running'
RETURNING r.id`;

export interface QueueQueries {
  claimRuns(workerId: string, leaseMs: number, limit: number): Promise<Run[]>;
  finishRuns(completions: RunCompletion[]): Promise<string[]>;
  extendLeases(workerId: string, runIds: readonly string[], leaseMs: number): Promise<string[]>;
  reapExpiredLeases(): Promise<{ failed: string[]; requeued: string[] }>;
  handBackRuns(workerId: string, runIds: readonly string[]): Promise<{ failed: string[]; requeued: string[] }>;
  queuePosition(runId: string): Promise<QueuePosition | undefined>;
  nextScheduledAt(): Promise<Date | undefined>;
  registerWorker(worker: Omit<WorkerInfo, "startedAt" | "heartbeatAt" | "stoppedAt">): Promise<void>;
  workerHeartbeat(workerId: string): Promise<void>;
  stopWorker(workerId: string): Promise<void>;
  listWorkers(): Promise<WorkerInfo[]>;
  listWorkerHealth(): Promise<WorkerHealth[]>;
  onRunQueued(listener: (wake: QueueWake) => void): Promise<() => Promise<void>>;
  onRunCancelRequested(listener: (runId: string) => void): Promise<() => Promise<void>>;
  maintain(): Promise<void>;
}

export function createQueueQueries(db: Db, deps: { toRun: (row: Record<string, unknown>) => Run; insertEvent: InsertEvent }): QueueQueries {
  const { toRun, insertEvent } = deps;
  let maintenanceRound = 0;

  return {
    async claimRuns(workerId, leaseMs, limit) {
      if (limit <= 0) return [];
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          const { rows } = await db.query(CLAIM_SQL, [workerId, leaseMs, limit]);
          return rows.map(toRun);
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
        }
      }
      return [];
    },

    // One statement for any number of finished runs; a row only changes if this worker still holds
    // the run, so a run the reaper already ended (or another worker took over) stays as it is.
    async finishRuns(completions) {
      if (completions.length === 0) return [];
      const input = completions.map(({ runId, workerId, outcome }) => ({
        id: runId,
        worker_id: workerId,
        status: outcome.status,
        summary: outcome.summary,
        failed_step: outcome.status === "failed" ? outcome.failedStep : null,
        error: outcome.status === "failed" ? outcome.error : null,
        outcome_unknown: outcome.status === "failed" && outcome.outcomeUnknown === true,
      }));
      const { rows } = await db.query<{ id: string }>(FINISH_MANY_SQL, [JSON.stringify(input)]);
      return rows.map((r) => r.id);
    },

    async extendLeases(workerId, runIds, leaseMs) {
      if (runIds.length === 0) return [];
      const { rows } = await db.query<{ id: string }>(
        `UPDATE runs SET lease_expires_at = now() + make_interval(secs => $3::float8 / 1000)
         WHERE id = ANY($2::uuid[]) AND worker_id = $1 AND status = 'running' RETURNING id`,
        [workerId, runIds, leaseMs],
      );
      return rows.map((r) => r.id);
    },

    // A run whose worker stopped heartbeating is requeued when nothing mutating had started (safe to
    // retry) and it has attempts left, and failed otherwise: we cannot know how far a half-done deploy
    // got, so it is failed as "outcome unknown", naming the step that was changing things. Any number of
    // processes may reap at once: SKIP LOCKED gives each expired run to one of them, and a worker that
    // heartbeats in the meantime wins (the lease is re-checked under the row lock).
    async reapExpiredLeases() {
      return db.transaction(async (tx) => {
        const { rows } = await tx.query<LostRunRow>(
          `SELECT r.id, r.mutation_started, r.mutating_step, r.worker_id, r.attempts, r.lease_expires_at, s.kind AS step_state, s.uses AS step_uses
           FROM runs r
           LEFT JOIN LATERAL (
             SELECT e.kind, (SELECT u.data->>'uses' FROM run_events u WHERE u.run_id = r.id AND u.step_id = r.mutating_step
                                                       AND u.kind = 'step_started' ORDER BY u.id DESC LIMIT 1) AS uses
             FROM run_events e
             WHERE e.run_id = r.id AND e.step_id = r.mutating_step AND e.kind IN ('step_started', 'step_succeeded', 'step_failed')
             ORDER BY e.id DESC LIMIT 1) s ON true
           WHERE r.status = 'running' AND r.lease_expires_at < now() ORDER BY r.lease_expires_at FOR UPDATE OF r SKIP LOCKED`,
        );
        const ended = { failed: [] as string[], requeued: [] as string[] };
        for (const row of rows) {
          const data = {
            reason: "worker lost",
            worker_id: row.worker_id,
            lease_expired_at: new Date(row.lease_expires_at).toISOString(),
            attempt: row.attempts,
            ...(row.mutating_step ? { mutating_step: row.mutating_step } : {}),
          };
          const outcome = await endUnfinishedRun(tx, insertEvent, row, data, {
            requeued: "worker lost before any change; queued again",
            mutated: lostDuringChange(row),
            exhausted: `worker lost: ${row.worker_id} stopped heartbeating; ${row.attempts} attempts, giving up`,
          });
          ended[outcome].push(row.id);
        }
        return ended;
      });
    },

    // The reaper's rule, applied by a worker that is shutting down to the runs it could not finish
    // in time, at once instead of a lease later.
    async handBackRuns(workerId, runIds) {
      if (runIds.length === 0) return { failed: [], requeued: [] };
      return db.transaction(async (tx) => {
        const { rows } = await tx.query<{
          id: string;
          mutation_started: boolean;
          mutating_step: string | null;
          worker_id: string;
          attempts: number;
        }>(
          `SELECT id, mutation_started, mutating_step, worker_id, attempts FROM runs
           WHERE id = ANY($2::uuid[]) AND worker_id = $1 AND status = 'running' ORDER BY id FOR UPDATE`,
          [workerId, runIds],
        );
        const ended = { failed: [] as string[], requeued: [] as string[] };
        for (const row of rows) {
          const data = { reason: "shutdown", worker_id: workerId, attempt: row.attempts };
          const outcome = await endUnfinishedRun(tx, insertEvent, row, data, {
            requeued: "opsroom was stopping before this run changed anything; queued again for another worker",
            mutated: `interrupted: opsroom (${workerId}) was stopping during step ${row.mutating_step ?? "(unknown)"}, which changes things, and could not finish it. Outcome unknown — check what it changed before running it again`,
            exhausted: `interrupted: opsroom (${workerId}) was stopping; ${row.attempts} attempts, giving up`,
          });
          ended[outcome].push(row.id);
        }
        return ended;
      });
    },

    async queuePosition(runId) {
      const { rows } = await db.query(
        `SELECT me.id AS run_id, me.lock_key, me.run_at, me.run_at <= now() AS due,
                (SELECT count(*)::int FROM runs r WHERE me.lock_key IS NOT NULL AND r.lock_key = me.lock_key
                   AND (r.status = 'running' OR (r.status = 'queued' AND (r.run_at, r.seq) < (me.run_at, me.seq)))) AS ahead,
                (SELECT r.id FROM runs r WHERE me.lock_key IS NOT NULL AND r.lock_key = me.lock_key AND r.status = 'running' LIMIT 1) AS blocked_by
         FROM runs me WHERE me.id = $1 AND me.status = 'queued'`,
        [runId],
      );
      return rows[0] ? camelRow<QueuePosition>(rows[0]) : undefined;
    },

    async nextScheduledAt() {
      const { rows } = await db.query<{ at: Date | null }>("SELECT min(run_at) AS at FROM runs WHERE status = 'queued' AND run_at > now()");
      return rows[0]?.at ? new Date(rows[0].at) : undefined;
    },

    async registerWorker(worker) {
      await db.query(
        `INSERT INTO workers (id, hostname, pid, concurrency, lease_ms) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), stopped_at = NULL, concurrency = EXCLUDED.concurrency, lease_ms = EXCLUDED.lease_ms`,
        [worker.id, worker.hostname, worker.pid, worker.concurrency, worker.leaseMs ?? 30_000],
      );
    },

    async workerHeartbeat(workerId) {
      await db.query("UPDATE workers SET heartbeat_at = now() WHERE id = $1", [workerId]);
    },

    async stopWorker(workerId) {
      await db.query("UPDATE workers SET stopped_at = now() WHERE id = $1", [workerId]);
    },

    async listWorkers() {
      const { rows } = await db.query(
        "SELECT * FROM workers WHERE stopped_at IS NULL OR stopped_at > now() - interval '1 hour' ORDER BY started_at",
      );
      return rows.map((r) => camelRow<WorkerInfo>(r));
    },

    // A heartbeat is due every lease/3: late after two missed beats, lost once the whole lease passed
    // (from then on the reaper may end its runs). Workers gone for a day are not listed.
    async listWorkerHealth() {
      const { rows } = await db.query(
        `SELECT w.*, (extract(epoch FROM now() - w.heartbeat_at) * 1000)::int AS heartbeat_age_ms,
                (SELECT count(*)::int FROM runs r WHERE r.worker_id = w.id AND r.status = 'running') AS running_runs,
                CASE WHEN w.stopped_at IS NOT NULL THEN 'stopped'
                     WHEN w.heartbeat_at < now() - make_interval(secs => w.lease_ms / 1000.0) THEN 'lost'
                     WHEN w.heartbeat_at < now() - make_interval(secs => w.lease_ms * 2 / 3 / 1000.0) THEN 'late'
                     ELSE 'healthy' END AS status
         FROM workers w
         WHERE coalesce(w.stopped_at, w.heartbeat_at) > now() - interval '1 day'
         ORDER BY w.started_at`,
      );
      return rows.map((r) => camelRow<WorkerHealth>(r));
    },

    onRunQueued: (listener) =>
      db.listen(QUEUE_CHANNEL, (payload) => listener(parseWake(payload)), { onReconnect: () => listener({ count: 0, reconnected: true }) }),

    onRunCancelRequested: (listener) => db.listen(CANCEL_CHANNEL, listener),

    // PGlite has no autovacuum and no autoanalyze: a queue table that churns (three updates per run)
    // collects dead rows and stale statistics, and the claim slows from ~0.25 ms to ~15 ms. Postgres
    // does this itself. Called by workers about once a minute.
    // Workers silent for a week are gone for good (a crashed worker never marks itself stopped); their
    // runs were reaped long ago. PGlite also needs the statistics Postgres' autovacuum would keep.
    async maintain() {
      maintenanceRound++;
      await db.query("DELETE FROM workers WHERE heartbeat_at < now() - interval '7 days'");
      if (db.kind === "pglite") await db.query(maintenanceRound % 5 === 1 ? "VACUUM ANALYZE runs" : "ANALYZE runs");
    },
  };
}

interface LostRunRow {
  id: string;
  mutation_started: boolean;
  mutating_step: string | null;
  worker_id: string;
  attempts: number;
  lease_expires_at: Date;
  /** The last step_started/step_succeeded/step_failed event of mutating_step, if any reached the database. */
  step_state: string | null;
  step_uses: string | null;
}

/** What a run whose worker died while it was changing things may have left half done. */
function lostDuringChange(row: LostRunRow): string {
  const lost = `worker lost: ${row.worker_id} stopped heartbeating`;
  if (!row.mutating_step)
    return `${lost} during a step that changes things; outcome unknown — check what it changed before running it again`;
  const step = `\`${row.mutating_step}\`${row.step_uses ? ` (${row.step_uses})` : ""}`;
  if (row.step_state === "step_succeeded" || row.step_state === "step_failed") {
    const how = row.step_state === "step_succeeded" ? "succeeded" : "failed";
    return `${lost} after step ${step} ${how}; the steps after it did not run. Outcome unknown — check what ${row.mutating_step} changed before running it again`;
  }
  return `${lost} while step ${step} was changing things; it may be half done. Outcome unknown — check what ${row.mutating_step} changed before running it again`;
}

/**
 * A running run whose worker will not finish it: queued again when nothing mutating had started and
 * attempts remain (safe to retry), failed otherwise — as "outcome unknown" when a mutating step had
 * started, naming it (we cannot know how far a half-done deploy got).
 */
async function endUnfinishedRun(
  tx: Queryable,
  insertEvent: InsertEvent,
  row: { id: string; mutation_started: boolean; mutating_step: string | null; attempts: number },
  data: Record<string, unknown>,
  messages: { requeued: string; mutated: string; exhausted: string },
): Promise<"requeued" | "failed"> {
  if (!row.mutation_started && row.attempts < MAX_ATTEMPTS) {
    await tx.query(`UPDATE runs SET status = 'queued', worker_id = NULL, lease_expires_at = NULL WHERE id = $1`, [row.id]);
    await insertEvent(tx, row.id, { kind: "run_requeued", message: messages.requeued, data });
    return "requeued";
  }
  const error = row.mutation_started ? messages.mutated : messages.exhausted;
  await tx.query(
    `UPDATE runs SET status = 'failed', error = $2, summary = $2, failed_step = $3, outcome_unknown = $4, finished_at = now(),
                     lease_expires_at = NULL
     WHERE id = $1`,
    [row.id, error, row.mutating_step, row.mutation_started],
  );
  await insertEvent(tx, row.id, { kind: "run_failed", stepId: row.mutating_step, message: error, data });
  return "failed";
}

export type InsertEvent = (q: Queryable, runId: string, event: NewRunEvent) => Promise<unknown>;

/** `{"n": 3, "at": "…"}` from our triggers; anything else (an older trigger's run id) counts as one run. */
export function parseWake(payload: string): QueueWake {
  try {
    const parsed = JSON.parse(payload) as { n?: unknown; at?: unknown };
    if (parsed && typeof parsed === "object") {
      const wake: QueueWake = { count: typeof parsed.n === "number" ? parsed.n : toNumber(parsed.n ?? 0) || 0 };
      if (typeof parsed.at === "string") wake.runAt = new Date(parsed.at);
      return wake;
    }
  } catch {
    // not JSON: fall through
  }
  return { count: 1 };
}
