/** The read-only runbooks: logs, ops-board, spec, healthcheck (incident-triage has its own file). */
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
    // No migrations folder configured for prod here: that feed is unknown (named), never a "no" by itself.
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
      "Safe to cut over in prod: no: supabaseSnapshot: not in the feature_flags table for prod; Deploy of payments: latest deploy 2222222 ended failure; unknown until set: environments.prod.settings.migrationsDir [flags no, migrations unknown, deploys no] (4 healthy, 2 warning, 2 blocked, 1 unknown)",
    );
    const board = artifacts.find((a) => a.stepId === "board");
    expect(board).toMatchObject({ kind: "text", title: "Ops board (prod)", filename: "ops-board.md" });
    expect(board?.content).toContain("**Safe to cut over: no**");
    expect(board?.content).toContain(
      "| homeDemoVariant | Warning | on 40%; cohorts ops, demo; depends on featureMatrix | partial rollout: 40% | Unassigned |",
    );
    expect(board?.content).toContain("| web | Warning | none | no deployment to prod on record |");
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
    const { outcome, succeeded, events } = await h.run(plan("healthcheck", { env: "staging" }));
    expect(outcome.status).toBe("succeeded");
    expect(succeeded).toEqual(["targets", "check"]);
    expect(stepEvent(events, "step_succeeded", "check")?.message).toMatch(/^1 of 1 healthy in staging: api 200 OK in \d+ ms$/);
  });

  it("checks every service at once: one unreachable service never hides the state of the others", async () => {
    // Each attempt asks every URL again (the step is retried twice before it fails).
    nock("https://api.example.com").get("/healthz").times(3).reply(200, "ok");
    nock("https://www.example.com")
      .get("/")
      .times(3)
      .replyWithError(Object.assign(new Error("getaddrinfo ENOTFOUND www.example.com"), { code: "ENOTFOUND" }));
    nock("https://payments.example.com").get("/healthz").times(3).reply(503, "down for maintenance");
    const { outcome } = await h.run(plan("healthcheck", { env: "prod" }));
    expect(outcome.status === "failed" && outcome.error).toMatch(
      /^1 of 3 healthy in prod: api 200 OK in \d+ ms; web unreachable \(ENOTFOUND\); payments 503 Service Unavailable in \d+ ms\./,
    );
  });

  it("says where to configure a health URL when the env has none", async () => {
    const { outcome } = await h.run(plan("healthcheck", { env: "dev" }));
    expect(outcome.status === "failed" && outcome.error).toBe(
      "no health URL configured for dev; set services.<service>.environments.dev.healthUrl Or set environments.dev.settings.healthUrl for every service in dev.",
    );
  });
});
