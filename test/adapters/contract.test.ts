/**
 * The shared contract every action of every adapter passes: it rejects bad args clearly, honours abort
 * (already aborted, and mid-call on a request that never answers), does nothing on a dry run when it
 * writes, and never returns or logs a secret (canary credentials, and credential-shaped text planted in
 * provider responses).
 */
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createAdapters,
  type ChecklistStore,
  type MigrationHistoryStore,
  type RolloutScheduler,
  type RunHistoryReader,
} from "../../adapters/index.js";
import type { AdapterAction } from "../../adapters/types.js";
import { createActionLookup } from "../../src/executor/action-catalog.js";
import {
  ALL_CREDENTIALS,
  CANARY,
  assertNoCanary,
  expectAdapterError,
  fakeClock,
  fixture,
  fixturePath,
  hangingReply,
  makeCtx,
  useNock,
} from "./helpers.js";
import { itWhere } from "../support/it-where.js";

const GH = "https://api.github.com";
const VC = "https://api.vercel.com";
const DO = "https://api.digitalocean.com";
const SB = ALL_CREDENTIALS.SUPABASE_URL!;
const APP = "4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf";
const DEPLOY = "b6bdf840-2854-4f87-a36c-5f231c617c84";
const R = CANARY.inResponse;
/** One line that carries every credential-shaped canary a provider might echo. */
const LEAK = `token ${R.githubToken} ${R.bearer} ${R.jwt} ${R.password} ${R.doToken} ${CANARY.GITHUB_TOKEN} ${CANARY.VERCEL_TOKEN}`;

type Json = Record<string, unknown>;

/** opsroom's own history, with a run whose text carries every planted secret. */
const history: RunHistoryReader = {
  listRunHistory: async () => [
    {
      id: "00000000-0000-4000-8000-000000000001",
      runbook: "deploy",
      title: `Deploy ${LEAK}`,
      env: "prod",
      service: "api",
      params: { ref: "main" },
      status: "succeeded",
      mutationStarted: true,
      requestedBy: "U0ALICE01",
      approvedBy: [],
      startedAt: new Date("2026-01-07T09:00:00Z"),
      finishedAt: new Date("2026-01-07T09:05:00Z"),
      origin: {},
    },
  ],
};
/** The rollout schedule: no live rollout, and a start that records nothing but answers like the store. */
const rollouts: RolloutScheduler = {
  liveRollout: async () => undefined,
  startRollout: async () => ({ id: "00000000-0000-4000-8000-0000000000aa", firstAt: new Date("2026-01-07T10:00:00Z") }),
  startRelease: async () => ({ id: "00000000-0000-4000-8000-0000000000bb", firstAt: new Date("2026-01-07T10:00:00Z") }),
  recordChange: async () => {},
  changesOf: async () => ({
    name: "legacy-migration",
    status: "succeeded",
    changes: [
      { stage: 1, kind: "deploy", env: "prod", subject: "api", before: { sha: "abc1234", note: LEAK }, at: "2026-01-07T10:00:00Z" },
    ],
  }),
};
/** The checklist's store, in memory, with a planted secret in a step's notes. */
const checklistStore: ChecklistStore = {
  listChecklistStates: async () => [
    {
      stepId: "backfill",
      status: "blocked",
      owner: "Ops",
      notes: `waiting ${LEAK}`,
      updatedBy: "U0ALICE01",
      updatedAt: new Date("2026-01-07T07:00:00Z"),
    },
  ],
  updateChecklistStep: async (u) => ({
    stepId: u.stepId,
    status: u.status ?? u.defaults.status,
    owner: u.owner ?? u.defaults.owner,
    notes: u.notes ?? u.defaults.notes,
    previous: null,
    changedBy: "U0ALICE01",
    changedAt: u.at,
    runId: u.runId,
  }),
  listChecklistHistory: async () => [],
  latestBoardData: async () => ({
    content: JSON.stringify({ blocks: [{ block: "migrations", verdict: "no", blocking: [`Supabase migrations: ${LEAK}`], missing: [] }] }),
    finishedAt: new Date("2026-01-07T09:00:00Z"),
  }),
};
const CHECKLIST = [
  { id: "backfill", title: "Backfill & reconciliation", lane: "Supabase", status: "blocked", owner: "Ops", block: "dual-write" },
];
/** opsroom's migration history, in memory: every file failed on staging once, with a planted secret in its error. */
const migrationHistory: MigrationHistoryStore = {
  recordMigrationFiles: async () => {},
  migrationFileRuns: async (names) =>
    names.map((fileName) => ({
      env: "staging",
      fileName,
      checksum: "0".repeat(64),
      outcome: "failed" as const,
      dryRun: false,
      durationMs: 1200,
      error: `boom ${LEAK}`,
      runId: null,
      at: new Date("2026-01-07T09:00:00Z"),
    })),
  latestDryRun: async () => [],
};
const adapters = createAdapters({
  clock: fakeClock(),
  baseDir: fixturePath("postgres"),
  shellEnv: { PATH: process.env.PATH },
  history,
  rollouts,
  checklist: checklistStore,
  migrationHistory,
});
const lookup = createActionLookup(adapters);

interface Scenario {
  args: Json;
  /** Bad args and the fields the error must name. */
  bad: { args: unknown; fields: string[] };
  /** The first request the action makes: [method, origin, path]; absent when it makes none. */
  first?: [string, string, string];
  /** Interceptors for a full successful run whose responses carry planted secrets. */
  happy?: () => void;
  /** Why a check does not apply to this action. */
  skip?: Partial<Record<"abortMidCall" | "secrets", string>>;
}

const runsWithLeak = () => {
  const runs = fixture<{ workflow_runs: Json[] }>("github/workflow-runs.json");
  return runs.workflow_runs.map((r) => ({ ...r, display_title: LEAK }));
};

const scenarios: Record<string, Scenario> = {
  "http.check": {
    args: { name: "api", url: "https://api.example.com/healthz", expectBody: "ok" },
    bad: { args: { name: "", url: "ftp://x", method: "POST" }, fields: ["name", "url", "method"] },
    first: ["GET", "https://api.example.com", "/healthz"],
    happy: () => void nock("https://api.example.com").get("/healthz").reply(200, `ok ${LEAK}`),
  },
  "http.checkAll": {
    args: { env: "prod", targets: [{ name: "api", url: "https://api.example.com/healthz" }] },
    bad: { args: { env: "prod", targets: [{ name: "api" }], failUnhealthy: "maybe" }, fields: ["targets.0.url", "failUnhealthy"] },
    first: ["GET", "https://api.example.com", "/healthz"],
    happy: () => void nock("https://api.example.com").get("/healthz").reply(200, `ok ${LEAK}`),
  },
  "http.fetchLogs": {
    args: { url: "https://logs.example.com/api", since: "2026-01-07T09:00:00Z" },
    bad: { args: { url: "", format: "xml", tokenEnv: "lower" }, fields: ["url", "format", "tokenEnv"] },
    first: ["GET", "https://logs.example.com", "/api"],
    happy: () =>
      void nock("https://logs.example.com")
        .get("/api")
        .reply(200, `2026-01-07T09:30:00Z ERROR login failed ${LEAK}\n2026-01-07T09:31:00Z ERROR login failed ${LEAK}`),
  },
  "http.fetchTime": {
    args: { url: "https://feeds.example.com/status", field: "data.updatedAt" },
    bad: { args: { url: "", tokenEnv: "lower" }, fields: ["url", "tokenEnv"] },
    first: ["GET", "https://feeds.example.com", "/status"],
    happy: () =>
      void nock("https://feeds.example.com")
        .get("/status")
        .reply(200, { data: { updatedAt: "2026-01-07T09:00:00Z", note: LEAK } }),
  },
  "http.resolveTargets": {
    args: { env: "staging", targets: [{ name: "api", url: "https://api.example.com/healthz?token=CANARYquery123" }] },
    bad: { args: { env: "staging", targets: [{ name: "api" }] }, fields: ["targets.0.url"] },
    skip: { abortMidCall: "makes no call: it only checks the list the planner gave it" },
  },
  "github.getRepository": {
    args: { repository: "acme/api" },
    bad: { args: { repository: "acme" }, fields: ["repository"] },
    first: ["GET", GH, "/repos/acme/api"],
    happy: () =>
      void nock(GH)
        .get("/repos/acme/api")
        .reply(200, { ...fixture<Json>("github/repository.json"), full_name: `acme/api ${R.githubToken}` }),
  },
  "github.lastCommit": {
    args: { repository: "acme/api", path: "convex/schema.ts" },
    bad: { args: { repository: "acme", path: "" }, fields: ["repository", "path"] },
    first: ["GET", GH, "/repos/acme/api/commits"],
    happy: () =>
      void nock(GH)
        .get("/repos/acme/api/commits")
        .query({ path: "convex/schema.ts", per_page: "1" })
        .reply(
          200,
          fixture<Json[]>("github/commits.json").map((c) => ({ ...c, commit: { ...(c.commit as Json), message: LEAK } })),
        ),
  },
  "github.dispatchWorkflow": {
    args: { repository: "acme/api", workflow: "deploy.yml", ref: "main", inputs: { environment: "staging" } },
    bad: { args: { repository: "acme/api", workflow: "deploy.sh", ref: "bad ref" }, fields: ["workflow", "ref"] },
    first: ["POST", GH, "/repos/acme/api/actions/workflows/deploy.yml/dispatches"],
    happy: () =>
      void nock(GH)
        .post("/repos/acme/api/actions/workflows/deploy.yml/dispatches")
        .reply(200, { workflow_run_id: 1, html_url: `https://github.com/x?${R.password}` }),
  },
  "github.waitForWorkflowRun": {
    args: { repository: "acme/api", workflow: "deploy.yml", ref: "main", createdAfter: "2026-01-07T10:00:00Z" },
    bad: { args: { repository: "acme/api", workflow: "deploy.yml", ref: "main", pollSeconds: 0 }, fields: ["pollSeconds"] },
    first: ["GET", GH, "/repos/acme/api/actions/workflows/deploy.yml/runs"],
    happy: () =>
      void nock(GH)
        .get("/repos/acme/api/actions/workflows/deploy.yml/runs")
        .query(true)
        .reply(200, { total_count: 2, workflow_runs: runsWithLeak() })
        .get("/repos/acme/api/actions/runs/30433643")
        .reply(200, {
          ...fixture<Json>("github/workflow-run-completed.json"),
          html_url: `https://github.com/acme/api/actions/runs/1?${R.password}`,
        }),
  },
  "github.createDeployment": {
    args: { repository: "acme/payments", ref: "main", environment: "staging" },
    bad: {
      args: { repository: "acme/payments", ref: "main", environment: "", initialState: "success" },
      fields: ["environment", "initialState"],
    },
    first: ["POST", GH, "/repos/acme/payments/deployments"],
    happy: () =>
      void nock(GH)
        .post("/repos/acme/payments/deployments")
        .reply(201, { ...fixture<Json>("github/deployment.json"), ref: `main ${R.githubToken}` })
        .post("/repos/acme/payments/deployments/1/statuses")
        .reply(201, fixture("github/deployment-status.json")),
  },
  "github.setDeploymentStatus": {
    args: { repository: "acme/payments", deploymentId: 1, state: "success" },
    bad: { args: { repository: "acme/payments", deploymentId: "one", state: "done" }, fields: ["deploymentId", "state"] },
    first: ["POST", GH, "/repos/acme/payments/deployments/1/statuses"],
    happy: () =>
      void nock(GH)
        .post("/repos/acme/payments/deployments/1/statuses")
        .reply(201, { ...fixture<Json>("github/deployment-status.json"), state: `success ${R.jwt}` }),
  },
  "github.waitForDeployment": {
    args: { repository: "acme/payments", deploymentId: 1 },
    bad: { args: { repository: "acme/payments", deploymentId: 0, pollSeconds: 0 }, fields: ["deploymentId", "pollSeconds"] },
    first: ["GET", GH, "/repos/acme/payments/deployments/1/statuses"],
    happy: () =>
      void nock(GH)
        .get("/repos/acme/payments/deployments/1/statuses")
        .query(true)
        .reply(200, [
          { ...fixture<Json>("github/deployment-status.json"), state: "success", description: LEAK, log_url: `https://x/?${R.password}` },
        ]),
  },
  "github.listDeployments": {
    args: { repository: "acme/payments", limit: 1 },
    bad: { args: { repository: "acme/payments", limit: 1000 }, fields: ["limit"] },
    first: ["GET", GH, "/repos/acme/payments/deployments"],
    happy: () =>
      void nock(GH)
        .get("/repos/acme/payments/deployments")
        .query(true)
        .reply(200, [{ ...fixture<Json[]>("github/deployments.json")[0], description: LEAK, ref: `v1 ${R.githubToken}` }])
        .get("/repos/acme/payments/deployments/2/statuses")
        .query(true)
        .reply(200, [{ ...fixture<Json>("github/deployment-status.json"), environment_url: `https://x/?${R.password}` }]),
  },
  "github.listWorkflowRuns": {
    args: { repository: "acme/api", workflow: "deploy.yml", since: "2026-01-07T08:00:00Z" },
    bad: { args: { repository: "acme/api", workflow: "deploy.sh", limit: 0 }, fields: ["workflow", "limit"] },
    first: ["GET", GH, "/repos/acme/api/actions/workflows/deploy.yml/runs"],
    happy: () =>
      void nock(GH)
        .get("/repos/acme/api/actions/workflows/deploy.yml/runs")
        .query(true)
        .reply(200, { total_count: 2, workflow_runs: runsWithLeak() }),
  },
  "github.openRevertPullRequest": {
    args: { repository: "acme/payments", base: "main", badSha: "b84d88e7554f", goodSha: "a84d88e7554f" },
    bad: { args: { repository: "acme/payments", base: "main", badSha: "HEAD~1", goodSha: "" }, fields: ["badSha", "goodSha"] },
    first: ["GET", GH, "/repos/acme/payments/compare/a84d88e7554f...b84d88e7554f"],
    happy: () => {
      const head = fixture<{ object: { sha: string } }>("github/git-ref.json").object.sha;
      nock(GH)
        .get("/repos/acme/payments/compare/a84d88e7554f...b84d88e7554f")
        .reply(200, { files: [{ filename: "src/payments/charge.ts", status: "modified" }] })
        .get("/repos/acme/payments/git/ref/heads/main")
        .reply(200, fixture("github/git-ref.json"))
        .get(`/repos/acme/payments/compare/b84d88e7554f...${head}`)
        .reply(200, { files: [] })
        .get("/repos/acme/payments/git/trees/a84d88e7554f")
        .query(true)
        .reply(200, fixture("triage/git-tree.json"))
        .get(`/repos/acme/payments/git/commits/${head}`)
        .reply(200, fixture("triage/git-commit.json"))
        .post("/repos/acme/payments/git/trees")
        .reply(201, { sha: "cd8274d15fa3ae2ab983129fb037999f264ba9a7" })
        .post("/repos/acme/payments/git/commits")
        .reply(201, { sha: "7638417db6d59f3c431d3e1f261cc637155684cd" })
        .post("/repos/acme/payments/git/refs")
        .reply(201, { ref: "refs/heads/revert-b84d88e" })
        .post("/repos/acme/payments/pulls")
        .reply(201, { ...fixture<Json>("github/pull.json"), html_url: `https://github.com/acme/payments/pull/1?${R.password}` });
    },
  },
  "github.compareRefs": {
    args: { repository: "acme/api", base: "staging", head: "main" },
    bad: { args: { repository: "acme/api", base: "a..b" }, fields: ["base", "head"] },
    first: ["GET", GH, "/repos/acme/api/compare/staging...main"],
    happy: () => {
      const cmp = fixture<{ commits: Array<{ commit: Json }> }>("github/compare.json");
      cmp.commits[0]!.commit = { ...cmp.commits[0]!.commit, message: `rotate leaked ${LEAK}` };
      nock(GH).get("/repos/acme/api/compare/staging...main").query(true).reply(200, cmp);
    },
  },
  "github.openPullRequest": {
    args: {
      repository: "acme/api",
      base: "main",
      branch: "opsroom/x",
      title: "t",
      files: [{ path: "a.txt", content: `secret ${R.githubToken}` }],
    },
    bad: {
      args: { repository: "acme/api", base: "main", branch: "opsroom/x", title: "t", files: [{ path: "../etc/passwd", content: "" }] },
      fields: ["files.0.path"],
    },
    first: ["GET", GH, "/repos/acme/api/git/ref/heads/main"],
    happy: () =>
      void nock(GH)
        .get("/repos/acme/api/git/ref/heads/main")
        .reply(200, fixture("github/git-ref.json"))
        .post("/repos/acme/api/git/refs")
        .reply(201, fixture("github/git-ref.json"))
        .get("/repos/acme/api/contents/a.txt")
        .query(true)
        .reply(404, { message: `Not Found ${R.bearer}` })
        .put("/repos/acme/api/contents/a.txt")
        .reply(201, fixture("github/contents-put.json"))
        .post("/repos/acme/api/pulls")
        .reply(201, { ...fixture<Json>("github/pull.json"), html_url: `https://github.com/acme/api/pull/1347?${R.password}` }),
  },
  "vercel.createDeployment": {
    args: { project: "acme-web", ref: "main", target: "production", repository: "acme/web" },
    bad: { args: { project: "acme web", ref: "main", target: "qa" }, fields: ["project", "target"] },
    first: ["POST", VC, "/v13/deployments"],
    happy: () =>
      void nock(VC)
        .post("/v13/deployments")
        .reply(200, { ...fixture<Json>("vercel/deployment-created.json"), readyState: `QUEUED ${R.jwt}` }),
  },
  "vercel.getDeployment": {
    args: { deploymentId: "dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ" },
    bad: { args: { deploymentId: "dpl 1" }, fields: ["deploymentId"] },
    first: ["GET", VC, "/v13/deployments/dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ"],
    happy: () =>
      void nock(VC)
        .get("/v13/deployments/dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ")
        .reply(200, { ...fixture<Json>("vercel/deployment-ready.json"), url: `x.vercel.app/?${R.password}` }),
  },
  "vercel.waitForDeployment": {
    args: { deploymentId: "dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ" },
    bad: { args: { deploymentId: "dpl_1", timeoutSeconds: 1 }, fields: ["timeoutSeconds"] },
    first: ["GET", VC, "/v13/deployments/dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ"],
    happy: () =>
      void nock(VC)
        .get("/v13/deployments/dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ")
        .reply(200, { ...fixture<Json>("vercel/deployment-ready.json"), inspectorUrl: `https://vercel.com/x?${R.password}` }),
  },
  "vercel.promote": {
    args: { project: "acme-web", deploymentId: "dpl_2qn7PZrx89yxY34vEZPD31Y9XVj6" },
    bad: { args: { project: "acme-web" }, fields: ["deploymentId"] },
    first: ["POST", VC, "/v10/projects/acme-web/promote/dpl_2qn7PZrx89yxY34vEZPD31Y9XVj6"],
    happy: () => void nock(VC).post("/v10/projects/acme-web/promote/dpl_2qn7PZrx89yxY34vEZPD31Y9XVj6").reply(201, { message: LEAK }),
  },
  "vercel.rollback": {
    args: { project: "acme-web" },
    bad: { args: { project: "" }, fields: ["project"] },
    first: ["GET", VC, "/v9/projects/acme-web"],
    happy: () => {
      const list = fixture<{ deployments: Json[] }>("vercel/deployments.json");
      list.deployments[1] = { ...list.deployments[1], meta: { githubCommitMessage: LEAK } };
      nock(VC)
        .get("/v9/projects/acme-web")
        .reply(200, fixture("vercel/project.json"))
        .get("/v6/deployments")
        .query(true)
        .reply(200, list)
        .post("/v1/projects/acme-web/rollback/dpl_2qn7PZrx89yxY34vEZPD31Y9XVj6")
        .reply(201, { message: LEAK });
    },
  },
  "vercel.listDeployments": {
    args: { project: "acme-web", target: "production" },
    bad: { args: { project: "acme-web", target: "prod", state: "DONE" }, fields: ["target", "state"] },
    first: ["GET", VC, "/v6/deployments"],
    happy: () => {
      const list = fixture<{ deployments: Json[] }>("vercel/deployments.json");
      list.deployments[0] = {
        ...list.deployments[0],
        meta: { githubCommitRef: `main ${R.githubToken}`, githubCommitMessage: LEAK },
        creator: { username: R.jwt },
      };
      nock(VC).get("/v6/deployments").query(true).reply(200, list);
    },
  },
  "vercel.getLogs": {
    args: { deploymentId: "dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ" },
    bad: { args: { deploymentId: "dpl_1", since: "yesterday-ish" }, fields: ["since"] },
    first: ["GET", VC, "/v3/deployments/dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ/events"],
    happy: () =>
      void nock(VC)
        .get("/v3/deployments/dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ/events")
        .query(true)
        .reply(200, [
          ...fixture<Json[]>("vercel/events.json"),
          { type: "stdout", created: 1767780006000, payload: { text: `env: ${LEAK}` } },
        ]),
  },
  "vercel.getRuntimeLogs": {
    args: { project: "acme-web", target: "production", since: "2026-01-07T09:00:00Z", readSeconds: 1 },
    bad: { args: { project: "acme web", readSeconds: 0 }, fields: ["project", "readSeconds"] },
    first: ["GET", VC, "/v6/deployments"],
    happy: () => {
      const list = fixture<{ deployments: Json[] }>("vercel/deployments.json");
      nock(VC)
        .get("/v6/deployments")
        .query(true)
        .reply(200, { deployments: [list.deployments[0]] })
        .get("/v1/projects/acme-web/deployments/dpl_3fQh7VG1dbqHhsPDYMSXUZ1UCDCX/runtime-logs")
        .query(true)
        .reply(200, JSON.stringify({ level: "error", message: `auth failed ${LEAK}`, timestampInMs: 1767777600000 }));
    },
  },
  "supabase.listFlags": {
    args: { env: "prod" },
    bad: { args: { env: "" }, fields: ["env"] },
    first: ["GET", SB, "/rest/v1/feature_flags"],
    happy: () =>
      void nock(SB)
        .get("/rest/v1/feature_flags")
        .query(true)
        .reply(
          200,
          fixture<Json[]>("supabase/feature-flags.json").map((f) => ({ ...f, description: LEAK, metadata: { cohorts: [R.githubToken] } })),
        ),
  },
  "supabase.getFlag": {
    args: { flag: "featureMatrix", env: "prod" },
    bad: { args: { flag: "feature matrix", env: "prod" }, fields: ["flag"] },
    first: ["GET", SB, "/rest/v1/feature_flags"],
    happy: () =>
      void nock(SB)
        .get("/rest/v1/feature_flags")
        .query(true)
        .reply(200, [{ ...fixture<Json[]>("supabase/feature-flags.json")[1], description: LEAK }]),
  },
  "supabase.setFlag": {
    args: { flag: "featureMatrix", env: "prod", enabled: true },
    bad: { args: { flag: "featureMatrix", env: "prod", rolloutPercentage: 150 }, fields: ["rolloutPercentage"] },
    first: ["GET", SB, "/rest/v1/feature_flags"],
    happy: () => {
      const row = { ...fixture<Json[]>("supabase/feature-flags.json")[1], description: LEAK, metadata: { cohorts: [R.bearer] } };
      nock(SB)
        .get("/rest/v1/feature_flags")
        .query(true)
        .reply(200, [row])
        .patch("/rest/v1/feature_flags")
        .query(true)
        .reply(200, [{ ...row, is_enabled: true }]);
    },
  },
  "supabase.health": {
    args: {},
    bad: { args: { verbose: true }, fields: ["verbose"] },
    first: ["GET", SB, "/auth/v1/health"],
    happy: () => {
      nock(SB).get("/auth/v1/health").reply(200, { version: R.jwt, name: LEAK });
      nock(SB).head("/rest/v1/feature_flags").query(true).reply(200, "", { "content-range": "*/2" });
    },
  },
  "supabase.getLogs": {
    args: { since: "2026-01-07T09:00:00Z", sources: ["postgres_logs"] },
    bad: { args: { sources: ["auth_logs"], projectRef: "x" }, fields: ["sources.0", "projectRef"] },
    first: ["GET", "https://api.supabase.com", "/v1/projects/abcd1234/analytics/endpoints/logs.all"],
    happy: () =>
      void nock("https://api.supabase.com")
        .get("/v1/projects/abcd1234/analytics/endpoints/logs.all")
        .query(true)
        .reply(200, { result: [{ timestamp: 1767777600000000, event_message: `password authentication failed ${LEAK}`, level: "ERROR" }] }),
  },
  "digitalocean.listDeployments": {
    args: { app: APP },
    bad: { args: { app: "sample", limit: 0 }, fields: ["app", "limit"] },
    first: ["GET", DO, `/v2/apps/${APP}/deployments`],
    happy: () => {
      const list = fixture<{ deployments: Json[] }>("digitalocean/deployments.json");
      list.deployments[0] = { ...list.deployments[0], cause: LEAK };
      nock(DO).get(`/v2/apps/${APP}/deployments`).query(true).reply(200, list);
    },
  },
  "digitalocean.appHealth": {
    args: { app: APP },
    bad: { args: { app: "sample", service: 3 }, fields: ["app", "service"] },
    first: ["GET", DO, `/v2/apps/${APP}/health`],
    happy: () =>
      void nock(DO)
        .get(`/v2/apps/${APP}/health`)
        .reply(200, { app_health: { components: [{ name: `worker ${R.doToken}`, state: "HEALTHY" }] } }),
  },
  "digitalocean.getLogs": {
    args: { app: APP, component: "worker", readSeconds: 1 },
    bad: { args: { app: APP, component: "Worker_1" }, fields: ["component"] },
    first: ["GET", DO, `/v2/apps/${APP}/components/worker/logs`],
    happy: () => {
      nock(DO)
        .get(`/v2/apps/${APP}/components/worker/logs`)
        .query(true)
        .reply(200, { historic_urls: ["https://logs.digitalocean.example/archive/1.log"] });
      nock("https://logs.digitalocean.example").get("/archive/1.log").reply(200, `worker 2026-01-07T09:00:00Z Error: boom ${LEAK}`);
    },
  },
  "digitalocean.getApp": {
    args: { app: APP },
    bad: { args: { app: "sample-golang" }, fields: ["app"] },
    first: ["GET", DO, `/v2/apps/${APP}`],
    happy: () => {
      const app = fixture<{ app: Json & { spec: Json } }>("digitalocean/app.json");
      app.app.live_url = `https://x/?${R.password}`;
      app.app.spec.name = `sample ${R.doToken}`;
      nock(DO).get(`/v2/apps/${APP}`).reply(200, app);
    },
  },
  "digitalocean.restartApp": {
    args: { app: APP },
    bad: { args: { app: APP, forceBuild: "yes" }, fields: ["forceBuild"] },
    first: ["POST", DO, `/v2/apps/${APP}/deployments`],
    happy: () => {
      const d = fixture<{ deployment: Json }>("digitalocean/deployment-pending.json");
      d.deployment.phase = `PENDING_BUILD ${R.doToken}`;
      nock(DO).post(`/v2/apps/${APP}/deployments`).reply(200, d);
    },
  },
  "digitalocean.scaleComponent": {
    args: { app: APP, component: "worker", instanceCount: 3 },
    bad: { args: { app: APP, component: "Worker!", instanceCount: 0 }, fields: ["component", "instanceCount"] },
    first: ["GET", DO, `/v2/apps/${APP}`],
    happy: () => {
      const app = fixture<{ app: Json & { spec: Json } }>("digitalocean/app.json");
      app.app.spec.name = `sample ${R.doToken}`;
      nock(DO)
        .get(`/v2/apps/${APP}`)
        .reply(200, app)
        .put(`/v2/apps/${APP}`)
        .reply(200, { app: { ...app.app, pending_deployment: { id: DEPLOY, phase: LEAK } } });
    },
  },
  "digitalocean.rollbackApp": {
    args: { app: APP },
    bad: { args: { app: APP, deploymentId: "previous", pin: "yes" }, fields: ["deploymentId", "pin"] },
    first: ["GET", DO, `/v2/apps/${APP}/deployments`],
    happy: () =>
      void nock(DO)
        .get(`/v2/apps/${APP}/deployments`)
        .query(true)
        .reply(200, {
          deployments: [
            { id: DEPLOY, phase: "ACTIVE", cause: LEAK },
            { id: "3aa4d20e-5527-4c00-b496-601fbd22520a", phase: "SUPERSEDED", cause: LEAK },
          ],
        })
        .post(`/v2/apps/${APP}/rollback`)
        .reply(200, { deployment: { id: "c6bdf840-2854-4f87-a36c-5f231c617c85", phase: `PENDING_DEPLOY ${R.doToken}` } }),
  },
  "digitalocean.getDeployment": {
    args: { app: APP, deploymentId: DEPLOY },
    bad: { args: { app: APP, deploymentId: "latest" }, fields: ["deploymentId"] },
    first: ["GET", DO, `/v2/apps/${APP}/deployments/${DEPLOY}`],
    happy: () =>
      void nock(DO)
        .get(`/v2/apps/${APP}/deployments/${DEPLOY}`)
        .reply(200, { deployment: { id: DEPLOY, phase: "ACTIVE", cause: LEAK } }),
  },
  "digitalocean.waitForDeployment": {
    args: { app: APP, deploymentId: DEPLOY },
    bad: { args: { app: APP, deploymentId: DEPLOY, pollSeconds: "often" }, fields: ["pollSeconds"] },
    first: ["GET", DO, `/v2/apps/${APP}/deployments/${DEPLOY}`],
    happy: () =>
      void nock(DO)
        .get(`/v2/apps/${APP}/deployments/${DEPLOY}`)
        .reply(200, { deployment: { id: DEPLOY, phase: "ACTIVE", cause: LEAK } }),
  },
  "postgres.migrationStatus": {
    args: { databaseUrlEnv: "STAGING_DATABASE_URL", migrationsDir: "migrations" },
    bad: { args: { databaseUrlEnv: "staging-db", migrationsDir: "" }, fields: ["databaseUrlEnv", "migrationsDir"] },
    skip: {
      abortMidCall: "covered against real PostgreSQL in postgres.test.ts",
      secrets: "covered against real PostgreSQL in postgres.test.ts",
    },
  },
  "postgres.queryTime": {
    args: { databaseUrlEnv: "STAGING_DATABASE_URL", query: "SELECT now()" },
    bad: { args: { databaseUrlEnv: "staging-db", query: "" }, fields: ["databaseUrlEnv", "query"] },
    skip: {
      abortMidCall: "connects through withDatabase, whose abort is covered against real PostgreSQL in postgres.test.ts",
      secrets: "covered against real PostgreSQL in board.test.ts",
    },
  },
  "postgres.gate": {
    args: { name: "no-failed", databaseUrlEnv: "STAGING_DATABASE_URL", sql: "SELECT 1 WHERE false" },
    bad: { args: { name: "No Failed", databaseUrlEnv: "staging-db", sql: "" }, fields: ["name", "databaseUrlEnv", "sql"] },
    skip: {
      abortMidCall: "connects through withDatabase, whose abort is covered against real PostgreSQL in postgres.test.ts",
      secrets: "covered against real PostgreSQL in sql-gate.test.ts",
    },
  },
  "postgres.migrate": {
    args: { databaseUrlEnv: "STAGING_DATABASE_URL", migrationsDir: "migrations", dryRun: false },
    bad: { args: { databaseUrlEnv: "STAGING_DATABASE_URL", migrationsDir: "migrations", dryRun: "maybe" }, fields: ["dryRun"] },
    skip: {
      abortMidCall: "covered against real PostgreSQL in postgres.test.ts",
      secrets: "covered against real PostgreSQL in postgres.test.ts",
    },
  },
  "postgres.promotion": {
    args: { env: "prod", promotesFrom: "staging", migrationsDir: "migrations", pending: ["20260103120000_create_feature_flags.sql"] },
    bad: { args: { env: "", migrationsDir: "", pending: 3 }, fields: ["env", "migrationsDir", "pending"] },
    skip: { abortMidCall: "reads opsroom's own store through the reader and a local folder, no network" },
  },
  "postgres.schemaDiff": {
    args: { fromUrlEnv: "PROD_DATABASE_URL", toUrlEnv: "STAGING_DATABASE_URL" },
    bad: { args: { fromUrlEnv: "prod" }, fields: ["fromUrlEnv", "toUrlEnv"] },
    skip: {
      abortMidCall: "covered against real PostgreSQL in postgres.test.ts",
      secrets: "covered against real PostgreSQL in postgres.test.ts",
    },
  },
  "report.checkSettings": {
    args: { subject: `deploy of api ${LEAK}`, where: ["services.api"], required: ["repository"], settings: { repository: "acme/api" } },
    bad: { args: { subject: "", where: [], required: [] }, fields: ["subject", "where", "required"] },
  },
  "report.pick": {
    args: { what: "the live deployment", items: [{ id: 1, state: "success", description: LEAK }], match: { state: "success" } },
    bad: { args: { what: "x", items: "all", nth: 0 }, fields: ["items", "nth"] },
  },
  "report.expect": {
    args: { what: "instances", actual: { count: 3, note: LEAK }, equals: { count: 3 } },
    bad: { args: { what: "", actual: 1 }, fields: ["what", "equals"] },
  },
  "report.guard": {
    args: { ok: true, reason: `not supported ${LEAK}` },
    bad: { args: { ok: "maybe", reason: "" }, fields: ["ok", "reason"] },
  },
  "report.flagChange": {
    args: {
      flag: "homeDemoVariant",
      env: "prod",
      action: "enable",
      percent: 25,
      current: {
        ...{ flag: "homeDemoVariant", enabled: false, rolloutPercentage: 0, cohorts: ["ops"], environment: "production" },
        description: LEAK,
      },
      flags: [{ flag: "featureMatrix", enabled: true, rolloutPercentage: 100, cohorts: [] }],
      catalog: {
        homeDemoVariant: { cohorts: ["ops", "demo"], dependsOn: ["featureMatrix"] },
        featureMatrix: { cohorts: [], dependsOn: [] },
      },
    },
    bad: { args: { flag: "x", env: "prod", action: "toggle", percent: 101, current: {} }, fields: ["action", "percent", "current"] },
  },
  "report.triage": {
    args: {
      service: "payments",
      env: "prod",
      since: "2026-01-07T10:00:00Z",
      evidence: {
        deploys: {
          uses: "github.listDeployments",
          data: {
            evidence: [
              {
                type: "change",
                kind: "deploy",
                service: "payments",
                env: "prod",
                at: "2026-01-07T09:48:00Z",
                summary: `deploy ${LEAK}`,
                source: "GitHub deployments",
                provider: "github",
                reached: true,
                state: "success",
              },
            ],
          },
        },
      },
    },
    bad: { args: { env: "", since: "yesterday-ish", evidence: [1] }, fields: ["env", "since", "evidence"] },
  },
  "report.changeHistory": {
    args: { service: "payments", env: "prod", runbook: "deploy", since: "2026-01-01T00:00:00Z", evidence: {} },
    bad: { args: { since: "last-ish", limit: 0, evidence: [1] }, fields: ["since", "limit", "evidence"] },
  },
  "report.triageWindow": {
    args: { env: "prod", since: "2026-01-07T10:00:00Z", evidence: {} },
    bad: { args: { env: "", lookbackMinutes: 0 }, fields: ["env", "lookbackMinutes"] },
  },
  "report.proposedFix": {
    args: {
      env: "prod",
      target: {
        repository: "acme/payments",
        service: "payments",
        sha: "b84d88e",
        previousSha: "a84d88e",
        samples: [`TypeError ${LEAK}\n    at f (/app/src/a.ts:3:1)`],
      },
      diff: { files: [{ filename: "src/a.ts", status: "modified", patch: `@@ -1,3 +1,3 @@\n a\n-b\n+${LEAK}\n c` }] },
    },
    bad: { args: { env: "prod", target: { sha: 1 }, diff: [] }, fields: ["target.repository", "target.sha", "diff"] },
  },
  "report.opsBoard": {
    args: {
      env: "prod",
      catalog: { featureMatrix: { cohorts: ["ops"], dependsOn: [], owner: LEAK } },
      evidence: {
        flags: {
          data: {
            flags: [{ flag: "featureMatrix", enabled: true, rolloutPercentage: 100, cohorts: ["ops"], updatedAt: "2026-01-07T09:00:00Z" }],
          },
        },
      },
    },
    bad: { args: { env: "", catalog: "flags" }, fields: ["env", "catalog"] },
  },
  "report.errorGate": {
    args: {
      steps: {
        "baseline-api": { data: { errorLines: 2, signatures: [{ signature: `TypeError ${LEAK}`, count: 2, firstSeen: null }] } },
        "recent-api": { data: { errorLines: 1, signatures: [{ signature: `TypeError ${LEAK}`, count: 1, firstSeen: null }] } },
      },
      startedAt: "2026-01-07T09:00:00Z",
      baselineSince: "2026-01-07T08:00:00Z",
    },
    bad: {
      args: { steps: [], startedAt: "soon", baselineSince: "2026-01-07T08:00:00Z", factor: 0 },
      fields: ["steps", "startedAt", "factor"],
    },
  },
  "report.specDraft": {
    args: { topic: `rotating ${R.githubToken}`, services: ["api"] },
    bad: { args: { topic: "x", services: "api" }, fields: ["topic", "services"] },
  },
  "history.listChanges": {
    args: { env: "prod", since: "2026-01-07T10:00:00Z" },
    bad: { args: { env: "prod", lookbackHours: 0, since: "soon" }, fields: ["lookbackHours", "since"] },
    skip: { abortMidCall: "reads opsroom's own store through the reader, no network" },
  },
  "rollout.plan": {
    args: {
      flag: "FSYNC_USE_RPC",
      env: "prod",
      stages: ["10", "50", "100"],
      every: "PT30M",
      current: { flag: "FSYNC_USE_RPC", enabled: false, rolloutPercentage: 0, cohorts: [], description: LEAK },
    },
    bad: { args: { flag: "", env: "prod", cohorts: ["no spaces"], current: {} }, fields: ["flag", "cohorts.0", "current"] },
    skip: { abortMidCall: "pure, or reads opsroom's own store through the scheduler, no network" },
  },
  "rollout.planRelease": {
    args: {
      release: "legacy migration",
      releases: {
        "legacy-migration": {
          aliases: ["legacy migration"],
          stages: [{ name: "dry-run", env: "staging", steps: [{ id: "run", uses: "shell.run", with: { command: ["echo", LEAK] } }] }],
        },
      },
    },
    bad: { args: { release: 5, releases: [] }, fields: ["release", "releases"] },
    skip: { abortMidCall: "pure, or reads opsroom's own store through the scheduler, no network" },
  },
  "rollout.startRelease": {
    args: { release: "legacy-migration", stages: [{ name: "dry-run", title: "Dry run", env: "staging", gates: [], waitSeconds: 0 }] },
    bad: { args: { release: "", stages: "all" }, fields: ["release", "stages"] },
    skip: { abortMidCall: "writes opsroom's own store through the scheduler, no network" },
  },
  "rollout.recordChange": {
    args: {
      rollout: "00000000-0000-4000-8000-0000000000bb",
      stage: 1,
      env: "prod",
      kind: "deploy",
      subject: "api",
      before: { sha: "abc1234" },
    },
    bad: { args: { rollout: "", stage: 0, env: "prod", kind: "restart", subject: "api" }, fields: ["rollout", "stage", "kind"] },
    skip: { abortMidCall: "writes opsroom's own store through the scheduler, no network" },
  },
  "rollout.start": {
    args: {
      flag: "FSYNC_USE_RPC",
      env: "prod",
      stages: [
        { percent: 50, cohorts: [] },
        { percent: 100, cohorts: [] },
      ],
      everySeconds: 1800,
      current: { flag: "FSYNC_USE_RPC", enabled: false, rolloutPercentage: 0, cohorts: [] },
    },
    bad: {
      args: { flag: "FSYNC_USE_RPC", env: "prod", stages: [{ percent: 0 }], everySeconds: -1, current: {} },
      fields: ["stages.0.percent", "everySeconds", "current"],
    },
    skip: { abortMidCall: "records in opsroom's own store through the scheduler, no network" },
  },
  "history.findRuns": {
    args: { env: "prod", runbook: "deploy", since: "2026-01-07T08:00:00Z", limit: 5 },
    bad: { args: { limit: 0, since: "soon" }, fields: ["limit", "since"] },
    skip: { abortMidCall: "reads opsroom's own store through the reader, no network" },
  },
  "history.lastDeploy": {
    args: { service: "api", env: "prod" },
    bad: { args: { service: "", env: "prod", lookbackDays: 0 }, fields: ["service", "lookbackDays"] },
    skip: { abortMidCall: "reads opsroom's own store through the reader, no network" },
  },
  "board.checklist": {
    args: { steps: CHECKLIST, step: "backfill" },
    bad: { args: { steps: "all" }, fields: ["steps"] },
    skip: { abortMidCall: "reads opsroom's own store through the reader, no network" },
  },
  "board.setChecklistStep": {
    args: { steps: CHECKLIST, step: "backfill", status: "done", note: `ok ${LEAK}` },
    bad: { args: { steps: CHECKLIST, step: "", status: "finished" }, fields: ["step", "status"] },
    skip: { abortMidCall: "writes opsroom's own store through the reader, no network" },
  },
  "board.blockVerdicts": {
    args: { env: "prod", blocks: ["migrations", "flags"] },
    bad: { args: { env: "", blocks: 3 }, fields: ["env", "blocks"] },
    skip: { abortMidCall: "reads opsroom's own store through the reader, no network" },
  },
  "board.fileAge": {
    args: { path: "migrations" },
    bad: { args: { path: "" }, fields: ["path"] },
    skip: { abortMidCall: "reads a local folder, no network" },
  },
  "shell.run": {
    args: {
      command: [process.execPath, "-e", "console.log(process.env.SHELL_SECRET, process.argv[1])", R.githubToken],
      env: ["SHELL_SECRET"],
    },
    bad: { args: { command: "rm -rf /", env: ["lower"] }, fields: ["command", "env.0"] },
  },
  "shell.read": {
    args: {
      command: [process.execPath, "-e", "console.log(process.env.SHELL_SECRET, process.argv[1])"],
      args: [R.githubToken],
      env: ["SHELL_SECRET"],
    },
    bad: { args: { command: "ls -l", args: [{}], env: ["lower"] }, fields: ["command", "args.0", "env.0"] },
  },
};

const actions = adapters.flatMap((a) => Object.keys(a.actions).map((name) => `${a.id}.${name}`)).sort();
const entries = actions.map((uses) => [uses, lookup.find(uses)!, scenarios[uses]!] as const);

describe("adapter contract", () => {
  useNock();
  const attempts: string[] = [];
  const onNoMatch = (req: { method?: string; href?: string; url?: string }) => attempts.push(`${req.method} ${req.href ?? req.url}`);
  beforeEach(() => {
    attempts.length = 0;
    nock.emitter.on("no match", onNoMatch);
  });
  afterEach(() => {
    nock.emitter.removeListener("no match", onNoMatch);
  });

  it("has a scenario for every action, and every scenario is an action", () => {
    expect(Object.keys(scenarios).sort()).toEqual(actions);
  });

  it("describes every action and declares the credentials it needs", () => {
    for (const [uses, action] of entries) {
      expect(action.description.length, uses).toBeGreaterThan(10);
      expect(["read", "write"], uses).toContain(action.risk);
      for (const c of action.credentials) expect(c.name, uses).toMatch(/^[A-Z][A-Z0-9_]*$/);
    }
  });

  describe.each(entries)("%s", (uses, action: AdapterAction, s: Scenario) => {
    it("rejects bad args naming each bad field, the rule and the value", async () => {
      const err = await expectAdapterError(action.run(s.bad.args, makeCtx()), "ADAPTER_INVALID_ARGS");
      expect(err.userMessage.startsWith(`${uses}: `)).toBe(true);
      for (const field of s.bad.fields) expect(err.userMessage).toContain(`\`${field}\``);
      expect(action.args.safeParse(s.args).success).toBe(true);
      expect(attempts).toEqual([]);
    });

    it("rejects at once, calling nothing, when the signal is already aborted", async () => {
      const ctx = makeCtx();
      ctx.controller.abort();
      await expectAdapterError(action.run(s.args, ctx), "ADAPTER_ABORTED");
      expect(attempts).toEqual([]);
    });

    itWhere(!!s.first || uses === "shell.run")("rejects promptly when aborted mid-call", async () => {
      if (s.first) {
        const [method, origin, path] = s.first;
        nock(origin).intercept(path, method).query(true).reply(hangingReply());
      }
      const args = uses === "shell.run" ? { command: ["sleep", "30"] } : s.args;
      const ctx = makeCtx();
      const started = Date.now();
      const pending = action.run(args, ctx);
      setTimeout(() => ctx.controller.abort(), 30);
      await expectAdapterError(pending, "ADAPTER_ABORTED");
      expect(Date.now() - started).toBeLessThan(10_000); // the reply never comes: only the abort ends the call
    });

    if (action.risk === "write") {
      it("does nothing on a dry run and says exactly what it would do", async () => {
        const marker = `${fixturePath("postgres")}/../dry-run-marker-${Date.now()}`;
        const args = uses === "shell.run" ? { command: ["touch", marker] } : s.args;
        const ctx = makeCtx({ dryRun: true });
        const result = await action.run(args, ctx);
        expect(result.summary).toMatch(/^dry run: would /);
        expect(result.data).toMatchObject({ dryRun: true });
        expect(attempts).toEqual([]);
        const { existsSync } = await import("node:fs");
        expect(existsSync(marker)).toBe(false);
        assertNoCanary(result, ctx.logs);
      });
    }

    itWhere(!s.skip?.secrets)("never returns or logs a secret", async () => {
      s.happy?.();
      const ctx = makeCtx();
      const result = await action.run(s.args, ctx);
      expect(result.summary.length).toBeGreaterThan(0);
      assertNoCanary(result, ctx.logs);
    });

    itWhere(!!s.first)("never shows a secret when the provider rejects the token and echoes it", async () => {
      const [method, origin, path] = s.first!;
      nock(origin)
        .intercept(path, method)
        .query(true)
        .reply(401, { message: `Bad credentials ${LEAK}`, error: { message: `Bad credentials ${LEAK}` } });
      const ctx = makeCtx();
      const err = await expectAdapterError(action.run(s.args, ctx));
      expect(err.retryable).toBe(false);
      assertNoCanary(err, err.hint, err.cause, ctx.logs);
    });
  });
});
