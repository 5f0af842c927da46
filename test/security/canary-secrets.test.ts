/**
 * Plants canary secrets in the environment (provider tokens, a secretEnv value, a database URL with a
 * password) and in provider responses (a token and a password in a commit message, a ref and a health
 * body), runs "deploy api to staging" through the whole app built in-process, and proves none of them
 * reaches the store (runs, events, artifacts, approvals), the logs (LOG_LEVEL=debug) or any rendering
 * (console text and Slack blocks).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough, Writable } from "node:stream";
import nock from "nock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderArtifactText, renderEventText, renderOutcomeText, renderPlanText } from "../../src/console/render-text.js";
import { createApp, type App } from "../../src/main.js";
import { renderRunCard } from "../../src/slack/render-plan-card.js";
import { renderArtifact, renderSummary } from "../../src/slack/render-replies.js";
import { progressFromEvents, renderChecklist } from "../../src/slack/render-run-status.js";
import { TERMINAL_STATUSES, type Run } from "../../src/store/types.js";
import { fixture, fixturePath } from "../adapters/helpers.js";

const CANARY = {
  githubToken: "ghp_CANARY0000000000000000000000000077",
  serviceRoleKey: "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIiwiY2FuYXJ5Ijp0cnVlfQ.CANARYsig0123456789abcdef",
  secretEnv: "opsroom-canary-secret-7f3a9b2c",
  dbPassword: "CanaryDbPw4711",
  /** Credential-shaped text a provider echoes back, which we never sent. */
  echoedToken: "ghp_CANARYECHO00000000000000000000000099",
  echoedPassword: "CanaryPw123",
};
const DATABASE_URL = `postgres://app:${CANARY.dbPassword}@db.internal:5432/app`;
const ALL = Object.values(CANARY);

function findCanaries(where: string, value: unknown): string[] {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return ALL.filter((c) => text.includes(c)).map((c) => `${where}: ${c}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function providerResponses() {
  const leak = `rotate ${CANARY.echoedToken} password=${CANARY.echoedPassword} ${CANARY.secretEnv} ${DATABASE_URL}`;
  const compare = fixture<{ commits: Array<{ commit: Record<string, unknown> }> }>("github/compare.json");
  compare.commits[0]!.commit = { ...compare.commits[0]!.commit, message: `fix: ${leak}` };
  const gh = nock("https://api.github.com");
  // Preflight before approval, then validate + preflight again in the run: twice each.
  gh.get("/repos/acme/api")
    .times(2)
    .reply(200, { ...fixture<Record<string, unknown>>("github/repository.json"), description: leak });
  gh.get("/repos/acme/api/deployments")
    .query(true)
    .times(2)
    .reply(200, [
      {
        id: 5,
        sha: "b84d88e7554fc1fa21bcbc4efae3c782a70d2b9e",
        ref: `main password=${CANARY.echoedPassword}`,
        environment: "staging",
        description: leak,
        creator: { login: "octocat" },
        created_at: "2026-01-07T09:30:00Z",
      },
    ]);
  gh.get("/repos/acme/api/deployments/5/statuses")
    .query(true)
    .times(2)
    .reply(200, [{ id: 1, state: "success", description: leak, created_at: "2026-01-07T09:31:00Z" }]);
  gh.get("/repos/acme/api/compare/b84d88e7554fc1fa21bcbc4efae3c782a70d2b9e...main").query(true).times(2).reply(200, compare);
  gh.post("/repos/acme/api/actions/workflows/deploy.yml/dispatches").reply(204);
  // Completed at the first look, created just now: the real clock never has to wait.
  gh.get("/repos/acme/api/actions/workflows/deploy.yml/runs")
    .query(true)
    .reply(200, () => ({
      total_count: 1,
      workflow_runs: [
        {
          ...fixture<Record<string, unknown>>("github/workflow-run-completed.json"),
          created_at: new Date().toISOString(),
          display_title: leak,
        },
      ],
    }));
  nock("https://api.staging.example.com").get("/healthz").reply(200, `{"status":"ok","debug":"${leak}"}`);
}

describe("canary secrets", () => {
  let app: App;
  let dataDir: string;
  const logs: string[] = [];

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
    dataDir = mkdtempSync(path.join(tmpdir(), "opsroom-canary-"));
    const stderr = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString());
        done();
      },
    });
    app = await createApp(
      {
        stdin: new PassThrough(),
        stdout: new PassThrough(),
        stderr,
        env: {
          OPSROOM_CONFIG: fixturePath("runbooks/canary-config.yml"),
          OPSROOM_DATA_DIR: dataDir,
          PORT: String(await freePort()),
          LOG_LEVEL: "debug",
          GITHUB_TOKEN: CANARY.githubToken,
          SUPABASE_URL: "https://abcd1234.supabase.co",
          SUPABASE_SERVICE_ROLE_KEY: CANARY.serviceRoleKey,
          OPSROOM_CANARY_SECRET: CANARY.secretEnv,
          STAGING_DATABASE_URL: DATABASE_URL,
          PATH: process.env.PATH,
        },
      },
      { worker: true, health: true, consoleMode: false },
    );
  });

  afterAll(async () => {
    await app?.close();
    nock.cleanAll();
    nock.enableNetConnect();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("a deploy whose provider responses carry secrets leaves none in the store, the logs or what is shown", async () => {
    providerResponses();
    const submitted = await app.service.submitText("deploy api to staging", { user: "U1", source: "test" });
    expect(submitted.kind).toBe("planned");
    if (submitted.kind !== "planned") return;
    expect(submitted.preflight).toMatchObject({ ok: true });
    const preflightArtifacts = await app.store.listArtifacts(submitted.run.id);
    const card = renderPlanText((await app.service.describeRun(submitted.run.id))!, preflightArtifacts, "UTC", new Date());

    await app.service.approve(submitted.run.id, "U2");
    let run: Run | undefined;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
      run = await app.service.getRun(submitted.run.id);
      if (run && TERMINAL_STATUSES.includes(run.status)) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(run?.status, run?.summary ?? "").toBe("succeeded");
    expect(nock.pendingMocks()).toEqual([]);

    const events = await app.store.listEvents(run!.id);
    const artifacts = await app.store.listArtifacts(run!.id);
    const approvals = await app.store.listApprovals(run!.id);
    const runs = await app.store.listRuns({ limit: 50 });
    // The planted text did reach opsroom (redacted), so the check below is not vacuous.
    expect(artifacts.find((a) => a.title.startsWith("Commits "))?.content).toContain("fix: rotate [REDACTED] password=[REDACTED]");
    expect(events.some((e) => e.message.includes("password=[REDACTED]"))).toBe(true);

    const description = (await app.service.describeRun(run!.id))!;
    const renderings = {
      planCard: card,
      events: events.map(renderEventText),
      outcome: renderOutcomeText(run!, events),
      artifacts: artifacts.map(renderArtifactText),
      slackCard: renderRunCard({ description, events, artifacts, now: new Date(), timeZone: "UTC" }),
      slackArtifacts: artifacts.map((a) => renderArtifact(a, true)),
      slackSummary: renderSummary({
        run: run!,
        progress: progressFromEvents(events, run!.plan),
        links: artifacts.filter((a) => a.kind === "link"),
        escalation: run!.plan.escalation,
        canRetry: description.canRetry,
      }),
      slackChecklist: renderChecklist(progressFromEvents(events, run!.plan), "UTC", new Date()),
      ...(await runboardPages(run!.id)),
    };

    const found = [
      ...findCanaries("runs", runs),
      ...findCanaries("run_events", events),
      ...findCanaries("artifacts", artifacts),
      ...findCanaries("approvals", approvals),
      ...findCanaries("logs", logs.join("")),
      ...Object.entries(renderings).flatMap(([where, value]) => findCanaries(where, value)),
    ];
    expect(found).toEqual([]);
    // The logs were written at debug level and cover the run, so their silence means something.
    expect(logs.join("")).toContain('"step_id":"dispatch"');
  });

  it("the Runboard's pages and exports redact a secret stored before it was known to be one", async () => {
    // As if OPSROOM_CANARY_SECRET had been added to secretEnv after these were recorded: straight
    // into the store, past the executor's redaction. The pages and exports are the second line.
    const [run] = await app.store.listRuns({ limit: 1 });
    await app.store.appendEvent(run!.id, { kind: "step_succeeded", stepId: "late", message: `token ${CANARY.secretEnv} in a log line` });
    await app.store.addArtifact(run!.id, {
      stepId: "late",
      kind: "diff",
      title: `diff with ${CANARY.secretEnv}`,
      content: `+password=${CANARY.secretEnv}`,
      url: null,
      filename: null,
    });
    expect(JSON.stringify(await app.store.listEvents(run!.id))).toContain(CANARY.secretEnv);
    const pages = await runboardPages(run!.id);
    expect(pages.runboardRun).toContain("token [REDACTED] in a log line");
    expect(Object.entries(pages).flatMap(([where, value]) => findCanaries(where, value))).toEqual([]);
  });

  /** Every Runboard page and export that shows this run, as the browser would get them. */
  async function runboardPages(runId: string): Promise<Record<string, string>> {
    const get = async (path: string) => {
      const response = await app.runboard.app.request(path);
      expect(response.status, path).toBe(200);
      return response.text();
    };
    const artifacts = await app.store.listArtifacts(runId);
    // The run's live stream: its first update carries the whole log and the page's changing part.
    const stream = (await app.runboard.app.request(`/runboard/runs/${runId}/stream?after=0`)).body!.getReader();
    let streamed = "";
    while (!streamed.includes("event: run")) streamed += new TextDecoder().decode((await stream.read()).value);
    await stream.cancel();
    return {
      runboardBoard: await get("/runboard/"),
      runboardRun: await get(`/runboard/runs/${runId}`),
      runboardStream: streamed,
      runboardHistory: await get("/runboard/history"),
      runboardCsv: await get("/runboard/history/export?format=csv"),
      runboardJsonl: await get("/runboard/history/export?format=jsonl"),
      ...Object.fromEntries(
        await Promise.all(
          artifacts
            .filter((a) => a.content !== null)
            .map(async (a) => [`runboardArtifact${a.id}`, await get(`/runboard/runs/${runId}/artifacts/${a.id}`)]),
        ),
      ),
    };
  }
});
