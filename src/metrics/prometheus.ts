import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { QueueStats } from "../store/types.js";

/**
 * opsroom's Prometheus metrics (GET /metrics on the health port). Counters and histograms are fed
 * by this process (run events as its executors record them, its Slack calls, its parses); the queue
 * gauges are read from the database at scrape time, so every process reports the shared queue.
 */
export interface OpsMetrics {
  readonly registry: Registry;
  runFinished(labels: { runbook: string; env: string; status: string }): void;
  phaseDuration(labels: { runbook: string; phase: string }, seconds: number): void;
  stepDuration(labels: { adapter: string; action: string; outcome: "succeeded" | "failed" | "retry" }, seconds: number): void;
  leaseLost(): void;
  slackCall(method: string, outcome: "ok" | "rate_limited" | "error"): void;
  parsed(outcome: "understood" | "clarify" | "not_command" | "help"): void;
}

const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export function createOpsMetrics(options: { queueStats: () => Promise<QueueStats> }): OpsMetrics {
  const registry = new Registry();
  const runs = new Counter({
    name: "opsroom_runs_total",
    help: "Runs this process finished, by runbook, environment and final status.",
    labelNames: ["runbook", "env", "status"],
    registers: [registry],
  });
  const phases = new Histogram({
    name: "opsroom_phase_duration_seconds",
    help: "How long each phase of a run took.",
    labelNames: ["runbook", "phase"],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const steps = new Histogram({
    name: "opsroom_step_duration_seconds",
    help: "How long each adapter call of a step took, by outcome.",
    labelNames: ["adapter", "action", "outcome"],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const leaseLosses = new Counter({
    name: "opsroom_lease_losses_total",
    help: "Running runs this process's workers lost the lease of (the database was unreachable past the lease).",
    registers: [registry],
  });
  const slackCalls = new Counter({
    name: "opsroom_slack_api_calls_total",
    help: "Slack Web API calls, by method and outcome (rate_limited: a 429, waited out and retried).",
    labelNames: ["method", "outcome"],
    registers: [registry],
  });
  const parses = new Counter({
    name: "opsroom_parse_outcomes_total",
    help: "Messages parsed, by outcome: understood (a runbook with everything it needs), clarify, not_command, help.",
    labelNames: ["outcome"],
    registers: [registry],
  });
  // Read at scrape time: one query for the four of them, shared through `latest`.
  let latest: Promise<QueueStats> | undefined;
  const stats = () => (latest ??= options.queueStats().finally(() => setImmediate(() => (latest = undefined))));
  new Gauge({
    name: "opsroom_queue_depth",
    help: "Queued runs that are due (scheduled ones not yet), across every process.",
    registers: [registry],
    async collect() {
      this.set((await stats()).queued);
    },
  });
  new Gauge({
    name: "opsroom_queue_oldest_age_seconds",
    help: "How long the oldest due queued run has been waiting; 0 when none is.",
    registers: [registry],
    async collect() {
      const { oldestQueuedAt } = await stats();
      this.set(oldestQueuedAt ? Math.max(0, (Date.now() - oldestQueuedAt.getTime()) / 1000) : 0);
    },
  });
  new Gauge({
    name: "opsroom_approvals_waiting",
    help: "Plans waiting for approval (not expired).",
    registers: [registry],
    async collect() {
      this.set((await stats()).approvalsWaiting);
    },
  });
  return {
    registry,
    runFinished: (labels) => runs.inc(labels),
    phaseDuration: (labels, seconds) => phases.observe(labels, seconds),
    stepDuration: (labels, seconds) => steps.observe(labels, seconds),
    leaseLost: () => leaseLosses.inc(),
    slackCall: (method, outcome) => slackCalls.inc({ method, outcome }),
    parsed: (outcome) => parses.inc({ outcome }),
  };
}
