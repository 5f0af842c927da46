/** The board's own pieces: naming a checklist step from chat, the last-deploy feed, and HTTP feeds' timestamps. */
import nock from "nock";
import { describe, expect, it } from "vitest";
import { resolveStep } from "../../adapters/board/resolve-step.js";
import { createHistoryAdapter, type HistoryRun } from "../../adapters/history/index.js";
import { createHttpAdapter } from "../../adapters/http/index.js";
import { expectAdapterError, fakeClock, makeCtx, useNock } from "./helpers.js";

const STEPS = [
  { id: "write-through-mutations", title: "Write-through mutations", lane: "Convex", status: "blocked", block: "dual-write" },
  { id: "dual-write-queue", title: "Dual-write queue", lane: "Convex", status: "blocked", block: "dual-write" },
  { id: "backfill", title: "Backfill & reconciliation", lane: "Supabase", status: "blocked", block: "dual-write" },
];

describe("naming a checklist step", () => {
  it("takes the id, the title, or words that start one step's words, ignoring a status said along", () => {
    expect(resolveStep(STEPS, "backfill", "x").id).toBe("backfill");
    expect(resolveStep(STEPS, "Backfill and reconciliation", "x").id).toBe("backfill");
    expect(resolveStep(STEPS, "write-through mutations done", "x").id).toBe("write-through-mutations");
    expect(resolveStep(STEPS, "queue", "x").id).toBe("dual-write-queue");
  });

  it("refuses a guess: several matches or none are listed", () => {
    expect(() => resolveStep(STEPS, "write", "x")).toThrow(
      '"write" matches several checklist steps: write-through-mutations (Write-through mutations), dual-write-queue (Dual-write queue).',
    );
    expect(() => resolveStep(STEPS, "launch", "x")).toThrow(/No checklist step "launch"; the steps are write-through-mutations/);
  });
});

const run = (over: Partial<HistoryRun>): HistoryRun => ({
  id: "00000000-0000-4000-8000-000000000001",
  runbook: "deploy",
  title: "Deploy",
  env: "prod",
  service: "api",
  params: { ref: "v1.4.0" },
  status: "succeeded",
  mutationStarted: true,
  requestedBy: "U0ALICE01",
  approvedBy: ["U0BOB0001"],
  startedAt: new Date("2026-01-06T09:00:00Z"),
  finishedAt: new Date("2026-01-06T09:05:00Z"),
  origin: {},
  ...over,
});

describe("history.lastDeploy", () => {
  it("reads the last successful deploy of the service opsroom ran, skipping failed ones and other services", async () => {
    const reader = {
      listRunHistory: async () => [
        run({ id: "00000000-0000-4000-8000-000000000003", status: "failed", finishedAt: new Date("2026-01-07T08:00:00Z") }),
        run({ id: "00000000-0000-4000-8000-000000000002", service: "web" }),
        run({}),
      ],
    };
    const action = createHistoryAdapter({ reader, clock: fakeClock() }).actions.lastDeploy!;
    const result = await action.run({ service: "api", env: "prod" }, makeCtx());
    expect(result.data).toMatchObject({ at: "2026-01-06T09:05:00.000Z", detail: "v1.4.0 by U0ALICE01 (run 00000000)" });
  });

  it("says when there is none (a reading, not an error)", async () => {
    const action = createHistoryAdapter({ reader: { listRunHistory: async () => [] }, clock: fakeClock() }).actions.lastDeploy!;
    const result = await action.run({ service: "api", env: "prod", lookbackDays: 7 }, makeCtx());
    expect(result.data).toEqual({ at: null, value: "None", detail: "no successful deploy of api to prod by opsroom in the last 7 days" });
  });
});

describe("http.fetchTime", () => {
  useNock();
  const action = createHttpAdapter().actions.fetchTime!;

  it("reads the Last-Modified header when no field is named", async () => {
    nock("https://feeds.example.com").get("/seed.sql").reply(200, "--", { "last-modified": "Wed, 07 Jan 2026 08:00:00 GMT" });
    const result = await action.run({ url: "https://feeds.example.com/seed.sql" }, makeCtx());
    expect(result.data).toMatchObject({ at: "2026-01-07T08:00:00.000Z" });
  });

  it("says what it found when the field is not a time, and which status an error answered", async () => {
    nock("https://feeds.example.com")
      .get("/status")
      .reply(200, { data: { updatedAt: "yesterday-ish" } });
    const bad = await expectAdapterError(
      action.run({ url: "https://feeds.example.com/status", field: "data.updatedAt" }, makeCtx()),
      "HTTP_NO_TIMESTAMP",
    );
    expect(bad.userMessage).toBe('https://feeds.example.com/status: data.updatedAt is "yesterday-ish", not a time.');
    nock("https://feeds.example.com").get("/status").reply(503, "down");
    const down = await expectAdapterError(
      action.run({ url: "https://feeds.example.com/status", field: "data.updatedAt" }, makeCtx()),
      "HTTP_STATUS",
    );
    expect(down.userMessage).toBe("https://feeds.example.com/status answered 503 Service Unavailable.");
  });
});
