import nock from "nock";
import { describe, expect, it } from "vitest";
import { fixture } from "../adapters/helpers.js";
import {
  APP,
  CREDENTIALS,
  DO,
  GH,
  githubDeployments,
  hanging,
  plan,
  stepEvent,
  untilStepStarted,
  useRunbookHarness,
  VC,
} from "./harness.js";

type Json = Record<string, unknown>;
const LIVE = "b84d88e7554fc1fa21bcbc4efae3c782a70d2b9e";
const OLDER = "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d";
const liveDeployments = (repo: string, env: string) =>
  githubDeployments(
    repo,
    env,
    [
      { id: 2, sha: LIVE, ref: "v1.4.1", state: "success", at: "2026-01-07T09:30:00Z" },
      { id: 1, sha: OLDER, ref: "v1.4.0", state: "inactive", at: "2026-01-06T16:00:00Z", by: "hubot" },
    ],
    20,
  );
const run = (id: number, status: string, conclusion: string | null, createdAt = "2026-01-07T10:00:03Z") => ({
  ...fixture<Json>("github/workflow-run-completed.json"),
  id,
  status,
  conclusion,
  created_at: createdAt,
});

/** validate + preflight of the workflow_dispatch path for api in staging. */
function apiPreflight() {
  nock(GH).get("/repos/acme/api").reply(200, fixture("github/repository.json"));
  liveDeployments("acme/api", "staging");
  nock(GH).get(`/repos/acme/api/compare/${LIVE}...main`).query({ per_page: "100", page: "1" }).reply(200, fixture("github/compare.json"));
}

const h = useRunbookHarness();

describe("deploy runbook", () => {
  it("workflow_dispatch: shows what ships, dispatches with the ref input, follows the run, checks health", async () => {
    apiPreflight();
    let dispatched: unknown;
    nock(GH)
      .post("/repos/acme/api/actions/workflows/deploy.yml/dispatches", (body: unknown) => ((dispatched = body), true))
      .reply(204)
      .get("/repos/acme/api/actions/workflows/deploy.yml/runs")
      .query((q) => q.branch === "main" && q.event === "workflow_dispatch" && q.created === ">=2026-01-07T09:59:50Z")
      .reply(200, { total_count: 1, workflow_runs: [run(30433643, "in_progress", null)] })
      .get("/repos/acme/api/actions/runs/30433643")
      .reply(200, run(30433643, "completed", "success"));
    nock("https://api.staging.example.com").get("/healthz").reply(200, fixture("http/healthz.json"));

    const { outcome, events, artifacts, trail, succeeded } = await h.run(plan("deploy", { service: "api", env: "staging" }));

    expect(outcome.status).toBe("succeeded");
    expect(dispatched).toEqual({ ref: "main", inputs: { environment: "staging", ref: "main" } });
    expect(succeeded).toEqual([
      "settings-workflow",
      "repository",
      "deployments",
      "deployed",
      "changes",
      "dispatch",
      "wait-workflow",
      "health",
    ]);
    expect(trail.filter((t) => t.startsWith("phase_started"))).toEqual([
      "phase_started validate",
      "phase_started preflight",
      "phase_started action",
      "phase_started verify",
      "phase_started summarize",
    ]);
    expect(stepEvent(events, "step_succeeded", "deployed")?.message).toBe(
      `deployment of api serving staging: id 2, ref v1.4.1, sha b84d88e, state success, createdAt 2026-01-07T09:30:00Z`,
    );
    expect(stepEvent(events, "step_succeeded", "changes")?.message).toBe(`main is 2 commits ahead of ${LIVE}`);
    expect(stepEvent(events, "step_succeeded", "wait-workflow")?.message).toMatch(
      /^deploy\.yml on acme\/api@main: run #563 succeeded in 4m05s$/,
    );
    expect(artifacts.map((a) => `${a.stepId ?? "-"} ${a.kind} ${a.title}`)).toEqual([
      "deployments text Deployments of acme/api to staging",
      `changes text Commits ${LIVE}...main`,
      `changes link Compare ${LIVE}...main`,
      "dispatch link deploy.yml runs",
      "wait-workflow link deploy.yml run #563",
      "- summary Summary",
    ]);
    expect(outcome.summary).toMatch(/^Deploy \(staging\) succeeded in [\d.]+ s\.\n/);
    expect(outcome.summary).toContain("• api: 200 OK in");
  });

  it("a first deploy (nothing deployed to the environment yet) ships the head commit instead of failing the comparison", async () => {
    nock(GH).get("/repos/acme/api").reply(200, fixture("github/repository.json"));
    githubDeployments("acme/api", "staging", [], 20);
    // With no deployment on record the comparison falls back to a branch named like the env, which this repo lacks.
    nock(GH).get("/repos/acme/api/compare/staging...main").query(true).reply(404, { message: "Not Found" });
    nock(GH)
      .get("/repos/acme/api/commits/main")
      .reply(200, { ...fixture<{ commits: Json[] }>("github/compare.json").commits[0], sha: LIVE })
      .post("/repos/acme/api/actions/workflows/deploy.yml/dispatches")
      .reply(204)
      .get("/repos/acme/api/actions/workflows/deploy.yml/runs")
      .query(true)
      .reply(200, { total_count: 1, workflow_runs: [run(30433643, "in_progress", null)] })
      .get("/repos/acme/api/actions/runs/30433643")
      .reply(200, run(30433643, "completed", "success"));
    nock("https://api.staging.example.com").get("/healthz").reply(200, fixture("http/healthz.json"));

    const { outcome, events } = await h.run(plan("deploy", { service: "api", env: "staging" }));

    expect(outcome).toMatchObject({ status: "succeeded" });
    expect(stepEvent(events, "step_succeeded", "changes")?.message).toMatch(
      /^nothing to compare with: staging is not in acme\/api \(a first deploy\?\); main is b84d88e$/,
    );
  });

  it("workflow_dispatch: a failed deploy run triggers the rollback, which redeploys what was live", async () => {
    apiPreflight();
    const inputs: unknown[] = [];
    nock(GH)
      .post("/repos/acme/api/actions/workflows/deploy.yml/dispatches")
      .times(2)
      .reply(204, async (req: Request) => {
        inputs.push(((await req.json()) as { inputs: unknown }).inputs);
        return "";
      })
      .get("/repos/acme/api/actions/workflows/deploy.yml/runs")
      .query(true)
      .reply(200, { total_count: 1, workflow_runs: [run(30433643, "completed", "failure")] })
      .get("/repos/acme/api/actions/runs/30433643/jobs")
      .query(true)
      .reply(200, fixture("github/workflow-jobs-failed.json"))
      // The redeploy: dispatched after the failed run, found by its creation time.
      .get("/repos/acme/api/actions/workflows/deploy.yml/runs")
      .query(true)
      .reply(200, { total_count: 1, workflow_runs: [run(30433700, "completed", "success", "2026-01-07T10:00:04Z")] });

    const { outcome, events, trail } = await h.run(plan("deploy", { service: "api", env: "staging" }));

    expect(outcome).toMatchObject({ status: "failed", failedStep: "wait-workflow" });
    expect(inputs).toEqual([
      { environment: "staging", ref: "main" },
      { environment: "staging", ref: LIVE },
    ]);
    expect(outcome.status === "failed" && outcome.error).toBe(
      'deploy.yml on acme/api@main: run #563 finished with conclusion failure (job "deploy" failure at step "Run migrations"): https://github.com/acme/api/actions/runs/30433643 Open the run for its logs; the deploy did not complete.',
    );
    expect(trail.slice(trail.indexOf("step_failed wait-workflow"))).toEqual([
      "step_failed wait-workflow",
      "rollback_started rollback",
      "step_started redeploy-previous",
      "step_succeeded redeploy-previous",
      "step_started wait-redeploy",
      "step_succeeded wait-redeploy",
      "rollback_finished rollback",
      "run_failed wait-workflow",
    ]);
    expect(stepEvent(events, "step_succeeded", "wait-redeploy")?.message).toMatch(/run #563 succeeded/);
    expect(events.find((e) => e.kind === "rollback_finished")?.message).toMatch(
      /^redeploy-previous: started deploy\.yml on acme\/api@main; wait-redeploy: deploy\.yml on acme\/api@main: run #563 succeeded/,
    );
    expect(outcome.summary).toContain("Rolled back: redeploy-previous: started deploy.yml on acme/api@main; wait-redeploy:");
    expect(outcome.summary).toContain("Owner: platform · Escalation: @oncall-platform");
  });

  it("ends a verify step that runs past its timeout, then rolls back", async () => {
    apiPreflight();
    nock(GH)
      .post("/repos/acme/api/actions/workflows/deploy.yml/dispatches")
      .times(2)
      .reply(204)
      .get("/repos/acme/api/actions/workflows/deploy.yml/runs")
      .query(true)
      .reply(hanging())
      .get("/repos/acme/api/actions/workflows/deploy.yml/runs")
      .query(true)
      .reply(200, { total_count: 1, workflow_runs: [run(30433700, "completed", "success", "2026-01-07T10:00:04Z")] });
    const p = plan("deploy", { service: "api", env: "staging" });
    // The runbook gives the wait 30 minutes; a test cannot wait that long, the executor's timer is the same.
    p.steps.find((s) => s.id === "wait-workflow")!.timeoutSeconds = 1;

    const started = Date.now();
    const { outcome, trail } = await h.run(p);

    expect(Date.now() - started).toBeLessThan(5000);
    expect(outcome).toMatchObject({ status: "failed", failedStep: "wait-workflow" });
    expect(outcome.status === "failed" && outcome.error).toBe("github.waitForWorkflowRun did not finish within 1 s.");
    expect(trail).toContain("rollback_finished rollback");
    expect(outcome.summary).toContain("Rolled back: redeploy-previous");
  });

  it("stops when cancelled in the middle of a step, starts nothing after it, and rolls back what the action deployed", async () => {
    apiPreflight();
    const inputs: unknown[] = [];
    nock(GH)
      .post("/repos/acme/api/actions/workflows/deploy.yml/dispatches")
      .times(2)
      .reply(204, async (req: Request) => {
        inputs.push(((await req.json()) as { inputs: unknown }).inputs);
        return "";
      })
      .get("/repos/acme/api/actions/workflows/deploy.yml/runs")
      .query(true)
      .reply(hanging())
      // The redeploy of what was live, found by its creation time.
      .get("/repos/acme/api/actions/workflows/deploy.yml/runs")
      .query(true)
      .reply(200, { total_count: 1, workflow_runs: [run(30433700, "completed", "success", "2026-01-07T10:00:04Z")] });

    const {
      outcome,
      run: cancelled,
      trail,
    } = await h.run(plan("deploy", { service: "api", env: "staging" }), {
      during: async (runId, events) => {
        await untilStepStarted(events, "wait-workflow");
        await h.store().requestCancel(runId, "U2");
      },
    });

    expect(outcome.status).toBe("cancelled");
    expect(outcome.summary).toMatch(
      /^Deploy cancelled by U2 during verify after [\d.]+ s\.\nRolled back: redeploy-previous: started deploy\.yml/,
    );
    expect(cancelled.status).toBe("cancelled");
    expect(inputs).toEqual([
      { environment: "staging", ref: "main" },
      { environment: "staging", ref: LIVE },
    ]);
    expect(trail.slice(trail.indexOf("rollback_started rollback"))).toEqual([
      "rollback_started rollback",
      "step_started redeploy-previous",
      "step_succeeded redeploy-previous",
      "step_started wait-redeploy",
      "step_succeeded wait-redeploy",
      "rollback_finished rollback",
      "run_cancelled verify",
    ]);
    expect(trail).not.toContain("step_started health");
  });

  it("a cancel before the action phase rolls nothing back and says nothing had changed", async () => {
    nock(GH).get("/repos/acme/api").reply(200, fixture("github/repository.json"));
    nock(GH).get("/repos/acme/api/deployments").query(true).reply(hanging());

    const { outcome, trail } = await h.run(plan("deploy", { service: "api", env: "staging" }), {
      during: async (runId, events) => {
        await untilStepStarted(events, "deployments");
        await h.store().requestCancel(runId, "U2");
      },
    });

    expect(outcome.status).toBe("cancelled");
    expect(outcome.summary).toMatch(/^Deploy cancelled by U2 during preflight after [\d.]+ s\.\nNothing had been changed yet\.$/);
    expect(trail).not.toContain("rollback_started rollback");
  });

  it("names the missing credential before calling anything", async () => {
    const { outcome, events } = await h.run(plan("deploy", { service: "api", env: "staging" }), { credentials: {} });
    expect(outcome).toMatchObject({ status: "failed", failedStep: "credentials" });
    expect(outcome.status === "failed" && outcome.error).toMatch(
      /^Missing setting: GITHUB_TOKEN \(a GitHub token with repo \(contents, pull requests, deployments\) and actions access to the repository; needed by github\.\w+\)\. Set it in the environment and try again\.$/,
    );
    expect(events.some((e) => e.kind === "step_started")).toBe(false);
  });

  it("names the missing config setting and where to put it", async () => {
    const { outcome } = await h.run(plan("deploy", { service: "docs", env: "staging" }));
    expect(outcome).toMatchObject({ status: "failed", failedStep: "settings" });
    expect(outcome.status === "failed" && outcome.error).toBe(
      "deploy of docs to staging needs the setting deployVia, which is not in the config: set services.docs.deployVia (or services.docs.environments.staging.deployVia). deployVia is one of workflow_dispatch, deployments, vercel, digitalocean.",
    );
  });

  it("vercel: deploys to production, and a failed build rolls production back to the deployment that was live", async () => {
    nock(GH)
      .get("/repos/acme/web")
      .reply(200, { ...fixture<Json>("github/repository.json"), full_name: "acme/web" });
    nock(VC)
      .get("/v6/deployments")
      .query({ projectId: "acme-web", target: "production", state: "READY", limit: "20", teamId: "team_acme" })
      .reply(200, fixture("vercel/deployments.json"));
    nock(GH)
      .get("/repos/acme/web/compare/dc36199b2234c6586ebe05ec94078a895c707e29...v2.0.0")
      .query(true)
      .reply(200, fixture("github/compare.json"));
    let body: Json | undefined;
    nock(VC)
      .post("/v13/deployments", (b: Json) => ((body = b), true))
      .query({ teamId: "team_acme" })
      .reply(200, fixture("vercel/deployment-created.json"))
      .get("/v13/deployments/dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ")
      .query({ teamId: "team_acme" })
      .reply(200, fixture("vercel/deployment-error.json"))
      .post("/v1/projects/acme-web/rollback/dpl_3fQh7VG1dbqHhsPDYMSXUZ1UCDCX")
      .query({ teamId: "team_acme", description: "opsroom: failed deploy of web" })
      .reply(201, {});

    const { outcome, events } = await h.run(plan("deploy", { service: "web", env: "prod", ref: "v2.0.0" }));

    expect(body).toMatchObject({
      project: "acme-web",
      target: "production",
      gitSource: { type: "github", org: "acme", repo: "web", ref: "v2.0.0" },
    });
    expect(outcome).toMatchObject({ status: "failed", failedStep: "wait-vercel" });
    expect(outcome.status === "failed" && outcome.error).toContain(
      'Vercel deployment dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ ended ERROR: Command "npm run build" exited with 1',
    );
    expect(stepEvent(events, "step_succeeded", "vercel-rollback")?.message).toBe(
      "rolled acme-web production back to dpl_3fQh7VG1dbqHhsPDYMSXUZ1UCDCX",
    );
  });

  it("deployments: creates a GitHub deployment and waits for the deploy listener to report success", async () => {
    nock(GH)
      .get("/repos/acme/payments")
      .reply(200, { ...fixture<Json>("github/repository.json"), full_name: "acme/payments" });
    liveDeployments("acme/payments", "prod");
    nock(GH).get(`/repos/acme/payments/compare/${LIVE}...main`).query(true).reply(200, fixture("github/compare.json"));
    let created: Json | undefined;
    nock(GH)
      .post("/repos/acme/payments/deployments", (b: Json) => ((created = b), true))
      .reply(201, { ...fixture<Json>("github/deployment.json"), id: 9, environment: "prod" })
      .post("/repos/acme/payments/deployments/9/statuses")
      .reply(201, fixture("github/deployment-status.json"))
      .get("/repos/acme/payments/deployments/9/statuses")
      .query({ per_page: "1" })
      .reply(200, [{ id: 2, state: "in_progress", description: null, created_at: "2026-01-07T10:00:10Z" }])
      .get("/repos/acme/payments/deployments/9/statuses")
      .query({ per_page: "1" })
      .reply(200, [
        { id: 3, state: "success", description: "deployed", created_at: "2026-01-07T10:02:00Z", log_url: "https://ci.example.com/9" },
      ]);
    nock("https://payments.example.com").get("/healthz").reply(200, "ok");

    const { outcome, succeeded } = await h.run(plan("deploy", { service: "payments", env: "prod" }));

    expect(outcome.status).toBe("succeeded");
    expect(created).toMatchObject({ ref: "main", environment: "prod", production_environment: true, auto_merge: false });
    expect(succeeded).toEqual([
      "settings-deployments",
      "repository",
      "deployments",
      "deployed",
      "changes",
      "create-deployment",
      "wait-deployment",
      "health",
    ]);
  });

  it("digitalocean: a deployment that ends in ERROR rolls the app back to the deployment that was live", async () => {
    nock(GH)
      .get("/repos/acme/worker")
      .reply(200, { ...fixture<Json>("github/repository.json"), full_name: "acme/worker" });
    nock(DO).get(`/v2/apps/${APP}`).reply(200, fixture("digitalocean/app.json"));
    githubDeployments("acme/worker", "prod", [], 20);
    // No successful deployment on record: the commits are compared with the branch named like the env.
    nock(GH).get("/repos/acme/worker/compare/prod...main").query(true).reply(200, fixture("github/compare.json"));
    let rollbackBody: unknown;
    nock(DO)
      .post(`/v2/apps/${APP}/deployments`, { force_build: true })
      .reply(200, fixture("digitalocean/deployment-pending.json"))
      .get(`/v2/apps/${APP}/deployments/b6bdf840-2854-4f87-a36c-5f231c617c84`)
      .reply(200, fixture("digitalocean/deployment-error.json"))
      .post(`/v2/apps/${APP}/rollback`, (b: unknown) => ((rollbackBody = b), true))
      .reply(200, { deployment: { id: "c6bdf840-2854-4f87-a36c-5f231c617c85", phase: "PENDING_DEPLOY" } })
      .get(`/v2/apps/${APP}/deployments/c6bdf840-2854-4f87-a36c-5f231c617c85`)
      .reply(200, { deployment: { id: "c6bdf840-2854-4f87-a36c-5f231c617c85", phase: "ACTIVE" } });

    const { outcome, events } = await h.run(plan("deploy", { service: "worker", env: "prod" }));

    expect(outcome).toMatchObject({ status: "failed", failedStep: "wait-do" });
    expect(stepEvent(events, "step_succeeded", "deployed")?.message).toBe(
      "deployment of worker serving prod: none among 0 listed with state success; using ref prod, sha prod",
    );
    expect(rollbackBody).toEqual({ deployment_id: "3aa4d20e-5527-4c00-b496-601fbd22520a", skip_pin: true });
    expect(outcome.summary).toContain("Rolled back: do-rollback: rolling app");
    expect(outcome.summary).toContain("wait-do-rollback: deployment c6bdf840-2854-4f87-a36c-5f231c617c85 is ACTIVE");
  });

  it("digitalocean: refuses a ref, since App Platform builds the branch in its spec", async () => {
    const { outcome } = await h.run(plan("deploy", { service: "worker", env: "prod", ref: "v9" }));
    expect(outcome).toMatchObject({ status: "failed", failedStep: "no-ref-on-digitalocean" });
    expect(outcome.status === "failed" && outcome.error).toBe(
      "worker deploys through DigitalOcean App Platform, which builds the branch in its app spec, so a ref (v9) cannot be chosen. Deploy without a ref, or merge the ref into that branch first.",
    );
  });

  it("a dry run makes no call and lists the calls each write step would make", async () => {
    const steps = await h.dryRun(plan("deploy", { service: "api", env: "staging", ref: "v1.5.0" }));
    const writes = steps.filter((s) => s.risk === "write");
    expect(writes.map((s) => [s.phase, s.id, s.requests, s.note ?? null])).toEqual([
      [
        "action",
        "dispatch",
        [
          'POST https://api.github.com/repos/acme/api/actions/workflows/deploy.yml/dispatches {"ref":"main","inputs":{"environment":"staging","ref":"v1.5.0"}}',
        ],
        null,
      ],
      ["rollback", "redeploy-previous", [], "inputs comes from earlier steps at run time"],
    ]);
    expect(steps.map((s) => s.id)).toEqual([
      "settings-workflow",
      "repository",
      "deployments",
      "deployed",
      "changes",
      "dispatch",
      "wait-workflow",
      "health",
      "redeploy-previous",
      "wait-redeploy",
    ]);
  });

  it("dry runs of the other paths list their provider calls too", async () => {
    const requests = async (service: string, env: string) =>
      (await h.dryRun(plan("deploy", { service, env })))
        .filter((s) => s.risk === "write" && s.phase === "action")
        .flatMap((s) => s.requests);
    expect(await requests("web", "prod")).toEqual([
      'POST https://api.vercel.com/v13/deployments?teamId=team_acme {"name":"acme-web","project":"acme-web","target":"production","gitSource":{"type":"github","org":"acme","repo":"web","ref":"main"},"meta":{"opsroom":"true"}}',
    ]);
    expect(await requests("payments", "prod")).toEqual([
      'POST https://api.github.com/repos/acme/payments/deployments {"ref":"main","environment":"prod","description":"opsroom: deploy main to prod","auto_merge":false,"production_environment":true,"payload":{"opsroom_run_id":"dry-run"}}',
      'POST https://api.github.com/repos/acme/payments/deployments/%3Cdeployment%20id%3E/statuses {"state":"queued","description":"opsroom run dry-run"}',
    ]);
    expect(await requests("worker", "prod")).toEqual([`POST https://api.digitalocean.com/v2/apps/${APP}/deployments {"force_build":true}`]);
  });
});

describe("deploy runbook: secrets in a rollback", () => {
  it("redacts a configured secret that a provider echoes into a rollback step's result", async () => {
    // A secret the config names (secretEnv) that the provider happens to echo as a deployment id.
    const secret = "opsroom-CANARY-secret-7f3a9b2c";
    const listed = fixture<{ deployments: Array<Record<string, unknown>> }>("vercel/deployments.json");
    listed.deployments[0]!.uid = `dpl_${secret}`;
    nock(GH)
      .get("/repos/acme/web")
      .reply(200, { ...fixture<Json>("github/repository.json"), full_name: "acme/web" });
    nock(VC).get("/v6/deployments").query(true).reply(200, listed);
    nock(GH)
      .get("/repos/acme/web/compare/dc36199b2234c6586ebe05ec94078a895c707e29...main")
      .query(true)
      .reply(200, fixture("github/compare.json"));
    nock(VC)
      .post("/v13/deployments")
      .query(true)
      .reply(200, fixture("vercel/deployment-created.json"))
      .get("/v13/deployments/dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ")
      .query(true)
      .reply(200, fixture("vercel/deployment-error.json"))
      .post(`/v1/projects/acme-web/rollback/dpl_${secret}`)
      .query(true)
      .reply(201, {});
    // The harness asserts no CANARY in anything recorded.
    const { outcome, events } = await h.run(plan("deploy", { service: "web", env: "prod" }), {
      credentials: { ...CREDENTIALS, OPSROOM_SECRET: secret },
    });
    expect(outcome.status).toBe("failed");
    expect(events.find((e) => e.kind === "rollback_finished")?.message).toBe(
      "vercel-rollback: rolled acme-web production back to dpl_[REDACTED]",
    );
  });
});
