import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createErrorGate } from "../../adapters/report/error-gate.js";

const NOW = Date.parse("2026-01-07T10:30:00Z");
const clock = { now: () => NOW, sleep: async () => {} };
const ctx = {
  log: pino({ level: "silent" }),
  signal: new AbortController().signal,
  runId: "r",
  stepId: "gate-errors",
  dryRun: false,
  credentials: {},
};
const read = (errorLines: number, ...signatures: string[]) => ({
  data: { errorLines, signatures: signatures.map((signature) => ({ signature, count: 1, firstSeen: null })) },
});
const gate = (steps: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  createErrorGate(clock).run({ steps, startedAt: "2026-01-07T10:00:00Z", baselineSince: "2026-01-07T09:00:00Z", ...extra }, ctx);

describe("the rollout error gate", () => {
  it("passes when the errors since the rollout began are known signatures at the usual rate", async () => {
    const result = await gate({ "baseline-api": read(6, "Error: timeout <n> ms"), "recent-api": read(3, "Error: timeout <n> ms") });
    expect(result.summary).toBe("api 3 errors since the rollout began (6.0/h; 6.0/h before), 0 new signatures");
  });

  it("fails when the error rate is above the factor times the baseline, once there are enough errors", async () => {
    await expect(
      gate({ "baseline-api": read(2, "Error: timeout <n> ms"), "recent-api": read(9, "Error: timeout <n> ms") }),
    ).rejects.toThrow("api: 18/h errors since the rollout began, above 2 × the 2.0/h before it");
    // Four errors in half an hour (8/h against 1/h) are not judged as a rate: below minErrors (5).
    await expect(
      gate({ "baseline-api": read(1, "Error: timeout <n> ms"), "recent-api": read(4, "Error: timeout <n> ms") }),
    ).resolves.toBeTruthy();
  });

  it("fails when a service's logs could not be read: an unchecked gate is not a passed one", async () => {
    await expect(gate({ "recent-api": read(0) })).rejects.toThrow("api: its logs were not read (before it)");
  });
});
