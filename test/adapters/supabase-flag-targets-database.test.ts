/** supabase.setFlag's targeted users over a Postgres connection (flagsVia: database), on real PostgreSQL. */
import { readFileSync } from "node:fs";
import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSupabaseAdapter } from "../../adapters/supabase/index.js";
import { fixturePath } from "./helpers.js";
import { NEEDS_POSTGRES } from "../support/skip-unless.js";
import { createScratchDatabase } from "../support/test-stores.js";

const DANA = "8f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
const LEE = "0d2e4f6a-1b3c-4d5e-8f70-112233445566";

describe("flag targeting over a database connection", NEEDS_POSTGRES, () => {
  const supabase = createSupabaseAdapter({});
  let scratch: { url: string; drop: () => Promise<void> };
  const ctx = () => ({
    log: pino({ level: "silent" }),
    signal: new AbortController().signal,
    runId: "r",
    stepId: "s",
    dryRun: false,
    credentials: { FLAGS_DATABASE_URL: scratch.url },
  });
  const targets = async () => {
    const client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    try {
      return (
        await client.query<{ ids: string[] }>("SELECT target_user_ids::text[] AS ids FROM feature_flags WHERE flag_key = 'FSYNC_USE_RPC'")
      ).rows[0]!.ids;
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    const client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    await client.query(readFileSync(fixturePath("postgres/migrations/20260103120000_create_feature_flags.sql"), "utf8"));
    await client.end();
  });
  afterAll(async () => {
    await scratch?.drop();
  });

  it("adds and removes users in target_user_ids with the compare-and-set, and the status shows them", async () => {
    const args = { flag: "FSYNC_USE_RPC", env: "prod", databaseUrlEnv: "FLAGS_DATABASE_URL" };
    const added = await supabase.actions.setFlag!.run({ ...args, addTargetUserIds: [DANA, LEE] }, ctx());
    expect(added.summary).toBe("FSYNC_USE_RPC in prod: target users (none) → 2 users (8f1c2a3b, 0d2e4f6a)");
    expect(await targets()).toEqual([DANA, LEE]);

    const status = await supabase.actions.getFlag!.run(args, ctx());
    expect(status.summary).toBe("FSYNC_USE_RPC: off, 0%, targeted at 2 users (8f1c2a3b, 0d2e4f6a) in prod");

    await supabase.actions.setFlag!.run({ ...args, removeTargetUserIds: [DANA] }, ctx());
    expect(await targets()).toEqual([LEE]);
    await supabase.actions.setFlag!.run({ ...args, removeTargetUserIds: [LEE] }, ctx());
    expect(await targets()).toEqual([]);
  });
});
