import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Plan } from "../../src/planner/plan.js";
import type { Store } from "../../src/store/store.js";
import type { NewRun, Run, RunOutcome } from "../../src/store/types.js";

/** What the test executor does with a run; carried in the plan's params. */
export interface TestRunParams {
  /** How long the run's one step takes. */
  sleep_ms?: number;
  /** Marks the run as having started a mutating step before sleeping. */
  mutate?: boolean;
  /** Sleep only on the first attempt (a retried run then finishes at once). */
  first_attempt_only?: boolean;
  [key: string]: string | number | boolean | undefined;
}

/** A minimal plan for engine tests: the test executor reads only its params. */
export function testPlan(options: { params?: TestRunParams; lockKey?: string; runAt?: Date; title?: string } = {}): Plan {
  const params = options.params ?? {};
  return {
    runbook: "engine-test",
    title: options.title ?? "engine test",
    params: params as Plan["params"],
    env: "test",
    service: "engine",
    mutating: options.lockKey !== undefined,
    lockKey: options.lockKey,
    runAt: options.runAt?.toISOString(),
    steps: [],
    rollback: [],
    approval: { required: 0, selfApproval: true, approvers: { users: [], groups: [] }, expiresInMinutes: 60 },
    owner: "engine",
    escalation: "@engine",
    timeoutSeconds: 60,
    hash: `test-${JSON.stringify(params)}-${options.lockKey ?? ""}`,
  };
}

export function queuedRun(options: Parameters<typeof testPlan>[0] & { idempotencyKey?: string } = {}): NewRun {
  return {
    plan: testPlan(options),
    status: "queued",
    requestedBy: "U_TEST",
    source: "test",
    ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
  };
}

/**
 * The executor engine tests run, in-process and in worker processes: records `run_started` (with the
 * worker and pid) and `run_succeeded` events around one step that sleeps `sleep_ms`; stops early with
 * a `cancelled` outcome when its signal aborts.
 */
export function createTestExecutor(store: Store) {
  return async (run: Run, workerId: string, signal: AbortSignal): Promise<RunOutcome> => {
    const params = run.plan.params as TestRunParams;
    await store.appendEvent(run.id, {
      kind: "run_started",
      message: `started by ${workerId}`,
      data: { worker_id: workerId, pid: process.pid },
    });
    if (params.mutate) await store.markMutationStarted(run.id);
    if (params.sleep_ms && !(params.first_attempt_only && run.attempts > 1)) {
      await store.appendEvent(run.id, { kind: "step_started", stepId: "sleep", message: `sleeping ${params.sleep_ms} ms` });
      const interrupted = await sleep(params.sleep_ms, signal);
      if (interrupted) {
        await store.appendEvent(run.id, { kind: "run_cancelled", message: String(signal.reason) });
        return { status: "cancelled", summary: `stopped: ${(signal.reason as Error).message}` };
      }
      await store.appendEvent(run.id, { kind: "step_succeeded", stepId: "sleep" });
    }
    await store.appendEvent(run.id, { kind: "run_succeeded", data: { worker_id: workerId } });
    return { status: "succeeded", summary: "ok" };
  };
}

/** Resolves true if `signal` aborted before `ms` passed. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(false);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(true);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly workerId: string;
  /** SIGTERM and wait for a graceful exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: the process dies mid-step, holding whatever it holds. */
  kill(): Promise<void>;
  /** Lines the process wrote to stderr (its logs), for failure messages. */
  readonly logs: string[];
}

const WORKER_ENTRY = fileURLToPath(new URL("./worker-process.ts", import.meta.url));

/**
 * Starts `opsroom`-style worker processes (test/engine/worker-process.ts) against `url` and waits
 * until each has registered and is listening.
 */
export async function spawnWorkers(
  count: number,
  options: { url: string; concurrency: number; leaseMs?: number; pollMs?: number; logLevel?: string },
): Promise<WorkerProcess[]> {
  return Promise.all(Array.from({ length: count }, () => spawnWorker(options)));
}

export function spawnWorker(options: {
  url: string;
  concurrency: number;
  leaseMs?: number;
  pollMs?: number;
  logLevel?: string;
  /** Another worker program with the same ENGINE_* settings and `ready <id>` line (the faults suite's real executor). */
  entry?: string;
}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", options.entry ?? WORKER_ENTRY], {
    env: {
      ...process.env,
      ENGINE_DB_URL: options.url,
      ENGINE_CONCURRENCY: String(options.concurrency),
      ENGINE_LEASE_MS: String(options.leaseMs ?? 30_000),
      ENGINE_POLL_MS: String(options.pollMs ?? 2_000),
      LOG_LEVEL: options.logLevel ?? "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  createInterface({ input: child.stderr! }).on("line", (line) => {
    logs.push(line);
    if (logs.length > 200) logs.shift();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`worker process did not start within 30 s:\n${logs.join("\n")}`));
    }, 30_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker process exited with ${code} before it was ready:\n${logs.join("\n")}`));
    });
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const match = /^ready (\S+)$/.exec(line);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        child,
        workerId: match[1]!,
        logs,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
          return exited;
        },
        async kill() {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
          await exited;
        },
      });
    });
  });
}
