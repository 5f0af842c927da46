import { STATUS_ITEMS_TITLE } from "../../adapters/report/ops-board.js";
import { describe, expect, it } from "vitest";
import { readingOfRun } from "../../src/schedules/watch-readings.js";
import { observeReading, type WatchItem } from "../../src/schedules/watch-state.js";
import type { Schedule } from "../../src/store/schedule-records.js";
import type { Run, StoredArtifact } from "../../src/store/types.js";

const schedule = (follow: string[], owner: string | null = null) => ({ follow, owner }) as unknown as Schedule;
const run = (status: Run["status"]) =>
  ({
    status,
    title: "Ops board",
    env: "prod",
    error: null,
    summary: null,
    failedStep: null,
    plan: { owner: "platform", escalation: "@oncall-platform" },
  }) as unknown as Run;
const board = (items: unknown[]): StoredArtifact =>
  ({ kind: "json", title: STATUS_ITEMS_TITLE, content: JSON.stringify({ items }) }) as unknown as StoredArtifact;

const ITEMS = [
  { section: "flag", name: "homeDemoVariant", status: "Blocked", owner: "@growth", reasons: ["depends on featureMatrix, which is off"] },
  { section: "feed", name: "Database migrations", status: "Warning", owner: null, reasons: ["2 pending"] },
  { section: "deploy", name: "api", status: "Healthy", owner: null, reasons: [] },
];

describe("a watch's reading", () => {
  it("takes the ops board's items, with each item's owner, else the runbook's escalation contact", () => {
    const items = readingOfRun(schedule([]), run("succeeded"), [board(ITEMS)]);
    expect(items).toEqual([
      {
        key: "flag:homeDemoVariant",
        name: "homeDemoVariant",
        status: "Blocked",
        owner: "@growth",
        reasons: ["depends on featureMatrix, which is off"],
      },
      {
        key: "feed:Database migrations",
        name: "Database migrations",
        status: "Warning",
        owner: "@oncall-platform",
        reasons: ["2 pending"],
      },
      { key: "deploy:api", name: "api", status: "Healthy", owner: "@oncall-platform", reasons: [] },
    ]);
  });

  it("keeps only the sections or names the watch follows", () => {
    expect(readingOfRun(schedule(["feed"]), run("succeeded"), [board(ITEMS)])?.map((i) => i.key)).toEqual(["feed:Database migrations"]);
    expect(readingOfRun(schedule(["homedemovariant"]), run("succeeded"), [board(ITEMS)])?.map((i) => i.key)).toEqual([
      "flag:homeDemoVariant",
    ]);
  });

  it("is the run itself without a board, and nothing for a run that never ran", () => {
    expect(readingOfRun(schedule([], "@sre"), run("failed"), [])).toMatchObject([{ key: "run", status: "Blocked", owner: "@sre" }]);
    expect(readingOfRun(schedule([]), run("cancelled"), [])).toBeUndefined();
  });
});

describe("watch state", () => {
  const item = (status: WatchItem["status"]): WatchItem => ({ key: "k", name: "api", status, owner: null, reasons: [] });
  const at = (minute: number) => new Date(Date.UTC(2026, 2, 2, 9, minute));

  it("alerts a new item that is already broken once confirmed, and stays quiet while it stays so", () => {
    const policy = { confirm: 2, quietMs: 30 * 60_000, silencedUntil: null };
    let memory = observeReading(new Map(), [item("Blocked")], policy, at(0));
    expect(memory.alerts).toEqual([]);
    memory = observeReading(memory.memory, [item("Blocked")], policy, at(5));
    expect(memory.alerts).toMatchObject([{ from: "Healthy", to: "Blocked" }]);
    expect(observeReading(memory.memory, [item("Blocked")], policy, at(10)).alerts).toEqual([]);
  });

  it("holds alerts back while silenced and tells where it settled after", () => {
    const silenced = { confirm: 1, quietMs: 0, silencedUntil: at(30) };
    const first = observeReading(new Map(), [item("Warning")], silenced, at(0));
    expect(first.alerts).toEqual([]);
    const after = observeReading(first.memory, [item("Warning")], { ...silenced, silencedUntil: null }, at(31));
    expect(after.alerts).toMatchObject([{ from: "Healthy", to: "Warning" }]);
  });
});
