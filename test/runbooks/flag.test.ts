import { describe, expect, it } from "vitest";
import { flagRow, hanging, plan, stepEvent, supabaseRest, untilStepStarted, useRunbookHarness } from "./harness.js";

type Row = ReturnType<typeof flagRow>;
const one = (flag: string) => (q: Record<string, string>) => q.flag_key === `eq.${flag}` && q.environment === "eq.production";
const all = (q: Record<string, string>) => q.order === "flag_key.asc" && q.environment === "eq.production";
const patchOf = (flag: string, updatedAt: string) => (q: Record<string, string>) =>
  q.flag_key === `eq.${flag}` && q.updated_at === `eq.${updatedAt}`;

const off = flagRow("homeDemoVariant", false, 0, ["ops", "demo"]);
const matrixOn = flagRow("featureMatrix", true, 100, ["ops", "admin"]);

/** A PATCH that applies its body to `row` and answers the updated row, recording the body. */
function patched(row: Row, bodies: unknown[], updatedAt = "2026-01-07T10:00:01+00:00") {
  return async (req: Request) => {
    const body = (await req.json()) as Record<string, unknown>;
    bodies.push(body);
    return [{ ...row, ...body, updated_at: updatedAt }];
  };
}

describe("flag runbook", () => {
  const h = useRunbookHarness();

  it("enables a flag for a cohort at a percentage: diff first, compare-and-set write, read back", async () => {
    const bodies: unknown[] = [];
    const after = {
      ...off,
      is_enabled: true,
      rollout_percentage: 25,
      metadata: { cohorts: ["ops"] },
      updated_at: "2026-01-07T10:00:01+00:00",
    };
    supabaseRest()
      .get("/rest/v1/feature_flags")
      .query(one("homeDemoVariant"))
      .reply(200, [off])
      .get("/rest/v1/feature_flags")
      .query(all)
      .reply(200, [matrixOn, off])
      .get("/rest/v1/feature_flags")
      .query(one("homeDemoVariant"))
      .reply(200, [off])
      .patch("/rest/v1/feature_flags")
      .query(patchOf("homeDemoVariant", off.updated_at))
      .reply(200, patched(off, bodies))
      .get("/rest/v1/feature_flags")
      .query(one("homeDemoVariant"))
      .reply(200, [after]);

    const { outcome, events, artifacts, succeeded } = await h.run(
      plan("flag", { flag: "homeDemoVariant", action: "enable", percent: 25, cohorts: ["ops"], env: "prod" }),
    );

    expect(outcome.status).toBe("succeeded");
    expect(succeeded).toEqual(["current", "flags", "change", "update", "readback", "check"]);
    expect(bodies).toEqual([{ is_enabled: true, rollout_percentage: 25, metadata: { cohorts: ["ops"] }, updated_at: expect.any(String) }]);
    expect(stepEvent(events, "step_succeeded", "change")?.message).toBe(
      "homeDemoVariant in prod: off → on, 0% → 25%, cohorts ops, demo → ops; depends on featureMatrix (on)",
    );
    expect(artifacts.filter((a) => a.kind === "diff").map((a) => a.title)).toEqual([
      "homeDemoVariant in prod: the change",
      "homeDemoVariant (production)",
    ]);
  });

  it("refuses to turn a flag on while the flag it depends on is off, before writing anything", async () => {
    supabaseRest()
      .get("/rest/v1/feature_flags")
      .query(one("homeDemoVariant"))
      .reply(200, [off])
      .get("/rest/v1/feature_flags")
      .query(all)
      .reply(200, [{ ...matrixOn, is_enabled: false }, off]);

    const { outcome, trail } = await h.run(plan("flag", { flag: "homeDemoVariant", action: "enable", env: "prod" }));

    expect(outcome).toMatchObject({ status: "failed", failedStep: "change" });
    expect(outcome.status === "failed" && outcome.error).toBe(
      'homeDemoVariant depends on featureMatrix (off) in prod; turning it on first would break that dependency, so nothing was changed. Turn featureMatrix on first ("enable featureMatrix in prod"), or change dependsOn in the config.',
    );
    expect(trail).not.toContain("phase_started action");
    expect(trail).not.toContain("rollback_started rollback");
  });

  it("restores the values read in validate when the flag does not read back as changed", async () => {
    const bodies: unknown[] = [];
    const changedBySomeoneElse = {
      ...off,
      is_enabled: true,
      rollout_percentage: 10,
      metadata: { cohorts: ["ops"] },
      updated_at: "2026-01-07T10:00:02+00:00",
    };
    supabaseRest()
      .get("/rest/v1/feature_flags")
      .query(one("homeDemoVariant"))
      .reply(200, [off])
      .get("/rest/v1/feature_flags")
      .query(all)
      .reply(200, [matrixOn, off])
      .get("/rest/v1/feature_flags")
      .query(one("homeDemoVariant"))
      .reply(200, [off])
      .patch("/rest/v1/feature_flags")
      .query(true)
      .reply(200, patched(off, bodies))
      .get("/rest/v1/feature_flags")
      .query(one("homeDemoVariant"))
      .reply(200, [changedBySomeoneElse])
      // Rollback: read, then write the values from validate back.
      .get("/rest/v1/feature_flags")
      .query(one("homeDemoVariant"))
      .reply(200, [changedBySomeoneElse])
      .patch("/rest/v1/feature_flags")
      .query(patchOf("homeDemoVariant", changedBySomeoneElse.updated_at))
      .reply(200, patched(changedBySomeoneElse, bodies, "2026-01-07T10:00:03+00:00"));

    const { outcome } = await h.run(
      plan("flag", { flag: "homeDemoVariant", action: "rollout", percent: 25, cohorts: ["ops"], env: "prod" }),
    );

    expect(outcome).toMatchObject({ status: "failed", failedStep: "check" });
    expect(outcome.status === "failed" && outcome.error).toBe(
      'homeDemoVariant in prod after the change: expected {"enabled":true,"rolloutPercentage":25,"cohorts":["ops"]}, got {"flag":"homeDemoVariant","environment":"production","enabled":true,"rolloutPercentage":10,"cohorts":["ops"],"description":null,"targetUserCount":0,"updatedAt":"2026-01-07T10:00:02+00:00","targetUs....',
    );
    expect(bodies[1]).toEqual({
      is_enabled: false,
      rollout_percentage: 0,
      metadata: { cohorts: ["ops", "demo"] },
      updated_at: expect.any(String),
    });
    expect(outcome.summary).toContain("Rolled back: restore: homeDemoVariant in prod:");
  });

  it("ends a write that hangs at the step timeout and restores the previous values", async () => {
    const bodies: unknown[] = [];
    supabaseRest()
      .get("/rest/v1/feature_flags")
      .query(one("featureMatrix"))
      .reply(200, [matrixOn])
      .get("/rest/v1/feature_flags")
      .query(all)
      .reply(200, [matrixOn, off])
      .get("/rest/v1/feature_flags")
      .query(one("featureMatrix"))
      .reply(200, [matrixOn])
      .patch("/rest/v1/feature_flags")
      .query(true)
      .reply(hanging())
      .get("/rest/v1/feature_flags")
      .query(one("featureMatrix"))
      .reply(200, [matrixOn])
      .patch("/rest/v1/feature_flags")
      .query(true)
      .reply(200, patched(matrixOn, bodies));
    const p = plan("flag", { flag: "featureMatrix", action: "disable", env: "prod" });
    p.steps.find((s) => s.id === "update")!.timeoutSeconds = 1;

    const { outcome } = await h.run(p);

    expect(outcome).toMatchObject({ status: "failed", failedStep: "update", error: "supabase.setFlag did not finish within 1 s." });
    expect(bodies).toEqual([
      { is_enabled: true, rollout_percentage: 100, metadata: { cohorts: ["ops", "admin"] }, updated_at: expect.any(String) },
    ]);
  });

  it("stops when cancelled while the flag is being read back, and restores the flag", async () => {
    supabaseRest()
      .get("/rest/v1/feature_flags")
      .query(one("featureMatrix"))
      .reply(200, [matrixOn])
      .get("/rest/v1/feature_flags")
      .query(all)
      .reply(200, [matrixOn])
      .get("/rest/v1/feature_flags")
      .query(one("featureMatrix"))
      .reply(200, [matrixOn])
      .patch("/rest/v1/feature_flags")
      .query(true)
      .reply(200, patched(matrixOn, []))
      .get("/rest/v1/feature_flags")
      .query(one("featureMatrix"))
      .reply(hanging())
      // Rollback: read, then write the values from validate back.
      .get("/rest/v1/feature_flags")
      .query(one("featureMatrix"))
      .reply(200, [matrixOn])
      .patch("/rest/v1/feature_flags")
      .query(true)
      .reply(200, patched(matrixOn, []));
    const { outcome, trail } = await h.run(plan("flag", { flag: "featureMatrix", action: "rollout", percent: 50, env: "prod" }), {
      during: async (runId, events) => {
        await untilStepStarted(events, "readback");
        await h.store().requestCancel(runId, "U2");
      },
    });
    expect(outcome.status).toBe("cancelled");
    expect(outcome.summary).toContain("Rolled back: restore: featureMatrix in prod:");
    expect(trail.slice(-3)).toEqual(["step_succeeded restore", "rollback_finished rollback", "run_cancelled verify"]);
  });

  it("status only reads: no write, no approval needed, dependencies shown", async () => {
    supabaseRest()
      .get("/rest/v1/feature_flags")
      .query(one("homeDemoVariant"))
      .reply(200, [{ ...off, is_enabled: true, rollout_percentage: 30 }])
      .get("/rest/v1/feature_flags")
      .query(all)
      .reply(200, [matrixOn, off]);
    const p = plan("flag", { flag: "homeDemoVariant", action: "status", env: "prod" });
    expect(p.mutating).toBe(false);
    // A status changes nothing, so its card promises no rollback.
    expect(p.rollback).toEqual([]);
    const { outcome, succeeded, events } = await h.run(p);
    expect(outcome.status).toBe("succeeded");
    expect(succeeded).toEqual(["current", "flags", "change"]);
    expect(stepEvent(events, "step_succeeded", "change")?.message).toBe(
      "homeDemoVariant in prod: on at 30%, cohorts ops, demo; depends on featureMatrix (on)",
    );
  });

  it("a dry run makes no call and lists the PATCH it would send", async () => {
    const steps = await h.dryRun(plan("flag", { flag: "featureMatrix", action: "rollout", percent: 50, env: "prod" }));
    expect(steps.filter((s) => s.risk === "write").map((s) => [s.id, s.requests, s.note ?? null])).toEqual([
      [
        "update",
        [
          "GET $SUPABASE_URL/rest/v1/feature_flags?select=id,flag_key,description,is_enabled,rollout_percentage,environment,target_user_ids,metadata,created_at,updated_at&flag_key=eq.featureMatrix&environment=eq.production",
          'PATCH $SUPABASE_URL/rest/v1/feature_flags?flag_key=eq.featureMatrix&environment=eq.production&updated_at=eq.<as read> {"is_enabled":true,"rollout_percentage":50,"updated_at":"<now>"}',
        ],
        null,
      ],
      ["restore", [], "enabled, rolloutPercentage, cohorts come from earlier steps at run time"],
    ]);
  });
});

describe("flag runbook: a change for some users (feature_flags.target_user_ids)", () => {
  const h = useRunbookHarness();
  const DANA = "8f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"; // flagUsers: U0123ABC
  const LEE = "0d2e4f6a-1b3c-4d5e-8f70-112233445566"; // flagUsers: lee@acme.com
  const snapshotOff = flagRow("supabaseSnapshot", false, 0, ["all"]);

  it("enables an off flag for a Slack mention only: the user is added, the flag goes on at 0%, read back", async () => {
    const bodies: unknown[] = [];
    const after = { ...snapshotOff, is_enabled: true, target_user_ids: [DANA], updated_at: "2026-01-07T10:00:01+00:00" };
    supabaseRest()
      .get("/rest/v1/feature_flags")
      .query(one("supabaseSnapshot"))
      .reply(200, [snapshotOff])
      .get("/rest/v1/feature_flags")
      .query(all)
      .reply(200, [matrixOn, snapshotOff])
      .get("/rest/v1/feature_flags")
      .query(one("supabaseSnapshot"))
      .reply(200, [snapshotOff])
      .patch("/rest/v1/feature_flags")
      .query(patchOf("supabaseSnapshot", snapshotOff.updated_at))
      .reply(200, patched(snapshotOff, bodies))
      .get("/rest/v1/feature_flags")
      .query(one("supabaseSnapshot"))
      .reply(200, [after]);

    const { outcome, succeeded, events } = await h.run(
      plan("flag", { flag: "supabaseSnapshot", action: "enable", users: ["@U0123ABC"], env: "prod" }),
    );

    expect(outcome.status).toBe("succeeded");
    expect(succeeded).toEqual(["current", "flags", "change", "update-users", "readback", "check"]);
    expect(bodies).toEqual([{ is_enabled: true, rollout_percentage: 0, target_user_ids: [DANA], updated_at: expect.any(String) }]);
    expect(stepEvent(events, "step_succeeded", "change")?.message).toBe(
      'supabaseSnapshot in prod: off → on, target users (none) → user 8f1c2a3b; warning: on at 0%: only targeted users get it; say "roll out supabaseSnapshot to 100%" for everyone',
    );
  });

  it("removes one user and leaves the flag on for everyone else", async () => {
    const bodies: unknown[] = [];
    const on = { ...flagRow("featureMatrix", true, 100, ["ops", "admin"]), target_user_ids: [DANA, LEE] };
    supabaseRest()
      .get("/rest/v1/feature_flags")
      .query(one("featureMatrix"))
      .reply(200, [on])
      .get("/rest/v1/feature_flags")
      .query(all)
      .reply(200, [on])
      .get("/rest/v1/feature_flags")
      .query(one("featureMatrix"))
      .reply(200, [on])
      .patch("/rest/v1/feature_flags")
      .query(patchOf("featureMatrix", on.updated_at))
      .reply(200, patched(on, bodies))
      .get("/rest/v1/feature_flags")
      .query(one("featureMatrix"))
      .reply(200, [{ ...on, target_user_ids: [LEE], updated_at: "2026-01-07T10:00:01+00:00" }]);

    const { outcome, events } = await h.run(plan("flag", { flag: "featureMatrix", action: "disable", users: [DANA], env: "prod" }));

    expect(outcome.status).toBe("succeeded");
    expect(bodies).toEqual([{ is_enabled: true, rollout_percentage: 100, target_user_ids: [LEE], updated_at: expect.any(String) }]);
    expect(stepEvent(events, "step_succeeded", "change")?.message).toBe(
      "featureMatrix in prod: target users 2 users (8f1c2a3b, 0d2e4f6a) → user 0d2e4f6a",
    );
  });

  it("status names the targeted users", async () => {
    const targeted = { ...flagRow("featureMatrix", true, 20, ["ops"]), target_user_ids: [DANA] };
    supabaseRest()
      .get("/rest/v1/feature_flags")
      .query(one("featureMatrix"))
      .reply(200, [targeted])
      .get("/rest/v1/feature_flags")
      .query(all)
      .reply(200, [targeted]);
    const { outcome, events } = await h.run(plan("flag", { flag: "featureMatrix", action: "status", env: "prod" }));
    expect(outcome.status).toBe("succeeded");
    expect(stepEvent(events, "step_succeeded", "change")?.message).toBe(
      "featureMatrix in prod: on at 20%, cohorts ops, targeted at user 8f1c2a3b",
    );
  });

  it("refuses a user the config does not map, before writing anything", async () => {
    supabaseRest()
      .get("/rest/v1/feature_flags")
      .query(one("supabaseSnapshot"))
      .reply(200, [snapshotOff])
      .get("/rest/v1/feature_flags")
      .query(all)
      .reply(200, [snapshotOff]);

    const { outcome } = await h.run(
      plan("flag", { flag: "supabaseSnapshot", action: "enable", users: ["@zed", "lee@acme.com"], env: "prod" }),
    );

    expect(outcome).toMatchObject({ status: "failed", failedStep: "change" });
    expect(outcome.status === "failed" && outcome.error).toBe(
      "@zed is not an app user id and not in the config's flagUsers; nothing was changed. Name the user by their app user id (a UUID), or map them in the config: flagUsers: { zed: <app user id> }.",
    );
  });
});
