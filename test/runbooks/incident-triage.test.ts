/**
 * The incident-triage runbook end to end, through the real runbook, planner, executor, adapters and a
 * PGlite store, with every provider mocked in its documented shape (nock, network off).
 */
import { readFileSync } from "node:fs";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { renderValue } from "../../src/runbook/render-template.js";
import { CANARY, fixture, fixturePath } from "../adapters/helpers.js";
import { flagRow, githubDeployments, GH, plan, SB, stepEvent, supabaseRest, useRunbookHarness } from "./harness.js";

const h = useRunbookHarness();

const BAD = "b84d88e7554fc1fa21bcbc4efae3c782a70d2b9e";
const GOOD = "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d";
const TYPE_ERROR = "TypeError: cannot read 'amount' of undefined";
const at = (hhmm: string) => `2026-01-07T${hhmm}:00Z`;

/** The flags table: homeDemoVariant was flipped at `flippedAt`. */
const flags = (flippedAt: string) =>
  supabaseRest()
    .get("/rest/v1/feature_flags")
    .query((q) => q.environment === "eq.production")
    .reply(200, [
      flagRow("featureMatrix", true, 100, ["ops"], "2026-01-05T08:30:00+00:00"),
      flagRow("homeDemoVariant", true, 25, ["ops"], flippedAt),
    ]);

const supabaseHealthy = () => {
  nock(SB).get("/auth/v1/health").reply(200, fixture("supabase/auth-health.json"));
  supabaseRest().head("/rest/v1/feature_flags").query(true).reply(200, "", { "content-range": "*/2" });
};

/** payments' log source (the config's logSource) read from `from`: an old error all along, and `TYPE_ERROR` from `newFrom`. */
const paymentsLogs = (newFrom: string | undefined, from = at("09:00")) => {
  const start = Date.parse(from);
  const lines = [
    { time: new Date(start + 30_000).toISOString(), level: "error", msg: "ECONNRESET upstream 10.0.0.3" },
    { time: at("09:20"), level: "error", msg: "ECONNRESET upstream 10.0.0.7" },
    { time: at("09:30"), level: "info", msg: "charged order 12" },
  ];
  if (newFrom) {
    for (let i = 0; i < 12; i++) {
      const time = new Date(Date.parse(newFrom) + i * 60_000).toISOString();
      lines.push({
        time,
        level: "error",
        msg: `${TYPE_ERROR}\n    at chargeCard (/app/src/payments/charge.ts:41:23)\n    at async pay (/app/src/routes/pay.ts:12:5)`,
      });
    }
  }
  nock("https://logs.example.com")
    .get("/payments")
    .query({ since: new Date(start).toISOString() })
    .reply(200, lines.map((l) => JSON.stringify(l)).join("\n"));
};

const triageData = (artifacts: Array<{ filename: string | null; content: string | null }>) =>
  JSON.parse(artifacts.find((a) => a.filename === "triage.json")?.content ?? "{}") as {
    suspects: Array<{ rank: number; summary: string; rule: string; evidence: string }>;
    ruledOut: Array<{ summary: string; reason: string }>;
    wayBack: Array<{ label: string; runbook: string; params: Record<string, string | number> }>;
    notChecked: Array<{ what: string; why: string }>;
  };

describe("incident-triage runbook", () => {
  it("deploy at T, a new error signature at T+2 min, a flag flip at T+10: the deploy ranks first with its evidence, a revert is proposed, and its rollback plans the ref that was live before", async () => {
    githubDeployments(
      "acme/payments",
      "prod",
      [
        { id: 2, sha: BAD, ref: "v1.4.1", state: "success", at: at("09:40") },
        { id: 1, sha: GOOD, ref: "v1.4.0", state: "inactive", at: "2026-01-06T16:00:00Z", by: "hubot" },
      ],
      10,
    );
    flags(at("09:50"));
    nock("https://payments.example.com").get("/healthz").reply(500, "Internal Server Error");
    supabaseHealthy();
    paymentsLogs(at("09:42"));
    nock(GH).get(`/repos/acme/payments/compare/${GOOD}...${BAD}`).query(true).reply(200, fixture("triage/compare-with-files.json"));

    const p = plan("incident-triage", { service: "payments", env: "prod", symptom: "throwing 500s" });
    expect(p.mutating).toBe(false);
    const { outcome, events, artifacts, succeeded } = await h.run(p);

    expect(outcome.status).toBe("succeeded");
    expect(succeeded).toEqual(["history", "deploys", "flags", "window", "health", "supabase-health", "logs", "suspect", "diff", "fix"]);
    expect(stepEvent(events, "step_skipped", "supabase-logs")?.message).toBe("not checked — set SUPABASE_ACCESS_TOKEN");
    expect(stepEvent(events, "step_succeeded", "suspect")?.message).toBe(
      `Likely suspect: deploy of acme/payments@b84d88e (v1.4.1) to prod by octocat: success at 09:40; \`${TYPE_ERROR}\` first seen 09:42, 12 times since. Way back: roll back payments in prod to a84d88e7554f.`,
    );
    const data = triageData(artifacts);
    expect(data.suspects.map((s) => s.rule)).toEqual([
      `reached prod (success); ended 2 min before \`${TYPE_ERROR}\` was first seen in payments at 09:42; same service (payments)`,
    ]);
    expect(data.ruledOut).toContainEqual({
      summary: "flag homeDemoVariant changed (now on at 25%)",
      reason: `came after \`${TYPE_ERROR}\` was first seen in payments at 09:42`,
    });
    expect(data.notChecked).toEqual([{ what: "Supabase logs", why: "set SUPABASE_ACCESS_TOKEN" }]);

    expect(stepEvent(events, "step_succeeded", "fix")?.message).toBe(
      `\`${TYPE_ERROR}\` has a stack frame at /app/src/payments/charge.ts:41, a line b84d88e changed; a revert PR can be opened (a plan to approve).`,
    );
    expect(artifacts.find((a) => a.stepId === "fix" && a.kind === "diff")?.content).toContain(
      "→   41 +  const total = order.lines.amount + fee;",
    );

    const report = artifacts.find((a) => a.filename === "triage.txt")?.content ?? "";
    expect(report).toContain("  ✗ payments: 500 Internal Server Error in");
    expect(report).toContain(`  NEW \`${TYPE_ERROR}\` in payments — 12 times, first 09:42, last 09:53 [HTTP log source]`);

    // The way back, as the button would ask for it: a normal rollback plan, of the ref that was live before.
    const back = data.wayBack[0]!;
    expect(back).toMatchObject({ label: "Roll back payments in prod to a84d88e (v1.4.0)", runbook: "rollback" });
    const rollback = plan(back.runbook, back.params);
    expect(rollback.mutating).toBe(true);
    expect(rollback.approval.required).toBeGreaterThan(0);
    expect(rollback.params).toEqual({ service: "payments", env: "prod", ref: "a84d88e7554f" });
    const deployStep = rollback.steps.find((s) => s.id === "create-deployment")!;
    expect(renderValue(deployStep.args, { params: rollback.params, steps: {} })).toMatchObject({
      repository: "acme/payments",
      ref: "a84d88e7554f",
      environment: "prod",
    });
  });

  it("names no suspect when nothing fits: the only deploy was hours before the new error", async () => {
    githubDeployments("acme/payments", "prod", [{ id: 2, sha: BAD, ref: "v1.4.1", state: "success", at: "2026-01-07T06:30:00Z" }], 10);
    flags("2026-01-05T08:30:00+00:00");
    nock("https://payments.example.com").get("/healthz").reply(200, "ok");
    supabaseHealthy();
    // No deploy in the last hour: the window reaches back to the one before it (06:30), and the logs with it.
    paymentsLogs(at("09:42"), "2026-01-07T06:29:00.000Z");

    const { outcome, events, artifacts, succeeded } = await h.run(plan("incident-triage", { service: "payments", env: "prod" }));

    expect(outcome.status).toBe("succeeded");
    expect(succeeded).not.toContain("diff");
    expect(stepEvent(events, "step_succeeded", "suspect")?.message).toBe(
      "No suspect found: 3 changes in the window, none fits the rule (reached prod, ended shortly before the trouble, same service); look at dependencies, traffic and infrastructure next.",
    );
    expect(triageData(artifacts).ruledOut[0]).toEqual({
      summary: "deploy of acme/payments@b84d88e (v1.4.1) to prod by octocat: success",
      reason: `ended 3 h 12 min before \`${TYPE_ERROR}\` was first seen in payments at 09:42, longer than 30 min`,
    });
    expect(triageData(artifacts).wayBack).toEqual([]);
  });

  it("with half the credentials missing, lists each unchecked source once as 'not checked — set X', and health once, as it was", async () => {
    // GitHub and the Supabase URL are set; Vercel, the Supabase keys and DigitalOcean are not. web is on Vercel.
    githubDeployments("acme/web", "prod", [], 10);
    nock("https://www.example.com")
      .get("/")
      .replyWithError(Object.assign(new Error("getaddrinfo ENOTFOUND www.example.com"), { code: "ENOTFOUND" }));

    const { outcome, events, artifacts } = await h.run(
      plan("incident-triage", { service: "web", env: "prod", since: "2026-01-07T09:45:00Z" }),
      {
        credentials: { GITHUB_TOKEN: CANARY.GITHUB_TOKEN, SUPABASE_URL: SB },
      },
    );

    expect(outcome.status).toBe("succeeded");
    // Nothing that lacked a credential is reported as a failure.
    expect(events.filter((e) => e.kind === "step_failed")).toEqual([]);
    const skips = events.filter((e) => e.kind === "step_skipped");
    const skipped = skips.filter((e) => e.stepId !== "diff" && e.stepId !== "fix").map((e) => e.stepId);
    expect(skipped).toEqual(["vercel-deploys", "flags", "supabase-health", "vercel-logs", "supabase-logs"]);
    // With no suspect, the diff and fix steps say why they did not run, in the runbook's words.
    expect(skips.filter((e) => e.stepId === "diff" || e.stepId === "fix").map((e) => `${e.stepId}: ${e.message}`)).toEqual([
      "diff: no suspect deploy to compare",
      "fix: no diff of a suspect deploy to read",
    ]);
    expect(triageData(artifacts).notChecked).toEqual([
      { what: "Vercel deployments; Vercel logs", why: "set VERCEL_TOKEN" },
      { what: "feature flags; Supabase project health", why: "set SUPABASE_SERVICE_ROLE_KEY" },
      { what: "Supabase logs", why: "set SUPABASE_ACCESS_TOKEN" },
    ]);
    const report = artifacts.find((a) => a.filename === "triage.txt")?.content ?? "";
    const section = (title: string) => report.split(`\n${title}:\n`)[1]?.split("\n\n")[0] ?? "";
    expect(section("Health")).toBe("  ✗ web: unreachable (ENOTFOUND) [health URLs]");
    expect(section("Not checked")).toBe(
      [
        "  - Vercel deployments; Vercel logs — set VERCEL_TOKEN",
        "  - feature flags; Supabase project health — set SUPABASE_SERVICE_ROLE_KEY",
        "  - Supabase logs — set SUPABASE_ACCESS_TOKEN",
      ].join("\n"),
    );
    // One story: what was checked is not also "not checked", and nothing says it was not checked at all.
    expect(report).not.toMatch(/not checked\)|no health URL checked|\(not checked\)/);
    expect(outcome.summary).toContain("• vercel-deploys: not checked — set VERCEL_TOKEN");
    expect(outcome.summary).toContain("• 0 of 1 healthy in prod: web unreachable (ENOTFOUND)");
  });

  it("reads App Platform deployments, component health and run logs for a service deployed there, and offers a restart", async () => {
    githubDeployments("acme/worker", "prod", [], 10);
    nock("https://api.digitalocean.com")
      .get("/v2/apps/4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf/deployments")
      .query({ per_page: "10" })
      .reply(200, fixture("digitalocean/deployments.json"))
      .get("/v2/apps/4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf/health")
      .reply(200, fixture("digitalocean/app-health.json"))
      .get("/v2/apps/4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf/components/worker/logs")
      .query(true)
      .reply(200, fixture("digitalocean/logs.json"));
    nock("https://logs.digitalocean.example")
      .get("/archive/worker-1.log")
      .query(true)
      .reply(200, readFileSync(fixturePath("digitalocean/run-log.txt"), "utf8"));
    flags("2026-01-05T08:30:00+00:00");
    supabaseHealthy();

    const { outcome, events, artifacts } = await h.run(plan("incident-triage", { service: "worker", env: "prod" }));

    expect(outcome.status).toBe("succeeded");
    expect(stepEvent(events, "step_succeeded", "suspect")?.message).toBe(
      "Likely suspect: App Platform deployment c7f2a1b0 @5e1c0f9 (commit 5e1c0f9 pushed to github/acme/worker): ACTIVE at 09:40; `panic: runtime error: invalid memory address or nil pointer dereference` first seen 09:45, 2 times since. Way back: roll back worker in prod.",
    );
    expect(triageData(artifacts).wayBack.map((w) => w.params)).toEqual([
      { service: "worker", env: "prod" },
      { service: "worker", env: "prod" },
    ]);
    expect(triageData(artifacts).wayBack.map((w) => w.runbook)).toEqual(["rollback", "restart"]);
  });
});
