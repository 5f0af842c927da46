/**
 * `opsroom runs list|show|export` over runs made through the service as a person makes them: the
 * whole chain of each run (message, parse, plan and hash, approvals, events, artifacts, outcome),
 * filtered, as JSON lines and CSV, with secrets redacted.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough, Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runsCommand } from "../../src/cli/runs-command.js";
import { createApp, type Io } from "../../src/main.js";
import type { RunChain } from "../../src/service/run-chain.js";

const CANARY = "ghp_CANARYRUNS0000000000000000000000000007";
const dataDir = mkdtempSync(path.join(tmpdir(), "opsroom-runs-"));
const env = { OPSROOM_DATA_DIR: dataDir, PORT: "0" };

function io(): Io & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        append(chunk.toString());
        done();
      },
    });
  return {
    stdin: new PassThrough(),
    stdout: sink((s) => (out += s)),
    stderr: sink((s) => (err += s)),
    env,
    out: () => out,
    err: () => err,
  };
}

async function runs(...argv: string[]) {
  const target = io();
  const code = await runsCommand(argv, target);
  return { code, out: target.out(), err: target.err() };
}

let deployId: string;
let checkId: string;

beforeAll(async () => {
  const app = await createApp(io(), { worker: false, health: false, consoleMode: true });
  try {
    const deploy = await app.service.submitText(`deploy api to staging ${CANARY}`, { user: "U0DAVE001", source: "console" });
    if (deploy.kind !== "planned") throw new Error(`expected a plan, got ${deploy.kind}`);
    deployId = deploy.run.id;
    // Recorded straight in the store: without GITHUB_TOKEN the plan's credential check fails, so the
    // service would (rightly) refuse the approval; the export only needs an approval on record.
    await app.store.recordDecision({ runId: deployId, approver: "U0ALICE01", decision: "approve", planHash: deploy.run.planHash });
    const check = await app.service.submitText("check dev status", { user: "U0CAROL01", source: "console" });
    if (check.kind !== "planned") throw new Error(`expected a plan, got ${check.kind}`);
    checkId = check.run.id;
  } finally {
    await app.close();
  }
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("opsroom runs", () => {
  it("shows a run's whole chain: the message, its parse, the plan hash, approvals, events and outcome, redacted", async () => {
    const { code, out } = await runs("show", deployId.slice(0, 8), "--json");
    expect(code).toBe(0);
    const chain = JSON.parse(out) as RunChain;
    expect(chain.request?.text).toMatch(/^deploy api to staging \[REDACTED\]$/);
    expect(chain.parse).toMatchObject({ runbook: "deploy", params: { service: "api", env: "staging" } });
    expect(chain.planHash).toBe(chain.run.planHash);
    expect(chain.approvals).toMatchObject([{ approver: "U0ALICE01", decision: "approve" }]);
    expect(chain.events.map((e) => e.kind)).toEqual(expect.arrayContaining(["run_created", "run_approved"]));
    expect(chain.outcome.status).toBe("queued");
    expect(out).not.toContain(CANARY);
    const text = await runs("show", deployId);
    expect(text.out).toContain('message: "deploy api to staging [REDACTED]"');
    expect(text.out).toMatch(/approve +U0ALICE01/);
  });

  it("lists and exports only the runs the filters match", async () => {
    const byRequester = await runs("list", "--requester", "U0CAROL01");
    expect(byRequester.out).toContain(checkId.slice(0, 8));
    expect(byRequester.out).not.toContain(deployId.slice(0, 8));
    const jsonl = await runs("export", "--runbook", "deploy", "--env", "staging");
    const chains = jsonl.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as RunChain);
    expect(chains.map((c) => c.run.id)).toEqual([deployId]);
    const future = await runs("export", "--since", "2100-01-01");
    expect(future.out).toBe("");
    const byService = await runs("export", "--service", "api");
    expect(
      byService.out
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as RunChain).run.id),
    ).toEqual([deployId]);
    const queued = await runs("list", "--status", "queued,running");
    expect(queued.out.trim().split("\n")).toHaveLength(2);
  });

  it("exports CSV with a header and one quoted row per run", async () => {
    const { code, out } = await runs("export", "--format", "csv");
    expect(code).toBe(0);
    const [head, ...rows] = out.trim().split("\n");
    expect(head).toMatch(/^id,created_at,runbook,title,env,service,requested_by,source,request_text,/);
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.startsWith(deployId))).toContain("U0ALICE01:approve@");
    expect(out).not.toContain(CANARY);
  });

  it("says what is wrong with bad arguments", async () => {
    expect(await runs("export", "--since", "yesterday-ish")).toMatchObject({
      code: 2,
      err: expect.stringContaining("--since must be an ISO date"),
    });
    expect(await runs("list", "--status", "done")).toMatchObject({ code: 2, err: expect.stringContaining("--status must be one of") });
    expect(await runs("show", "ffffffff")).toMatchObject({ code: 1, err: expect.stringContaining('No single run starts with "ffffffff"') });
  });
});
