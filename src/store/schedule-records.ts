import type { Plan } from "../planner/plan.js";
import type { Db, Queryable } from "./db.js";
import { camelRow, toNumber } from "./rows.js";

export type ScheduleKind = "run" | "watch";
/** What a schedule reads at each occurrence: a runbook run, or one of opsroom's own tables. */
export type ScheduleSource = "run" | "worker-heartbeats" | "stuck-approvals";
export type ScheduleStatus = "pending_approval" | "active" | "stopped";

/**
 * A recurring schedule (migration 019): a cron pattern in a time zone, the request it runs (its plan
 * as approved at creation) and, for a watch, how changes are confirmed and collapsed.
 *
 * @example { kind: "run", cron: "0 9 * * 1-5", cadence: "every weekday at 9:00", request: "ops board", channel: "C0OPS0001", ... }
 */
export interface Schedule {
  id: string;
  configKey: string | null;
  kind: ScheduleKind;
  source: ScheduleSource;
  cron: string;
  /** The cadence as people read it ("every weekday at 9:00", or the cron pattern). */
  cadence: string;
  timeZone: string;
  /** The request each occurrence runs, as typed ("post the ops board"). */
  request: string;
  runbook: string | null;
  plan: Plan | null;
  channel: string | null;
  owner: string | null;
  /** Watches: the items of a reading to follow (names or sections); empty: all. */
  follow: string[];
  confirmCount: number;
  quietMinutes: number;
  status: ScheduleStatus;
  requiredApprovals: number;
  selfApproval: boolean;
  approvedBy: string[];
  createdBy: string;
  createdAt: Date;
  stoppedBy: string | null;
  stoppedAt: Date | null;
  silencedUntil: Date | null;
  nextAt: Date | null;
  lastReadingAt: Date | null;
}

export type NewSchedule = Pick<
  Schedule,
  "kind" | "source" | "cron" | "cadence" | "timeZone" | "request" | "runbook" | "plan" | "channel" | "owner" | "createdBy"
> & {
  configKey?: string;
  /** The same key twice creates one schedule (a retried delivery gets the first one back). */
  idempotencyKey?: string;
  follow?: string[];
  confirmCount?: number;
  quietMinutes?: number;
  status: "pending_approval" | "active";
  requiredApprovals: number;
  selfApproval: boolean;
  nextAt: Date | null;
};

/** An occurrence this process claimed: fire it (when `fire`), and report `skipped` missed ones. */
export interface ClaimedOccurrence {
  schedule: Schedule;
  occurrenceAt: Date;
  fire: boolean;
  skipped: number;
}

/** Occurrences missed while opsroom was down, skipped rather than run in a burst; reported once. */
export interface SkipNotice {
  schedule: Schedule;
  occurrenceAt: Date;
  skipped: number;
  skippedFrom: Date;
}

export interface StoredWatchAlert {
  id: number;
  scheduleId: string;
  occurrenceAt: Date;
  itemKey: string;
  alert: Record<string, unknown>;
}

/**
 * Schedules, their occurrences, watch states and alerts (migration 019). Only this module speaks their
 * SQL; the rules (cadences, what counts as a change) live in src/schedules/.
 *
 * @example const claimed = await store.schedules.claimOccurrence(id, expectedNextAt, { occurrenceAt, fire: true, skipped: 0, nextAt, claimedBy });
 */
export interface ScheduleRecords {
  create(schedule: NewSchedule): Promise<Schedule>;
  /** A config-declared watch: created, or brought in line with the config (next_at kept when the cadence is unchanged). */
  upsertConfigured(schedule: NewSchedule & { configKey: string }): Promise<Schedule>;
  /** Stops config-declared watches whose keys are no longer in the config. */
  stopConfiguredExcept(keys: readonly string[], by: string): Promise<number>;
  get(id: string): Promise<Schedule | undefined>;
  /** Schedules whose id starts with `prefix` (as shown in lists). */
  findByPrefix(prefix: string, limit: number): Promise<Schedule[]>;
  list(filter: { statuses: ScheduleStatus[] }): Promise<Schedule[]>;
  /**
   * An approval of a schedule waiting for one: counted unless it is the creator's own and self-approval
   * is off, or the approver already approved. Enough approvals make it active from `nextAt`.
   */
  approve(
    id: string,
    approver: string,
    nextAt: Date,
  ): Promise<{ outcome: "active" | "recorded" | "duplicate" | "self" | "not-pending"; schedule: Schedule | undefined }>;
  /** Stops a schedule; false when it was not active or waiting. */
  stop(id: string, by: string): Promise<Schedule | undefined>;
  silence(id: string, until: Date): Promise<Schedule | undefined>;
  /** Active schedules due at `now`, oldest first. */
  listDue(now: Date, limit: number): Promise<Schedule[]>;
  /**
   * Takes one occurrence: moves next_at from `expectedNextAt` to `next.nextAt` and records the occurrence,
   * in one transaction. False when another process took it first.
   */
  claimOccurrence(
    id: string,
    expectedNextAt: Date,
    next: {
      occurrenceAt: Date;
      fire: boolean;
      skipped: number;
      skippedFrom: Date | null;
      nextAt: Date;
      claimedBy: string;
      claimedAt: Date;
    },
  ): Promise<boolean>;
  /**
   * Fired occurrences claimed before `claimedBefore` that still have no run (their process died between
   * the claim and the run), taken over by `owner` at `now`, each by one caller.
   */
  takeUnstarted(claimedBefore: Date, owner: string, now: Date, limit: number): Promise<Array<{ schedule: Schedule; occurrenceAt: Date }>>;
  setOccurrenceRun(id: string, occurrenceAt: Date, runId: string): Promise<void>;
  /** Skip notices nobody reported yet, each handed to exactly one caller. */
  takeSkipNotices(limit: number): Promise<SkipNotice[]>;
  /** Watch occurrences whose run finished and whose reading nobody took in yet, each handed to one caller. */
  takeFinishedReadings(limit: number): Promise<Array<{ schedule: Schedule; occurrenceAt: Date; runId: string }>>;
  /** Marks a reading taken in without a run (watches over opsroom's own tables). */
  markRead(id: string, occurrenceAt: Date): Promise<void>;
  /**
   * Takes in one reading of a watch under a lock on the schedule: `decide` gets the stored item states
   * and returns the new ones and the alerts to send. A reading older than the last one taken in is ignored.
   */
  applyReading<S extends object>(
    id: string,
    occurrenceAt: Date,
    decide: (states: Map<string, S>) => {
      states: Map<string, S>;
      alerts: Array<{ itemKey: string; alert: Record<string, unknown> }>;
    },
  ): Promise<number>;
  /** Undelivered alerts, each claimed by one caller (a claim older than two minutes is taken over). */
  claimAlerts(owner: string, limit: number): Promise<StoredWatchAlert[]>;
  markAlertDelivered(id: number): Promise<void>;
  releaseAlert(id: number): Promise<void>;
}

const toSchedule = (row: Record<string, unknown>): Schedule => camelRow<Schedule>(row);

/**
 * What defines a schedule, in column order kind, source, cron, cadence, time_zone, request, runbook, plan,
 * channel, owner, confirm_count, quiet_minutes: written on create and rewritten when the config changes it.
 */
const definitionValues = (s: NewSchedule) => [
  s.kind,
  s.source,
  s.cron,
  s.cadence,
  s.timeZone,
  s.request,
  s.runbook,
  s.plan ? JSON.stringify(s.plan) : null,
  s.channel,
  s.owner,
  s.confirmCount ?? 1,
  s.quietMinutes ?? 0,
];

export function createScheduleRecords(db: Db): ScheduleRecords {
  const insert = async (q: Queryable, s: NewSchedule & { configKey?: string }) => {
    const { rows } = await q.query(
      `INSERT INTO schedules (config_key, kind, source, cron, cadence, time_zone, request, runbook, plan, channel, owner,
                              confirm_count, quiet_minutes, status, required_approvals, self_approval, created_by, next_at, follow, idempotency_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING *`,
      [
        s.configKey ?? null,
        ...definitionValues(s),
        s.status,
        s.requiredApprovals,
        s.selfApproval,
        s.createdBy,
        s.nextAt,
        s.follow ?? [],
        s.idempotencyKey ?? null,
      ],
    );
    if (rows[0]) return toSchedule(rows[0]);
    const existing = await q.query("SELECT * FROM schedules WHERE idempotency_key = $1", [s.idempotencyKey]);
    return toSchedule(existing.rows[0]!);
  };

  return {
    create: (s) => insert(db, s),

    async upsertConfigured(s) {
      return db.transaction(async (tx) => {
        const { rows } = await tx.query("SELECT * FROM schedules WHERE config_key = $1 FOR UPDATE", [s.configKey]);
        const existing = rows[0] ? toSchedule(rows[0]) : undefined;
        if (!existing) return insert(tx, s);
        const sameCadence = existing.cron === s.cron && existing.timeZone === s.timeZone && existing.status === "active";
        const updated = await tx.query(
          `UPDATE schedules SET kind = $2, source = $3, cron = $4, cadence = $5, time_zone = $6, request = $7, runbook = $8, plan = $9,
                  channel = $10, owner = $11, confirm_count = $12, quiet_minutes = $13, status = 'active', stopped_at = NULL, stopped_by = NULL,
                  next_at = CASE WHEN $14 THEN next_at ELSE $15 END, follow = $16
           WHERE id = $1 RETURNING *`,
          [existing.id, ...definitionValues(s), sameCadence, s.nextAt, s.follow ?? []],
        );
        return toSchedule(updated.rows[0]!);
      });
    },

    async stopConfiguredExcept(keys, by) {
      const { rowCount } = await db.query(
        `UPDATE schedules SET status = 'stopped', stopped_at = now(), stopped_by = $2
         WHERE config_key IS NOT NULL AND NOT (config_key = ANY($1::text[])) AND status <> 'stopped'`,
        [keys, by],
      );
      return rowCount;
    },

    async get(id) {
      const { rows } = await db.query("SELECT * FROM schedules WHERE id = $1", [id]);
      return rows[0] ? toSchedule(rows[0]) : undefined;
    },

    async findByPrefix(prefix, limit) {
      const { rows } = await db.query("SELECT * FROM schedules WHERE id::text LIKE $1 ORDER BY created_at LIMIT $2", [
        `${prefix.toLowerCase()}%`,
        limit,
      ]);
      return rows.map(toSchedule);
    },

    async list({ statuses }) {
      const { rows } = await db.query("SELECT * FROM schedules WHERE status = ANY($1::text[]) ORDER BY created_at, id", [statuses]);
      return rows.map(toSchedule);
    },

    async approve(id, approver, nextAt) {
      // One statement: the approval is added and, when it is the last one needed, the schedule starts.
      const { rows } = await db.query(
        `WITH target AS (SELECT * FROM schedules WHERE id = $1 FOR UPDATE),
         counted AS (
           UPDATE schedules s SET approved_by = array_append(s.approved_by, $2),
                  status = CASE WHEN cardinality(s.approved_by) + 1 >= s.required_approvals THEN 'active' ELSE s.status END,
                  next_at = CASE WHEN cardinality(s.approved_by) + 1 >= s.required_approvals THEN $3 ELSE s.next_at END
           FROM target t WHERE s.id = t.id AND t.status = 'pending_approval' AND NOT ($2 = ANY(t.approved_by))
             AND (t.self_approval OR t.created_by <> $2)
           RETURNING s.*)
         SELECT (SELECT row_to_json(c) FROM counted c) AS counted, (SELECT row_to_json(t) FROM target t) AS target`,
        [id, approver, nextAt],
      );
      const row = rows[0] as { counted: Record<string, unknown> | null; target: Record<string, unknown> | null } | undefined;
      const target = row?.target ? fromJson(row.target) : undefined;
      if (row?.counted) {
        const schedule = fromJson(row.counted);
        return { outcome: schedule.status === "active" ? "active" : "recorded", schedule };
      }
      if (!target || target.status !== "pending_approval") return { outcome: "not-pending", schedule: target };
      if (target.approvedBy.includes(approver)) return { outcome: "duplicate", schedule: target };
      return { outcome: "self", schedule: target };
    },

    async stop(id, by) {
      const { rows } = await db.query(
        `UPDATE schedules SET status = 'stopped', stopped_at = now(), stopped_by = $2, next_at = NULL
         WHERE id = $1 AND status <> 'stopped' RETURNING *`,
        [id, by],
      );
      return rows[0] ? toSchedule(rows[0]) : undefined;
    },

    async silence(id, until) {
      const { rows } = await db.query("UPDATE schedules SET silenced_until = $2 WHERE id = $1 RETURNING *", [id, until]);
      return rows[0] ? toSchedule(rows[0]) : undefined;
    },

    async listDue(now, limit) {
      const { rows } = await db.query("SELECT * FROM schedules WHERE status = 'active' AND next_at <= $1 ORDER BY next_at, id LIMIT $2", [
        now,
        limit,
      ]);
      return rows.map(toSchedule);
    },

    async claimOccurrence(id, expectedNextAt, next) {
      return db.transaction(async (tx) => {
        // Whoever moves next_at first owns the occurrence; the others' UPDATE matches no row.
        const moved = await tx.query("UPDATE schedules SET next_at = $3 WHERE id = $1 AND next_at = $2 AND status = 'active'", [
          id,
          expectedNextAt,
          next.nextAt,
        ]);
        if (moved.rowCount === 0) return false;
        const recorded = await tx.query(
          `INSERT INTO schedule_occurrences (schedule_id, occurrence_at, fired, skipped, skipped_from, claimed_by, claimed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
          [id, next.occurrenceAt, next.fire, next.skipped, next.skippedFrom, next.claimedBy, next.claimedAt],
        );
        return recorded.rowCount > 0;
      });
    },

    async takeUnstarted(claimedBefore, owner, now, limit) {
      const { rows } = await db.query(
        `WITH taken AS (
           UPDATE schedule_occurrences SET claimed_by = $2, claimed_at = $3
           WHERE (schedule_id, occurrence_at) IN (
             SELECT schedule_id, occurrence_at FROM schedule_occurrences
             WHERE fired AND run_id IS NULL AND read_at IS NULL AND claimed_at < $1 ORDER BY claimed_at LIMIT $4 FOR UPDATE SKIP LOCKED)
           RETURNING schedule_id, occurrence_at)
         SELECT t.occurrence_at AS o_at, s.* FROM taken t JOIN schedules s ON s.id = t.schedule_id WHERE s.status = 'active'`,
        [claimedBefore, owner, now, limit],
      );
      return rows.map((row) => {
        const { o_at, ...schedule } = row as Record<string, unknown>;
        return { schedule: toSchedule(schedule), occurrenceAt: o_at as Date };
      });
    },

    async setOccurrenceRun(id, occurrenceAt, runId) {
      await db.query("UPDATE schedule_occurrences SET run_id = $3 WHERE schedule_id = $1 AND occurrence_at = $2", [
        id,
        occurrenceAt,
        runId,
      ]);
    },

    async takeSkipNotices(limit) {
      const { rows } = await db.query(
        `WITH taken AS (
           UPDATE schedule_occurrences SET skip_reported_at = now()
           WHERE (schedule_id, occurrence_at) IN (
             SELECT schedule_id, occurrence_at FROM schedule_occurrences
             WHERE skipped > 0 AND skip_reported_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED)
           RETURNING schedule_id, occurrence_at, skipped, skipped_from)
         SELECT t.occurrence_at AS o_at, t.skipped AS o_skipped, t.skipped_from AS o_from, s.* FROM taken t JOIN schedules s ON s.id = t.schedule_id`,
        [limit],
      );
      return rows.map((row) => {
        const { o_at, o_skipped, o_from, ...schedule } = row as Record<string, unknown>;
        return { schedule: toSchedule(schedule), occurrenceAt: o_at as Date, skipped: toNumber(o_skipped), skippedFrom: o_from as Date };
      });
    },

    async takeFinishedReadings(limit) {
      const { rows } = await db.query(
        `WITH taken AS (
           UPDATE schedule_occurrences SET read_at = now()
           WHERE (schedule_id, occurrence_at) IN (
             SELECT o.schedule_id, o.occurrence_at FROM schedule_occurrences o JOIN runs r ON r.id = o.run_id
             WHERE o.read_at IS NULL AND r.status IN ('succeeded', 'failed', 'cancelled', 'expired', 'rejected')
             ORDER BY o.occurrence_at LIMIT $1 FOR UPDATE OF o SKIP LOCKED)
           RETURNING schedule_id, occurrence_at, run_id)
         SELECT t.occurrence_at AS o_at, t.run_id AS o_run, s.* FROM taken t JOIN schedules s ON s.id = t.schedule_id
         WHERE s.kind = 'watch' ORDER BY t.occurrence_at`,
        [limit],
      );
      return rows.map((row) => {
        const { o_at, o_run, ...schedule } = row as Record<string, unknown>;
        return { schedule: toSchedule(schedule), occurrenceAt: o_at as Date, runId: o_run as string };
      });
    },

    async markRead(id, occurrenceAt) {
      await db.query("UPDATE schedule_occurrences SET read_at = now() WHERE schedule_id = $1 AND occurrence_at = $2", [id, occurrenceAt]);
    },

    async applyReading<S extends object>(
      id: string,
      occurrenceAt: Date,
      decide: (states: Map<string, S>) => { states: Map<string, S>; alerts: Array<{ itemKey: string; alert: Record<string, unknown> }> },
    ) {
      return db.transaction(async (tx) => {
        // The lock orders two processes' readings of one watch; a reading older than the last is stale.
        const { rows } = await tx.query("SELECT last_reading_at FROM schedules WHERE id = $1 FOR UPDATE", [id]);
        const last = rows[0]?.last_reading_at as Date | null | undefined;
        if (!rows[0] || (last && last.getTime() >= occurrenceAt.getTime())) return 0;
        const stored = await tx.query<{ item_key: string; state: S }>("SELECT item_key, state FROM watch_states WHERE schedule_id = $1", [
          id,
        ]);
        const { states, alerts } = decide(new Map(stored.rows.map((r) => [r.item_key, r.state])));
        for (const [key, state] of states) {
          await tx.query(
            `INSERT INTO watch_states (schedule_id, item_key, state) VALUES ($1, $2, $3)
             ON CONFLICT (schedule_id, item_key) DO UPDATE SET state = EXCLUDED.state, updated_at = now()`,
            [id, key, JSON.stringify(state)],
          );
        }
        let inserted = 0;
        for (const a of alerts) {
          const r = await tx.query(
            "INSERT INTO watch_alerts (schedule_id, occurrence_at, item_key, alert) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            [id, occurrenceAt, a.itemKey, JSON.stringify(a.alert)],
          );
          inserted += r.rowCount;
        }
        await tx.query("UPDATE schedules SET last_reading_at = $2 WHERE id = $1", [id, occurrenceAt]);
        return inserted;
      });
    },

    async claimAlerts(owner, limit) {
      const { rows } = await db.query(
        `UPDATE watch_alerts SET claimed_by = $1, claimed_at = now()
         WHERE id IN (SELECT id FROM watch_alerts WHERE delivered_at IS NULL AND (claimed_at IS NULL OR claimed_at < now() - interval '2 minutes')
                      ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING id, schedule_id, occurrence_at, item_key, alert`,
        [owner, limit],
      );
      return rows
        .map((row) => {
          const r = camelRow<StoredWatchAlert>(row);
          return { ...r, id: toNumber(r.id) };
        })
        .sort((a, b) => a.id - b.id);
    },

    async markAlertDelivered(id) {
      await db.query("UPDATE watch_alerts SET delivered_at = now() WHERE id = $1", [id]);
    },

    async releaseAlert(id) {
      await db.query("UPDATE watch_alerts SET claimed_by = NULL, claimed_at = NULL WHERE id = $1 AND delivered_at IS NULL", [id]);
    },
  };
}

/** row_to_json gives timestamps as strings: back to the shape the other statements return. */
function fromJson(row: Record<string, unknown>): Schedule {
  const s = toSchedule(row);
  const date = (v: unknown) => (typeof v === "string" ? new Date(v) : (v as Date | null));
  return {
    ...s,
    createdAt: date(s.createdAt)!,
    stoppedAt: date(s.stoppedAt),
    silencedUntil: date(s.silencedUntil),
    nextAt: date(s.nextAt),
    lastReadingAt: date(s.lastReadingAt),
  };
}
