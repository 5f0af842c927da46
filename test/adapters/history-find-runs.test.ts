/**
 * history.findRuns answers questions about what opsroom did ("who shipped web to prod this morning?") from
 * its own run history: filters by service, env, runbook, flag and requester, newest first, in one sentence.
 */
import { describe, expect, it } from "vitest";
import { createHistoryAdapter, type HistoryRun } from "../../adapters/history/index.js";
import { expectAdapterError, fakeClock, makeCtx } from "./helpers.js";

const run = (over: Partial<HistoryRun>): HistoryRun => ({
  id: "a1b2c3d4-0000-4000-8000-000000000001",
  runbook: "deploy",
  title: "Deploy",
  env: "prod",
  service: "web",
  params: { service: "web", env: "prod", ref: "v3.1.0" },
  status: "succeeded",
  mutationStarted: true,
  requestedBy: "U0DANA001",
  approvedBy: ["U0LEE0001"],
  startedAt: new Date("2026-01-07T09:12:00Z"),
  finishedAt: new Date("2026-01-07T09:16:00Z"),
  origin: { channel: "C0OPS0001", messageTs: "1767776400.000100" },
  ...over,
});

const RUNS: HistoryRun[] = [
  run({
    id: "f0000000-0000-4000-8000-000000000005",
    runbook: "restart",
    title: "Restart",
    service: "api",
    params: {},
    startedAt: new Date("2026-01-07T09:40:00Z"),
  }),
  run({
    id: "e0000000-0000-4000-8000-000000000004",
    runbook: "flag",
    title: "Feature flag",
    service: null,
    params: { flag: "signalAiInsights", action: "rollout", percent: 25 },
    requestedBy: "U0SAM0001",
    approvedBy: [],
    startedAt: new Date("2026-01-07T09:30:00Z"),
  }),
  run({}),
  run({
    id: "c0000000-0000-4000-8000-000000000003",
    env: "staging",
    params: { ref: "v3.0.9" },
    status: "failed",
    rolledBack: true,
    startedAt: new Date("2026-01-06T16:00:00Z"),
  }),
];

function adapter(runs: readonly HistoryRun[] = RUNS, asked: unknown[] = []) {
  return createHistoryAdapter({
    clock: fakeClock(Date.parse("2026-01-07T10:00:00Z")),
    reader: { listRunHistory: async (q) => (asked.push(q), runs) },
  });
}

describe("history.findRuns", () => {
  it("answers who deployed a service to an env, when, with which approvals and outcome", async () => {
    const asked: unknown[] = [];
    const result = await adapter(RUNS, asked).actions.findRuns!.run(
      { service: "web", env: "prod", runbook: "deploy", timeZone: "Europe/Berlin" },
      makeCtx(),
    );
    expect(result.summary).toBe(
      "web was last deployed to prod (v3.1.0) by <@U0DANA001> at 2026-01-07 10:12 (run a1b2c3d4, approved by <@U0LEE0001>): succeeded.",
    );
    // The store filters by env and window (the last 30 days by default); the rest is filtered here.
    expect(asked).toEqual([{ env: "prod", from: new Date("2025-12-08T10:00:00Z"), to: new Date("2026-01-07T10:00:00Z"), limit: 1000 }]);
    expect(result.data).toMatchObject({
      count: 1,
      truncated: false,
      runs: [{ id: "a1b2c3d4-0000-4000-8000-000000000001", outcome: "succeeded" }],
    });
  });

  it("finds a flag's changes and who asked for them", async () => {
    const result = await adapter().actions.findRuns!.run({ flag: "signalAiInsights" }, makeCtx());
    expect(result.summary).toBe(
      "signalAiInsights was last changed in prod (rollout 25%) by <@U0SAM0001> at 2026-01-07 09:30 UTC (run e0000000): succeeded.",
    );
  });

  it("counts matching runs, lists at most `limit`, and says when a run was rolled back", async () => {
    const result = await adapter().actions.findRuns!.run({ service: "web", runbook: "deploy", limit: 1 }, makeCtx());
    expect(result.summary).toMatch(/^web was last deployed to prod .* 2 matching runs since 2025-12-08 10:00 UTC\.$/);
    const data = result.data as { count: number; truncated: boolean; runs: { outcome: string }[] };
    expect(data).toMatchObject({ count: 2, truncated: true });
    expect(data.runs).toHaveLength(1);
    const all = (await adapter().actions.findRuns!.run({ service: "web", env: "staging" }, makeCtx())).data as typeof data;
    expect(all.runs[0]!.outcome).toBe("failed, rolled back");
  });

  it("filters by requester, with or without the @", async () => {
    const result = await adapter().actions.findRuns!.run({ requester: "@u0sam0001" }, makeCtx());
    expect((result.data as { count: number }).count).toBe(1);
  });

  it("says plainly when nothing matches", async () => {
    const result = await adapter().actions.findRuns!.run({ service: "search", runbook: "scale", since: "2026-01-05T00:00:00Z" }, makeCtx());
    expect(result.summary).toBe("No opsroom scale runs of search since 2026-01-05 00:00 UTC.");
    expect(result.data).toMatchObject({ count: 0, runs: [] });
  });

  it("refuses without a history to read", async () => {
    const history = createHistoryAdapter({});
    await expectAdapterError(history.actions.findRuns!.run({}, makeCtx()), "HISTORY_UNAVAILABLE");
  });
});
