import type { Queryable } from "./db.js";

/**
 * What the Slack front end records so that retries, double clicks and several bot processes on one
 * database never answer twice (migration 010). Every function is one statement.
 *
 * @example if (await deliveries.claim(`reply:${eventId}`)) await postHelp();
 */
export interface SlackDeliveries {
  /** True for the first caller with this key, in any process; false for every later one. */
  claim(key: string): Promise<boolean>;
  /** Gives a claim back (the post it guarded failed), so a later attempt may make it. */
  unclaim(key: string): Promise<void>;
  /** Takes (or renews) the lease on reporting a run; false while another live owner holds it, or once finished. */
  acquireReporter(runId: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Renews every unfinished lease `owner` holds; returns the run ids it still holds. */
  renewReporters(owner: string, leaseMs: number): Promise<string[]>;
  /** The run's final state and summary were delivered: nobody needs to report it any more. */
  finishReporter(runId: string, owner: string): Promise<void>;
  /** Gives up one lease at once, so another process may adopt the run. */
  releaseReporter(runId: string, owner: string): Promise<void>;
  /** Gives up `owner`'s unfinished leases at once (shutdown), so another process adopts them without waiting. */
  releaseReporters(owner: string): Promise<void>;
  /** Recent runs started from Slack whose status message nobody is keeping up to date. */
  listUnreportedRuns(limit: number): Promise<string[]>;
  /** Forgets delivery keys older than `olderThanMs` (Slack stops retrying after about 5 minutes). */
  pruneDeliveries(olderThanMs: number): Promise<number>;
}

export function createSlackDeliveries(db: Queryable): SlackDeliveries {
  return {
    async claim(key) {
      const { rowCount } = await db.query("INSERT INTO slack_deliveries (key) VALUES ($1) ON CONFLICT (key) DO NOTHING", [key]);
      return rowCount > 0;
    },

    async unclaim(key) {
      await db.query("DELETE FROM slack_deliveries WHERE key = $1", [key]);
    },

    async acquireReporter(runId, owner, leaseMs) {
      const { rows } = await db.query(
        `INSERT INTO slack_run_reporters (run_id, owner, lease_until) VALUES ($1, $2, now() + make_interval(secs => $3::float8 / 1000))
         ON CONFLICT (run_id) DO UPDATE SET owner = EXCLUDED.owner, lease_until = EXCLUDED.lease_until
           WHERE slack_run_reporters.finished_at IS NULL
             AND (slack_run_reporters.owner = EXCLUDED.owner OR slack_run_reporters.lease_until < now())
         RETURNING run_id`,
        [runId, owner, leaseMs],
      );
      return rows.length > 0;
    },

    async renewReporters(owner, leaseMs) {
      const { rows } = await db.query<{ run_id: string }>(
        `UPDATE slack_run_reporters SET lease_until = now() + make_interval(secs => $2::float8 / 1000)
         WHERE owner = $1 AND finished_at IS NULL RETURNING run_id`,
        [owner, leaseMs],
      );
      return rows.map((r) => r.run_id);
    },

    async finishReporter(runId, owner) {
      await db.query("UPDATE slack_run_reporters SET finished_at = now() WHERE run_id = $1 AND owner = $2", [runId, owner]);
    },

    async releaseReporter(runId, owner) {
      await db.query(
        "UPDATE slack_run_reporters SET lease_until = now() - interval '1 second' WHERE run_id = $1 AND owner = $2 AND finished_at IS NULL",
        [runId, owner],
      );
    },

    async releaseReporters(owner) {
      await db.query("UPDATE slack_run_reporters SET lease_until = now() - interval '1 second' WHERE owner = $1 AND finished_at IS NULL", [
        owner,
      ]);
    },

    // Runs of the last day only: older ones were either reported or are not worth a late message.
    async listUnreportedRuns(limit) {
      const { rows } = await db.query<{ id: string }>(
        `SELECT r.id FROM runs r LEFT JOIN slack_run_reporters s ON s.run_id = r.id
         WHERE r.source = 'slack' AND r.origin ? 'messageTs' AND r.created_at > now() - interval '1 day'
           AND (s.run_id IS NULL OR (s.finished_at IS NULL AND s.lease_until < now()))
         ORDER BY r.created_at DESC LIMIT $1`,
        [limit],
      );
      return rows.map((r) => r.id);
    },

    async pruneDeliveries(olderThanMs) {
      const { rowCount } = await db.query(
        "DELETE FROM slack_deliveries WHERE created_at < now() - make_interval(secs => $1::float8 / 1000)",
        [olderThanMs],
      );
      return rowCount;
    },
  };
}
