/** The restart and scale runbooks, on DigitalOcean App Platform. */
import nock from "nock";
import { describe, expect, it } from "vitest";
import { fixture } from "../adapters/helpers.js";
import { APP, DO, hanging, plan, stepEvent, untilStepStarted, useRunbookHarness } from "./harness.js";

type App = { app: { spec: { workers: Array<{ name: string; instance_count: number }> } } & Record<string, unknown> };
const DEPLOY = "b6bdf840-2854-4f87-a36c-5f231c617c84";
const RESTORE = "d6bdf840-2854-4f87-a36c-5f231c617c86";

function appWithWorkers(count: number, pending?: string): App {
  const app = fixture<App>("digitalocean/app.json");
  app.app.spec.workers[0]!.instance_count = count;
  if (pending) app.app.pending_deployment = { id: pending, phase: "PENDING_DEPLOY" };
  return app;
}

const h = useRunbookHarness();

describe("restart runbook", () => {
  it("redeploys the app's current build and waits until it is live", async () => {
    nock(DO)
      .get(`/v2/apps/${APP}`)
      .reply(200, fixture("digitalocean/app.json"))
      .post(`/v2/apps/${APP}/deployments`, { force_build: false })
      .reply(200, fixture("digitalocean/deployment-pending.json"))
      .get(`/v2/apps/${APP}/deployments/${DEPLOY}`)
      .reply(200, fixture("digitalocean/deployment-pending.json"))
      .get(`/v2/apps/${APP}/deployments/${DEPLOY}`)
      .reply(200, fixture("digitalocean/deployment-active.json"));

    const { outcome, succeeded, artifacts } = await h.run(plan("restart", { service: "worker", env: "prod" }));

    expect(outcome.status).toBe("succeeded");
    expect(succeeded).toEqual(["settings", "app", "restart", "wait"]);
    expect(artifacts.filter((a) => a.kind === "link").map((a) => a.url)).toEqual([
      `https://cloud.digitalocean.com/apps/${APP}`,
      `https://cloud.digitalocean.com/apps/${APP}/deployments/${DEPLOY}`,
      `https://cloud.digitalocean.com/apps/${APP}/deployments/${DEPLOY}`,
    ]);
  });

  it("ends the wait at its timeout; the old deployment keeps serving, so nothing is rolled back", async () => {
    nock(DO)
      .get(`/v2/apps/${APP}`)
      .reply(200, fixture("digitalocean/app.json"))
      .post(`/v2/apps/${APP}/deployments`)
      .reply(200, fixture("digitalocean/deployment-pending.json"))
      .get(`/v2/apps/${APP}/deployments/${DEPLOY}`)
      .reply(hanging());
    const p = plan("restart", { service: "worker", env: "prod" });
    p.steps.find((s) => s.id === "wait")!.timeoutSeconds = 1;

    const { outcome } = await h.run(p);

    expect(outcome).toMatchObject({
      status: "failed",
      failedStep: "wait",
      error: "digitalocean.waitForDeployment did not finish within 1 s.",
    });
    expect(outcome.summary).toContain("Nothing was rolled back (the runbook has no rollback steps).");
  });

  it("says restart needs a DigitalOcean app for services deployed another way", async () => {
    const { outcome } = await h.run(plan("restart", { service: "api", env: "prod" }));
    expect(outcome.status === "failed" && outcome.error).toBe(
      "restart of api in prod needs the setting digitaloceanApp, which is not in the config: set services.api.digitaloceanApp (or services.api.environments.prod.digitaloceanApp). Restart works for services on DigitalOcean App Platform (deployVia digitalocean); deploy the service again instead.",
    );
  });

  it("a dry run makes no call and lists the redeploy", async () => {
    const steps = await h.dryRun(plan("restart", { service: "worker", env: "prod" }));
    expect(steps.filter((s) => s.risk === "write").map((s) => s.requests)).toEqual([
      [`POST https://api.digitalocean.com/v2/apps/${APP}/deployments {"force_build":false}`],
    ]);
  });
});

describe("scale runbook", () => {
  it("reads the count, changes it, waits for the deployment and reads the new count back", async () => {
    let spec: App["app"]["spec"] | undefined;
    nock(DO)
      .get(`/v2/apps/${APP}`)
      .times(2)
      .reply(200, appWithWorkers(1))
      .put(`/v2/apps/${APP}`, (b: { spec: App["app"]["spec"] }) => ((spec = b.spec), true))
      .reply(200, appWithWorkers(3, DEPLOY))
      .get(`/v2/apps/${APP}/deployments/${DEPLOY}`)
      .reply(200, fixture("digitalocean/deployment-active.json"))
      .get(`/v2/apps/${APP}`)
      .reply(200, appWithWorkers(3));

    const { outcome, events, artifacts } = await h.run(plan("scale", { service: "worker", env: "prod", replicas: 3 }));

    expect(outcome.status).toBe("succeeded");
    expect(spec?.workers[0]).toMatchObject({ name: "worker", instance_count: 3 });
    expect(stepEvent(events, "step_succeeded", "current")?.message).toBe("component worker of the app: name worker, instanceCount 1");
    expect(stepEvent(events, "step_succeeded", "scale")?.message).toBe(
      `worker of sample-golang: 1 → 3 instances; deployment ${DEPLOY} PENDING_DEPLOY`,
    );
    expect(stepEvent(events, "step_succeeded", "check")?.message).toBe("worker with 3 instances: name worker, instanceCount 3");
    expect(artifacts.find((a) => a.kind === "diff")?.content).toBe("  worker:\n-   instance_count: 1\n+   instance_count: 3");
  });

  it("refuses a count App Platform does not take before reading or changing anything", async () => {
    const { outcome } = await h.run(plan("scale", { service: "worker", env: "prod", replicas: 0 }));

    expect(outcome).toMatchObject({ status: "failed", failedStep: "app-platform-range" });
    expect(outcome.status === "failed" && outcome.error).toBe(
      "worker in prod runs on DigitalOcean App Platform, which keeps 1 to 250 instances of a component; 0 cannot be set." +
        " Scale to at least 1; to stop the component, remove it from the app spec or pause the app in DigitalOcean.",
    );
    // Nothing was asked of DigitalOcean (nock would have thrown on an unexpected request).
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("a deployment that fails puts the count read in preflight back", async () => {
    const counts: number[] = [];
    nock(DO)
      .get(`/v2/apps/${APP}`)
      .times(2)
      .reply(200, appWithWorkers(1))
      .put(`/v2/apps/${APP}`)
      .reply(200, async (req: Request) => {
        const { spec } = (await req.json()) as { spec: App["app"]["spec"] };
        counts.push(spec.workers[0]!.instance_count);
        return appWithWorkers(3, DEPLOY);
      })
      .get(`/v2/apps/${APP}/deployments/${DEPLOY}`)
      .reply(200, fixture("digitalocean/deployment-error.json"))
      // Rollback: reads the spec (now 3), writes 1 back, waits for that deployment.
      .get(`/v2/apps/${APP}`)
      .reply(200, appWithWorkers(3))
      .put(`/v2/apps/${APP}`)
      .reply(200, async (req: Request) => {
        const { spec } = (await req.json()) as { spec: App["app"]["spec"] };
        counts.push(spec.workers[0]!.instance_count);
        return appWithWorkers(1, RESTORE);
      })
      .get(`/v2/apps/${APP}/deployments/${RESTORE}`)
      .reply(200, { deployment: { id: RESTORE, phase: "ACTIVE" } });

    const { outcome } = await h.run(plan("scale", { service: "worker", env: "prod", replicas: 3 }));

    expect(counts).toEqual([3, 1]);
    expect(outcome).toMatchObject({ status: "failed", failedStep: "wait" });
    expect(outcome.status === "failed" && outcome.error).toMatch(
      /^deployment b6bdf840-2854-4f87-a36c-5f231c617c84 ended ERROR at deploy › web: Your deploy failed because your container failed to pass health checks\./,
    );
    expect(outcome.summary).toContain("Rolled back: restore: worker of sample-golang: 3 → 1 instances");
    expect(outcome.summary).toContain(`wait-restore: deployment ${RESTORE} is ACTIVE`);
  });

  it("stops when cancelled while the spec change deploys, and puts the previous count back", async () => {
    nock(DO)
      .get(`/v2/apps/${APP}`)
      .times(2)
      .reply(200, appWithWorkers(1))
      .put(`/v2/apps/${APP}`)
      .reply(200, appWithWorkers(4, DEPLOY))
      .get(`/v2/apps/${APP}/deployments/${DEPLOY}`)
      .reply(hanging())
      // Rollback: reads the spec (now 4), writes 1 back, waits for that deployment.
      .get(`/v2/apps/${APP}`)
      .reply(200, appWithWorkers(4))
      .put(`/v2/apps/${APP}`)
      .reply(200, appWithWorkers(1, RESTORE))
      .get(`/v2/apps/${APP}/deployments/${RESTORE}`)
      .reply(200, { deployment: { id: RESTORE, phase: "ACTIVE" } });
    const { outcome, trail } = await h.run(plan("scale", { service: "worker", env: "prod", replicas: 4 }), {
      during: async (runId, events) => {
        await untilStepStarted(events, "wait");
        await h.store().requestCancel(runId, "U2");
      },
    });
    expect(outcome.status).toBe("cancelled");
    expect(outcome.summary).toContain("Rolled back: restore: worker of sample-golang: 4 → 1 instances");
    expect(trail).not.toContain("step_started after");
  });

  it("a dry run makes no call and lists the spec update", async () => {
    const steps = await h.dryRun(plan("scale", { service: "worker", env: "prod", replicas: 5 }));
    expect(steps.filter((s) => s.risk === "write").map((s) => [s.id, s.requests, s.note ?? null])).toEqual([
      [
        "scale",
        [
          `GET https://api.digitalocean.com/v2/apps/${APP}`,
          `PUT https://api.digitalocean.com/v2/apps/${APP} {"spec":"<current spec with worker.instance_count = 5>"}`,
        ],
        null,
      ],
      ["restore", [], "instanceCount comes from earlier steps at run time"],
    ]);
  });
});
