import { PolicyError } from "../errors.js";
import type { Queryable } from "./db.js";
import { camelRow, isUniqueViolation } from "./rows.js";

/** One step of a flag rollout's ladder. */
export interface FlagStage {
  percent: number;
  cohorts: string[];
}

/** A gate of a release stage, as approved (config GateSchema). */
export type ReleaseGate =
  | { name: string; url: string; expectBody?: string | undefined }
  | { name: string; sql: string; databaseUrlEnv?: string | undefined; timeoutSeconds: number };

/**
 * One stage of a release plan, as approved: an existing runbook with its params, or steps of its own, then
 * its gates; `waitSeconds` before the next stage.
 */
export interface ReleaseStage {
  name: string;
  title: string;
  env: string;
  runbook?: string | undefined;
  params?: Record<string, string | number | boolean | string[]> | undefined;
  steps?: Array<Record<string, unknown>> | undefined;
  rollback?: Array<Record<string, unknown>> | undefined;
  gates: ReleaseGate[];
  waitSeconds: number;
}

export type RolloutStage = FlagStage | ReleaseStage;
export type RolloutKind = "flag" | "release";

export function isReleaseStage(stage: RolloutStage | undefined): stage is ReleaseStage {
  return !!stage && "name" in stage;
}

/** "25%" for a flag stage, the title for a release stage. */
export function stageLabel(stage: RolloutStage | undefined): string {
  if (!stage) return "";
  return isReleaseStage(stage) ? stage.title : `${stage.percent}%`;
}

/** What a stage changed, read before it changed it: what "roll back the X rollout" reverses. */
export interface RecordedChange {
  stage: number;
  kind: "deploy" | "flag";
  env: string;
  /** The deployed service, or the flag. */
  subject: string;
  /** deploy: { ref, sha, version }; flag: { enabled, rolloutPercentage, cohorts }. */
  before: Record<string, unknown>;
  at: string;
}

/** A flag's value as a rollout reads and restores it. */
export interface FlagValue {
  enabled: boolean;
  rolloutPercentage: number;
  cohorts: string[];
}

/** A gate's last answer, as the status message shows it. */
export interface GateResult {
  gate: string;
  ok: boolean;
  summary: string;
  at: string;
}

export type RolloutStatus = "active" | "paused" | "succeeded" | "reverted" | "aborted";
export const LIVE_ROLLOUT_STATUSES: readonly RolloutStatus[] = ["active", "paused"];

/**
 * A staged rollout's schedule (migration 020).
 *
 * @example { flag: "FSYNC_USE_RPC", env: "prod", stages: [{ percent: 25, cohorts: [] }, …], stage: 1, status: "active", nextAt, … }
 */
export interface Rollout {
  id: string;
  /** A flag rollout, or a release plan (then `flag` is the release's name). */
  kind: RolloutKind;
  runId: string;
  flag: string;
  env: string;
  lockKey: string;
  status: RolloutStatus;
  stages: RolloutStage[];
  everySeconds: number;
  /** Stages done (0 before the first). */
  stage: number;
  nextAt: Date | null;
  currentRunId: string | null;
  lastRunId: string | null;
  original: FlagValue;
  gates: GateResult[];
  /** When the latest stage run was queued (its gates' stage.startedAt). */
  stageStartedAt: Date | null;
  changes: RecordedChange[];
  reason: string | null;
  updatedBy: string | null;
  /** Where its status message is in Slack, once posted. */
  statusMessage: { channel: string; ts: string } | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewRollout {
  kind?: RolloutKind;
  runId: string;
  flag: string;
  env: string;
  lockKey: string;
  stages: RolloutStage[];
  everySeconds: number;
  original: FlagValue;
  /** When the first stage is due: the rollout's start (its error baseline ends there). */
  firstAt: Date;
}

/** What a settled stage or a control action changes. */
export interface RolloutPatch {
  status?: RolloutStatus;
  stage?: number;
  nextAt?: Date | null;
  gates?: GateResult[];
  reason?: string | null;
  updatedBy?: string | null;
}

/**
 * The statements of staged rollouts. Every change is a compare-and-set on what the caller saw (the
 * stage run in flight, the status), so two processes driving the same rollout never both apply a step.
 */
export interface RolloutRecords {
  /** Records an approved rollout; refused (POLICY_ROLLOUT_RUNNING) while another of the same flag and env is live. */
  start(input: NewRollout): Promise<Rollout>;
  get(id: string): Promise<Rollout | undefined>;
  /** The live (active or paused) rollout holding this lock key, if any. */
  live(lockKey: string): Promise<Rollout | undefined>;
  /** Rollouts of a flag (of one env when given), newest first. */
  ofFlag(flag: string, env?: string, limit?: number): Promise<Rollout[]>;
  /** Rollouts the driver must look at: active and due with no stage in flight, or with a stage run that ended. */
  needingAttention(now: Date): Promise<{ due: Rollout[]; settled: Array<{ rollout: Rollout; runStatus: string }> }>;
  /** Marks the stage run started for `stage` at `at`, only if no other process did. */
  setCurrentRun(id: string, stage: number, runId: string, at?: Date): Promise<boolean>;
  /** Records what a stage is about to change (once per stage and subject: a retried step records it once). */
  recordChange(id: string, change: RecordedChange): Promise<void>;
  /** Applies the outcome of the stage run `runId`, only if it is still the one in flight. */
  settle(id: string, runId: string, patch: RolloutPatch): Promise<Rollout | undefined>;
  /** Records where the rollout's status message was posted. */
  setStatusMessage(id: string, message: { channel: string; ts: string }): Promise<void>;
  /** A control action: applies `patch` only while the rollout's status is one of `from`. */
  update(id: string, from: readonly RolloutStatus[], patch: RolloutPatch): Promise<Rollout | undefined>;
}

const TERMINAL_RUN = ["succeeded", "failed", "cancelled", "rejected", "expired"];

export function createRolloutRecords(db: Queryable): RolloutRecords {
  const one = (rows: Record<string, unknown>[]) => (rows[0] ? toRollout(rows[0]) : undefined);
  const patchSql = (patch: RolloutPatch, first: number): { sets: string[]; values: unknown[] } => {
    const sets: string[] = ["updated_at = now()"];
    const values: unknown[] = [];
    const add = (column: string, value: unknown) => {
      values.push(value);
      sets.push(`${column} = $${first + values.length - 1}`);
    };
    if (patch.status !== undefined) add("status", patch.status);
    if (patch.stage !== undefined) add("stage", patch.stage);
    if (patch.nextAt !== undefined) add("next_at", patch.nextAt);
    if (patch.gates !== undefined) add("gates", JSON.stringify(patch.gates));
    if (patch.reason !== undefined) add("reason", patch.reason);
    if (patch.updatedBy !== undefined) add("updated_by", patch.updatedBy);
    return { sets, values };
  };

  return {
    async start(input) {
      try {
        const { rows } = await db.query(
          `INSERT INTO rollouts (run_id, flag, env, lock_key, stages, every_seconds, original, next_at, created_at, kind)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) RETURNING *`,
          [
            input.runId,
            input.flag,
            input.env,
            input.lockKey,
            JSON.stringify(input.stages),
            input.everySeconds,
            JSON.stringify(input.original),
            input.firstAt,
            input.kind ?? "flag",
          ],
        );
        return toRollout(rows[0]!);
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        const existing = await this.live(input.lockKey);
        throw new PolicyError(
          "POLICY_ROLLOUT_RUNNING",
          `A ${input.kind === "release" ? "release plan" : "rollout"} of ${input.flag} in ${input.env} is already ${existing?.status ?? "live"}${existing ? ` (stage ${existing.stage} of ${existing.stages.length}, rollout ${existing.id.slice(0, 8)})` : ""}; two rollouts of one flag never overlap.`,
          { hint: `Abort it first ("rollout abort ${input.flag}"), or wait for it to finish.` },
        );
      }
    },

    async get(id) {
      return one((await db.query("SELECT * FROM rollouts WHERE id = $1", [id])).rows);
    },

    async live(lockKey) {
      return one((await db.query("SELECT * FROM rollouts WHERE lock_key = $1 AND status IN ('active', 'paused')", [lockKey])).rows);
    },

    async ofFlag(flag, env, limit = 10) {
      const { rows } = await db.query(
        `SELECT * FROM rollouts WHERE lower(flag) = lower($1) AND ($2::text IS NULL OR env = $2) ORDER BY created_at DESC, id LIMIT $3`,
        [flag, env ?? null, limit],
      );
      return rows.map(toRollout);
    },

    async needingAttention(now) {
      const due = await db.query(
        `SELECT * FROM rollouts WHERE status = 'active' AND current_run_id IS NULL AND next_at <= $1 ORDER BY next_at LIMIT 50`,
        [now],
      );
      const settled = await db.query(
        `SELECT r.*, runs.status AS run_status FROM rollouts r JOIN runs ON runs.id = r.current_run_id
         WHERE runs.status = ANY($1::text[]) LIMIT 50`,
        [TERMINAL_RUN],
      );
      return {
        due: due.rows.map(toRollout),
        settled: settled.rows.map(({ run_status, ...row }) => ({ rollout: toRollout(row), runStatus: String(run_status) })),
      };
    },

    async setCurrentRun(id, stage, runId, at) {
      const { rowCount } = await db.query(
        `UPDATE rollouts SET current_run_id = $3, last_run_id = $3, stage_started_at = COALESCE($4, now()), updated_at = now()
         WHERE id = $1 AND stage = $2 AND current_run_id IS NULL AND status = 'active'`,
        [id, stage, runId, at ?? null],
      );
      return rowCount > 0;
    },

    async recordChange(id, change) {
      await db.query(
        `UPDATE rollouts SET changes = changes || $2::jsonb, updated_at = now()
         WHERE id = $1 AND NOT changes @> $3::jsonb`,
        [id, JSON.stringify([change]), JSON.stringify([{ stage: change.stage, kind: change.kind, subject: change.subject }])],
      );
    },

    async settle(id, runId, patch) {
      const { sets, values } = patchSql(patch, 3);
      const { rows } = await db.query(
        `UPDATE rollouts SET current_run_id = NULL, ${sets.join(", ")} WHERE id = $1 AND current_run_id = $2 RETURNING *`,
        [id, runId, ...values],
      );
      return one(rows);
    },

    async setStatusMessage(id, message) {
      await db.query("UPDATE rollouts SET status_message = $2 WHERE id = $1", [id, JSON.stringify(message)]);
    },

    async update(id, from, patch) {
      const { sets, values } = patchSql(patch, 3);
      const { rows } = await db.query(`UPDATE rollouts SET ${sets.join(", ")} WHERE id = $1 AND status = ANY($2::text[]) RETURNING *`, [
        id,
        [...from],
        ...values,
      ]);
      return one(rows);
    },
  };
}

function toRollout(row: Record<string, unknown>): Rollout {
  const r = camelRow<Rollout>(row);
  return { ...r, stage: Number(r.stage), everySeconds: Number(r.everySeconds) };
}
