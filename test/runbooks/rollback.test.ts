import nock from "nock";
import { describe, expect, it } from "vitest";
import { fixture } from "../adapters/helpers.js";
import { APP, DO, GH, githubDeployments, hanging, plan, stepEvent, untilStepStarted, useRunbookHarness, VC } from "./harness.js";

type Json = Record<string, unknown>;
const FAILED = "c84d88e7554fc1fa21bcbc4efae3c782a70d2b9f";
const LIVE = "b84d88e7554fc1fa21bcbc4efae3c782a70d2b9e";
const OLDER = "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d";

function history(repo: string, env: string) {
  githubDeployments(
    repo,
    env,
    [
      { id: 3, sha: FAILED, ref: "v1.5.0", state: "failure", at: "2026-01-07T09:50:00Z" },
      { id: 2, sha: LIVE, ref: "v1.4.1", state: "success", at: "2026-01-07T09:30:00Z" },
      { id: 1, sha: OLDER, ref: "v1.4.0", state: "inactive", at: "2026-01-06T16:00:00Z" },
    ],
    30,
  );
}

function repo(name: string) {
  nock(GH)
    .get(`/repos/acme/${name}`)
    .reply(200, { ...fixture<Json>("github/repository.json"), full_name: `acme/${name}` });
}

describe("rollback runbook", () => {
  const h = useRunbookHarness();

  it("workflow_dispatch: goes back to what was live before the current deployment and shows the commits undone", async () => {
    repo("api");
    history("acme/api", "prod");
    let inputs: unknown;
    nock(GH)
      .get(`/repos/acme/api/compare/${OLDER}...${LIVE}`)
      .query(true)
      .reply(200, fixture("github/compare.json"))
      .post("/repos/acme/api/actions/workflows/deploy.yml/dispatches", (b: { inputs: unknown }) => ((inputs = b.inputs), true))
      .reply(204)
      .get("/repos/acme/api/actions/workflows/deploy.yml/runs")
      .query(true)
      .reply(200, {
        total_count: 1,
        workflow_runs: [{ ...fixture<Json>("github/workflow-run-completed.json"), created_at: "2026-01-07T10:00:02Z" }],
      });
    nock("https://api.example.com").get("/healthz").reply(200, "ok");

    const { outcome, events, succeeded, artifacts } = await h.run(plan("rollback", { service: "api", env: "prod" }));

    expect(outcome.status).toBe("succeeded");
    expect(inputs).toEqual({ environment: "prod", ref: OLDER });
    expect(succeeded).toEqual([
      "settings-github",
      "repository",
      "deployments",
      "current",
      "previous",
      "changes",
      "dispatch",
      "wait-workflow",
      "health",
    ]);
    expect(stepEvent(events, "step_succeeded", "previous")?.message).toBe(
      "earlier deployment of api to prod to go back to: id 1, ref v1.4.0, sha a84d88e, state inactive, createdAt 2026-01-06T16:00:00Z",
    );
    expect(artifacts.find((a) => a.stepId === "changes" && a.kind === "text")?.title).toBe(`Commits ${OLDER}...${LIVE}`);
  });

  it("vercel production: rolls back instantly to the deployment of the ref asked for", async () => {
    repo("web");
    nock(VC)
      .get("/v6/deployments")
      .query({ projectId: "acme-web", target: "production", state: "READY", limit: "30", teamId: "team_acme" })
      .reply(200, fixture("vercel/deployments.json"))
      .post("/v1/projects/acme-web/rollback/dpl_1a2b3c4d5e6f7g8h9i0jklmnopqr")
      .query({ teamId: "team_acme", description: "opsroom: rollback of web" })
      .reply(201, {});
    nock(GH)
      .get("/repos/acme/web/compare/v1.3.0...dc36199b2234c6586ebe05ec94078a895c707e29")
      .query(true)
      .reply(200, fixture("github/compare.json"));
    nock("https://www.example.com").get("/").reply(200, "<html>ok</html>");

    const { outcome, events } = await h.run(plan("rollback", { service: "web", env: "prod", ref: "v1.3.0" }));

    expect(outcome.status).toBe("succeeded");
    expect(stepEvent(events, "step_succeeded", "vercel-rollback")?.message).toBe(
      "rolled acme-web production back to dpl_1a2b3c4d5e6f7g8h9i0jklmnopqr",
    );
  });

  it("deployments: when the rollback deployment fails, what was live before it is deployed again", async () => {
    repo("payments");
    history("acme/payments", "prod");
    const refs: string[] = [];
    nock(GH)
      .get(`/repos/acme/payments/compare/${OLDER}...${LIVE}`)
      .query(true)
      .reply(200, fixture("github/compare.json"))
      .post("/repos/acme/payments/deployments")
      .times(2)
      .reply(201, async (req: Request) => {
        const body = (await req.json()) as { ref: string };
        refs.push(body.ref);
        return { ...fixture<Json>("github/deployment.json"), id: 10 + refs.length, ref: body.ref, sha: body.ref, environment: "prod" };
      })
      .post("/repos/acme/payments/deployments/11/statuses")
      .reply(201, fixture("github/deployment-status.json"))
      .get("/repos/acme/payments/deployments/11/statuses")
      .query(true)
      .reply(200, [{ id: 5, state: "error", description: "image a84d88e not found", created_at: "2026-01-07T10:01:00Z" }])
      .post("/repos/acme/payments/deployments/12/statuses")
      .reply(201, fixture("github/deployment-status.json"));

    const { outcome } = await h.run(plan("rollback", { service: "payments", env: "prod" }));

    expect(refs).toEqual([OLDER, LIVE]);
    expect(outcome).toMatchObject({ status: "failed", failedStep: "wait-deployment" });
    expect(outcome.status === "failed" && outcome.error).toBe(
      "deployment 11 of acme/payments ended error: image a84d88e not found Open the deployment's log for the reason; the deploy did not complete.",
    );
    expect(outcome.summary).toContain(`Rolled back: restore-deployment: deployment 12 of acme/payments@${LIVE}`);
  });

  it("digitalocean: rolls the app back to its previously live deployment and waits for it", async () => {
    nock(DO)
      .get(`/v2/apps/${APP}`)
      .reply(200, fixture("digitalocean/app.json"))
      .get(`/v2/apps/${APP}/deployments`)
      .query({ per_page: "20" })
      .reply(200, {
        deployments: [
          { id: "3aa4d20e-5527-4c00-b496-601fbd22520a", phase: "ACTIVE" },
          { id: "e0000000-0000-4000-8000-000000000001", phase: "SUPERSEDED" },
        ],
      })
      .post(`/v2/apps/${APP}/rollback`, { deployment_id: "e0000000-0000-4000-8000-000000000001", skip_pin: true })
      .reply(200, { deployment: { id: "c6bdf840-2854-4f87-a36c-5f231c617c85", phase: "PENDING_DEPLOY" } })
      .get(`/v2/apps/${APP}/deployments/c6bdf840-2854-4f87-a36c-5f231c617c85`)
      .reply(200, { deployment: { id: "c6bdf840-2854-4f87-a36c-5f231c617c85", phase: "ACTIVE" } });

    const { outcome, succeeded } = await h.run(plan("rollback", { service: "worker", env: "prod" }));

    expect(outcome.status).toBe("succeeded");
    expect(succeeded).toEqual(["settings-digitalocean", "no-ref-on-digitalocean", "app", "do-rollback", "wait-do"]);
  });

  it("with nothing earlier on record, stops in preflight and says how to name a ref", async () => {
    repo("api");
    githubDeployments("acme/api", "prod", [{ id: 2, sha: LIVE, ref: "v1.4.1", state: "success", at: "2026-01-07T09:30:00Z" }], 30);
    const { outcome } = await h.run(plan("rollback", { service: "api", env: "prod" }));
    expect(outcome).toMatchObject({ status: "failed", failedStep: "previous" });
    expect(outcome.status === "failed" && outcome.error).toBe(
      'no earlier deployment of api to prod to go back to: nothing number 2 with state success or inactive among 1 listed (id 2, ref v1.4.1, sha b84d88e, state success, createdAt 2026-01-07T09:30:00Z). Say which ref to go back to: "roll back api in prod to v1.2.3".',
    );
    expect(outcome.summary).not.toContain("Rolled back");
  });

  it("stops when cancelled while waiting for the redeploy, and redeploys what was live", async () => {
    repo("api");
    history("acme/api", "prod");
    nock(GH)
      .get(`/repos/acme/api/compare/v1.3.9...${LIVE}`)
      .query(true)
      .reply(200, fixture("github/compare.json"))
      .post("/repos/acme/api/actions/workflows/deploy.yml/dispatches")
      .times(2) // the rollback to v1.3.9, then the redeploy of what was live
      .reply(204)
      .get("/repos/acme/api/actions/workflows/deploy.yml/runs")
      .query(true)
      .reply(hanging());
    const { outcome, trail } = await h.run(plan("rollback", { service: "api", env: "prod", ref: "v1.3.9" }), {
      during: async (runId, events) => {
        await untilStepStarted(events, "wait-workflow");
        await h.store().requestCancel(runId, "U2");
      },
    });
    expect(outcome.status).toBe("cancelled");
    expect(outcome.summary).toContain("Rolled back: restore-workflow: started deploy.yml on acme/api@main");
    expect(trail.slice(-2)).toEqual(["rollback_finished rollback", "run_cancelled verify"]);
  });

  it("a dry run makes no call; the provider calls that do not depend on earlier steps are listed", async () => {
    const worker = await h.dryRun(plan("rollback", { service: "worker", env: "prod" }));
    expect(worker.filter((s) => s.risk === "write").map((s) => [s.id, s.requests, s.note ?? null])).toEqual([
      [
        "do-rollback",
        [
          `GET https://api.digitalocean.com/v2/apps/${APP}/deployments?per_page=20`,
          `POST https://api.digitalocean.com/v2/apps/${APP}/rollback {"deployment_id":"<previous live deployment>","skip_pin":true}`,
        ],
        null,
      ],
      ["restore-digitalocean", [], "deploymentId comes from earlier steps at run time"],
    ]);
    const api = await h.dryRun(plan("rollback", { service: "api", env: "prod" }));
    expect(api.filter((s) => s.risk === "write").map((s) => [s.id, s.note])).toEqual([
      ["dispatch", "inputs comes from earlier steps at run time"],
      ["restore-workflow", "inputs comes from earlier steps at run time"],
    ]);
  });
});
