/**
 * report.triageWindow, report.triage and report.proposedFix: pure code over evidence in the one shape, no
 * network. The suspect rule (ANCHORS): a change is a suspect only if it reached the environment, ended
 * shortly before a new error signature or a health drop, and touched the same service.
 */
import { describe, expect, it } from "vitest";
import type { ChangeEvidence, SymptomEvidence } from "../../adapters/shared/evidence.js";
import { createReportAdapter } from "../../adapters/report/index.js";
import { fakeClock, makeCtx } from "./helpers.js";

const NOW = Date.parse("2026-01-07T10:00:00Z");
const report = createReportAdapter({ clock: fakeClock(NOW) });
const run = (action: string, args: unknown) => report.actions[action]!.run(args, makeCtx());
const T = (hhmm: string, day = "2026-01-07") => `${day}T${hhmm}:00.000Z`;

const deploy = (over: Partial<ChangeEvidence>): ChangeEvidence => ({
  type: "change",
  kind: "deploy",
  service: "payments",
  env: "prod",
  at: T("09:40"),
  endedAt: T("09:41"),
  summary: "deploy of acme/payments@b84d88e (v1.4.1) to prod by octocat: success",
  link: "https://github.com/acme/payments/commit/b84d88e7554fc1fa21bcbc4efae3c782a70d2b9e",
  source: "GitHub deployments",
  provider: "github",
  reached: true,
  state: "success",
  ref: "v1.4.1",
  sha: "b84d88e7554fc1fa21bcbc4efae3c782a70d2b9e",
  repository: "acme/payments",
  by: "octocat",
  ...over,
});

const previous = deploy({
  at: T("16:00", "2026-01-06"),
  endedAt: null,
  summary: "deploy of acme/payments@a84d88e (v1.4.0) to prod by hubot: inactive",
  state: "inactive",
  ref: "v1.4.0",
  sha: "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d",
});

const errors = (signature: string, firstSeen: string, count: number, over: Partial<SymptomEvidence> = {}): SymptomEvidence => ({
  type: "symptom",
  kind: "errors",
  service: "payments",
  env: "prod",
  at: firstSeen,
  endedAt: T("09:59"),
  summary: `\`${signature}\` ${count} times`,
  source: "logs",
  provider: "http",
  windowStart: T("09:00"),
  signature: {
    signature,
    count,
    firstSeen,
    lastSeen: T("09:59"),
    samples: [`${signature}\n    at chargeCard (/app/src/payments/charge.ts:42:13)`],
  },
  ...over,
});

const health = (service: string, healthy: boolean, detail: string): SymptomEvidence => ({
  type: "symptom",
  kind: "health",
  service,
  env: "prod",
  at: T("10:00"),
  summary: `${service} ${healthy ? "healthy" : "unhealthy"}: ${detail}`,
  source: "health URLs",
  provider: "http",
  healthy,
  detail,
});

const flagFlip = (at: string, over: Partial<ChangeEvidence> = {}): ChangeEvidence => ({
  type: "change",
  kind: "flag",
  service: null,
  env: "prod",
  at,
  summary: "flag homeDemoVariant changed (now on at 25%)",
  source: "feature_flags table",
  provider: "supabase",
  reached: true,
  state: "on at 25%",
  flag: { key: "homeDemoVariant", enabled: true, rolloutPercentage: 25, previous: null },
  ...over,
});

const step = (uses: string, evidence: unknown[]) => ({ uses, data: { evidence } });
const TYPE_ERROR = "TypeError: cannot read 'amount' of undefined";

interface Triage {
  suspects: Array<{ rank: number; summary: string; rule: string; evidence: string; sources: string[] }>;
  noSuspect: string | null;
  ruledOut: Array<{ summary: string; reason: string }>;
  wayBack: Array<{ label: string; text: string; runbook: string; params: Record<string, unknown> }>;
  notChecked: Array<{ what: string; why: string }>;
  health: Array<{ service: string; healthy: boolean; detail: string }>;
  signatures: Array<{ signature: string; isNew: boolean; count: number }>;
  timeline: Array<{ at: string; kind: string; text: string }>;
  fix: { repository: string; sha: string; previousSha: string } | null;
}

describe("report.triage", () => {
  it("ranks the deploy that ended just before a new error signature first, with its evidence, and rules out the flag flipped after", async () => {
    const result = await run("triage", {
      service: "payments",
      env: "prod",
      windowStart: T("09:00"),
      evidence: {
        deploys: step("github.listDeployments", [deploy({}), previous]),
        flags: step("supabase.listFlags", [flagFlip(T("09:50"))]),
        logs: step("http.fetchLogs", [
          errors(TYPE_ERROR, T("09:42"), 312),
          errors("ECONNRESET upstream <ip>", "2026-01-07T09:00:20.000Z", 4),
        ]),
        health: step("http.checkAll", [health("payments", false, "500 Internal Server Error in 12 ms")]),
      },
    });
    const data = result.data as Triage;
    expect(result.summary).toBe(
      `Likely suspect: deploy of acme/payments@b84d88e (v1.4.1) to prod by octocat: success at 09:40; \`${TYPE_ERROR}\` first seen 09:42, 312 times since. Way back: roll back payments in prod to a84d88e7554f.`,
    );
    expect(data.suspects).toHaveLength(1);
    expect(data.suspects[0]).toMatchObject({
      rank: 1,
      rule: `reached prod (success); ended 1 min before \`${TYPE_ERROR}\` was first seen in payments at 09:42; same service (payments)`,
      sources: ["GitHub deployments"],
    });
    expect(data.ruledOut).toEqual([
      {
        summary: "flag homeDemoVariant changed (now on at 25%)",
        reason: `came after \`${TYPE_ERROR}\` was first seen in payments at 09:42`,
      },
      {
        summary: "deploy of acme/payments@a84d88e (v1.4.0) to prod by hubot: inactive",
        reason: `ended 17 h 42 min before \`${TYPE_ERROR}\` was first seen in payments at 09:42, longer than 30 min`,
      },
    ]);
    expect(data.signatures.map((s) => [s.signature, s.isNew])).toEqual([
      [TYPE_ERROR, true],
      ["ECONNRESET upstream <ip>", false],
    ]);
    expect(data.wayBack).toEqual([
      {
        label: "Roll back payments in prod to a84d88e (v1.4.0)",
        text: "roll back payments in prod to a84d88e7554f",
        runbook: "rollback",
        params: { service: "payments", env: "prod", ref: "a84d88e7554f" },
        because: "suspect 1",
      },
    ]);
    expect(data.fix).toMatchObject({ repository: "acme/payments", sha: deploy({}).sha, previousSha: previous.sha });
    const text = result.artifacts?.find((a) => a.filename === "triage.txt")?.content ?? "";
    expect(text).toContain("  - Roll back payments in prod to a84d88e (v1.4.0) — type: roll back payments in prod to a84d88e7554f");
  });

  it("lays the timeline out oldest first, in the config's time zone", async () => {
    const result = await run("triage", {
      service: "payments",
      env: "prod",
      timeZone: "Europe/Berlin",
      evidence: {
        deploys: step("github.listDeployments", [deploy({})]),
        logs: step("http.fetchLogs", [errors(TYPE_ERROR, T("09:42"), 312)]),
        flags: step("supabase.listFlags", [flagFlip(T("09:50"))]),
      },
    });
    const timeline = result.artifacts?.find((a) => a.filename === "timeline.txt")?.content ?? "";
    expect(timeline.split("\n")).toEqual([
      "Timeline of payments in prod (times in Europe/Berlin)",
      "       10:40  change   deploy of acme/payments@b84d88e (v1.4.1) to prod by octocat: success (until 10:41) [GitHub deployments]",
      `       10:42  symptom  new error in payments: \`${TYPE_ERROR}\` — 312 times, last 10:59 [logs]`,
      "       10:50  change   flag homeDemoVariant changed (now on at 25%) [feature_flags table]",
    ]);
  });

  it("merges one deploy reported by GitHub deployments, its workflow run and opsroom's run into one change", async () => {
    const workflowRun = deploy({
      env: null,
      at: T("09:38"),
      endedAt: T("09:41"),
      source: "GitHub workflow runs",
      summary: "deploy.yml run #563",
      link: "https://github.com/acme/payments/actions/runs/1",
    });
    const opsroomRun = deploy({
      provider: "opsroom",
      source: "opsroom run 1a2b3c4d",
      at: T("09:37"),
      sha: null,
      runId: "1a2b3c4d-0000-4000-8000-000000000000",
      summary: "Deploy of payments to v1.4.1 in prod (opsroom run 1a2b3c4d by U0ALICE01): succeeded",
    });
    const result = await run("triage", {
      service: "payments",
      env: "prod",
      evidence: {
        history: step("history.listChanges", [opsroomRun]),
        runs: step("github.listWorkflowRuns", [workflowRun]),
        deploys: step("github.listDeployments", [deploy({})]),
        logs: step("http.fetchLogs", [errors(TYPE_ERROR, T("09:42"), 312)]),
      },
    });
    const data = result.data as Triage;
    expect(data.suspects.map((s) => s.sources)).toEqual([["GitHub deployments", "opsroom run 1a2b3c4d", "GitHub workflow runs"]]);
    expect(data.timeline.filter((e) => e.kind === "change")).toHaveLength(1);
  });

  it("names no suspect when nothing fits, and says why each change was ruled out", async () => {
    const result = await run("triage", {
      service: "payments",
      env: "prod",
      evidence: {
        deploys: step("github.listDeployments", [
          deploy({ at: T("06:40"), endedAt: T("06:42"), summary: "deploy of payments three hours ago" }),
          deploy({ at: T("09:35"), endedAt: T("09:38"), reached: false, state: "failure", summary: "deploy of payments that failed" }),
        ]),
        "deploys-of-api": step("github.listDeployments", [deploy({ service: "api", summary: "deploy of api", sha: "c".repeat(40) })]),
        logs: step("http.fetchLogs", [errors(TYPE_ERROR, T("09:42"), 312)]),
      },
    });
    const data = result.data as Triage;
    expect(data.suspects).toEqual([]);
    expect(result.summary).toBe(
      "No suspect found: 3 changes in the window, none fits the rule (reached prod, ended shortly before the trouble, same service); look at dependencies, traffic and infrastructure next.",
    );
    expect(data.ruledOut).toEqual([
      { summary: "deploy of api", reason: "touched api, not payments" },
      { summary: "deploy of payments that failed", reason: "never reached prod (failure)" },
      {
        summary: "deploy of payments three hours ago",
        reason: `ended 3 h 00 min before \`${TYPE_ERROR}\` was first seen in payments at 09:42, longer than 30 min`,
      },
    ]);
    expect(data.wayBack).toEqual([]);
  });

  it("says no symptom was found when every service is healthy and no error is new (a failed newer build is no health drop)", async () => {
    const failedBuild = {
      ...health("payments", true, "newest production deployment dpl_1 ERROR (the one before it still serves)"),
      healthy: null,
    };
    const result = await run("triage", {
      env: "prod",
      evidence: {
        deploys: step("github.listDeployments", [deploy({})]),
        logs: step("http.fetchLogs", [errors("ECONNRESET upstream <ip>", "2026-01-07T09:00:20.000Z", 4)]),
        health: step("http.checkAll", [health("payments", true, "200 OK in 9 ms")]),
        vercel: step("vercel.listDeployments", [failedBuild]),
      },
    });
    expect(result.artifacts?.find((a) => a.filename === "triage.txt")?.content).toContain(
      "  · payments: newest production deployment dpl_1 ERROR (the one before it still serves) [health URLs]",
    );
    expect(result.summary).toBe(
      "No suspect found: nothing in the evidence went wrong in prod: no new error signature and no unhealthy service.",
    );
  });

  it("counts a flag change only for the services that read it, and its way back restores the previous percentage", async () => {
    const opsroomFlag = flagFlip(T("09:41"), {
      provider: "opsroom",
      source: "opsroom run 5e6f7a8b",
      flag: { key: "homeDemoVariant", enabled: true, rolloutPercentage: 50, previous: { enabled: true, rolloutPercentage: 10 } },
    });
    const args = (services: string[]) => ({
      service: "payments",
      env: "prod",
      flags: { homeDemoVariant: { services } },
      evidence: {
        history: step("history.listChanges", [opsroomFlag]),
        logs: step("http.fetchLogs", [errors(TYPE_ERROR, T("09:42"), 312)]),
      },
    });
    const elsewhere = (await run("triage", args(["web"]))).data as Triage;
    expect(elsewhere.ruledOut).toEqual([{ summary: opsroomFlag.summary, reason: "flag homeDemoVariant is read by web, not payments" }]);
    const here = (await run("triage", args(["payments"]))).data as Triage;
    expect(here.suspects[0]?.rule).toBe(
      `reached prod (on at 25%); ended 1 min before \`${TYPE_ERROR}\` was first seen in payments at 09:42; payments reads flag homeDemoVariant`,
    );
    expect(here.wayBack[0]).toMatchObject({
      label: "Put homeDemoVariant back to 10% in prod",
      text: "roll out homeDemoVariant to 10% in prod",
      runbook: "flag",
      params: { flag: "homeDemoVariant", action: "rollout", percent: 10, env: "prod" },
    });
  });

  it("dates a health drop from when people said the trouble began, and offers a restart of an App Platform service", async () => {
    const result = await run("triage", {
      service: "worker",
      env: "prod",
      since: T("09:50"),
      restartable: ["worker"],
      evidence: {
        deploys: step("digitalocean.listDeployments", [
          deploy({
            service: "worker",
            provider: "digitalocean",
            at: T("09:40"),
            endedAt: T("09:44"),
            summary: "App Platform deployment c7f2a1b0",
            state: "ACTIVE",
          }),
        ]),
        health: step("digitalocean.appHealth", [health("worker", false, "UNHEALTHY, 0/2 replicas ready")]),
      },
    });
    const data = result.data as Triage;
    expect(data.suspects[0]?.rule).toBe(
      "reached prod (ACTIVE); ended 6 min before worker turned unhealthy (UNHEALTHY, 0/2 replicas ready; dated 09:50); same service (worker)",
    );
    expect(data.wayBack.map((w) => [w.text, w.params])).toEqual([
      ["roll back worker in prod", { service: "worker", env: "prod" }],
      ["restart worker in prod", { service: "worker", env: "prod" }],
    ]);
  });

  it("lists sources without credentials as not checked, never as failures, and a health source that cannot answer as a symptom", async () => {
    const missing = (uses: string, names: string[]) => ({
      uses,
      data: undefined,
      summary: "x",
      error: `Missing setting: ${names.join(", ")}`,
      missing: names,
    });
    const result = await run("triage", {
      service: "web",
      env: "prod",
      services: [{ name: "web", vercelProject: "acme-web", healthUrl: "https://www.example.com/" }],
      evidence: {
        history: step("history.listChanges", []),
        deploys: missing("github.listDeployments", ["GITHUB_TOKEN"]),
        "vercel-deploys": missing("vercel.listDeployments", ["VERCEL_TOKEN"]),
        "vercel-logs": missing("vercel.getRuntimeLogs", ["VERCEL_TOKEN"]),
        "supabase-logs": missing("supabase.getLogs", ["SUPABASE_URL", "SUPABASE_ACCESS_TOKEN"]),
        "supabase-health": {
          uses: "supabase.health",
          data: undefined,
          summary: "x",
          error: "Supabase: cannot reach https://qwer5678.supabase.co (ENOTFOUND).",
        },
        health: step("http.checkAll", [health("web", true, "200 OK in 31 ms")]),
      },
    });
    const data = result.data as Triage;
    expect(data.notChecked).toEqual([
      { what: "GitHub deployments", why: "set GITHUB_TOKEN" },
      { what: "Vercel deployments; Vercel logs", why: "set VERCEL_TOKEN" },
      { what: "Supabase logs", why: "set SUPABASE_URL, SUPABASE_ACCESS_TOKEN" },
    ]);
    expect(data.health).toEqual([
      {
        service: null,
        healthy: false,
        detail: "Supabase: cannot reach https://qwer5678.supabase.co (ENOTFOUND).",
        source: "Supabase project health",
      },
      { service: "web", healthy: true, detail: "200 OK in 31 ms", source: "health URLs" },
    ]);
    expect(result.summary).toBe(
      "No suspect found: no change in prod is on record in opsroom run history (not checked: GitHub deployments; Vercel deployments); look at dependencies, traffic and infrastructure next.",
    );
  });

  it("says which sources the config gives a service none of", async () => {
    const result = await run("triage", {
      service: "docs",
      env: "prod",
      services: [{ name: "docs" }, { name: "web", vercelProject: "acme-web" }],
      evidence: {},
    });
    expect((result.data as Triage).notChecked).toEqual([
      { what: "health of docs", why: "no health URL in the config (set services.docs.environments.prod.healthUrl)" },
      { what: "logs of docs", why: "no log source in the config (set services.docs.logSource, or deploy it with Vercel or DigitalOcean)" },
      {
        what: "deploys of docs",
        why: "no repository, Vercel project or DigitalOcean app in the config; only opsroom's own runs are known",
      },
    ]);
  });
});

describe("report.triageWindow", () => {
  it("reads the last hour, widened back to the last deploy before it when none falls inside", async () => {
    const result = await run("triageWindow", {
      service: "payments",
      env: "prod",
      evidence: { deploys: step("github.listDeployments", [deploy({ at: T("08:12"), endedAt: T("08:14") })]) },
    });
    expect(result.data).toMatchObject({ from: T("08:11"), to: T("10:00") });
    expect(result.summary).toBe(
      "evidence from 08:11 to 10:00: the last 60 min, widened to the deploy before it (deploy of acme/payments@b84d88e (v1.4.1) to prod by octocat: success, 08:12)",
    );
  });

  it("keeps the window when a deploy is already in it", async () => {
    const result = await run("triageWindow", {
      env: "prod",
      since: T("09:30"),
      evidence: { deploys: step("github.listDeployments", [deploy({}), previous]) },
    });
    expect(result.data).toMatchObject({ from: T("09:30"), reason: "since 09:30" });
  });
});

describe("report.proposedFix", () => {
  const patch = [
    "@@ -38,7 +38,7 @@ export async function chargeCard(order: Order) {",
    "   const customer = await customers.get(order.customerId);",
    '   const currency = order.currency ?? "usd";',
    "   const fee = fees.for(currency);",
    "-  const total = order.amount + fee;",
    "+  const total = order.lines.amount + fee;",
    "   const intent = await stripe.paymentIntents.create({",
  ].join("\n");
  const target = {
    repository: "acme/payments",
    service: "payments",
    sha: "b84d88e7554fc1fa21bcbc4efae3c782a70d2b9e",
    previousSha: "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d",
    signature: TYPE_ERROR,
    samples: [`${TYPE_ERROR}\n    at chargeCard (/app/src/payments/charge.ts:41:23)\n    at node:internal/process/task_queues:95:5`],
  };

  it("shows the changed lines around the top error's stack frame and offers a revert PR", async () => {
    const result = await run("proposedFix", {
      env: "prod",
      target,
      diff: { files: [{ filename: "src/payments/charge.ts", status: "modified", patch }] },
    });
    expect(result.summary).toBe(
      `\`${TYPE_ERROR}\` has a stack frame at /app/src/payments/charge.ts:41, a line b84d88e changed; a revert PR can be opened (a plan to approve).`,
    );
    expect(result.artifacts?.[0]?.content?.split("\n")).toEqual([
      "       @@ -38,7 +38,7 @@ export async function chargeCard(order: Order) {",
      "    38    const customer = await customers.get(order.customerId);",
      '    39    const currency = order.currency ?? "usd";',
      "    40    const fee = fees.for(currency);",
      "       -  const total = order.amount + fee;",
      "→   41 +  const total = order.lines.amount + fee;",
      "    42    const intent = await stripe.paymentIntents.create({",
    ]);
    expect(result.data).toMatchObject({
      proposed: true,
      file: "src/payments/charge.ts",
      line: 41,
      onChangedLine: true,
      revert: {
        label: "Open a revert PR for b84d88e",
        runbook: "revert-pr",
        params: { service: "payments", env: "prod", badSha: "b84d88e7554f", goodSha: "a84d88e7554f" },
      },
    });
  });

  it("proposes nothing when no stack frame points into the diff", async () => {
    const result = await run("proposedFix", {
      env: "prod",
      target,
      diff: { files: [{ filename: "README.md", status: "modified", patch: "@@ -1 +1 @@\n-a\n+b" }] },
    });
    expect(result.summary).toBe(
      "No fix proposed: none of its 1 stack frame (/app/src/payments/charge.ts:41) is in the 1 file b84d88e changed.",
    );
    expect(result.data).toMatchObject({ proposed: false });
  });
});
