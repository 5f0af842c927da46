/** The two actions added for the deploy and rollback runbooks: github.waitForDeployment and digitalocean.rollbackApp. */
import nock from "nock";
import { describe, expect, it } from "vitest";
import { createDigitaloceanAdapter } from "../../adapters/digitalocean/index.js";
import { createGithubAdapter } from "../../adapters/github/index.js";
import { expectAdapterError, fakeClock, fixture, makeCtx, useNock } from "./helpers.js";

const GH = "https://api.github.com";
const DO = "https://api.digitalocean.com";
const APP = "4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf";
const status = (state: string, extra: Record<string, unknown> = {}) => [
  { ...fixture<Record<string, unknown>>("github/deployment-status.json"), state, ...extra },
];

describe("github.waitForDeployment", () => {
  useNock();

  it("polls the latest status until the deploy listener reports success", async () => {
    const clock = fakeClock();
    nock(GH)
      .get("/repos/acme/payments/deployments/7/statuses")
      .query({ per_page: 1 })
      .reply(200, status("queued"))
      .get("/repos/acme/payments/deployments/7/statuses")
      .query({ per_page: 1 })
      .reply(200, status("in_progress"))
      .get("/repos/acme/payments/deployments/7/statuses")
      .query({ per_page: 1 })
      .reply(200, status("success", { description: "deployed by argo", log_url: "https://ci.example.com/7" }));
    const wait = createGithubAdapter({ clock }).actions.waitForDeployment!;
    const result = await wait.run({ repository: "acme/payments", deploymentId: 7, pollSeconds: 5 }, makeCtx());
    expect(result.summary).toBe("deployment 7 of acme/payments: success after 10.0 s (deployed by argo)");
    expect(clock.sleeps).toEqual([5000, 5000]);
    expect(result.artifacts).toEqual([{ kind: "link", title: "Deployment 7", url: "https://ci.example.com/7" }]);
  });

  it("fails on failure, and times out clearly when no listener picks the deployment up", async () => {
    nock(GH)
      .get("/repos/acme/payments/deployments/7/statuses")
      .query(true)
      .reply(200, status("failure", { description: "health check failed", log_url: "" }));
    const gh = createGithubAdapter({ clock: fakeClock() }).actions.waitForDeployment!;
    const failed = await expectAdapterError(
      gh.run({ repository: "acme/payments", deploymentId: 7 }, makeCtx()),
      "GITHUB_DEPLOYMENT_FAILED",
    );
    expect(failed.userMessage).toBe(
      "deployment 7 of acme/payments ended failure: health check failed — https://payments.staging.example.com",
    );

    nock(GH).get("/repos/acme/payments/deployments/8/statuses").query(true).times(3).reply(200, []);
    const timedOut = await expectAdapterError(
      gh.run({ repository: "acme/payments", deploymentId: 8, pollSeconds: 10, timeoutSeconds: 25 }, makeCtx()),
      "ADAPTER_TIMEOUT",
    );
    expect(timedOut.userMessage).toBe("deployment 8 of acme/payments is still without a status after 20.0 s.");
    expect(timedOut.hint).toMatch(/deploy listener/);
  });
});

describe("digitalocean.rollbackApp", () => {
  useNock();
  const rollback = createDigitaloceanAdapter().actions.rollbackApp!;
  const created = { deployment: { id: "c6bdf840-2854-4f87-a36c-5f231c617c85", phase: "PENDING_DEPLOY" } };

  it("goes back to the deployment that was live before the current one, unpinned", async () => {
    nock(DO)
      .get(`/v2/apps/${APP}/deployments`)
      .query({ per_page: 20 })
      .reply(200, {
        deployments: [
          { id: "e0000000-0000-4000-8000-000000000003", phase: "ERROR" },
          { id: "e0000000-0000-4000-8000-000000000002", phase: "ACTIVE" },
          {
            id: "e0000000-0000-4000-8000-000000000001",
            phase: "SUPERSEDED",
            services: [{ name: "web", source_commit_hash: "9a4df0b8e161e323bc3cdf1dc71878080fe144fa" }],
          },
        ],
      })
      .post(`/v2/apps/${APP}/rollback`, { deployment_id: "e0000000-0000-4000-8000-000000000001", skip_pin: true })
      .reply(200, created);
    const result = await rollback.run({ app: APP }, makeCtx());
    expect(result.summary).toBe(
      `rolling app ${APP} back to deployment e0000000-0000-4000-8000-000000000001 (9a4df0b), was e0000000-0000-4000-8000-000000000002: new deployment c6bdf840-2854-4f87-a36c-5f231c617c85 PENDING_DEPLOY`,
    );
    expect(result.data).toMatchObject({
      deploymentId: "c6bdf840-2854-4f87-a36c-5f231c617c85",
      rolledBackTo: "e0000000-0000-4000-8000-000000000001",
    });
  });

  it("rolls back to a given deployment without listing, and says when there is nothing earlier", async () => {
    nock(DO)
      .post(`/v2/apps/${APP}/rollback`, { deployment_id: "e0000000-0000-4000-8000-000000000001", skip_pin: false })
      .reply(200, created);
    await rollback.run({ app: APP, deploymentId: "e0000000-0000-4000-8000-000000000001", pin: true }, makeCtx());

    nock(DO)
      .get(`/v2/apps/${APP}/deployments`)
      .query(true)
      .reply(200, { deployments: [{ id: "e0000000-0000-4000-8000-000000000002", phase: "ACTIVE" }] });
    const err = await expectAdapterError(rollback.run({ app: APP }, makeCtx()), "DIGITALOCEAN_NO_PREVIOUS_DEPLOYMENT");
    expect(err.hint).toMatch(/deploymentId/);
  });
});
