/**
 * The Runboard's pages over HTTP (Hono's in-process requests against the real service and store):
 * board, run page, history and export, runbooks, the preview; headers; that nothing on the web mutates.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CSV_COLUMNS } from "../../src/service/run-chain-export.js";
import type { Run } from "../../src/store/types.js";
import { STORE_BACKENDS } from "../support/test-stores.js";
import { ask, openRunboard, startNext, type RunboardFixture } from "./support.js";

describe.each(STORE_BACKENDS)("Runboard pages (%s)", (backend) => {
  let f: RunboardFixture;
  let running: Run;
  let queued: Run;
  let waiting: Run;

  beforeAll(async () => {
    f = await openRunboard({ backend });
    // Two deploys of api to staging: the first runs, the second queues behind it in the lane.
    const first = await ask(f.service, "deploy api to staging");
    await f.service.approve(first.id, "U0CAROL");
    running = await startNext(f.store);
    expect(running.id).toBe(first.id);
    await f.store.appendEvent(running.id, { kind: "step_started", phase: "validate", stepId: "checkRepo", message: "checking acme/api" });
    await f.store.addArtifact(running.id, {
      stepId: "changes",
      kind: "diff",
      title: "What ships",
      content: "--- a/app.ts\n+++ b/app.ts\n@@ -1 +1 @@\n-old line\n+new line",
      url: null,
      filename: null,
    });
    const second = await ask(f.service, "deploy api to staging", "U0DAVE");
    await f.service.approve(second.id, "U0CAROL");
    queued = second;
    waiting = await ask(f.service, "deploy web to prod");
  });
  afterAll(() => f.close());

  it("shows runs now by lane: running, queued with its place, waiting with who may approve and when it expires; and the workers", async () => {
    const response = await f.get("/runboard/");
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain("api × staging");
    expect(page).toContain("web × prod");
    expect(page).toMatch(/data-run="[^"]*".*?running/s);
    expect(page).toContain(`data-run="${running.id}"`);
    expect(page).toContain(`data-run="${queued.id}"`);
    expect(page).toMatch(/#2 in lane <code>[^<]+<\/code>: 1 ahead/);
    expect(page).toContain(`data-run="${waiting.id}"`);
    expect(page).toMatch(/0 of 1 approvals · may approve: U0BOB · expires <time/);
    expect(page).toContain("host:1:worker01");
    expect(page).toMatch(/healthy/);
  });

  it("shows a run: the plan card with its hash, who asked and approved, the timeline, the log and the diff highlighted", async () => {
    const page = await (await f.get(`/runboard/runs/${running.id}`)).text();
    expect(page).toContain(running.planHash);
    expect(page).toContain("deploy api to staging");
    expect(page).toMatch(/approved by U0CAROL/);
    expect(page).toMatch(/<strong>validate<\/strong>.*running/s);
    expect(page).toContain("checking acme/api");
    expect(page).toContain('<span class="diff-add">+new line</span>');
    expect(page).toContain('<span class="diff-del">-old line</span>');
    expect(page).toContain('href="https://slack.com/app_redirect?channel=C0OPS"');
    expect(page).toMatch(/<h3>action<\/h3>/);
  });

  it("answers 404 with a sentence for a run that does not exist", async () => {
    const response = await f.get("/runboard/runs/00000000-0000-0000-0000-000000000000");
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("There is no single run 00000000-0000-0000-0000-000000000000");
  });

  it("lets a file artifact be downloaded", async () => {
    const [diff] = await f.store.listArtifacts(running.id);
    const response = await f.get(`/runboard/runs/${running.id}/artifacts/${diff!.id}`);
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="What_ships.diff"');
    expect(await response.text()).toContain("+new line");
  });

  it("filters history by env, service, runbook, requester and status on the server", async () => {
    const byService = await (await f.get("/runboard/history?service=web")).text();
    expect(byService).toContain(waiting.id);
    expect(byService).not.toContain(running.id);
    const byRequester = await (await f.get("/runboard/history?requester=U0DAVE&env=staging&runbook=deploy&status=queued")).text();
    expect(byRequester).toContain(queued.id);
    expect(byRequester).not.toContain(running.id);
    expect(byRequester).toContain(
      'href="/runboard/history/export?format=csv&amp;runbook=deploy&amp;env=staging&amp;requester=U0DAVE&amp;status=queued"',
    );
  });

  it("says which filter is wrong, and how", async () => {
    const response = await f.get("/runboard/history?since=yesterday-ish&status=done");
    expect(response.status).toBe(400);
    const page = await response.text();
    expect(page).toContain("Since must be an ISO date or time (got &quot;yesterday-ish&quot;)");
    expect(page).toContain("Status must be one of pending_approval, queued, running");
  });

  it("pages through history on the server, newest first", async () => {
    for (let i = 0; i < 55; i++) await f.service.submitText("check dev status", { user: "U0PAGER", source: "console" });
    const first = await (await f.get("/runboard/history?requester=U0PAGER")).text();
    expect(first.match(/<tr data-run=/g)).toHaveLength(50);
    const older = /id="older" href="([^"]+)"/.exec(first)![1]!.replace(/&amp;/g, "&");
    const second = await (await f.get(older)).text();
    expect(second.match(/<tr data-run=/g)).toHaveLength(5);
    expect(second).not.toContain('id="older"');
    const ids = (text: string) => [...text.matchAll(/<tr data-run="([^"]+)"/g)].map((m) => m[1]);
    expect(ids(first).filter((id) => ids(second).includes(id))).toEqual([]);
  });

  it("exports the filtered runs as CSV and JSON lines, the same lines as `opsroom runs export`", async () => {
    const csv = await f.get("/runboard/history/export?format=csv&env=staging");
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("content-disposition")).toMatch(/^attachment; filename="opsroom-runs-.*\.csv"$/);
    const lines = (await csv.text()).trimEnd().split("\n");
    expect(lines[0]).toBe(CSV_COLUMNS.join(","));
    const expected: string[] = [];
    for await (const line of f.service.exportRuns({ env: "staging" }, "csv")) expected.push(line);
    expect(lines).toEqual(expected);
    expect(lines).toHaveLength(3);

    const jsonl = await (await f.get("/runboard/history/export?format=jsonl&service=web")).text();
    const chains = jsonl
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { run: { id: string }; planHash: string; request: { text: string } });
    expect(chains.map((c) => c.run.id)).toEqual([waiting.id]);
    expect(chains[0]!.request.text).toBe("deploy web to prod");
  });

  it("refuses an unknown export format with the ones it knows", async () => {
    const response = await f.get("/runboard/history/export?format=xlsx");
    expect(response.status).toBe(400);
    expect(await response.text()).toBe('format must be csv or jsonl (got "xlsx")\n');
  });

  it("lists every runbook with its params, risk, owner, escalation and examples", async () => {
    const page = await (await f.get("/runboard/runbooks")).text();
    for (const runbook of f.service.runbooks) expect(page).toContain(`id="runbook-${runbook.id}"`);
    expect(page).toContain("changes things");
    expect(page).toMatch(/Owner [^·]+ · escalation/);
  });

  it("previews how a request is understood and planned, and creates nothing", async () => {
    const before = (await f.service.listRuns({ limit: 1000 })).length;
    const page = await (await f.get(`/runboard/preview?q=${encodeURIComponent("deploy api to prod")}`)).text();
    expect(page).toContain("Plan: ");
    expect(page).toMatch(/Runbook<\/dt>\s*<dd>\s*deploy/);
    expect(page).toContain("changes things");
    const clarify = await (await f.get(`/runboard/preview?q=${encodeURIComponent("deploy api")}`)).text();
    expect(clarify).toContain("opsroom would ask:");
    expect((await f.service.listRuns({ limit: 1000 })).length).toBe(before);
  });

  it("sends strict security headers: CSP without inline script, no framing, no referrer", async () => {
    for (const path of ["/runboard/", `/runboard/runs/${running.id}`, "/runboard/history", "/runboard/runbooks", "/runboard/preview"]) {
      const response = await f.get(path);
      const csp = response.headers.get("content-security-policy")!;
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).not.toContain("unsafe-inline");
      expect(response.headers.get("x-frame-options"), path).toBe("DENY");
      expect(response.headers.get("referrer-policy"), path).toBe("no-referrer");
      expect(await response.text(), path).not.toMatch(/<script>|<script [^>]*>[^<]/);
    }
  });

  it("has no way to change anything: approve, run and cancel are not web routes", async () => {
    for (const path of [`/runboard/runs/${waiting.id}/approve`, `/runboard/runs/${running.id}/cancel`, "/runboard/runs"]) {
      const response = await f.get(path, { method: "POST" });
      expect(response.status, path).toBe(404);
    }
    expect((await f.store.getRun(waiting.id))!.status).toBe("pending_approval");
  });

  it("shows the ops board as its latest finished run left it", async () => {
    expect(await (await f.get("/runboard/ops-board")).text()).toContain("No ops board run has finished yet.");
    const board = await ask(f.service, "ops board");
    await f.store.registerWorker({ id: "host:3:board", hostname: "host", pid: 3, concurrency: 500 });
    expect((await f.store.claimRuns("host:3:board", 30_000, 500)).map((r) => r.id)).toContain(board.id);
    await f.store.addArtifact(board.id, {
      stepId: "flags",
      kind: "text",
      title: "Flag health",
      content: "featureMatrix 25% ok",
      url: null,
      filename: null,
    });
    await f.store.finishRun(board.id, "host:3:board", { status: "succeeded", summary: "2 flags safe to cut over" });
    const page = await (await f.get("/runboard/ops-board")).text();
    expect(page).toContain("2 flags safe to cut over");
    expect(page).toContain("featureMatrix 25% ok");
    expect(page).toContain(`href="/runboard/runs/${board.id}"`);
  });

  it("serves its script and stylesheet", async () => {
    const js = await f.get("/runboard/assets/runboard.js");
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await js.text()).toContain("EventSource");
    expect((await f.get("/runboard/assets/runboard.css")).status).toBe(200);
    expect((await f.get("/runboard/assets/other.js")).status).toBe(404);
  });
});
