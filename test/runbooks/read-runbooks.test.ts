/** The read-only runbooks: incident-triage, logs, ops-board, spec, healthcheck. */
import nock from "nock";
import { describe, expect, it } from "vitest";
import type { ConfigFile } from "../../src/config/config-schema.js";
import { fixture } from "../adapters/helpers.js";
import { flagRow, githubDeployments, plan, stepEvent, supabaseRest, testConfig, useRunbookHarness, VC } from "./harness.js";

const flagsOf = (rows: unknown[]) =>
  supabaseRest()
    .get("/rest/v1/feature_flags")
    .query((q) => q.order === "flag_key.asc" && q.environment === "eq.production")
    .reply(200, rows);

const h = useRunbookHarness();

describe("incident-triage runbook", () => {
  it("collects deploys, flag changes and health, names the suspect and suggests a rollback, changing nothing", async () => {
    githubDeployments(
      "acme/payments",
      "prod",
      [
        { id: 2, sha: "b84d88e7554fc1fa21bcbc4efae3c782a70d2b9e", ref: "v1.4.1", state: "success", at: "2026-01-07T09:48:00Z" },
        {
          id: 1,
          sha: "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d",
          ref: "v1.4.0",
          state: "inactive",
          at: "2026-01-06T16:00:00Z",
          by: "hubot",
        },
      ],
      10,
    );
    flagsOf([flagRow("featureMatrix", true, 100, ["ops"], "2026-01-05T08:30:00+00:00")]);
    nock("https://payments.example.com").get("/healthz").reply(500, "Internal Server Error");

    const p = plan("incident-triage", { service: "payments", env: "prod", since: "2026-01-07T10:00:00+00:00", symptom: "throwing 500s" });
    expect(p.mutating).toBe(false);
    const { outcome, events, artifacts, succeeded } = await h.run(p);

    expect(outcome.status).toBe("succeeded");
    expect(succeeded).toEqual(["deploys", "flags", "health", "suspect"]);
    expect(stepEvent(events, "step_succeeded", "health")?.message).toMatch(/^payments: 500 Internal Server Error in \d+ ms$/);
    expect(stepEvent(events, "step_succeeded", "suspect")?.message).toBe(
      "Likely suspect: deploy b84d88e (v1.4.1) of payments by octocat 12 min before the errors began; suggest: roll back payments in prod. Unhealthy now: payments 500.",
    );
    const report = artifacts.find((a) => a.stepId === "suspect");
    expect(report).toMatchObject({ kind: "text", title: "Triage of payments in prod", filename: "triage.txt" });
    expect(report?.content).toContain("Triage of payments in prod (throwing 500s)");
    expect(report?.content).toContain("  2026-01-07T09:48:00.000Z  deploy b84d88e (v1.4.1) of payments by octocat");
    expect(outcome.summary).toContain("• Likely suspect: deploy b84d88e");
  });

  it("on Vercel also reads the error lines of the latest deployment", async () => {
    githubDeployments("acme/web", "prod", [], 10);
    nock(VC)
      .get("/v6/deployments")
      .query({ projectId: "acme-web", target: "production", limit: "10", teamId: "team_acme" })
      .reply(200, fixture("vercel/deployments.json"))
      .get("/v6/deployments")
      .query({ projectId: "acme-web", target: "production", limit: "1", teamId: "team_acme" })
      .reply(200, fixture("vercel/deployments.json"))
      .get("/v3/deployments/dpl_3fQh7VG1dbqHhsPDYMSXUZ1UCDCX/events")
      .query((q) => q.since === String(Date.parse("2026-01-06T12:00:00Z")) && q.teamId === "team_acme")
      .reply(200, fixture("vercel/events.json"));
    flagsOf([flagRow("homeDemoVariant", true, 25, ["ops"], "2026-01-06T11:50:00+00:00")]);
    nock("https://www.example.com").get("/").reply(200, "<html>ok</html>");

    const { outcome, events } = await h.run(plan("incident-triage", { service: "web", env: "prod", since: "2026-01-06T12:00:00Z" }));

    expect(outcome.status).toBe("succeeded");
    expect(stepEvent(events, "step_succeeded", "error-logs")?.message).toBe(
      "1 log line from dpl_3fQh7VG1dbqHhsPDYMSXUZ1UCDCX between 2026-01-06T12:00:00.000Z and now (errors only)",
    );
    // The flag changed 10 min before; the latest Vercel deployment came after the errors began, so it is not the suspect.
    expect(stepEvent(events, "step_succeeded", "suspect")?.message).toMatch(
      /^Likely suspect: flag homeDemoVariant changed \(now on at 25%\) 10 min before the errors began; suggest: disable homeDemoVariant in prod\. Healthy now: web 200 in \d+ ms\.$/,
    );
  });
});

describe("logs runbook", () => {
  it("fetches the error lines of the service's latest production deployment in the window", async () => {
    nock(VC)
      .get("/v6/deployments")
      .query({ projectId: "acme-web", target: "production", limit: "1", teamId: "team_acme" })
      .reply(200, fixture("vercel/deployments.json"))
      .get("/v3/deployments/dpl_3fQh7VG1dbqHhsPDYMSXUZ1UCDCX/events")
      .query({
        follow: "0",
        limit: "-1",
        direction: "forward",
        since: String(Date.parse("2026-01-07T09:00:00Z")),
        until: String(Date.parse("2026-01-07T10:00:00Z")),
        teamId: "team_acme",
      })
      .reply(200, fixture("vercel/events.json"));

    const { outcome, artifacts } = await h.run(
      plan("logs", { service: "web", env: "prod", since: "2026-01-07T09:00:00Z", until: "2026-01-07T10:00:00Z", level: "error" }),
    );

    expect(outcome.status).toBe("succeeded");
    const log = artifacts.find((a) => a.stepId === "fetch");
    expect(log).toMatchObject({
      kind: "text",
      title: "Logs of dpl_3fQh7VG1dbqHhsPDYMSXUZ1UCDCX (errors)",
      filename: "vercel-dpl_3fQh7VG1dbqHhsPDYMSXUZ1UCDCX.log",
    });
    expect(log?.content).toBe("2026-01-07T10:00:04.000Z stderr  Error: Cannot find module './checkout'");
  });

  it("says which setting is missing for a service without a log source", async () => {
    const { outcome } = await h.run(plan("logs", { service: "api", env: "prod" }));
    expect(outcome.status === "failed" && outcome.error).toBe(
      "logs of api in prod needs the setting vercelProject, which is not in the config: set services.api.vercelProject (or services.api.environments.prod.vercelProject). opsroom reads logs from Vercel deployments; logs of GitHub Actions and DigitalOcean services are not wired yet.",
    );
  });
});

describe("ops-board runbook", () => {
  it("marks flags, feeds and deploys Healthy / Warning / Blocked and says whether it is safe to cut over", async () => {
    // No migrations configured for prod here: that feed is unknown, which blocks a cutover.
    const config = structuredClone(testConfig) as ConfigFile;
    delete config.environments.prod!.settings.migrationsDir;
    flagsOf([flagRow("featureMatrix", true, 100, ["ops", "admin"]), flagRow("homeDemoVariant", true, 40, ["ops", "demo"])]);
    githubDeployments("acme/api", "prod", [{ id: 7, sha: "1".repeat(40), ref: "main", state: "success", at: "2026-01-07T08:00:00Z" }], 3);
    githubDeployments("acme/web", "prod", [], 3);
    githubDeployments(
      "acme/payments",
      "prod",
      [{ id: 8, sha: "2".repeat(40), ref: "v2", state: "failure", at: "2026-01-07T09:00:00Z" }],
      3,
    );
    githubDeployments(
      "acme/worker",
      "prod",
      [{ id: 9, sha: "3".repeat(40), ref: "main", state: "success", at: "2026-01-06T09:00:00Z" }],
      3,
    );

    const { outcome, events, artifacts, succeeded } = await h.run(plan("ops-board", {}, config));

    expect(outcome.status).toBe("succeeded");
    expect(succeeded).toEqual(["flags", "deploys-of-api", "deploys-of-web", "deploys-of-payments", "deploys-of-worker", "board"]);
    expect(stepEvent(events, "step_succeeded", "board")?.message).toBe(
      "Safe to cut over in prod: no: supabaseSnapshot: not in the feature_flags table for prod; Database migrations: unknown: no migration status for prod (set environments.prod.settings.databaseUrlEnv and environments.prod.settings.migrationsDir); Deploy of payments: latest deploy 2222222 ended failure (4 healthy, 2 warning, 3 blocked)",
    );
    const board = artifacts.find((a) => a.stepId === "board");
    expect(board).toMatchObject({ kind: "text", title: "Ops board (prod)", filename: "ops-board.md" });
    expect(board?.content).toContain("**Safe to cut over: no**");
    expect(board?.content).toContain(
      "| homeDemoVariant | Warning | on 40%; cohorts ops, demo; depends on featureMatrix | partial rollout: 40% | Unassigned |",
    );
    expect(board?.content).toContain("| Deploy of web | Warning | none | no deployment to prod on record | Unassigned |");
  });
});

describe("spec runbook", () => {
  it("drafts the spec as a markdown file, read-only, calling nothing", async () => {
    const p = plan("spec", { topic: "user authentication" });
    expect(p.mutating).toBe(false);
    const { outcome, artifacts } = await h.run(p);
    expect(outcome.status).toBe("succeeded");
    const file = artifacts.find((a) => a.stepId === "draft");
    expect(file).toMatchObject({ kind: "file", filename: "spec-user-authentication.md", title: "Spec draft: User authentication" });
    expect(file?.content).toContain("- Services that may be affected: api, web, payments, worker, docs.");
    expect(file?.content).toContain("- Feature flags in the catalog that could gate it: featureMatrix, homeDemoVariant, supabaseSnapshot.");
  });
});

describe("healthcheck runbook", () => {
  it("checks every health URL of the env", async () => {
    nock("https://api.staging.example.com").get("/healthz").reply(200, fixture("http/healthz.json"));
    const { outcome, succeeded } = await h.run(plan("healthcheck", { env: "staging" }));
    expect(outcome.status).toBe("succeeded");
    expect(succeeded).toEqual(["targets", "check-api"]);
  });

  it("says where to configure a health URL when the env has none", async () => {
    const { outcome } = await h.run(plan("healthcheck", { env: "dev" }));
    expect(outcome.status === "failed" && outcome.error).toBe(
      "no health URL configured for dev; set services.<service>.environments.dev.healthUrl Or set environments.dev.settings.healthUrl for every service in dev.",
    );
  });
});
