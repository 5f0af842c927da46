import type { Queryable } from "./db.js";
import { camelRow } from "./rows.js";

/** A checklist step's stored state (migration 018); the config holds the step itself. */
export interface ChecklistStepState {
  stepId: string;
  status: string;
  owner: string | null;
  notes: string | null;
  updatedBy: string;
  updatedAt: Date;
  runId: string | null;
}

/** One change to a checklist step: the state after it, and before it (null for a step's first change). */
export interface ChecklistChange {
  stepId: string;
  status: string;
  owner: string | null;
  notes: string | null;
  previous: { status: string; owner: string | null; notes: string | null } | null;
  changedBy: string;
  changedAt: Date;
  runId: string | null;
}

/** A change asked for: only the fields given change; `defaults` is the config's state of a step never changed. */
export interface ChecklistUpdate {
  stepId: string;
  status?: string | undefined;
  owner?: string | undefined;
  notes?: string | undefined;
  defaults: { status: string; owner: string | null; notes: string | null };
  /** The run making the change: its requester is who changed it. */
  runId: string;
  at: Date;
}

/**
 * The ops board's records (migration 018): checklist step states with their history, and the one board
 * message per Slack channel. Every function is one statement.
 *
 * @example await store.board.updateChecklistStep({ stepId: "backfill", owner: "@dana", defaults, runId, at: new Date() });
 */
export interface BoardRecords {
  listChecklistStates(): Promise<ChecklistStepState[]>;
  /** Applies a change and records it in the history; returns the change. Fails when the run does not exist. */
  updateChecklistStep(update: ChecklistUpdate): Promise<ChecklistChange>;
  /** A step's changes, newest first (every step's when none is given). */
  listChecklistHistory(stepId: string | undefined, limit: number): Promise<ChecklistChange[]>;
  /**
   * The newest finished board of `env` as its run recorded it (the `ops-board.json` artifact) and when it
   * finished; a board run that named no env is prod's (the runbook's default).
   */
  latestBoardData(env: string): Promise<{ content: string; finishedAt: Date; runId: string } | undefined>;
  /**
   * What the board shows has changed when this has: the newest checklist change and the newest finished board
   * run, as one string (ids, not clocks). Empty parts before any.
   */
  boardVersion(): Promise<string>;
  /** Channels whose board message is posted, to update them all when the board changes. */
  listBoardMessageChannels(): Promise<string[]>;
  /** True for the one caller that may post the channel's board message (none exists yet). */
  claimBoardMessage(channel: string): Promise<boolean>;
  setBoardMessage(channel: string, messageTs: string): Promise<void>;
  /** Gives a claim back when posting failed, so the next showing posts it. */
  releaseBoardMessage(channel: string): Promise<void>;
  /** Where the channel's board message is; `messageTs` is null while it is being posted. */
  getBoardMessage(channel: string): Promise<{ messageTs: string | null } | undefined>;
}

// prev is read in the same snapshot as the upsert, so `previous` is the state this change replaced.
const UPDATE_STEP_SQL = `
WITH prev AS (SELECT status, owner, notes FROM checklist_steps WHERE step_id = $1::text),
up AS (
  INSERT INTO checklist_steps (step_id, status, owner, notes, updated_by, updated_at, run_id)
  SELECT $1::text, coalesce($2::text, $5::text), coalesce($3::text, $6::text), coalesce($4::text, $7::text), r.requested_by, $8::timestamptz, r.id
  FROM runs r WHERE r.id = $9::uuid
  ON CONFLICT (step_id) DO UPDATE SET
    status = coalesce($2::text, checklist_steps.status),
    owner = coalesce($3::text, checklist_steps.owner),
    notes = coalesce($4::text, checklist_steps.notes),
    updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at, run_id = EXCLUDED.run_id
  RETURNING *
)
INSERT INTO checklist_history (step_id, status, owner, notes, previous, changed_by, changed_at, run_id)
SELECT up.step_id, up.status, up.owner, up.notes, (SELECT to_jsonb(prev) FROM prev), up.updated_by, up.updated_at, up.run_id FROM up
RETURNING step_id, status, owner, notes, previous, changed_by, changed_at, run_id`;

export function createBoardRecords(db: Queryable): BoardRecords {
  const toChange = (row: Record<string, unknown>): ChecklistChange => {
    const change = camelRow<ChecklistChange>(row);
    // node-postgres parses jsonb; PGlite too, but a text value would be a driver surprise worth surviving.
    const previous = typeof change.previous === "string" ? (JSON.parse(change.previous) as ChecklistChange["previous"]) : change.previous;
    return { ...change, previous: previous ?? null, changedAt: new Date(change.changedAt) };
  };
  return {
    async listChecklistStates() {
      const { rows } = await db.query("SELECT * FROM checklist_steps ORDER BY step_id");
      return rows.map((row) => {
        const state = camelRow<ChecklistStepState>(row);
        return { ...state, updatedAt: new Date(state.updatedAt) };
      });
    },
    async updateChecklistStep(u) {
      const { rows } = await db.query(UPDATE_STEP_SQL, [
        u.stepId,
        u.status ?? null,
        u.owner ?? null,
        u.notes ?? null,
        u.defaults.status,
        u.defaults.owner,
        u.defaults.notes,
        u.at,
        u.runId,
      ]);
      if (!rows[0]) throw new Error(`no run ${u.runId} to attribute the checklist change to`);
      return toChange(rows[0]);
    },
    async listChecklistHistory(stepId, limit) {
      const { rows } = await db.query(
        `SELECT step_id, status, owner, notes, previous, changed_by, changed_at, run_id FROM checklist_history
         WHERE ($1::text IS NULL OR step_id = $1) ORDER BY changed_at DESC, id DESC LIMIT $2`,
        [stepId ?? null, limit],
      );
      return rows.map(toChange);
    },
    async latestBoardData(env) {
      const { rows } = await db.query<{ content: string; finished_at: Date | string; id: string }>(
        `SELECT a.content, r.finished_at, r.id FROM runs r JOIN artifacts a ON a.run_id = r.id
         WHERE r.runbook = 'ops-board' AND r.status = 'succeeded' AND coalesce(r.env, 'prod') = $1
           AND a.kind = 'json' AND a.filename = 'ops-board.json'
         ORDER BY r.finished_at DESC, a.id DESC LIMIT 1`,
        [env],
      );
      const row = rows[0];
      return row ? { content: row.content, finishedAt: new Date(row.finished_at), runId: row.id } : undefined;
    },
    async boardVersion() {
      const { rows } = await db.query<{ change: string | null; board: string | null }>(
        `SELECT (SELECT max(id)::text FROM checklist_history) AS change,
                (SELECT id::text FROM runs WHERE runbook = 'ops-board' AND status = 'succeeded'
                 ORDER BY finished_at DESC LIMIT 1) AS board`,
      );
      return `checklist:${rows[0]?.change ?? ""};board:${rows[0]?.board ?? ""}`;
    },
    async listBoardMessageChannels() {
      const { rows } = await db.query<{ channel: string }>(
        "SELECT channel FROM board_messages WHERE message_ts IS NOT NULL ORDER BY channel",
      );
      return rows.map((r) => r.channel);
    },
    async claimBoardMessage(channel) {
      const { rowCount } = await db.query("INSERT INTO board_messages (channel) VALUES ($1) ON CONFLICT DO NOTHING", [channel]);
      return rowCount > 0;
    },
    async setBoardMessage(channel, messageTs) {
      await db.query("UPDATE board_messages SET message_ts = $2, updated_at = now() WHERE channel = $1", [channel, messageTs]);
    },
    async releaseBoardMessage(channel) {
      await db.query("DELETE FROM board_messages WHERE channel = $1 AND message_ts IS NULL", [channel]);
    },
    async getBoardMessage(channel) {
      const { rows } = await db.query<{ message_ts: string | null }>("SELECT message_ts FROM board_messages WHERE channel = $1", [channel]);
      return rows[0] ? { messageTs: rows[0].message_ts } : undefined;
    },
  };
}
