import nock from "nock";
import { describe, expect, it } from "vitest";
import { createSupabaseAdapter } from "../../adapters/supabase/index.js";
import { ALL_CREDENTIALS, CANARY, assertNoCanary, expectAdapterError, fixture, makeCtx, useNock } from "./helpers.js";

const URL_ = "https://abcd1234.supabase.co";
const supabase = createSupabaseAdapter();
type Row = Record<string, unknown>;
const rows = () => fixture<Row[]>("supabase/feature-flags.json");
const flag = () => rows()[1]!;

/** supabase-js sends the service role key as apikey and bearer token. */
const rest = () =>
  nock(URL_, { reqheaders: { apikey: CANARY.SUPABASE_SERVICE_ROLE_KEY, authorization: `Bearer ${CANARY.SUPABASE_SERVICE_ROLE_KEY}` } });

const query = (q: Record<string, string>) => (actual: Record<string, string>) => Object.entries(q).every(([k, v]) => actual[k] === v);

describe("supabase", () => {
  useNock();

  it("listFlags reads feature_flags for the mapped environment (prod → production)", async () => {
    rest()
      .get("/rest/v1/feature_flags")
      .query(query({ environment: "eq.production", order: "flag_key.asc" }))
      .reply(200, rows());
    const result = await supabase.actions.listFlags!.run({ env: "prod" }, makeCtx());
    expect(result.summary).toBe("2 flags in prod (production), 1 on");
    expect(result.artifacts?.[0]?.content).toBe("FSYNC_USE_RPC: off, 0%\nfeatureMatrix: on, 10%, cohorts ops");
  });

  it("getFlag returns one flag", async () => {
    rest()
      .get("/rest/v1/feature_flags")
      .query(query({ flag_key: "eq.featureMatrix", environment: "eq.staging" }))
      .reply(200, [{ ...flag(), environment: "staging" }]);
    const result = await supabase.actions.getFlag!.run({ flag: "featureMatrix", env: "staging" }, makeCtx());
    expect(result.summary).toBe("featureMatrix: on, 10%, cohorts ops in staging");
    expect(result.data).toMatchObject({ enabled: true, rolloutPercentage: 10, cohorts: ["ops"] });
  });

  it("getFlag says which environment a flag lives in when it is not in the one asked for", async () => {
    rest()
      .get("/rest/v1/feature_flags")
      .query(query({ flag_key: "eq.featureMatrix", environment: "eq.staging" }))
      .reply(200, [])
      .get("/rest/v1/feature_flags")
      .query(query({ flag_key: "eq.featureMatrix", select: "environment" }))
      .reply(200, [{ environment: "production" }]);
    const err = await expectAdapterError(
      supabase.actions.getFlag!.run({ flag: "featureMatrix", env: "staging" }, makeCtx()),
      "SUPABASE_FLAG_NOT_FOUND",
    );
    expect(err.userMessage).toBe(
      "flag featureMatrix exists in feature_flags only for environment production, not staging (opsroom env staging).",
    );
    expect(err.hint).toBe("Pass environment: production in the step, or map staging to it in the adapter's environments.");
  });

  it("setFlag PATCHes only the row it read (compare-and-set on updated_at) and returns a before → after diff", async () => {
    let patched: Row | undefined;
    rest()
      .get("/rest/v1/feature_flags")
      .query(query({ flag_key: "eq.featureMatrix", environment: "eq.production" }))
      .reply(200, [flag()])
      .patch("/rest/v1/feature_flags", (body: Row) => {
        patched = body;
        return true;
      })
      .query(query({ flag_key: "eq.featureMatrix", environment: "eq.production", updated_at: "eq.2026-01-05T08:30:00+00:00" }))
      // nock 15 calls reply functions with the fetch Request (a 2-argument function is taken as callback style).
      .reply(200, async (req: Request) => [{ ...flag(), ...((await req.json()) as Row), updated_at: "2026-01-07T10:00:00+00:00" }]);
    const result = await supabase.actions.setFlag!.run(
      { flag: "featureMatrix", env: "prod", enabled: true, rolloutPercentage: 25, cohorts: ["ops", "admin"] },
      makeCtx(),
    );
    expect(patched).toMatchObject({ is_enabled: true, rollout_percentage: 25, metadata: { cohorts: ["ops", "admin"], owner: "platform" } });
    expect(result.summary).toBe("featureMatrix in prod: rollout 10% → 25%, cohorts ops → ops, admin");
    expect(result.artifacts?.[0]).toEqual({
      kind: "diff",
      title: "featureMatrix (production)",
      content: [
        "feature_flags featureMatrix (production)",
        "  is_enabled: true",
        "- rollout_percentage: 10",
        "+ rollout_percentage: 25",
        "- cohorts: ops",
        "+ cohorts: ops, admin",
      ].join("\n"),
    });
  });

  it("setFlag reports a concurrent change instead of overwriting it", async () => {
    rest().get("/rest/v1/feature_flags").query(true).reply(200, [flag()]).patch("/rest/v1/feature_flags").query(true).reply(200, []);
    const err = await expectAdapterError(
      supabase.actions.setFlag!.run({ flag: "featureMatrix", env: "prod", enabled: false }, makeCtx()),
      "SUPABASE_CONFLICT",
    );
    expect(err.retryable).toBe(true);
  });

  it("setFlag dry run shows the PATCH it would send and makes no call", async () => {
    const result = await supabase.actions.setFlag!.run(
      { flag: "featureMatrix", env: "prod", rolloutPercentage: "50" },
      makeCtx({ dryRun: true }),
    );
    expect(result.summary).toBe(
      "dry run: would set featureMatrix in prod (production): rollout → 50% (PATCH https://abcd1234.supabase.co/rest/v1/feature_flags?flag_key=eq.featureMatrix&environment=eq.production)",
    );
  });

  it("setFlag needs something to change", async () => {
    const err = await expectAdapterError(
      supabase.actions.setFlag!.run({ flag: "featureMatrix", env: "prod" }, makeCtx()),
      "ADAPTER_INVALID_ARGS",
    );
    expect(err.userMessage).toBe(
      "supabase.setFlag: needs at least one of enabled, rolloutPercentage, cohorts, targetUserIds, addTargetUserIds, removeTargetUserIds.",
    );
  });

  it("says the table is missing (PostgREST PGRST205)", async () => {
    rest().get("/rest/v1/feature_flags").query(true).reply(404, {
      code: "PGRST205",
      details: null,
      hint: "Perhaps you meant the table 'public.flags'",
      message: "Could not find the table 'public.feature_flags' in the schema cache",
    });
    const err = await expectAdapterError(supabase.actions.listFlags!.run({ env: "prod" }, makeCtx()), "SUPABASE_TABLE_MISSING");
    expect(err.userMessage).toBe(
      "Supabase: could not list feature flags for production: table feature_flags does not exist in this project (PGRST205).",
    );
  });

  it("says the key was rejected (401) without showing it", async () => {
    rest()
      .get("/rest/v1/feature_flags")
      .query(true)
      .reply(401, {
        message: `Invalid API key ${CANARY.SUPABASE_SERVICE_ROLE_KEY}`,
        hint: "Double check your Supabase `anon` or `service_role` API key.",
      });
    const ctx = makeCtx();
    const err = await expectAdapterError(supabase.actions.listFlags!.run({ env: "prod" }, ctx), "SUPABASE_UNAUTHORIZED");
    expect(err.userMessage).toBe("Supabase: could not list feature flags for production (401): Invalid API key [REDACTED].");
    assertNoCanary(err, ctx.logs);
  });

  it("says when the project cannot be reached", async () => {
    rest()
      .get("/rest/v1/feature_flags")
      .query(true)
      .replyWithError(Object.assign(new Error("getaddrinfo ENOTFOUND abcd1234.supabase.co"), { code: "ENOTFOUND" }));
    const err = await expectAdapterError(supabase.actions.listFlags!.run({ env: "prod" }, makeCtx()), "SUPABASE_UNREACHABLE");
    expect(err.retryable).toBe(true);
  });

  it("rejects a SUPABASE_URL that is not a URL", async () => {
    const err = await expectAdapterError(
      supabase.actions.listFlags!.run({ env: "prod" }, makeCtx({ credentials: { ...ALL_CREDENTIALS, SUPABASE_URL: "abcd1234" } })),
      "SUPABASE_BAD_URL",
    );
    expect(err.hint).toMatch(/Project Settings → API/);
  });

  it("health checks auth and the REST API", async () => {
    nock(URL_, { reqheaders: { apikey: CANARY.SUPABASE_SERVICE_ROLE_KEY } })
      .get("/auth/v1/health")
      .reply(200, fixture("supabase/auth-health.json"));
    rest()
      .head("/rest/v1/feature_flags")
      .query(query({ select: "flag_key" }))
      .reply(200, "", { "content-range": "*/12" });
    const result = await supabase.actions.health!.run({}, makeCtx());
    expect(result.summary).toMatch(
      /^Supabase abcd1234\.supabase\.co: auth 200 in \d+ ms \(GoTrue v2\.170\.0\); REST 200, feature_flags has 12 rows$/,
    );
  });
});
