/**
 * The evidence sources triage reads, each against its provider's documented response shape (nock, network
 * off): changes and symptoms come back in the one evidence shape, error lines grouped by signature.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { createDigitaloceanAdapter } from "../../adapters/digitalocean/index.js";
import { createGithubAdapter } from "../../adapters/github/index.js";
import { createHistoryAdapter, type HistoryRun } from "../../adapters/history/index.js";
import { createHttpAdapter } from "../../adapters/http/index.js";
import type { ChangeEvidence, SymptomEvidence } from "../../adapters/shared/evidence.js";
import { createSupabaseAdapter } from "../../adapters/supabase/index.js";
import { createVercelAdapter } from "../../adapters/vercel/index.js";
import { ALL_CREDENTIALS, CANARY, expectAdapterError, fakeClock, fixture, fixturePath, hangingReply, makeCtx, useNock } from "./helpers.js";

const GH = "https://api.github.com";
const VC = "https://api.vercel.com";
const DO = "https://api.digitalocean.com";
const APP = "4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf";
const clock = () => fakeClock(Date.parse("2026-01-07T10:00:00Z"));
type Json = Record<string, unknown>;
const evidenceOf = (data: unknown) => (data as { evidence: Array<ChangeEvidence | SymptomEvidence> }).evidence;

describe("triage sources", () => {
  useNock();

  describe("http.checkAll", () => {
    const targets = [
      { name: "api", url: "https://api.example.com/healthz" },
      { name: "web", url: "https://web.example.com/" },
      { name: "payments", url: "https://payments.example.com/healthz" },
    ];
    const down = () => {
      nock("https://api.example.com").get("/healthz").reply(200, "ok");
      nock("https://web.example.com")
        .get("/")
        .replyWithError(Object.assign(new Error("getaddrinfo ENOTFOUND web.example.com"), { code: "ENOTFOUND" }));
      nock("https://payments.example.com").get("/healthz").reply(500, "boom");
    };

    it("checks every URL even when one is unreachable, and fails naming each one's state", async () => {
      down();
      const http = createHttpAdapter({ clock: clock() });
      const err = await expectAdapterError(http.actions.checkAll!.run({ env: "prod", targets }, makeCtx()), "HTTP_UNHEALTHY");
      expect(err.userMessage).toMatch(
        /^1 of 3 healthy in prod: api 200 OK in \d+ ms; web unreachable \(ENOTFOUND\); payments 500 Internal Server Error in \d+ ms\.$/,
      );
      expect(err.retryable).toBe(true);
    });

    it("for triage reports each service's health as evidence instead of failing", async () => {
      down();
      const http = createHttpAdapter({ clock: clock() });
      const result = await http.actions.checkAll!.run({ env: "prod", targets, failUnhealthy: false }, makeCtx());
      expect(result.summary).toMatch(/^1 of 3 healthy in prod: api 200 OK/);
      expect(evidenceOf(result.data)).toEqual([
        expect.objectContaining({ type: "symptom", kind: "health", service: "api", healthy: true, at: "2026-01-07T10:00:00.000Z" }),
        expect.objectContaining({ service: "web", healthy: false, detail: "unreachable (ENOTFOUND)" }),
        expect.objectContaining({
          service: "payments",
          healthy: false,
          detail: expect.stringMatching(/^500 Internal Server Error in \d+ ms$/),
        }),
      ]);
    });

    it("bounds the whole check: a URL that never answers is reported, the others still are", async () => {
      nock("https://api.example.com").get("/healthz").reply(200, "ok");
      nock("https://web.example.com").get("/").reply(hangingReply());
      const http = createHttpAdapter({ clock: clock() });
      const result = await http.actions.checkAll!.run(
        { env: "prod", targets: targets.slice(0, 2), timeoutMs: 200, failUnhealthy: false },
        makeCtx(),
      );
      expect(result.summary).toMatch(/^1 of 2 healthy in prod: api 200 OK in \d+ ms; web no answer within 200 ms$/);
    });
  });

  describe("http.fetchLogs", () => {
    it("reads newline-delimited JSON from an HTTP source with its token and groups the window's errors, dating each from its first line", async () => {
      const lines = [
        { time: "2026-01-07T09:01:00Z", level: "error", msg: "ECONNRESET upstream 10.0.0.3" },
        {
          time: "2026-01-07T09:42:00Z",
          level: "error",
          msg: "TypeError: cannot read 'amount' of undefined",
          stack: "TypeError: cannot read 'amount' of undefined\n    at charge (/app/src/payments/charge.ts:42:13)",
        },
        { time: "2026-01-07T09:43:00Z", level: "info", msg: "charged order 12" },
        { time: "2026-01-07T09:44:00Z", level: 50, msg: "TypeError: cannot read 'amount' of undefined" },
        { time: "2026-01-07T08:00:00Z", level: "error", msg: "ECONNRESET upstream 10.0.0.9" },
      ];
      nock("https://logs.example.com", { reqheaders: { authorization: "Bearer logs_CANARY_token" } })
        .get("/payments")
        .query({ from: "2026-01-07T09:00:00.000Z" })
        .reply(200, lines.map((l) => JSON.stringify(l)).join("\n"), { "content-type": "application/x-ndjson" });
      const http = createHttpAdapter({ clock: clock() });
      const result = await http.actions.fetchLogs!.run(
        {
          url: "https://logs.example.com/payments",
          since: "2026-01-07T09:00:00Z",
          sinceParam: "from",
          tokenEnv: "PAYMENTS_LOGS_TOKEN",
          service: "payments",
          env: "prod",
        },
        makeCtx({ credentials: { PAYMENTS_LOGS_TOKEN: "logs_CANARY_token" } }),
      );
      expect(result.summary).toBe(
        "3 error lines in 2 signatures from https://logs.example.com/payments since 2026-01-07T09:00:00.000Z; most frequent: `TypeError: cannot read 'amount' of undefined` ×2",
      );
      expect(evidenceOf(result.data)).toEqual([
        expect.objectContaining({
          type: "symptom",
          kind: "errors",
          service: "payments",
          env: "prod",
          at: "2026-01-07T09:42:00.000Z",
          endedAt: "2026-01-07T09:44:00.000Z",
          windowStart: "2026-01-07T09:00:00.000Z",
          signature: expect.objectContaining({ signature: "TypeError: cannot read 'amount' of undefined", count: 2 }),
        }),
        // Also seen before the window: its first sighting is that earlier line, so it is not new.
        expect.objectContaining({
          at: "2026-01-07T08:00:00.000Z",
          signature: expect.objectContaining({ signature: "ECONNRESET upstream <ip>", count: 1, firstSeen: "2026-01-07T08:00:00.000Z" }),
        }),
      ]);
      expect(JSON.stringify(result)).not.toContain("logs_CANARY_token");
    });

    it("reads a local log file (plain text, stack traces joined) relative to where opsroom runs", async () => {
      const dir = mkdtempSync(path.join(tmpdir(), "opsroom-logs-"));
      writeFileSync(
        path.join(dir, "app.log"),
        [
          "2026-01-07T09:50:00Z INFO listening on :3000",
          "2026-01-07T09:51:00Z ERROR Error: fault injected: payment provider timeout after 3000ms",
          "    at pay (/srv/app/src/pay.js:12:9)",
          "2026-01-07T09:52:00Z ERROR Error: fault injected: payment provider timeout after 2500ms",
          "    at pay (/srv/app/src/pay.js:12:9)",
        ].join("\n"),
      );
      const http = createHttpAdapter({ clock: clock(), baseDir: dir });
      const result = await http.actions.fetchLogs!.run({ url: "app.log", since: "2026-01-07T09:00:00Z", service: "sample" }, makeCtx());
      const [errors] = evidenceOf(result.data) as SymptomEvidence[];
      expect(errors?.signature).toMatchObject({
        signature: "Error: fault injected: payment provider timeout after <n>ms",
        count: 2,
        firstSeen: "2026-01-07T09:51:00.000Z",
      });
      expect(errors?.signature?.samples[0]).toContain("at pay (/srv/app/src/pay.js:12:9)");
    });

    it("says which file it cannot read", async () => {
      const http = createHttpAdapter({ clock: clock(), baseDir: "/nonexistent-dir" });
      const err = await expectAdapterError(http.actions.fetchLogs!.run({ url: "app.log" }, makeCtx()), "HTTP_LOGS_UNAVAILABLE");
      expect(err.userMessage).toBe("cannot read the log file /nonexistent-dir/app.log (ENOENT).");
    });
  });

  describe("github", () => {
    const github = () => createGithubAdapter({ clock: clock() });

    it("listDeployments: each deployment is a deploy change of the service, reached when it went live", async () => {
      nock(GH)
        .get("/repos/acme/payments/deployments")
        .query({ environment: "prod", per_page: "10" })
        .reply(200, fixture("github/deployments.json"))
        .get("/repos/acme/payments/deployments/2/statuses")
        .query({ per_page: "1" })
        .reply(200, [{ ...fixture<Json>("github/deployment-status.json"), state: "success", created_at: "2026-01-07T09:32:00Z" }])
        .get("/repos/acme/payments/deployments/1/statuses")
        .query({ per_page: "1" })
        .reply(200, [{ ...fixture<Json>("github/deployment-status.json"), state: "failure", created_at: "2026-01-06T16:05:00Z" }]);
      const result = await github().actions.listDeployments!.run(
        { repository: "acme/payments", environment: "prod", service: "payments" },
        makeCtx(),
      );
      expect(evidenceOf(result.data)).toEqual([
        expect.objectContaining({
          type: "change",
          kind: "deploy",
          service: "payments",
          env: "prod",
          at: "2026-01-07T09:30:00.000Z",
          endedAt: "2026-01-07T09:32:00.000Z",
          reached: true,
          state: "success",
          sha: "b84d88e7554fc1fa21bcbc4efae3c782a70d2b9e",
          repository: "acme/payments",
          link: "https://github.com/acme/payments/commit/b84d88e7554fc1fa21bcbc4efae3c782a70d2b9e",
        }),
        expect.objectContaining({ reached: false, state: "failure", ref: "v1.4.0" }),
      ]);
    });

    it("listWorkflowRuns: deploy workflow runs are deploys with no environment on record", async () => {
      nock(GH)
        .get("/repos/acme/api/actions/workflows/deploy.yml/runs")
        .query({ per_page: "10", created: ">=2026-01-07T08:00:00Z" })
        .reply(200, fixture("github/workflow-runs.json"));
      const result = await github().actions.listWorkflowRuns!.run(
        { repository: "acme/api", workflow: "deploy.yml", since: "2026-01-07T08:00:00Z", limit: 10, service: "api" },
        makeCtx(),
      );
      expect(result.summary).toBe("2 runs of deploy.yml in acme/api since 2026-01-07T08:00:00.000Z; latest #563 in_progress");
      expect(evidenceOf(result.data)).toEqual([
        expect.objectContaining({ kind: "deploy", service: "api", env: null, reached: false, state: "in_progress", endedAt: null }),
        expect.objectContaining({
          env: null,
          reached: true,
          state: "success",
          at: "2026-01-07T08:12:01.000Z",
          endedAt: "2026-01-07T08:15:30.000Z",
          sha: "9049f1265b7d61be4a8904a9a27120d2064dab3b",
          link: "https://github.com/acme/api/actions/runs/30433600",
        }),
      ]);
    });

    it("compareRefs: lists the changed files with their patches", async () => {
      nock(GH).get("/repos/acme/payments/compare/a84d88e...b84d88e").query(true).reply(200, fixture("triage/compare-with-files.json"));
      const result = await github().actions.compareRefs!.run({ repository: "acme/payments", base: "a84d88e", head: "b84d88e" }, makeCtx());
      expect((result.data as { files: unknown[] }).files).toEqual([
        { filename: "src/payments/charge.ts", status: "modified", patch: expect.stringContaining("@@ -38,7 +38,7 @@") },
        { filename: "README.md", status: "modified", patch: expect.any(String) },
      ]);
    });

    describe("openRevertPullRequest", () => {
      const args = {
        repository: "acme/payments",
        base: "main",
        badSha: "b84d88e7554fc1fa21bcbc4efae3c782a70d2b9e",
        goodSha: "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d",
      };
      const repo = "/repos/acme/payments";
      const shipped = {
        files: [
          { filename: "src/payments/charge.ts", status: "modified" },
          { filename: "src/payments/fees.ts", status: "added" },
        ],
      };

      function gitApi(changedSince: Array<{ filename: string; status: string }>, draft: boolean) {
        return nock(GH)
          .get(`${repo}/compare/${args.goodSha}...${args.badSha}`)
          .reply(200, shipped)
          .get(`${repo}/git/ref/heads/main`)
          .reply(200, fixture("github/git-ref.json"))
          .get(`${repo}/compare/${args.badSha}...${fixture<{ object: { sha: string } }>("github/git-ref.json").object.sha}`)
          .reply(200, { files: changedSince })
          .get(`${repo}/git/trees/${args.goodSha}`)
          .query({ recursive: "1" })
          .reply(200, fixture("triage/git-tree.json"))
          .get(`${repo}/git/commits/${fixture<{ object: { sha: string } }>("github/git-ref.json").object.sha}`)
          .reply(200, fixture("triage/git-commit.json"))
          .post(`${repo}/git/trees`, {
            base_tree: "9fb037999f264ba9a7fc6274d15fa3ae2ab98312",
            tree: [
              { path: "src/payments/charge.ts", mode: "100644", type: "blob", sha: "3d21ec53a331a6f037a91c368710b99387d012c1" },
              { path: "src/payments/fees.ts", mode: "100644", type: "blob", sha: null },
            ],
          })
          .reply(201, { sha: "cd8274d15fa3ae2ab983129fb037999f264ba9a7", tree: [] })
          .post(
            `${repo}/git/commits`,
            (body: { tree: string; parents: string[]; message: string }) =>
              body.tree === "cd8274d15fa3ae2ab983129fb037999f264ba9a7" &&
              body.parents.length === 1 &&
              body.message.startsWith("Revert b84d88e: back to a84d88e"),
          )
          .reply(201, { sha: "7638417db6d59f3c431d3e1f261cc637155684cd" })
          .post(`${repo}/git/refs`, { ref: "refs/heads/revert-b84d88e", sha: "7638417db6d59f3c431d3e1f261cc637155684cd" })
          .reply(201, { ref: "refs/heads/revert-b84d88e" })
          .post(
            `${repo}/pulls`,
            (body: { draft: boolean; head: string; base: string; body: string }) =>
              body.draft === draft && body.head === "revert-b84d88e" && body.base === "main",
          )
          .reply(201, fixture("github/pull.json"));
      }

      it("branches from main, commits the files back to what was live before the deploy, and opens the pull request", async () => {
        gitApi([], false);
        const result = await github().actions.openRevertPullRequest!.run(args, makeCtx());
        expect(result.summary).toBe('opened #1347 "Revert b84d88e: back to a84d88e" reverting 2 files in acme/payments');
        expect(result.artifacts?.[1]?.content).toBe("restore src/payments/charge.ts\ndelete  src/payments/fees.ts");
      });

      it("opens a draft that names the files main changed after the deploy, since the revert undoes those too", async () => {
        gitApi([{ filename: "src/payments/charge.ts", status: "modified" }], true);
        const result = await github().actions.openRevertPullRequest!.run(args, makeCtx());
        expect(result.summary).toContain("(draft: main changed 1 of them since)");
        expect(result.data).toMatchObject({ changedSince: ["src/payments/charge.ts"] });
      });

      it("on a dry run lists the calls and makes none", async () => {
        const result = await github().actions.openRevertPullRequest!.run(args, makeCtx({ dryRun: true }));
        expect(result.summary).toBe(
          'dry run: would open "Revert b84d88e: back to a84d88e" from revert-b84d88e into main in acme/payments, reverting the files a84d88e...b84d88e changed',
        );
      });
    });
  });

  describe("vercel", () => {
    const vercel = () => createVercelAdapter({ clock: clock(), team: "team_acme" });

    it("listDeployments: production deployments are deploys that reached the env when READY", async () => {
      nock(VC)
        .get("/v6/deployments")
        .query({ projectId: "acme-web", target: "production", limit: "10", teamId: "team_acme" })
        .reply(200, fixture("vercel/deployments.json"));
      const result = await vercel().actions.listDeployments!.run(
        { project: "acme-web", target: "production", limit: 10, service: "web", env: "prod" },
        makeCtx(),
      );
      expect(evidenceOf(result.data)[0]).toMatchObject({
        kind: "deploy",
        service: "web",
        env: "prod",
        at: "2026-01-07T12:46:40.000Z",
        reached: true,
        state: "READY",
        sha: "dc36199b2234c6586ebe05ec94078a895c707e29",
        link: "https://vercel.com/acme/acme-web/3fQh7VG1dbqHhsPDYMSXUZ1UCDCX",
      });
    });

    it("listDeployments: the newest production deployment's state is health, and a failed build is no health drop", async () => {
      const listed = fixture<{ deployments: Json[] }>("vercel/deployments.json");
      const failed = { ...listed.deployments[0], state: "ERROR", readyState: "ERROR" };
      nock(VC)
        .get("/v6/deployments")
        .query(true)
        .reply(200, { deployments: [failed, ...listed.deployments.slice(1)] });
      const result = await vercel().actions.listDeployments!.run(
        { project: "acme-web", target: "production", service: "web", env: "prod" },
        makeCtx(),
      );
      const state = evidenceOf(result.data).find((e) => e.type === "symptom");
      expect(state).toMatchObject({
        kind: "health",
        service: "web",
        healthy: null,
        detail: "newest production deployment dpl_3fQh7VG1dbqHhsPDYMSXUZ1UCDCX ERROR (the one before it still serves)",
      });
      expect(evidenceOf(result.data)[0]).toMatchObject({ type: "change", reached: false, state: "ERROR" });
    });

    it("getRuntimeLogs: reads the deployments live in the window and groups errors and 5xx requests by signature", async () => {
      const listed = fixture<{ deployments: Json[] }>("vercel/deployments.json");
      // One deployment made in the window (09:45) and the one live before it.
      const deployments = [
        { ...listed.deployments[0], created: Date.parse("2026-01-07T09:45:00Z") },
        { ...listed.deployments[1], created: Date.parse("2026-01-06T11:46:40Z") },
      ];
      nock(VC)
        .get("/v6/deployments")
        .query({ projectId: "acme-web", target: "production", state: "READY", limit: "10", teamId: "team_acme" })
        .reply(200, { deployments })
        .get("/v1/projects/acme-web/deployments/dpl_3fQh7VG1dbqHhsPDYMSXUZ1UCDCX/runtime-logs")
        .query({ teamId: "team_acme" })
        .reply(200, readFileSync(fixturePath("vercel/runtime-logs.ndjson"), "utf8"), { "content-type": "application/stream+json" })
        .get("/v1/projects/acme-web/deployments/dpl_2qn7PZrx89yxY34vEZPD31Y9XVj6/runtime-logs")
        .query({ teamId: "team_acme" })
        .reply(200, "", { "content-type": "application/stream+json" });
      const result = await vercel().actions.getRuntimeLogs!.run(
        { project: "acme-web", target: "production", since: "2026-01-07T09:40:00Z", service: "web", env: "prod" },
        makeCtx(),
      );
      expect(result.summary).toMatch(
        /^3 error lines in 2 signatures from Vercel runtime logs of acme-web \(dpl_3fQh7VG1dbqHhsPDYMSXUZ1UCDCX, dpl_2qn7PZrx89yxY34vEZPD31Y9XVj6\)/,
      );
      const groups = evidenceOf(result.data).map((e) => (e as SymptomEvidence).signature);
      expect(groups).toEqual([
        expect.objectContaining({
          signature: "TypeError: Cannot read properties of undefined (reading 'total')",
          count: 2,
          firstSeen: "2026-01-07T09:46:00.000Z",
          lastSeen: "2026-01-07T09:50:00.000Z",
        }),
        expect.objectContaining({ signature: "GET /api/cart/<n> → HTTP 502", count: 1 }),
      ]);
    });
  });

  describe("digitalocean", () => {
    const digitalocean = () => createDigitaloceanAdapter({ clock: clock() });

    it("listDeployments: ACTIVE and SUPERSEDED deployments reached the env, ERROR ones did not", async () => {
      nock(DO).get(`/v2/apps/${APP}/deployments`).query({ per_page: "10" }).reply(200, fixture("digitalocean/deployments.json"));
      const result = await digitalocean().actions.listDeployments!.run({ app: APP, service: "worker", env: "prod" }, makeCtx());
      expect(
        evidenceOf(result.data).map((e) => [
          (e as ChangeEvidence).state,
          (e as ChangeEvidence).reached,
          (e as ChangeEvidence).sha?.slice(0, 7),
        ]),
      ).toEqual([
        ["ACTIVE", true, "5e1c0f9"],
        ["ERROR", false, "0a1b2c3"],
        ["SUPERSEDED", true, "ffeeddc"],
      ]);
      expect(evidenceOf(result.data)[0]).toMatchObject({ at: "2026-01-07T09:40:00.000Z", endedAt: "2026-01-07T09:44:30.000Z" });
    });

    it("appHealth: each component's state and ready replicas as health symptoms", async () => {
      nock(DO).get(`/v2/apps/${APP}/health`).reply(200, fixture("digitalocean/app-health.json"));
      const result = await digitalocean().actions.appHealth!.run({ app: APP, env: "prod" }, makeCtx());
      expect(result.summary).toBe("1 of 2 components healthy: worker UNHEALTHY, 0/2 replicas ready; web HEALTHY, 1/1 replicas ready");
      expect(evidenceOf(result.data)).toEqual([
        expect.objectContaining({ kind: "health", service: "worker", healthy: false }),
        expect.objectContaining({ kind: "health", service: "web", healthy: true }),
      ]);
    });

    it("getLogs: follows the signed log links and groups the run log's errors by signature", async () => {
      nock(DO)
        .get(`/v2/apps/${APP}/components/worker/logs`)
        .query({ type: "RUN", follow: "false", pod_connection_timeout: "5s" })
        .reply(200, fixture("digitalocean/logs.json"));
      nock("https://logs.digitalocean.example")
        .get("/archive/worker-1.log")
        .query(true)
        .reply(200, readFileSync(fixturePath("digitalocean/run-log.txt"), "utf8"));
      const result = await digitalocean().actions.getLogs!.run(
        { app: APP, component: "worker", since: "2026-01-07T09:00:00Z", service: "worker", env: "prod" },
        makeCtx(),
      );
      const groups = evidenceOf(result.data).map((e) => (e as SymptomEvidence).signature!);
      expect(groups.map((g) => [g.signature, g.count, g.firstSeen])).toEqual([
        ["Error: connect ECONNREFUSED <ip>", 2, "2026-01-07T09:35:02.000Z"],
        ["panic: runtime error: invalid memory address or nil pointer dereference", 2, "2026-01-07T09:45:10.500Z"],
      ]);
      expect(groups[1]!.samples[0]).toContain("/app/internal/queue/consume.go:88");
    });
  });

  describe("supabase", () => {
    it("getLogs: reads each log source's error lines from the Management API, times in microseconds", async () => {
      const api = nock("https://api.supabase.com", { reqheaders: { authorization: `Bearer ${CANARY.SUPABASE_ACCESS_TOKEN}` } });
      api
        .get("/v1/projects/abcd1234/analytics/endpoints/logs.all")
        .query(
          (q) =>
            String(q.sql).includes("from postgres_logs") &&
            q.iso_timestamp_start === "2026-01-07T09:00:00.000Z" &&
            q.iso_timestamp_end === "2026-01-07T10:00:00.000Z",
        )
        .reply(200, fixture("supabase/logs-postgres.json"));
      api
        .get("/v1/projects/abcd1234/analytics/endpoints/logs.all")
        .query((q) => String(q.sql).includes("from edge_logs"))
        .reply(200, { result: [], error: null });
      const supabase = createSupabaseAdapter({ clock: clock() });
      const result = await supabase.actions.getLogs!.run(
        { since: "2026-01-07T09:00:00Z", sources: ["postgres_logs", "edge_logs"], env: "prod" },
        makeCtx(),
      );
      expect(evidenceOf(result.data).map((e) => (e as SymptomEvidence).signature!)).toEqual([
        expect.objectContaining({
          signature: 'relation "public.order_items" does not exist',
          count: 2,
          firstSeen: "2026-01-07T09:52:00.000Z",
        }),
        expect.objectContaining({
          signature: "canceling statement due to statement timeout",
          count: 1,
          firstSeen: "2026-01-07T09:00:00.000Z",
        }),
      ]);
    });

    it("listFlags: each flag's last change is a flag change in the env", async () => {
      nock(ALL_CREDENTIALS.SUPABASE_URL!, { reqheaders: { apikey: CANARY.SUPABASE_SERVICE_ROLE_KEY } })
        .get("/rest/v1/feature_flags")
        .query(true)
        .reply(200, fixture("supabase/feature-flags.json"));
      const supabase = createSupabaseAdapter({ clock: clock() });
      const result = await supabase.actions.listFlags!.run({ env: "prod" }, makeCtx());
      expect(evidenceOf(result.data)[0]).toMatchObject({
        type: "change",
        kind: "flag",
        env: "prod",
        reached: true,
        provider: "supabase",
        flag: { previous: null },
      });
    });
  });

  describe("history.listChanges", () => {
    const run = (over: Partial<HistoryRun>): HistoryRun => ({
      id: "00000000-0000-4000-8000-000000000001",
      runbook: "deploy",
      title: "Deploy",
      env: "prod",
      service: "api",
      params: {},
      status: "succeeded",
      mutationStarted: true,
      requestedBy: "U0ALICE01",
      approvedBy: ["U0BOB0001"],
      startedAt: new Date("2026-01-07T09:00:00Z"),
      finishedAt: new Date("2026-01-07T09:04:00Z"),
      origin: { channel: "C0OPS0001", messageTs: "1767776400.000100" },
      ...over,
    });

    it("turns opsroom's own runs into changes: who asked, who approved, and a flag's state before", async () => {
      const runs = [
        run({
          id: "30000000-0000-4000-8000-000000000003",
          runbook: "flag",
          title: "Feature flag",
          service: null,
          params: { flag: "homeDemoVariant", action: "rollout", percent: 50 },
          startedAt: new Date("2026-01-07T09:50:00Z"),
          finishedAt: new Date("2026-01-07T09:50:05Z"),
        }),
        run({
          id: "20000000-0000-4000-8000-000000000002",
          runbook: "flag",
          title: "Feature flag",
          service: null,
          params: { flag: "homeDemoVariant", action: "rollout", percent: 10 },
          startedAt: new Date("2026-01-07T09:20:00Z"),
        }),
        run({ id: "10000000-0000-4000-8000-000000000001", params: { ref: "v1.4.1" } }),
      ];
      const asked: unknown[] = [];
      const history = createHistoryAdapter({ clock: clock(), reader: { listRunHistory: async (q) => (asked.push(q), runs) } });
      const result = await history.actions.listChanges!.run({ env: "prod", since: "2026-01-07T09:30:00Z" }, makeCtx());
      expect(asked).toEqual([{ env: "prod", from: new Date("2026-01-06T09:30:00Z"), to: new Date("2026-01-07T10:00:00Z"), limit: 100 }]);
      const changes = evidenceOf(result.data) as ChangeEvidence[];
      expect(changes.map((c) => [c.kind, c.at])).toEqual([
        ["flag", "2026-01-07T09:50:00.000Z"],
        ["flag", "2026-01-07T09:20:00.000Z"],
        ["deploy", "2026-01-07T09:00:00.000Z"],
      ]);
      expect(changes[0]!.flag).toEqual({
        key: "homeDemoVariant",
        enabled: true,
        rolloutPercentage: 50,
        previous: { enabled: true, rolloutPercentage: 10 },
      });
      expect(changes[2]).toMatchObject({
        summary: "Deploy of api to v1.4.1 in prod (opsroom run 10000000 by U0ALICE01, approved by U0BOB0001): succeeded",
        reached: true,
        ref: "v1.4.1",
        link: "https://slack.com/archives/C0OPS0001/p1767776400000100",
        runId: "10000000-0000-4000-8000-000000000001",
      });
    });

    it("counts a failed run as a change only when it had started changing things and was not rolled back", async () => {
      const runs = [
        run({ status: "failed", mutationStarted: false, startedAt: new Date("2026-01-07T09:30:00Z") }),
        run({
          id: "c0000000-0000-4000-8000-000000000000",
          status: "failed",
          mutationStarted: true,
          rolledBack: true,
          startedAt: new Date("2026-01-07T09:40:00Z"),
        }),
        run({ id: "b0000000-0000-4000-8000-000000000000", status: "failed", mutationStarted: true }),
      ];
      const history = createHistoryAdapter({ clock: clock(), reader: { listRunHistory: async () => runs } });
      const result = await history.actions.listChanges!.run({ env: "prod" }, makeCtx());
      const changes = evidenceOf(result.data) as ChangeEvidence[];
      expect(changes.map((c) => c.reached)).toEqual([false, false, true]); // newest first
      expect(changes[0]!.summary).toMatch(/: failed, rolled back$/);
    });
  });
});
