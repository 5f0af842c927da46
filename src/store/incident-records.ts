import type { Queryable } from "./db.js";
import { camelRow, toRun } from "./rows.js";
import type { Run } from "./types.js";

/** A run that changed something, with who approved it: a change in triage's evidence. */
export interface HistoryRun extends Run {
  approvedBy: string[];
  /** Every rollback step of the run succeeded: what it changed was put back. */
  rolledBack: boolean;
}

/** A message opsroom saw in an incident channel (redacted before it was stored). */
export interface IncidentMessage {
  channel: string;
  ts: string;
  userId: string;
  text: string;
  at: Date;
}

/**
 * What incident triage and the incident channel read and keep (migration 016). Every function is one
 * statement.
 *
 * @example const changes = await store.incidents.listRunHistory({ env: "prod", from, to, limit: 50 });
 */
export interface IncidentRecords {
  /** Mutating runs that started in [from, to] (of one env when given), newest first, with their approvers. */
  listRunHistory(query: { env?: string | undefined; from: Date; to: Date; limit: number }): Promise<HistoryRun[]>;
  /** Remembers a message seen in an incident channel; the same message twice is one. */
  recordMessage(message: IncidentMessage): Promise<void>;
  /** The channel's messages since `since`, oldest first. */
  listMessages(channel: string, since: Date, limit: number): Promise<IncidentMessage[]>;
  /** Runs started from the channel since `since`, oldest first. */
  listRunsInChannel(channel: string, since: Date, limit: number): Promise<Run[]>;
  /** True for the one caller that may post the channel's summary message (none exists yet). */
  claimSummary(channel: string): Promise<boolean>;
  /** The summary message was posted at `messageTs`. */
  setSummaryMessage(channel: string, messageTs: string): Promise<void>;
  /** Gives a claim back when posting failed, so the next run posts it. */
  releaseSummary(channel: string): Promise<void>;
  /** Where the channel's summary message is; `messageTs` is null while it is being posted. */
  getSummary(channel: string): Promise<{ messageTs: string | null; createdAt: Date } | undefined>;
}

export function createIncidentRecords(db: Queryable): IncidentRecords {
  return {
    async listRunHistory({ env, from, to, limit }) {
      const { rows } = await db.query(
        `SELECT r.*, coalesce(array_agg(a.approver ORDER BY a.created_at) FILTER (WHERE a.decision = 'approve'), '{}') AS approved_by,
                EXISTS (SELECT 1 FROM run_events e WHERE e.run_id = r.id AND e.kind = 'rollback_finished' AND e.message NOT LIKE '%FAILED:%')
                  AS rolled_back
         FROM runs r LEFT JOIN approvals a ON a.run_id = r.id
         WHERE r.mutating AND r.started_at IS NOT NULL AND r.started_at BETWEEN $1 AND $2 AND ($3::text IS NULL OR r.env = $3)
         GROUP BY r.id ORDER BY r.started_at DESC LIMIT $4`,
        [from, to, env ?? null, limit],
      );
      return rows.map((row) => {
        const {
          approved_by: approvedBy,
          rolled_back: rolledBack,
          ...rest
        } = row as Record<string, unknown> & {
          approved_by: string[];
          rolled_back: boolean;
        };
        return { ...toRun(rest), approvedBy, rolledBack };
      });
    },

    async recordMessage(m) {
      await db.query(
        "INSERT INTO incident_messages (channel, ts, user_id, text, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel, ts) DO NOTHING",
        [m.channel, m.ts, m.userId, m.text, m.at],
      );
    },

    async listMessages(channel, since, limit) {
      const { rows } = await db.query("SELECT * FROM incident_messages WHERE channel = $1 AND at >= $2 ORDER BY at, ts LIMIT $3", [
        channel,
        since,
        limit,
      ]);
      return rows.map((r) => camelRow<IncidentMessage>(r));
    },

    async listRunsInChannel(channel, since, limit) {
      const { rows } = await db.query(
        "SELECT * FROM runs WHERE origin ->> 'channel' = $1 AND created_at >= $2 ORDER BY created_at LIMIT $3",
        [channel, since, limit],
      );
      return rows.map(toRun);
    },

    async claimSummary(channel) {
      const { rowCount } = await db.query("INSERT INTO incident_summaries (channel) VALUES ($1) ON CONFLICT (channel) DO NOTHING", [
        channel,
      ]);
      return rowCount > 0;
    },

    async setSummaryMessage(channel, messageTs) {
      await db.query("UPDATE incident_summaries SET message_ts = $2, updated_at = now() WHERE channel = $1", [channel, messageTs]);
    },

    async releaseSummary(channel) {
      await db.query("DELETE FROM incident_summaries WHERE channel = $1 AND message_ts IS NULL", [channel]);
    },

    async getSummary(channel) {
      const { rows } = await db.query("SELECT message_ts, created_at FROM incident_summaries WHERE channel = $1", [channel]);
      return rows[0] ? camelRow<{ messageTs: string | null; createdAt: Date }>(rows[0]) : undefined;
    },
  };
}
