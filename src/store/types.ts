import type { Plan } from "../planner/plan.js";

export type RunStatus = "pending_approval" | "queued" | "running" | "succeeded" | "failed" | "cancelled" | "rejected" | "expired";

export const TERMINAL_STATUSES: readonly RunStatus[] = ["succeeded", "failed", "cancelled", "rejected", "expired"];

/** Where a run came from and where its progress goes: a console session, a Slack thread. */
export interface RunOrigin {
  channel?: string;
  threadTs?: string;
  messageTs?: string;
  [key: string]: unknown;
}

/** A run as stored: the plan it executes and where it is in its lifecycle. */
export interface Run {
  id: string;
  runbook: string;
  title: string;
  params: Plan["params"];
  plan: Plan;
  planHash: string;
  env: string | null;
  service: string | null;
  mutating: boolean;
  status: RunStatus;
  /** Who asked for this plan: the person who typed it, or who edited it last. */
  requestedBy: string;
  /**
   * Everyone who requested or edited this plan, in that order (`requestedBy` included). None of them
   * may approve it when self-approval is off.
   */
  requesters: string[];
  source: string;
  origin: RunOrigin;
  idempotencyKey: string | null;
  lockKey: string | null;
  requiredApprovals: number;
  selfApproval: boolean;
  runAt: Date;
  expiresAt: Date | null;
  workerId: string | null;
  leaseExpiresAt: Date | null;
  attempts: number;
  mutationStarted: boolean;
  /** The step that changes things this run started last (what may be half done if its worker is lost). */
  mutatingStep: string | null;
  /** Failed with a change that may or may not have happened: check before running it again. */
  outcomeUnknown: boolean;
  cancelRequestedAt: Date | null;
  cancelRequestedBy: string | null;
  /** The run an edit replaced this plan with (this one was then cancelled before anything ran). */
  supersededBy: string | null;
  failedStep: string | null;
  error: string | null;
  summary: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface NewRun {
  plan: Plan;
  status: "pending_approval" | "queued";
  requestedBy: string;
  source: string;
  origin?: RunOrigin;
  idempotencyKey?: string;
  expiresAt?: Date;
}

export type RunEventKind =
  | "run_created"
  | "run_approved"
  | "approval_override"
  | "run_rejected"
  | "run_started"
  | "phase_started"
  | "phase_finished"
  | "step_started"
  | "step_succeeded"
  | "step_failed"
  | "step_skipped"
  | "step_retry"
  | "rollback_started"
  | "rollback_finished"
  | "cancel_requested"
  | "run_succeeded"
  | "run_failed"
  | "run_cancelled"
  | "plan_replaced"
  | "run_expired"
  | "run_requeued"
  | "lease_lost";

export interface RunEvent {
  id: number;
  runId: string;
  at: Date;
  kind: RunEventKind;
  phase: string | null;
  stepId: string | null;
  message: string;
  data: Record<string, unknown>;
}

export type NewRunEvent = Pick<RunEvent, "kind"> & Partial<Pick<RunEvent, "phase" | "stepId" | "message" | "data">>;

export interface StoredArtifact {
  id: number;
  runId: string;
  stepId: string | null;
  kind: "link" | "text" | "diff" | "file" | "json" | "summary";
  title: string;
  content: string | null;
  url: string | null;
  filename: string | null;
  createdAt: Date;
}

export interface Approval {
  runId: string;
  approver: string;
  decision: "approve" | "reject";
  planHash: string;
  /** Whether it counts toward the plan's required approvals (the database decides: approval_counts). */
  counts: boolean;
  /** The approver's reason for going ahead over what the preflight reported (a Blocked board verdict …). */
  overrideReason: string | null;
  createdAt: Date;
}

export interface WorkerInfo {
  id: string;
  hostname: string;
  pid: number;
  concurrency: number;
  /** The lease this worker gives its runs; its heartbeat is due every third of it. */
  leaseMs?: number;
  startedAt: Date;
  heartbeatAt: Date;
  stoppedAt: Date | null;
}

/**
 * A worker as a front end shows it: `healthy` heartbeats on time, `late` missed a beat (over two
 * thirds of its lease), `lost` missed its whole lease (its runs are being reaped), `stopped` shut down.
 *
 * @example { id: "host:123:ab12cd34", status: "healthy", runningRuns: 2, heartbeatAgeMs: 1200, ... }
 */
export interface WorkerHealth extends WorkerInfo {
  leaseMs: number;
  status: "healthy" | "late" | "lost" | "stopped";
  heartbeatAgeMs: number;
  runningRuns: number;
}

/**
 * Where a queued run stands. `ahead` counts the runs of the same lock key that must finish first
 * (the running one included); a run without a lock key has nothing ahead of it but free executors.
 *
 * @example { runId, lockKey: "deploy:api:prod", ahead: 2, blockedBy: "9f1c…", runAt, due: true }
 */
export interface QueuePosition {
  runId: string;
  lockKey: string | null;
  ahead: number;
  /** The run currently holding the lock key, if any. */
  blockedBy: string | null;
  runAt: Date;
  /** False while a scheduled run waits for its time. */
  due: boolean;
}

/** What a NOTIFY on the queue channel says: `count` runs became claimable; one is due at `runAt`. */
export interface QueueWake {
  count: number;
  runAt?: Date;
  /** The listening connection was re-established: notifications may have been missed. */
  reconnected?: boolean;
}

/** The shared queue at a glance, for metrics. */
export interface QueueStats {
  /** Queued runs that are due. */
  queued: number;
  /** When the oldest due queued run became due (or was queued); null when none is waiting. */
  oldestQueuedAt: Date | null;
  /** Plans waiting for approval that have not expired. */
  approvalsWaiting: number;
}

/** One finished run for `finishRuns`. */
export interface RunCompletion {
  runId: string;
  workerId: string;
  outcome: RunOutcome;
}

export type RunOutcome =
  | { status: "succeeded"; summary: string }
  | { status: "failed"; summary: string; failedStep: string | null; error: string; outcomeUnknown?: boolean }
  | { status: "cancelled"; summary: string };
