import nock from "nock";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSupabaseAdapter } from "../../adapters/supabase/index.js";
import { CANARY } from "../adapters/helpers.js";
import { fakeFlagTable, flagRecord, SB } from "./rollout-rig.js";

const supabase = createSupabaseAdapter({});
const ctx = {
  log: pino({ level: "silent" }),
  signal: new AbortController().signal,
  runId: "r",
  stepId: "s",
  dryRun: false,
  credentials: { SUPABASE_URL: SB, SUPABASE_SERVICE_ROLE_KEY: CANARY.SUPABASE_SERVICE_ROLE_KEY },
};
const DANA = "8f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";

describe("flag targeting (feature_flags.target_user_ids)", () => {
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it("sets and clears the targeted users with the compare-and-set, and shows them on the flag's status", async () => {
    const table = fakeFlagTable([flagRecord("FSYNC_USE_RPC", false, 0, [])]);
    const set = await supabase.actions.setFlag!.run({ flag: "FSYNC_USE_RPC", env: "prod", targetUserIds: [DANA] }, ctx);
    expect(set.summary).toBe("FSYNC_USE_RPC in prod: target users (none) → user 8f1c2a3b");
    expect(table.patches.at(-1)!.body).toMatchObject({ target_user_ids: [DANA] });

    const status = await supabase.actions.getFlag!.run({ flag: "FSYNC_USE_RPC", env: "prod" }, ctx);
    expect(status.summary).toBe("FSYNC_USE_RPC: off, 0%, targeted at user 8f1c2a3b in prod");
    expect(status.data).toMatchObject({ targetUserIds: [DANA], targetUserCount: 1 });

    await supabase.actions.setFlag!.run({ flag: "FSYNC_USE_RPC", env: "prod", targetUserIds: [] }, ctx);
    expect(table.row("FSYNC_USE_RPC").target_user_ids).toEqual([]);
  });

  it("refuses a user that is not an app user id, naming the value", async () => {
    await expect(supabase.actions.setFlag!.run({ flag: "FSYNC_USE_RPC", env: "prod", targetUserIds: ["@dana"] }, ctx)).rejects.toThrow(
      /targetUserIds.0.*must be a user id \(a UUID\)/,
    );
  });
});
