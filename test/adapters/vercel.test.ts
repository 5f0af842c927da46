import nock from "nock";
import { describe, expect, it } from "vitest";
import { createVercelAdapter } from "../../adapters/vercel/index.js";
import { CANARY, assertNoCanary, expectAdapterError, fakeClock, fixture, makeCtx, useNock } from "./helpers.js";

const API = "https://api.vercel.com";
const api = () => nock(API, { reqheaders: { authorization: `Bearer ${CANARY.VERCEL_TOKEN}` } });

function vercel(team?: string) {
  const clock = fakeClock();
  return { clock, adapter: createVercelAdapter({ clock, ...(team ? { team } : {}) }) };
}

describe("vercel", () => {
  useNock();

  describe("createDeployment", () => {
    it("POSTs /v13/deployments with a GitHub gitSource from the repository", async () => {
      api()
        .post("/v13/deployments", {
          name: "acme-web",
          project: "acme-web",
          target: "production",
          gitSource: { type: "github", org: "acme", repo: "web", ref: "main" },
          meta: { opsroom: "true" },
        })
        .query({ teamId: "team_1a2b3c4d5e6f7g8h9i0j1k2l" })
        .reply(200, fixture("vercel/deployment-created.json"));
      const result = await vercel("team_1a2b3c4d5e6f7g8h9i0j1k2l").adapter.actions.createDeployment!.run(
        { project: "acme-web", ref: "main", target: "production", repository: "acme/web" },
        makeCtx(),
      );
      expect(result.summary).toBe("acme-web@main → production: deployment dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ QUEUED");
      expect(result.data).toMatchObject({
        deploymentId: "dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ",
        url: "https://acme-web-8xk2la3b1-acme.vercel.app",
      });
      expect(result.artifacts?.[0]?.url).toBe("https://vercel.com/acme/acme-web/89qyp1cskzkLrVicDaZoDbjyHuDJ");
    });

    it("reads the project's linked repository when none is given, and omits target for previews", async () => {
      api()
        .get("/v9/projects/acme-web")
        .query({ slug: "acme" })
        .reply(200, fixture("vercel/project.json"))
        .post(
          "/v13/deployments",
          (body: Record<string, unknown>) =>
            body.target === undefined &&
            JSON.stringify(body.gitSource) === JSON.stringify({ type: "github", repoId: 123456789, ref: "feature/x" }),
        )
        .query({ slug: "acme" })
        .reply(200, { ...fixture<object>("vercel/deployment-created.json"), target: null });
      const result = await vercel().adapter.actions.createDeployment!.run(
        { project: "acme-web", ref: "feature/x", target: "preview", team: "acme" },
        makeCtx(),
      );
      expect(result.summary).toContain("→ preview");
    });

    it("explains a project with no Git connection", async () => {
      api().get("/v9/projects/acme-web").reply(200, { id: "prj_1", name: "acme-web", link: null });
      const err = await expectAdapterError(
        vercel().adapter.actions.createDeployment!.run({ project: "acme-web", ref: "main" }, makeCtx()),
        "VERCEL_NO_GIT_LINK",
      );
      expect(err.hint).toMatch(/Settings → Git/);
    });

    it("maps Vercel's error body and 403", async () => {
      api()
        .post("/v13/deployments")
        .reply(403, { error: { code: "forbidden", message: "Not authorized" } });
      const err = await expectAdapterError(
        vercel().adapter.actions.createDeployment!.run({ project: "acme-web", ref: "main", repository: "acme/web" }, makeCtx()),
        "VERCEL_FORBIDDEN",
      );
      expect(err.userMessage).toBe(
        "Vercel: could not deploy acme-web@main to preview (POST /v13/deployments → 403 Forbidden): Not authorized.",
      );
      expect(err.hint).toMatch(/vercelTeam/);
    });
  });

  describe("getDeployment / waitForDeployment", () => {
    it("reads one deployment", async () => {
      api().get("/v13/deployments/dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ").reply(200, fixture("vercel/deployment-ready.json"));
      const result = await vercel().adapter.actions.getDeployment!.run({ deploymentId: "dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ" }, makeCtx());
      expect(result.summary).toBe("dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ: READY (production) https://acme-web-8xk2la3b1-acme.vercel.app");
    });

    it("polls until READY", async () => {
      const { adapter, clock } = vercel();
      api()
        .get("/v13/deployments/dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ")
        .reply(200, { ...fixture<object>("vercel/deployment-created.json"), readyState: "BUILDING" })
        .get("/v13/deployments/dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ")
        .reply(200, fixture("vercel/deployment-ready.json"));
      const result = await adapter.actions.waitForDeployment!.run(
        { deploymentId: "dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ", pollSeconds: 3 },
        makeCtx(),
      );
      expect(result.summary).toBe("dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ is READY after 3.0 s: https://acme-web-8xk2la3b1-acme.vercel.app");
      expect(clock.sleeps).toEqual([3000]);
    });

    it("fails with Vercel's error message when the build fails", async () => {
      api().get("/v13/deployments/dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ").reply(200, fixture("vercel/deployment-error.json"));
      const err = await expectAdapterError(
        vercel().adapter.actions.waitForDeployment!.run({ deploymentId: "dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ" }, makeCtx()),
        "VERCEL_DEPLOYMENT_FAILED",
      );
      expect(err.userMessage).toBe(
        'Vercel deployment dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ ended ERROR: Command "npm run build" exited with 1 — https://vercel.com/acme/acme-web/89qyp1cskzkLrVicDaZoDbjyHuDJ',
      );
    });
  });

  describe("promote", () => {
    it("POSTs /v10/projects/{project}/promote/{deploymentId}", async () => {
      api().post("/v10/projects/acme-web/promote/dpl_2qn7PZrx89yxY34vEZPD31Y9XVj6").reply(201, {});
      const result = await vercel().adapter.actions.promote!.run(
        { project: "acme-web", deploymentId: "dpl_2qn7PZrx89yxY34vEZPD31Y9XVj6" },
        makeCtx(),
      );
      expect(result.summary).toBe("promoted dpl_2qn7PZrx89yxY34vEZPD31Y9XVj6 to production for acme-web");
    });

    it("says when Vercel only accepted it (202)", async () => {
      api().post("/v10/projects/acme-web/promote/dpl_2qn7PZrx89yxY34vEZPD31Y9XVj6").reply(202, "");
      const result = await vercel().adapter.actions.promote!.run(
        { project: "acme-web", deploymentId: "dpl_2qn7PZrx89yxY34vEZPD31Y9XVj6" },
        makeCtx(),
      );
      expect(result.summary).toContain("accepted; Vercel finishes it in the background");
    });
  });

  describe("rollback", () => {
    it("rolls back to the READY production deployment before the current one", async () => {
      api()
        .get("/v9/projects/acme-web")
        .reply(200, fixture("vercel/project.json"))
        .get("/v6/deployments")
        .query({ projectId: "acme-web", target: "production", state: "READY", limit: "20" })
        .reply(200, fixture("vercel/deployments.json"))
        .post("/v1/projects/acme-web/rollback/dpl_2qn7PZrx89yxY34vEZPD31Y9XVj6")
        .query({ description: "checkout 500s" })
        .reply(201, "");
      const result = await vercel().adapter.actions.rollback!.run({ project: "acme-web", description: "checkout 500s" }, makeCtx());
      expect(result.summary).toBe(
        "rolled acme-web production back to dpl_2qn7PZrx89yxY34vEZPD31Y9XVj6 (was dpl_3fQh7VG1dbqHhsPDYMSXUZ1UCDCX)",
      );
    });

    it("after an earlier rollback, goes back from what production serves now, not from the newest", async () => {
      const project = fixture<{ targets: { production: Record<string, unknown> } }>("vercel/project.json");
      project.targets.production = { id: "dpl_2qn7PZrx89yxY34vEZPD31Y9XVj6", createdAt: 1767700000000 };
      api()
        .get("/v9/projects/acme-web")
        .reply(200, project)
        .get("/v6/deployments")
        .query(true)
        .reply(200, fixture("vercel/deployments.json"))
        .post("/v1/projects/acme-web/rollback/dpl_1a2b3c4d5e6f7g8h9i0jklmnopqr")
        .reply(201, "");
      const result = await vercel().adapter.actions.rollback!.run({ project: "acme-web" }, makeCtx());
      expect(result.data).toMatchObject({
        deploymentId: "dpl_1a2b3c4d5e6f7g8h9i0jklmnopqr",
        previousDeploymentId: "dpl_2qn7PZrx89yxY34vEZPD31Y9XVj6",
      });
    });

    it("fails clearly when there is nothing older", async () => {
      const list = fixture<{ deployments: unknown[] }>("vercel/deployments.json");
      api()
        .get("/v9/projects/acme-web")
        .reply(200, fixture("vercel/project.json"))
        .get("/v6/deployments")
        .query(true)
        .reply(200, { ...list, deployments: list.deployments.slice(0, 1) });
      const err = await expectAdapterError(
        vercel().adapter.actions.rollback!.run({ project: "acme-web" }, makeCtx()),
        "VERCEL_NO_PREVIOUS_DEPLOYMENT",
      );
      expect(err.userMessage).toBe(
        "no READY production deployment of acme-web older than the current one (dpl_3fQh7VG1dbqHhsPDYMSXUZ1UCDCX) to roll back to.",
      );
    });

    it("rolls back to a given deployment directly", async () => {
      api().post("/v1/projects/acme-web/rollback/dpl_1a2b3c4d5e6f7g8h9i0jklmnopqr").reply(201, "");
      const result = await vercel().adapter.actions.rollback!.run(
        { project: "acme-web", deploymentId: "dpl_1a2b3c4d5e6f7g8h9i0jklmnopqr" },
        makeCtx(),
      );
      expect(result.summary).toBe("rolled acme-web production back to dpl_1a2b3c4d5e6f7g8h9i0jklmnopqr");
    });
  });

  describe("listDeployments", () => {
    it("GETs /v6/deployments filtered by project and target", async () => {
      api()
        .get("/v6/deployments")
        .query({ projectId: "acme-web", target: "production", limit: "3" })
        .reply(200, fixture("vercel/deployments.json"));
      const result = await vercel().adapter.actions.listDeployments!.run(
        { project: "acme-web", target: "production", limit: 3 },
        makeCtx(),
      );
      expect(result.summary).toMatch(/^3 deployments of acme-web \(production\); latest dpl_3fQh7VG1dbqHhsPDYMSXUZ1UCDCX READY at 2026-/);
      expect(result.artifacts?.[0]?.content?.split("\n")[0]).toBe(
        `${new Date(1767790000000).toISOString()}  dpl_3fQh7VG1dbqHhsPDYMSXUZ1UCDCX  READY  production  main (dc36199) — john-doe  https://acme-web-3fqh7vg1d-acme.vercel.app`,
      );
    });
  });

  describe("getLogs", () => {
    it("returns every event line in a text artifact and counts stderr", async () => {
      api()
        .get("/v3/deployments/dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ/events")
        .query({ follow: "0", limit: "-1", direction: "forward", since: "1767780000000" })
        .reply(200, fixture("vercel/events.json"));
      const result = await vercel().adapter.actions.getLogs!.run(
        { deploymentId: "dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ", since: "2026-01-07T10:00:00Z" },
        makeCtx(),
      );
      expect(result.summary).toBe(
        "5 log lines from dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ between 2026-01-07T10:00:00.000Z and now, 1 on stderr",
      );
      const log = result.artifacts?.[0];
      expect(log?.filename).toBe("vercel-dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ.log");
      expect(log?.content?.split("\n")).toEqual([
        '2026-01-07T10:00:01.000Z command Running "vercel build"',
        "2026-01-07T10:00:02.000Z stdout  Installing dependencies...",
        "2026-01-07T10:00:03.000Z stdout  added 812 packages in 14s",
        "2026-01-07T10:00:04.000Z stderr  Error: Cannot find module './checkout'",
        "2026-01-07T10:00:05.000Z exit    ",
      ]);
    });

    it("finds the project's latest deployment, keeps errors only, and scrubs secrets printed in the build", async () => {
      const events = [
        ...fixture<object[]>("vercel/events.json"),
        {
          type: "stderr",
          created: 1767780006000,
          payload: { text: `curl -H "Authorization: ${CANARY.inResponse.bearer}" failed; ${CANARY.inResponse.password}` },
        },
        { type: "stdout", created: 1767780007000, payload: { text: `using ${CANARY.VERCEL_TOKEN}` } },
      ];
      api()
        .get("/v6/deployments")
        .query({ projectId: "acme-web", limit: "1" })
        .reply(200, fixture("vercel/deployments.json"))
        .get("/v3/deployments/dpl_3fQh7VG1dbqHhsPDYMSXUZ1UCDCX/events")
        .query(true)
        .reply(200, events);
      const ctx = makeCtx();
      const result = await vercel().adapter.actions.getLogs!.run({ project: "acme-web", level: "error" }, ctx);
      expect(result.summary).toBe("2 log lines from dpl_3fQh7VG1dbqHhsPDYMSXUZ1UCDCX (errors only)");
      expect(result.artifacts?.[0]?.content).toContain('Authorization: Bearer [REDACTED]" failed; password=[REDACTED]');
      assertNoCanary(result, ctx.logs);
    });

    it("needs a deployment or a project", async () => {
      const err = await expectAdapterError(vercel().adapter.actions.getLogs!.run({}, makeCtx()), "ADAPTER_INVALID_ARGS");
      expect(err.userMessage).toBe("vercel.getLogs: needs deploymentId or project.");
    });
  });
});
