import nock from "nock";
import { describe, expect, it } from "vitest";
import { createDigitaloceanAdapter } from "../../adapters/digitalocean/index.js";
import { CANARY, expectAdapterError, fakeClock, fixture, makeCtx, useNock } from "./helpers.js";

const APP = "4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf";
const DEPLOYMENT = "b6bdf840-2854-4f87-a36c-5f231c617c84";
const api = () => nock("https://api.digitalocean.com", { reqheaders: { authorization: `Bearer ${CANARY.DIGITALOCEAN_TOKEN}` } });

function digitalocean() {
  const clock = fakeClock();
  return { clock, adapter: createDigitaloceanAdapter({ clock }) };
}

describe("digitalocean", () => {
  useNock();

  it("getApp summarises the active deployment and components", async () => {
    api().get(`/v2/apps/${APP}`).reply(200, fixture("digitalocean/app.json"));
    const result = await digitalocean().adapter.actions.getApp!.run({ app: APP }, makeCtx());
    expect(result.summary).toBe(
      "sample-golang: active deployment 3aa4d20e-5527-4c00-b496-601fbd22520a ACTIVE at https://sample-golang-zyhgn.ondigitalocean.app; web (service ×2), worker (worker ×1), docs (static site)",
    );
    expect(result.artifacts?.[0]?.url).toBe(`https://cloud.digitalocean.com/apps/${APP}`);
  });

  it("getApp explains a 404 with DigitalOcean's message", async () => {
    api()
      .get(`/v2/apps/${APP}`)
      .reply(404, { id: "not_found", message: "The resource you were accessing could not be found.", request_id: "r1" });
    const err = await expectAdapterError(digitalocean().adapter.actions.getApp!.run({ app: APP }, makeCtx()), "DIGITALOCEAN_NOT_FOUND");
    expect(err.userMessage).toBe(
      `DigitalOcean: could not read app ${APP} (GET /apps/${APP} → 404 Not Found): The resource you were accessing could not be found.`,
    );
    expect(err.hint).toMatch(/digitaloceanApp/);
  });

  it("restartApp creates a deployment (force_build false by default)", async () => {
    api().post(`/v2/apps/${APP}/deployments`, { force_build: false }).reply(200, fixture("digitalocean/deployment-pending.json"));
    const result = await digitalocean().adapter.actions.restartApp!.run({ app: APP }, makeCtx());
    expect(result.summary).toBe(`started deployment ${DEPLOYMENT} of app ${APP} (PENDING_BUILD)`);
    expect(result.data).toMatchObject({ deploymentId: DEPLOYMENT });
  });

  it("scaleComponent changes only that component's instance_count and PUTs the whole spec back", async () => {
    const app = fixture<{ app: { spec: Record<string, unknown> } }>("digitalocean/app.json");
    const expected = structuredClone(app.app.spec) as { workers: Array<{ instance_count: number }> };
    expected.workers[0]!.instance_count = 3;
    api()
      .get(`/v2/apps/${APP}`)
      .reply(200, app)
      .put(`/v2/apps/${APP}`, { spec: expected })
      .reply(200, { app: { ...app.app, pending_deployment: { id: DEPLOYMENT, phase: "PENDING_DEPLOY" } } });
    const result = await digitalocean().adapter.actions.scaleComponent!.run({ app: APP, component: "worker", instanceCount: 3 }, makeCtx());
    expect(result.summary).toBe(`worker of sample-golang: 1 → 3 instances; deployment ${DEPLOYMENT} PENDING_DEPLOY`);
    expect(result.artifacts?.[0]?.content).toBe("  worker:\n-   instance_count: 1\n+   instance_count: 3");
    // The spec (with its env values) is never returned.
    expect(JSON.stringify(result)).not.toContain("EV[1:");
  });

  it("scaleComponent names the components when the one asked for is missing, and refuses static sites", async () => {
    api().get(`/v2/apps/${APP}`).times(2).reply(200, fixture("digitalocean/app.json"));
    const missing = await expectAdapterError(
      digitalocean().adapter.actions.scaleComponent!.run({ app: APP, component: "search", instanceCount: 2 }, makeCtx()),
      "DIGITALOCEAN_NOT_FOUND",
    );
    expect(missing.userMessage).toBe("sample-golang has no service or worker named search (it has: web, worker, docs).");
    const site = await expectAdapterError(
      digitalocean().adapter.actions.scaleComponent!.run({ app: APP, component: "docs", instanceCount: 2 }, makeCtx()),
      "DIGITALOCEAN_NOT_SCALABLE",
    );
    expect(site.userMessage).toBe("docs in sample-golang is a static site; only services and workers have an instance count.");
  });

  it("scaleComponent does nothing when the count is already right", async () => {
    api().get(`/v2/apps/${APP}`).reply(200, fixture("digitalocean/app.json"));
    const result = await digitalocean().adapter.actions.scaleComponent!.run({ app: APP, component: "web", instanceCount: 2 }, makeCtx());
    expect(result.summary).toBe("web of sample-golang already runs 2 instances; nothing to change");
  });

  it("getDeployment reports phase and progress", async () => {
    api().get(`/v2/apps/${APP}/deployments/${DEPLOYMENT}`).reply(200, fixture("digitalocean/deployment-active.json"));
    const result = await digitalocean().adapter.actions.getDeployment!.run({ app: APP, deploymentId: DEPLOYMENT }, makeCtx());
    expect(result.summary).toBe(`deployment ${DEPLOYMENT}: ACTIVE (6/6 steps)`);
  });

  it("waitForDeployment polls until ACTIVE", async () => {
    const { adapter, clock } = digitalocean();
    api()
      .get(`/v2/apps/${APP}/deployments/${DEPLOYMENT}`)
      .reply(200, fixture("digitalocean/deployment-pending.json"))
      .get(`/v2/apps/${APP}/deployments/${DEPLOYMENT}`)
      .reply(200, fixture("digitalocean/deployment-active.json"));
    const result = await adapter.actions.waitForDeployment!.run({ app: APP, deploymentId: DEPLOYMENT }, makeCtx());
    expect(result.summary).toBe(`deployment ${DEPLOYMENT} is ACTIVE after 10.0 s`);
    expect(clock.sleeps).toEqual([10_000]);
  });

  it("waitForDeployment fails with the failing step's reason", async () => {
    api().get(`/v2/apps/${APP}/deployments/${DEPLOYMENT}`).reply(200, fixture("digitalocean/deployment-error.json"));
    const err = await expectAdapterError(
      digitalocean().adapter.actions.waitForDeployment!.run({ app: APP, deploymentId: DEPLOYMENT }, makeCtx()),
      "DIGITALOCEAN_DEPLOYMENT_FAILED",
    );
    expect(err.userMessage).toBe(
      `deployment ${DEPLOYMENT} ended ERROR at deploy › web: Your deploy failed because your container failed to pass health checks.: https://cloud.digitalocean.com/apps/${APP}/deployments/${DEPLOYMENT}`,
    );
  });
});
