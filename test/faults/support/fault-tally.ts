import { expect, type TestContext } from "vitest";

/**
 * What one fault scenario measured after the fault: runs lost, run effects duplicated, records that
 * say something other than what happened, processes left behind, and approvals or policies bypassed.
 * Every field is counted from real state (rows, processes, side-effect files), never assumed.
 */
export interface FaultTally {
  lost: number;
  duplicated: number;
  falseRecords: number;
  orphans: number;
  bypasses: number;
}

declare module "vitest" {
  interface TaskMeta {
    faultTally?: FaultTally;
  }
}

const NONE: FaultTally = { lost: 0, duplicated: 0, falseRecords: 0, orphans: 0, bypasses: 0 };

/**
 * Stores a fault scenario's measured tally on its test (the faults reporter sums them into the
 * `FAULTS …` line), then asserts that nothing was lost, duplicated, falsely recorded, orphaned or bypassed.
 * Call it once, at the end of each test in test/faults/.
 */
export function recordFaultTally(ctx: TestContext, measured: Partial<FaultTally>): void {
  const tally = { ...NONE, ...measured };
  ctx.task.meta.faultTally = tally;
  expect(tally).toEqual(NONE);
}
