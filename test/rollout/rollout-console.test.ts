import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createConsoleCommands } from "../../src/console/console-commands.js";
import { followRolloutsInConsole } from "../../src/console/console-notifier.js";
import { rolloutRollbackRequest } from "../../src/service/rollout-use-cases.js";
import { openTestStore, type TestStore } from "../support/test-stores.js";
import { createRig, fakeFlagTable, flagRecord, startRollout, USERS } from "./rollout-rig.js";

describe("rollouts in the console", () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore("pglite");
    nock.disableNetConnect();
  });
  afterAll(async () => {
    nock.cleanAll();
    nock.enableNetConnect();
    await t.dispose();
  });
  afterEach(() => expect(nock.pendingMocks().filter((m) => !m.includes("supabase.co"))).toEqual([]));

  it("shows the stage ladder, the time to the next step and each gate's last result; pauses, resumes and plans the way back", async () => {
    const table = fakeFlagTable([flagRecord("FSYNC_USE_RPC", false, 0, [])]);
    const rig = createRig(t.store);
    await startRollout(rig, { flag: "FSYNC_USE_RPC", env: "prod", stages: ["25", "100"], every: "PT45M" });
    nock("https://api.example.com").get("/healthz").reply(200, "ok");
    await rig.driver.tick();
    await rig.drain();
    await rig.driver.tick();

    const printed: string[] = [];
    const run = createConsoleCommands({
      service: rig.service,
      user: USERS.dave,
      print: (text) => printed.push(text),
      follow: async () => {},
      timeZone: "UTC",
      sessionId: "s1",
    });
    await run("rollout status FSYNC_USE_RPC");
    const status = printed.at(-1)!;
    expect(status).toContain("of FSYNC_USE_RPC in prod: 25% → 100%, every 45 min");
    expect(status).toContain("✓ 25%  ○ 100%");
    expect(status).toMatch(/✓ health — 1 of 1 healthy in prod: api 200/);
    expect(status).toContain("next: 100% in 45 min");

    await run("rollout pause FSYNC_USE_RPC");
    expect(printed.at(-1)).toContain(`paused by ${USERS.dave} after stage 1 of 2`);
    await run("rollouts");
    expect(printed.at(-1)).toContain("paused");
    await run("rollout resume FSYNC_USE_RPC");
    expect(printed.at(-1)).toContain("next: 100% in 45 min");
    await run("rollout pause");
    expect(printed.at(-1)).toContain("rollout <status|pause|resume|skip|abort|rollback>");

    await run("rollout abort FSYNC_USE_RPC");
    expect(printed.at(-1)).toContain(`aborted: aborted by ${USERS.dave}`);
    await rig.drain();
    expect(table.row("FSYNC_USE_RPC")).toMatchObject({ is_enabled: false, rollout_percentage: 0 });

    await run("roll back the FSYNC_USE_RPC rollout");
    expect(printed.at(-1)).toContain("Feature flag FSYNC_USE_RPC disable 0% → prod");
    expect(printed.at(-1)).toContain("needs 1 approval from someone other than you");
  });

  it("reads a rollback of a rollout from the words people use", () => {
    expect(rolloutRollbackRequest("roll back the FSYNC_USE_RPC rollout")).toBe("FSYNC_USE_RPC");
    expect(rolloutRollbackRequest("revert the homeDemoVariant staged rollout")).toBe("homeDemoVariant");
    expect(rolloutRollbackRequest("undo the rollout of featureMatrix")).toBe("featureMatrix");
    expect(rolloutRollbackRequest("roll back api in prod")).toBeUndefined();
  });

  it("prints each stage as the driver queues it and the rollout's status each time it moves, with nobody asking", async () => {
    fakeFlagTable([flagRecord("FSYNC_USE_RPC", false, 0, [])]);
    const rig = createRig(t.store);
    const printed: string[] = [];
    const stop = followRolloutsInConsole({
      subscribe: (listener) => rig.driver.subscribe(listener),
      rolloutStatus: (id) => rig.service.rolloutStatus(id),
      print: (text) => printed.push(text),
      timeZone: "UTC",
    });
    await startRollout(rig, { flag: "FSYNC_USE_RPC", env: "prod", stages: ["50"], every: "PT10M" });
    nock("https://api.example.com").get("/healthz").reply(200, "ok");
    await rig.driver.tick();
    await rig.drain();
    await rig.driver.tick();
    await vi.waitFor(() => expect(printed.join("\n")).toContain("next: 13% in 10 min"));
    stop();
    const id = /Rollout (\w{8})/.exec(printed[0]!)![1];
    expect(printed[0]).toMatch(new RegExp(`^🪜 Rollout ${id} of FSYNC_USE_RPC in prod: stage 1 of 4 \\(5%\\) queued \\(run \\w{8}\\)\\.$`));
    expect(printed.at(-1)).toMatch(
      new RegExp(
        `^🪜 Rollout ${id} of FSYNC_USE_RPC in prod: 5% → 13% → 25% → 50%, every 10 min\n {3}✓ 5% {2}○ 13% {2}○ 25% {2}○ 50%\n {3}next: 13% in 10 min`,
      ),
    );
  });
});
