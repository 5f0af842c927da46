import { describe, expect, it } from "vitest";
import { createReportAdapter } from "../../adapters/report/index.js";
import { assertNoCanary, CANARY, expectAdapterError, fakeClock, makeCtx } from "./helpers.js";

const NOW = Date.parse("2026-01-07T10:30:00Z");
const report = createReportAdapter({ clock: fakeClock(NOW) });
const run = (action: string, args: unknown) => report.actions[action]!.run(args, makeCtx());

const flag = (name: string, enabled: boolean, rolloutPercentage = 100, extra: Record<string, unknown> = {}) => ({
  flag: name,
  environment: "production",
  enabled,
  rolloutPercentage,
  cohorts: [],
  updatedAt: "2026-01-01T00:00:00Z",
  ...extra,
});

const catalog = {
  featureMatrix: { owner: "platform", cohorts: ["ops", "admin"], dependsOn: [] },
  homeDemoVariant: { cohorts: ["ops", "demo"], dependsOn: ["featureMatrix"] },
  signalAiInsights: { cohorts: ["mentors", "ops"], dependsOn: ["featureMatrix"] },
};

describe("report adapter", () => {
  it("is read-only, needs no credentials and makes no call", () => {
    for (const [name, action] of Object.entries(report.actions)) {
      expect(action.risk, name).toBe("read");
      expect(action.credentials, name).toEqual([]);
    }
  });

  describe("checkSettings", () => {
    it("names every missing setting and where in the config to set it", async () => {
      const err = await expectAdapterError(
        run("checkSettings", {
          subject: "deploy of api to prod",
          where: ["services.api", "services.api.environments.prod"],
          required: ["repository", "workflow"],
          settings: { branch: "main" },
          hint: "deployVia is one of workflow_dispatch, deployments, vercel, digitalocean.",
        }),
        "REPORT_SETTING_MISSING",
      );
      expect(err.userMessage).toBe(
        "deploy of api to prod needs the settings repository, workflow, which are not in the config: set services.api.repository (or services.api.environments.prod.repository); services.api.workflow (or services.api.environments.prod.workflow).",
      );
      expect(err.hint).toContain("deployVia");
    });

    it("accepts a comma-separated list and passes when every setting has a value", async () => {
      const result = await run("checkSettings", {
        subject: "rollback of api in prod",
        where: ["services.api"],
        required: "repository, workflow",
        settings: { repository: "acme/api", workflow: "deploy.yml" },
      });
      expect(result.summary).toBe("rollback of api in prod: repository acme/api, workflow deploy.yml");
    });
  });

  describe("pick", () => {
    const deployments = [
      { id: 3, sha: "c".repeat(40), state: "failure" },
      { id: 2, sha: "b".repeat(40), state: "success" },
      { id: 1, sha: "a".repeat(40), state: "inactive" },
    ];

    it("picks the nth item matching any of the listed values", async () => {
      const current = await run("pick", { what: "live deployment", items: deployments, match: { state: "success" } });
      expect(current.data).toMatchObject({ id: 2 });
      expect(current.summary).toBe("live deployment: id 2, sha bbbbbbb, state success");
      const previous = await run("pick", { what: "previous", items: deployments, match: { state: ["success", "inactive"] }, nth: "2" });
      expect(previous.data).toMatchObject({ id: 1 });
    });

    it("falls back to the runbook's value, marked, when nothing matches", async () => {
      const result = await run("pick", {
        what: "live deployment",
        items: [],
        match: { state: "success" },
        fallback: { sha: "prod", ref: "prod" },
      });
      expect(result.data).toEqual({ sha: "prod", ref: "prod", fallback: true });
      expect(result.summary).toBe("live deployment: none among 0 listed with state success; using ref prod, sha prod");
    });

    it("says what it looked for and what there was when nothing matches", async () => {
      const err = await expectAdapterError(
        run("pick", {
          what: "component worker of the app",
          items: [{ name: "web", instanceCount: 2 }],
          match: { name: "worker" },
          hint: "Check digitaloceanComponent.",
        }),
        "REPORT_NOT_FOUND",
      );
      expect(err.userMessage).toBe("no component worker of the app: nothing with name worker among 1 listed (name web, instanceCount 2).");
      expect(err.hint).toBe("Check digitaloceanComponent.");
    });
  });

  describe("expect", () => {
    it("checks only the fields listed, comparing values as text", async () => {
      const result = await run("expect", {
        what: "flag",
        actual: { enabled: true, rolloutPercentage: 25, cohorts: ["ops"], updatedAt: "x" },
        equals: { enabled: "true", rolloutPercentage: 25, cohorts: ["ops"] },
      });
      expect(result.summary).toBe('flag: {"enabled":"true","rolloutPercentage":25,"cohorts":["ops"]} as expected');
    });

    it("fails retryably, showing both values", async () => {
      const err = await expectAdapterError(
        run("expect", { what: "pending migrations on prod", actual: ["002_x.sql"], equals: [] }),
        "REPORT_CHECK_FAILED",
      );
      expect(err.userMessage).toBe('pending migrations on prod: expected [], got ["002_x.sql"].');
      expect(err.retryable).toBe(true);
      await expectAdapterError(run("expect", { what: "count", equals: 3 }), "REPORT_CHECK_FAILED");
    });
  });

  it("guard passes when ok and otherwise fails with the reason", async () => {
    expect((await run("guard", { ok: "true", reason: "no" })).summary).toBe("ok");
    const err = await expectAdapterError(
      run("guard", { ok: false, reason: "worker builds its own branch.", hint: "Deploy without a ref." }),
      "REPORT_NOT_SUPPORTED",
    );
    expect(err.userMessage).toBe("worker builds its own branch.");
  });

  describe("flagChange", () => {
    it("shows the change as a diff, with what reading it back must show", async () => {
      const result = await run("flagChange", {
        flag: "homeDemoVariant",
        env: "prod",
        action: "enable",
        percent: 25,
        cohorts: "ops",
        current: flag("homeDemoVariant", false, 0, { cohorts: ["ops", "demo"] }),
        flags: [flag("featureMatrix", true)],
        catalog,
      });
      expect(result.summary).toBe("homeDemoVariant in prod: off → on, 0% → 25%, cohorts ops, demo → ops; depends on featureMatrix (on)");
      expect(result.artifacts?.[0]).toMatchObject({
        kind: "diff",
        content:
          "  homeDemoVariant (prod)\n- enabled: false\n+ enabled: true\n- rollout: 0%\n+ rollout: 25%\n- cohorts: ops, demo\n+ cohorts: ops",
      });
      expect(result.data).toMatchObject({ changed: true, expected: { enabled: true, rolloutPercentage: 25, cohorts: ["ops"] } });
    });

    it("refuses turning a flag on while a flag it depends on is off", async () => {
      const err = await expectAdapterError(
        run("flagChange", {
          flag: "homeDemoVariant",
          env: "prod",
          action: "rollout",
          percent: 10,
          current: flag("homeDemoVariant", false, 0),
          flags: [flag("featureMatrix", false, 0)],
          catalog,
        }),
        "REPORT_FLAG_DEPENDENCY_OFF",
      );
      expect(err.userMessage).toBe(
        "homeDemoVariant depends on featureMatrix (off) in prod; turning it on first would break that dependency, so nothing was changed.",
      );
      expect(err.hint).toContain('"enable featureMatrix in prod"');
    });

    it("never refuses turning a flag off, but names the flags still depending on it", async () => {
      const result = await run("flagChange", {
        flag: "featureMatrix",
        env: "prod",
        action: "disable",
        current: flag("featureMatrix", true),
        flags: [flag("featureMatrix", true), flag("homeDemoVariant", true, 50), flag("signalAiInsights", false, 0)],
        catalog,
      });
      expect(result.summary).toBe("featureMatrix in prod: on → off; warning: homeDemoVariant depends on featureMatrix and is still on");
    });

    it("reports status without a change, and warns about unknown cohorts and a 0% enable", async () => {
      const status = await run("flagChange", {
        flag: "featureMatrix",
        env: "prod",
        action: "status",
        current: flag("featureMatrix", true, 40, { cohorts: ["ops"] }),
        catalog,
      });
      expect(status.summary).toBe("featureMatrix in prod: on at 40%, cohorts ops");
      expect(status.data).toMatchObject({ changed: false });
      const enable = await run("flagChange", {
        flag: "featureMatrix",
        env: "prod",
        action: "enable",
        cohorts: ["ops", "students"],
        current: flag("featureMatrix", false, 0),
        catalog,
      });
      expect(enable.data).toMatchObject({
        warnings: [
          "cohort students not in the config's cohorts for featureMatrix (ops, admin)",
          'on at 0%: only targeted users get it; say "roll out featureMatrix to 100%" for everyone',
        ],
      });
    });
  });

  describe("opsBoard", () => {
    const evidence = {
      flags: {
        data: {
          flags: [
            flag("featureMatrix", true, 100, { cohorts: ["ops", "admin"] }),
            flag("homeDemoVariant", true, 30, { cohorts: ["ops", "demo"] }),
            flag("signalAiInsights", false, 0),
          ],
        },
      },
      migrations: { data: { pending: [], applied: ["001.sql"], changed: [], unknown: [], total: 1 } },
      "deploys-of-api": {
        data: {
          deployments: [
            { id: 9, sha: "c".repeat(40), ref: "main", state: "success", createdAt: "2026-01-07T08:30:00Z", environment: "prod" },
          ],
        },
      },
    };

    it("marks every item and says it is safe to cut over when nothing is blocked", async () => {
      const result = await run("opsBoard", { env: "prod", catalog, evidence });
      const data = result.data as { safeToCutOver: boolean; items: Array<{ name: string; status: string; reasons: string[] }> };
      expect(data.safeToCutOver).toBe(true);
      expect(Object.fromEntries(data.items.map((i) => [i.name, i.status]))).toEqual({
        featureMatrix: "Healthy",
        homeDemoVariant: "Warning",
        signalAiInsights: "Healthy",
        "Feature flags": "Healthy",
        "Database migrations": "Healthy",
        "Deploy of api": "Healthy",
      });
      expect(result.summary).toBe(
        "Safe to cut over in prod: yes: nothing is blocked; 1 warning to read first [flags yes, migrations yes, deploys yes] (5 healthy, 1 warning, 0 blocked, 0 unknown)",
      );
      expect(result.artifacts?.[0]?.content).toContain(
        "| homeDemoVariant | Warning | on 30%; cohorts ops, demo; depends on featureMatrix | partial rollout: 30% | Unassigned |",
      );
    });

    it("blocks cutover on pending migrations, a broken dependency and an unread feed, with reasons", async () => {
      const result = await run("opsBoard", {
        env: "prod",
        catalog,
        evidence: {
          flags: { data: { flags: [flag("featureMatrix", false, 0), flag("homeDemoVariant", true, 100)] } },
          "deploys-of-api": {
            data: {
              deployments: [{ id: 9, sha: "d".repeat(40), state: "failure", createdAt: "2026-01-07T08:30:00Z", environment: "prod" }],
            },
          },
        },
        migrationsConfig: "environments.prod.settings",
      });
      const data = result.data as { safeToCutOver: boolean; reasons: string[] };
      expect(data.safeToCutOver).toBe(false);
      // The migrations feed is unknown (not configured), which never makes it a "no": the blocking items do.
      expect(data.reasons).toEqual([
        "homeDemoVariant: on, but depends on featureMatrix, which is off",
        "signalAiInsights: not in the feature_flags table for prod",
        "Deploy of api: latest deploy ddddddd ended failure",
        "unknown until set: environments.prod.settings.databaseUrlEnv, environments.prod.settings.migrationsDir",
      ]);
    });
  });

  it("specDraft writes a markdown file with the topic and the catalog as context", async () => {
    const result = await run("specDraft", {
      topic: "rate limiting for the API",
      owner: "platform",
      services: ["api", "web"],
      flags: { featureMatrix: {} },
    });
    expect(result.summary).toBe('drafted spec-rate-limiting-for-the-api.md for "rate limiting for the API" (8 sections to complete)');
    const file = result.artifacts?.[0];
    expect(file).toMatchObject({ kind: "file", filename: "spec-rate-limiting-for-the-api.md" });
    expect(file?.content).toContain("# Spec: Rate limiting for the API");
    expect(file?.content).toContain("Status: draft · Date: 2026-01-07 · Owner: platform");
    expect(file?.content).toContain("- Services that may be affected: api, web.");
    expect(result.data).toMatchObject({ suggestedPath: "docs/specs/rate-limiting-for-the-api.md" });
  });

  it("never returns a credential-shaped value it was given", async () => {
    const result = await run("pick", { what: "x", items: [{ id: 1, note: `token ${CANARY.GITHUB_TOKEN}` }] });
    assertNoCanary(result);
  });
});
