import { expect } from "vitest";
import { executeRun, type ExecutorDeps } from "../../src/executor/execute-run.js";
import type { Store } from "../../src/store/store.js";
import type { Run } from "../../src/store/types.js";

/**
 * Claims and executes every queued run, one at a time, as worker "w1" with no waiting between polls, until the
 * queue is empty; returns the runs as they finished.
 */
export async function drainRuns(store: Store, deps: Pick<ExecutorDeps, "actions" | "credentials" | "redactor" | "log">): Promise<Run[]> {
  const done: Run[] = [];
  for (;;) {
    const run = await store.claimNextRun("w1", 30_000);
    if (!run) return done;
    const outcome = await executeRun(run, "w1", { store, ...deps, cancelPollMs: 20, sleep: async () => {} });
    expect(await store.finishRun(run.id, "w1", outcome)).toBe(true);
    done.push((await store.getRun(run.id))!);
  }
}
