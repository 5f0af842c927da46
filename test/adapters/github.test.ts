import nock from "nock";
import { describe, expect, it } from "vitest";
import { createGithubAdapter } from "../../adapters/github/index.js";
import { CANARY, assertNoCanary, expectAdapterError, fakeClock, fixture, makeCtx, useNock } from "./helpers.js";

const API = "https://api.github.com";

function github() {
  const clock = fakeClock();
  return { clock, adapter: createGithubAdapter({ clock }) };
}

/** Every request must carry the documented headers. */
function api() {
  return nock(API, {
    reqheaders: {
      accept: "application/vnd.github+json",
      "x-github-api-version": "2022-11-28",
      authorization: `Bearer ${CANARY.GITHUB_TOKEN}`,
    },
  });
}

describe("github", () => {
  useNock();

  describe("getRepository", () => {
    it("summarises visibility, default branch and token access", async () => {
      api().get("/repos/acme/api").reply(200, fixture("github/repository.json"));
      const result = await github().adapter.actions.getRepository!.run({ repository: "acme/api" }, makeCtx());
      expect(result.summary).toBe("acme/api: private, default branch main, token can push");
      expect(result.data).toMatchObject({ defaultBranch: "main", private: true });
    });

    it("explains a 404 and never echoes the token GitHub sent back", async () => {
      api()
        .get("/repos/acme/nope")
        .reply(404, { message: `Not Found (token ${CANARY.GITHUB_TOKEN})`, documentation_url: "https://docs.github.com/rest" });
      const ctx = makeCtx();
      const err = await expectAdapterError(
        github().adapter.actions.getRepository!.run({ repository: "acme/nope" }, ctx),
        "GITHUB_NOT_FOUND",
      );
      expect(err.userMessage).toBe(
        "GitHub: could not get repository acme/nope (GET /repos/acme/nope → 404 Not Found): Not Found (token [REDACTED]).",
      );
      expect(err.hint).toMatch(/cannot see the repository/);
      assertNoCanary(err, err.hint, ctx.logs);
    });

    it("treats 403 with no rate limit left as retryable rate limiting", async () => {
      api()
        .get("/repos/acme/api")
        .reply(
          403,
          { message: "API rate limit exceeded" },
          { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 60) },
        );
      const err = await expectAdapterError(
        github().adapter.actions.getRepository!.run({ repository: "acme/api" }, makeCtx()),
        "GITHUB_RATE_LIMITED",
      );
      expect(err.retryable).toBe(true);
      expect(err.hint).toMatch(/retry after \d+ s/);
    });

    it("says 401 is about GITHUB_TOKEN", async () => {
      api().get("/repos/acme/api").reply(401, { message: "Bad credentials" });
      const err = await expectAdapterError(
        github().adapter.actions.getRepository!.run({ repository: "acme/api" }, makeCtx()),
        "GITHUB_UNAUTHORIZED",
      );
      expect(err.hint).toContain("GITHUB_TOKEN");
      expect(err.retryable).toBe(false);
    });

    it("retries 5xx", async () => {
      api().get("/repos/acme/api").reply(502, "<html>bad gateway</html>");
      const err = await expectAdapterError(
        github().adapter.actions.getRepository!.run({ repository: "acme/api" }, makeCtx()),
        "GITHUB_UNAVAILABLE",
      );
      expect(err.retryable).toBe(true);
      expect(err.userMessage).not.toContain("<html>");
    });
  });

  describe("dispatchWorkflow", () => {
    it("POSTs ref and inputs to the workflow's dispatches endpoint (204)", async () => {
      api()
        .post("/repos/acme/api/actions/workflows/deploy.yml/dispatches", { ref: "main", inputs: { environment: "staging" } })
        .reply(204);
      const result = await github().adapter.actions.dispatchWorkflow!.run(
        { repository: "acme/api", workflow: "deploy.yml", ref: "main", inputs: { environment: "staging" } },
        makeCtx(),
      );
      expect(result.summary).toBe("started deploy.yml on acme/api@main");
      expect(result.data).toMatchObject({ dispatchedAt: "2026-01-07T10:00:00.000Z", runId: null });
      expect(result.artifacts?.[0]?.url).toBe("https://github.com/acme/api/actions/workflows/deploy.yml");
    });

    it("reports GitHub's reason for a 422 (e.g. no workflow_dispatch trigger)", async () => {
      api()
        .post("/repos/acme/api/actions/workflows/deploy.yml/dispatches")
        .reply(422, { message: "Workflow does not have 'workflow_dispatch' trigger", documentation_url: "https://docs.github.com" });
      const err = await expectAdapterError(
        github().adapter.actions.dispatchWorkflow!.run({ repository: "acme/api", workflow: "deploy.yml", ref: "main" }, makeCtx()),
        "GITHUB_INVALID",
      );
      expect(err.userMessage).toContain("Workflow does not have 'workflow_dispatch' trigger");
    });

    it("dry run describes the exact call and makes none", async () => {
      const result = await github().adapter.actions.dispatchWorkflow!.run(
        { repository: "acme/api", workflow: "deploy.yml", ref: "v1.2.3", inputs: { environment: "prod" } },
        makeCtx({ dryRun: true }),
      );
      expect(result.summary).toBe(
        'dry run: would POST https://api.github.com/repos/acme/api/actions/workflows/deploy.yml/dispatches {"ref":"v1.2.3","inputs":{"environment":"prod"}}',
      );
    });
  });

  describe("waitForWorkflowRun", () => {
    it("finds the run created after the dispatch, follows it until completed, links it", async () => {
      const { adapter, clock } = github();
      const runs = fixture<{ workflow_runs: Array<Record<string, unknown>> }>("github/workflow-runs.json");
      api()
        .get("/repos/acme/api/actions/workflows/deploy.yml/runs")
        .query({ branch: "main", event: "workflow_dispatch", per_page: "20", created: ">=2026-01-07T09:59:50Z" })
        .reply(200, { total_count: 0, workflow_runs: [] })
        .get("/repos/acme/api/actions/workflows/deploy.yml/runs")
        .query(true)
        .reply(200, runs)
        .get("/repos/acme/api/actions/runs/30433643")
        .reply(200, { ...runs.workflow_runs[0], status: "in_progress" })
        .get("/repos/acme/api/actions/runs/30433643")
        .reply(200, fixture("github/workflow-run-completed.json"));
      const ctx = makeCtx();
      const result = await adapter.actions.waitForWorkflowRun!.run(
        { repository: "acme/api", workflow: "deploy.yml", ref: "main", createdAfter: "2026-01-07T10:00:00Z", pollSeconds: 5 },
        ctx,
      );
      expect(result.summary).toBe("deploy.yml on acme/api@main: run #563 succeeded in 4m05s");
      expect(result.artifacts).toEqual([
        { kind: "link", title: "deploy.yml run #563", url: "https://github.com/acme/api/actions/runs/30433643" },
      ]);
      expect(clock.sleeps).toEqual([5000, 5000, 5000]);
    });

    it("fails with the run's URL and the failed job and step", async () => {
      api()
        .get("/repos/acme/api/actions/runs/30433643")
        .reply(200, { ...fixture<object>("github/workflow-run-completed.json"), conclusion: "failure" })
        .get("/repos/acme/api/actions/runs/30433643/jobs")
        .query({ filter: "latest", per_page: "100" })
        .reply(200, fixture("github/workflow-jobs-failed.json"));
      const err = await expectAdapterError(
        github().adapter.actions.waitForWorkflowRun!.run(
          { repository: "acme/api", workflow: "deploy.yml", ref: "main", runId: 30433643 },
          makeCtx(),
        ),
        "GITHUB_WORKFLOW_FAILED",
      );
      expect(err.userMessage).toBe(
        'deploy.yml on acme/api@main: run #563 finished with conclusion failure (job "deploy" failure at step "Run migrations"): https://github.com/acme/api/actions/runs/30433643',
      );
    });

    it("refuses to guess which run is ours without createdAfter or runId", async () => {
      const err = await expectAdapterError(
        github().adapter.actions.waitForWorkflowRun!.run({ repository: "acme/api", workflow: "deploy.yml", ref: "main" }, makeCtx()),
        "ADAPTER_INVALID_ARGS",
      );
      expect(err.userMessage).toBe(
        "github.waitForWorkflowRun: needs createdAfter (the dispatch step's dispatchedAt) or runId, so an earlier run is never taken for this one.",
      );
    });

    it("times out with ADAPTER_TIMEOUT naming the run when it never completes", async () => {
      const running = { ...fixture<object>("github/workflow-run-completed.json"), status: "in_progress", conclusion: null };
      api().get("/repos/acme/api/actions/runs/30433643").times(4).reply(200, running);
      const err = await expectAdapterError(
        github().adapter.actions.waitForWorkflowRun!.run(
          { repository: "acme/api", workflow: "deploy.yml", ref: "main", runId: 30433643, pollSeconds: 10, timeoutSeconds: 30 },
          makeCtx(),
        ),
        "ADAPTER_TIMEOUT",
      );
      expect(err.userMessage).toBe(
        "deploy.yml on acme/api@main: run #563 is still in_progress after 30.0 s: https://github.com/acme/api/actions/runs/30433643",
      );
    });

    it("stops polling at once when the step is cancelled", async () => {
      const running = { ...fixture<object>("github/workflow-run-completed.json"), status: "queued", conclusion: null };
      api().get("/repos/acme/api/actions/runs/30433643").reply(200, running);
      const ctx = makeCtx();
      // Cancelled while it waits between two polls (not mid-request: that is the contract tests' case).
      const adapter = createGithubAdapter({
        clock: {
          now: () => Date.now(),
          sleep: (_ms, signal) => {
            setImmediate(() => ctx.controller.abort());
            return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
          },
        },
      });
      const pending = adapter.actions.waitForWorkflowRun!.run(
        { repository: "acme/api", workflow: "deploy.yml", ref: "main", runId: 30433643 },
        ctx,
      );
      await expectAdapterError(pending, "ADAPTER_ABORTED");
      expect(nock.isDone()).toBe(true); // one poll, then nothing more
    });
  });

  describe("createDeployment", () => {
    it("creates the deployment without auto-merge, then marks it queued", async () => {
      api()
        .post("/repos/acme/payments/deployments", {
          ref: "main",
          environment: "staging",
          description: "opsroom: deploy main to staging",
          auto_merge: false,
          payload: { opsroom_run_id: "run-1" },
        })
        .reply(201, fixture("github/deployment.json"))
        .post("/repos/acme/payments/deployments/1/statuses", { state: "queued", description: "opsroom run run-1" })
        .reply(201, fixture("github/deployment-status.json"));
      const result = await github().adapter.actions.createDeployment!.run(
        { repository: "acme/payments", ref: "main", environment: "staging" },
        makeCtx(),
      );
      expect(result.summary).toBe("deployment 1 of acme/payments@main (a84d88e) to staging: queued");
      expect(result.data).toMatchObject({ deploymentId: 1, sha: "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d" });
    });

    it("reports failing commit status checks (409) as a conflict", async () => {
      api().post("/repos/acme/payments/deployments").reply(409, { message: "Conflict: Commit status checks failed for main." });
      const err = await expectAdapterError(
        github().adapter.actions.createDeployment!.run({ repository: "acme/payments", ref: "main", environment: "prod" }, makeCtx()),
        "GITHUB_CONFLICT",
      );
      expect(err.userMessage).toContain("Commit status checks failed for main.");
    });
  });

  describe("setDeploymentStatus", () => {
    it("posts the state with its URLs", async () => {
      api()
        .post("/repos/acme/payments/deployments/1/statuses", { state: "success", environment_url: "https://payments.staging.example.com" })
        .reply(201, { ...fixture<object>("github/deployment-status.json"), state: "success" });
      const result = await github().adapter.actions.setDeploymentStatus!.run(
        { repository: "acme/payments", deploymentId: "1", state: "success", environmentUrl: "https://payments.staging.example.com" },
        makeCtx(),
      );
      expect(result.summary).toBe("deployment 1 of acme/payments: success");
    });
  });

  describe("listDeployments", () => {
    it("lists recent deployments with each one's latest status", async () => {
      api()
        .get("/repos/acme/payments/deployments")
        .query({ environment: "prod", per_page: "2" })
        .reply(200, fixture("github/deployments.json"))
        .get("/repos/acme/payments/deployments/2/statuses")
        .query({ per_page: "1" })
        .reply(200, [{ ...fixture<object>("github/deployment-status.json"), state: "failure", created_at: "2026-01-07T09:31:00Z" }])
        .get("/repos/acme/payments/deployments/1/statuses")
        .query({ per_page: "1" })
        .reply(200, [{ ...fixture<object>("github/deployment-status.json"), state: "success" }]);
      const result = await github().adapter.actions.listDeployments!.run(
        { repository: "acme/payments", environment: "prod", limit: 2 },
        makeCtx(),
      );
      expect(result.summary).toBe("2 recent deployments of acme/payments to prod; latest v1.4.1 (b84d88e) failure at 2026-01-07T09:30:00Z");
      expect(result.artifacts?.[0]?.content).toBe(
        [
          "2026-01-07T09:30:00Z  #2  v1.4.1 (b84d88e) → prod: failure — octocat",
          "2026-01-06T16:00:00Z  #1  v1.4.0 (a84d88e) → prod: success — hubot",
        ].join("\n"),
      );
    });
  });

  describe("compareRefs", () => {
    it('lists commits "sha7 message — author" with aheadBy', async () => {
      api().get("/repos/acme/api/compare/staging...main").query({ per_page: "100", page: "1" }).reply(200, fixture("github/compare.json"));
      const result = await github().adapter.actions.compareRefs!.run({ repository: "acme/api", base: "staging", head: "main" }, makeCtx());
      expect(result.summary).toBe("main is 2 commits ahead of staging");
      expect(result.data).toMatchObject({ aheadBy: 2, commits: [{ sha: "7638417db6d59f3c431d3e1f261cc637155684cd" }, {}] });
      expect(result.artifacts?.[0]?.content).toBe("7638417 Fix checkout rounding — octocat\n0328041 Bump dependencies — Hubot");
      expect(result.artifacts?.[1]).toEqual({
        kind: "link",
        title: "Compare staging...main",
        url: "https://github.com/acme/api/compare/staging...main",
      });
    });

    it("keeps slashes in branch names and pages until every commit is listed", async () => {
      const page1 = fixture<{ commits: unknown[] }>("github/compare.json");
      const many = Array.from({ length: 100 }, (_, i) => ({
        sha: `${String(i).padStart(7, "0")}aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa`,
        commit: { message: `change ${i}`, author: { name: "dev" } },
        author: null,
      }));
      api()
        .get("/repos/acme/api/compare/release/1.x...feature/new-checkout")
        .query({ per_page: "100", page: "1" })
        .reply(200, { ...page1, ahead_by: 102, total_commits: 102, commits: many })
        .get("/repos/acme/api/compare/release/1.x...feature/new-checkout")
        .query({ per_page: "100", page: "2" })
        .reply(200, { ...page1, ahead_by: 102, total_commits: 102 });
      const result = await github().adapter.actions.compareRefs!.run(
        { repository: "acme/api", base: "release/1.x", head: "feature/new-checkout" },
        makeCtx(),
      );
      expect((result.data as { commits: unknown[] }).commits).toHaveLength(102);
      expect(result.artifacts?.[0]?.content?.split("\n")).toHaveLength(102);
    });

    it("says which ref is missing on 404", async () => {
      api().get("/repos/acme/api/compare/staging...main").query(true).reply(404, { message: "Not Found" });
      const err = await expectAdapterError(
        github().adapter.actions.compareRefs!.run({ repository: "acme/api", base: "staging", head: "main" }, makeCtx()),
        "GITHUB_NOT_FOUND",
      );
      expect(err.userMessage).toContain("compare staging...main in acme/api");
    });

    it("on a first deploy (nothing deployed to compare with) names the head commit that will ship", async () => {
      api().get("/repos/acme/api/compare/staging...main").query(true).reply(404, { message: "Not Found" });
      api()
        .get("/repos/acme/api/commits/main")
        .reply(200, {
          sha: "7638417db6d59f3c431d3e1f261cc637155684cd",
          html_url: "https://github.com/acme/api/commit/7638417db6d59f3c431d3e1f261cc637155684cd",
          commit: { message: "Fix checkout rounding\n\nlong body", author: { name: "Mona" } },
          author: { login: "octocat" },
        });
      const result = await github().adapter.actions.compareRefs!.run(
        { repository: "acme/api", base: "staging", head: "main", baseMayBeMissing: true },
        makeCtx(),
      );
      expect(result.summary).toBe("nothing to compare with: staging is not in acme/api (a first deploy?); main is 7638417");
      expect(result.data).toMatchObject({ status: "no_base", commits: [], headSha: "7638417db6d59f3c431d3e1f261cc637155684cd" });
      expect(result.artifacts?.[0]?.content).toBe("7638417 Fix checkout rounding — octocat");
    });

    it("on a first deploy still fails when the head ref does not exist", async () => {
      api().get("/repos/acme/api/compare/staging...mian").query(true).reply(404, { message: "Not Found" });
      api().get("/repos/acme/api/commits/mian").reply(404, { message: "No commit found for SHA: mian" });
      const err = await expectAdapterError(
        github().adapter.actions.compareRefs!.run(
          { repository: "acme/api", base: "staging", head: "mian", baseMayBeMissing: true },
          makeCtx(),
        ),
        "GITHUB_NOT_FOUND",
      );
      expect(err.userMessage).toContain("find mian in acme/api");
    });
  });

  describe("openPullRequest", () => {
    const args = {
      repository: "acme/api",
      base: "main",
      branch: "opsroom/flags-1",
      title: "Enable featureMatrix",
      body: "Requested in #ops",
      files: [
        { path: "config/flags.yml", content: "featureMatrix: true\n" },
        { path: "docs/new.md", content: "# New\n" },
      ],
    };

    it("branches from base, commits each file (updating existing ones by sha) and opens the PR", async () => {
      api()
        .get("/repos/acme/api/git/ref/heads/main")
        .reply(200, fixture("github/git-ref.json"))
        .post("/repos/acme/api/git/refs", { ref: "refs/heads/opsroom/flags-1", sha: "aa218f56b14c9653891f9e74264a383fa43fefbd" })
        .reply(201, fixture("github/git-ref.json"))
        .get("/repos/acme/api/contents/config/flags.yml")
        .query({ ref: "opsroom/flags-1" })
        .reply(200, fixture("github/contents-file.json"))
        .put("/repos/acme/api/contents/config/flags.yml", {
          message: "Enable featureMatrix (config/flags.yml)",
          branch: "opsroom/flags-1",
          content: Buffer.from("featureMatrix: true\n").toString("base64"),
          sha: "3d21ec53a331a6f037a91c368710b99387d012c1",
        })
        .reply(200, fixture("github/contents-put.json"))
        .get("/repos/acme/api/contents/docs/new.md")
        .query({ ref: "opsroom/flags-1" })
        .reply(404, { message: "Not Found" })
        .put(
          "/repos/acme/api/contents/docs/new.md",
          (body: Record<string, unknown>) => body.sha === undefined && body.branch === "opsroom/flags-1",
        )
        .reply(201, fixture("github/contents-put.json"))
        .post("/repos/acme/api/pulls", {
          title: "Enable featureMatrix",
          head: "opsroom/flags-1",
          base: "main",
          body: "Requested in #ops",
          draft: false,
        })
        .reply(201, fixture("github/pull.json"));
      const result = await github().adapter.actions.openPullRequest!.run(args, makeCtx());
      expect(result.summary).toBe('opened #1347 "Enable featureMatrix" (2 files) in acme/api');
      expect(result.artifacts?.[0]).toEqual({
        kind: "link",
        title: "#1347 Enable featureMatrix",
        url: "https://github.com/acme/api/pull/1347",
      });
    });

    it("says the branch already exists (422 on create ref)", async () => {
      api()
        .get("/repos/acme/api/git/ref/heads/main")
        .reply(200, fixture("github/git-ref.json"))
        .post("/repos/acme/api/git/refs")
        .reply(422, { message: "Reference already exists" });
      const err = await expectAdapterError(github().adapter.actions.openPullRequest!.run(args, makeCtx()), "GITHUB_BRANCH_EXISTS");
      expect(err.userMessage).toBe("branch opsroom/flags-1 already exists in acme/api (or is not a valid name).");
    });

    it("dry run lists every call with file sizes instead of contents", async () => {
      const result = await github().adapter.actions.openPullRequest!.run(args, makeCtx({ dryRun: true }));
      expect(result.summary).toBe(
        'dry run: would branch opsroom/flags-1 from main in acme/api, commit 2 files and open "Enable featureMatrix"',
      );
      const calls = (result.data as { calls: Array<{ method: string; url: string }> }).calls;
      expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
        "GET https://api.github.com/repos/acme/api/git/ref/heads/main",
        "POST https://api.github.com/repos/acme/api/git/refs",
        "GET https://api.github.com/repos/acme/api/contents/config/flags.yml?ref=opsroom%2Fflags-1",
        "PUT https://api.github.com/repos/acme/api/contents/config/flags.yml",
        "GET https://api.github.com/repos/acme/api/contents/docs/new.md?ref=opsroom%2Fflags-1",
        "PUT https://api.github.com/repos/acme/api/contents/docs/new.md",
        "POST https://api.github.com/repos/acme/api/pulls",
      ]);
      expect(result.artifacts?.find((a) => a.kind === "diff")?.content).toBe(
        "+++ b/config/flags.yml\n+featureMatrix: true\n+++ b/docs/new.md\n+# New",
      );
    });
  });

  it("uses GitHub Enterprise Server URLs when configured", async () => {
    nock("https://ghe.example.com").get("/api/v3/repos/acme/api").reply(200, fixture("github/repository.json"));
    const adapter = createGithubAdapter({ apiUrl: "https://ghe.example.com/api/v3" });
    const result = await adapter.actions.getRepository!.run({ repository: "acme/api" }, makeCtx());
    expect(result.summary).toContain("acme/api");
    const dry = await adapter.actions.dispatchWorkflow!.run(
      { repository: "acme/api", workflow: "deploy.yml", ref: "main" },
      makeCtx({ dryRun: true }),
    );
    expect(dry.summary).toContain("https://ghe.example.com/api/v3/repos/acme/api/actions/workflows/deploy.yml/dispatches");
  });
});
