/** The ops board's records (migration 018) on PGlite, and on real PostgreSQL when TEST_DATABASE_URL is set. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/store.js";
import { planFor } from "../support/fixtures.js";
import { openTestStore, STORE_BACKENDS, type TestStore } from "../support/test-stores.js";

const DEFAULTS = { status: "blocked", owner: "Ops", notes: "Use owner_id + updated_at for merge" };

describe.each(STORE_BACKENDS)("board records on %s", (backend) => {
  let t: TestStore;
  let store: Store;
  beforeAll(async () => {
    t = await openTestStore(backend);
    store = t.store;
  });
  afterAll(async () => {
    await t.dispose();
  });
  beforeEach(async () => {
    await t.db.query("TRUNCATE checklist_history, checklist_steps, board_messages, runs CASCADE");
  });

  const runBy = async (user: string) =>
    (await store.createRun({ plan: planFor("healthcheck", { env: "dev" }), status: "queued", requestedBy: user, source: "test" })).run.id;

  it("keeps a step's state with who changed it and when, and every change with the state before it", async () => {
    const dana = await runBy("U_DANA");
    const first = await store.board.updateChecklistStep({
      stepId: "backfill",
      owner: "@dana",
      defaults: DEFAULTS,
      runId: dana,
      at: new Date("2026-01-07T07:00:00Z"),
    });
    // Only the owner changed: status and notes are the config's until someone changes them.
    expect(first).toMatchObject({
      stepId: "backfill",
      status: "blocked",
      owner: "@dana",
      notes: DEFAULTS.notes,
      previous: null,
      changedBy: "U_DANA",
    });

    const bob = await runBy("U_BOB");
    const second = await store.board.updateChecklistStep({
      stepId: "backfill",
      status: "done",
      notes: "reconciled",
      defaults: DEFAULTS,
      runId: bob,
      at: new Date("2026-01-07T09:00:00Z"),
    });
    expect(second).toMatchObject({
      status: "done",
      owner: "@dana",
      notes: "reconciled",
      previous: { status: "blocked", owner: "@dana", notes: DEFAULTS.notes },
      changedBy: "U_BOB",
      runId: bob,
    });
    expect(second.changedAt.toISOString()).toBe("2026-01-07T09:00:00.000Z");

    expect(await store.board.listChecklistStates()).toMatchObject([
      { stepId: "backfill", status: "done", owner: "@dana", updatedBy: "U_BOB", updatedAt: new Date("2026-01-07T09:00:00Z") },
    ]);
    const history = await store.board.listChecklistHistory("backfill", 10);
    expect(history.map((h) => [h.status, h.changedBy])).toEqual([
      ["done", "U_BOB"],
      ["blocked", "U_DANA"],
    ]);
    expect(await store.board.listChecklistHistory("other", 10)).toEqual([]);
  });

  it("refuses a change no run stands behind", async () => {
    await expect(
      store.board.updateChecklistStep({
        stepId: "backfill",
        status: "done",
        defaults: DEFAULTS,
        runId: "00000000-0000-4000-8000-000000000000",
        at: new Date(),
      }),
    ).rejects.toThrow(/no run/);
    expect(await store.board.listChecklistHistory(undefined, 10)).toEqual([]);
  });

  it("lets one caller claim a channel's board message; the others find it", async () => {
    expect(await store.board.claimBoardMessage("C1")).toBe(true);
    expect(await store.board.claimBoardMessage("C1")).toBe(false);
    expect(await store.board.getBoardMessage("C1")).toEqual({ messageTs: null });
    await store.board.setBoardMessage("C1", "1700000000.000100");
    expect(await store.board.getBoardMessage("C1")).toEqual({ messageTs: "1700000000.000100" });
    await store.board.releaseBoardMessage("C1");
    expect(await store.board.getBoardMessage("C1")).toEqual({ messageTs: "1700000000.000100" });
    expect(await store.board.claimBoardMessage("C2")).toBe(true);
    await store.board.releaseBoardMessage("C2");
    expect(await store.board.getBoardMessage("C2")).toBeUndefined();
  });

  it("lists the channels whose board message is posted, and has a new board version after each checklist change", async () => {
    await store.board.claimBoardMessage("C1");
    await store.board.setBoardMessage("C1", "1700000000.000100");
    await store.board.claimBoardMessage("C2");
    expect(await store.board.listBoardMessageChannels()).toEqual(["C1"]);

    const before = await store.board.boardVersion();
    expect(await store.board.boardVersion()).toBe(before);
    const at = new Date("2026-01-07T07:00:00Z");
    await store.board.updateChecklistStep({ stepId: "backfill", owner: "@dana", defaults: DEFAULTS, runId: await runBy("U_DANA"), at });
    const after = await store.board.boardVersion();
    expect(after).not.toBe(before);
    // Same time, same content: still a change of its own.
    await store.board.updateChecklistStep({ stepId: "backfill", owner: "@dana", defaults: DEFAULTS, runId: await runBy("U_DANA"), at });
    expect(await store.board.boardVersion()).not.toBe(after);
  });
});
