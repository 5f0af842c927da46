import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** A port nobody listens on right now, so parallel test files never share a health endpoint. */
async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Runs `opsroom start` exactly as `printf '…' | npm start --silent` would, on a fresh data folder. */
async function runConsole(
  input: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = await spawnConsole(env);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(input);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return { code, stdout, stderr };
}

async function spawnConsole(env: Record<string, string>) {
  const dataDir = mkdtempSync(path.join(tmpdir(), "opsroom-console-"));
  return spawn(process.execPath, [path.join(ROOT, "bin/opsroom.js"), "start"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      NODE_OPTIONS: process.env.NODE_OPTIONS ?? "",
      OPSROOM_DATA_DIR: dataDir,
      PORT: String(await freePort()),
      ...env,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
}

describe("the local console (piped input)", () => {
  it("checks dev status through all five phases and ends with a success summary", async () => {
    const { code, stdout } = await runConsole("check dev status\n");
    expect(code).toBe(0);
    for (const phase of ["validate", "preflight", "action", "verify", "summarize"]) expect(stdout).toContain(`▸ ${phase}`);
    expect(stdout).toMatch(/✓ check — 2 of 2 healthy in dev: dev 200 OK/);
    expect(stdout).toMatch(/✔ succeeded: Health check → dev in \d/);
  });

  it("shows a deploy plan in plain words, with the check that failed and what to fix, and runs nothing", async () => {
    const { code, stdout } = await runConsole("deploy api to staging\n");
    expect(code).toBe(0);
    expect(stdout).toContain("Deploy api → staging");
    expect(stdout).toContain("Start the deploy workflow — github.dispatchWorkflow");
    expect(stdout).toContain("✗ Credentials — Missing setting: GITHUB_TOKEN");
    expect(stdout).toContain("can't be approved yet");
    expect(stdout).not.toContain("{{");
    expect(stdout).not.toContain("▸ validate");
  });

  it("refuses to approve a plan whose check failed, so nothing runs that could only fail", async () => {
    const { code, stdout } = await runConsole("deploy api to staging\napprove\n");
    expect(code).toBe(0);
    expect(stdout).toContain("You can't approve Deploy yet: its check “Credentials” failed.");
    expect(stdout).not.toContain("Approved by console");
    expect(stdout).not.toContain("▸ validate");
  });

  it("local mode: the local operator never approves a protected environment, and is told which config key names approvers", async () => {
    const { code, stdout } = await runConsole("deploy api to prod\napprove\n");
    expect(code).toBe(0);
    expect(stdout).toContain("⚠ Nobody may approve Deploy in prod yet: prod is protected and no approvers are set.");
    expect(stdout).toContain("`approvals.approvers.users`");
    expect(stdout).not.toContain("▸ validate");
  });

  it("drops a rejected plan", async () => {
    const { code, stdout } = await runConsole("deploy api to staging\nreject\napprove\n");
    expect(code).toBe(0);
    expect(stdout).toContain("Rejected: Deploy will not run.");
    expect(stdout).toContain("Nothing is waiting for approval.");
  });

  it("approves a plan made in an earlier console session, by default the latest, or by its id", async () => {
    // A mutating runbook whose one step is a real command: approvable with no credentials anywhere.
    const runbooksDir = mkdtempSync(path.join(tmpdir(), "opsroom-console-runbooks-"));
    writeFileSync(
      path.join(runbooksDir, "ship.yml"),
      `id: ship
title: Ship
owner: platform
escalation: "@oncall-platform"
risk: write
triggers: { verbs: [ship] }
examples: [ship now]
phases:
  action:
    - id: ship
      uses: shell.run
      with: { command: [sh, -c, "exit 3"] }
`,
    );
    const env = { OPSROOM_DATA_DIR: mkdtempSync(path.join(tmpdir(), "opsroom-console-")), OPSROOM_RUNBOOKS_DIR: runbooksDir };
    const first = await runConsole("ship now\nship now\n", env);
    const [firstPlan, latestPlan] = [...first.stdout.matchAll(/┌ Ship · changes things · run ([0-9a-f]{8})/g)].map((m) => m[1]!);
    expect(firstPlan).toBeDefined();
    expect(latestPlan).toBeDefined();
    const second = await runConsole(`approve\nreject ${firstPlan}\n`, env);
    expect(second.stdout).toContain("Approved by console. Running Ship");
    expect(second.stdout).toContain("Rejected: Ship will not run.");
    const runs = await runConsole("runs\n", env);
    expect(runs.stdout).toMatch(new RegExp(`${latestPlan}\\s+failed`));
    expect(runs.stdout).toMatch(new RegExp(`${firstPlan}\\s+rejected`));
  });

  it("creates, lists and stops schedules, and holds a prod restart schedule for an approver the config must name", async () => {
    const { code, stdout } = await runConsole(
      [
        "check dev status every 15 minutes",
        "every day at 6am restart api in prod",
        "list schedules",
        "approve schedule",
        "stop the 15 minutes schedule",
        "stop the 15 minutes check dev status",
        "list schedules",
        "",
      ].join("\n"),
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/⏰ Scheduled every 15 minutes \(UTC\): Health check in dev\./);
    expect(stdout).toMatch(
      /⏰ Scheduled every day at 6:00 \(UTC\): Restart in prod\. It changes things in prod, so it starts once approved \(1 needed\): `approve schedule [0-9a-f]{8}`/,
    );
    // The config's watches are schedules too, listed with where they came from.
    expect(stdout).toMatch(/every 5 minutes: watch: check dev status → #ops · next .* · from the config \(dev-health\)/);
    expect(stdout).toMatch(/every day at 6:00: restart api in prod · waiting for approval \(0 of 1\)/);
    // The only schedule waiting is taken, but nobody may approve prod until the config names approvers.
    expect(stdout).toContain(
      '⚠ Nobody may approve the schedule "every day at 6:00: restart api in prod" in prod yet: prod is protected and no approvers are set.',
    );
    expect(stdout).toMatch(/Several schedules match "15 minutes schedule"; say which by its id:/);
    expect(stdout).toMatch(/⏹ Stopped every 15 minutes: check dev status/);
    const lists = stdout.split("Schedules (").slice(1);
    expect(lists[0]).toContain("check dev status · next");
    expect(lists[1]).not.toContain("every 15 minutes: check dev status");
    expect(lists[1]).toContain("every 15 minutes: watch: show the ops board in dev");
  });

  it("shows the ops board as text, and keeps a checklist change from chat with who made it", async () => {
    const { code, stdout } = await runConsole("show me the ops board\nassign step backfill to @dana\nchecklist history of backfill\n");
    expect(code).toBe(0);
    // No credential here: what cannot be read is unknown and named; the seed's blocked steps and missing files are a real "no".
    expect(stdout).toMatch(
      /✓ board — Safe to cut over in prod: no: Write-through mutations: Convex: Use same types as Supabase for easy parity;/,
    );
    expect(stdout).toContain("Supabase migrations: File not found: supabase/migrations;");
    expect(stdout).toContain(
      "unknown until set: SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY, PROD_DATABASE_URL, GITHUB_TOKEN [flags unknown, dual-write no",
    );
    expect(stdout).toContain("– deploys-of-api skipped: not checked — set GITHUB_TOKEN");
    expect(stdout).toContain("**Safe to cut over: no**");
    // Ordinary checklist changes need no approval in the example config; the change names who made it.
    expect(stdout).toContain("└ no approval needed: running now.");
    expect(stdout).toMatch(/✓ set — Backfill & reconciliation: owner Ops → @dana \(by console\)/);
    expect(stdout).toMatch(/✓ show — Backfill & reconciliation: blocked, 1 change on record/);
    expect(stdout).toMatch(/📎 History of Backfill & reconciliation\n\s+\d{4}-\d\d-\d\dT[\d:.]+Z console: owner Ops → @dana/);
  });

  it("answers an unknown command with what it can do", async () => {
    const { code, stdout } = await runConsole("make me a sandwich\n");
    expect(code).toBe(0);
    expect(stdout).toContain("I didn't find a command in that. Try `");
    expect(stdout).toContain("`help`");
  });

  it("reports a run whose adapter fails: failing step and reason", async () => {
    // The dev health URL points at a port nobody listens on, so the health check itself fails.
    const { code, stdout } = await runConsole("check dev status\n", {
      OPSROOM_CONFIG: path.join(ROOT, "test/fixtures/config/unreachable-dev.yml"),
    });
    expect(code).toBe(1);
    expect(stdout).toMatch(/✗ check — 0 of 1 healthy in dev: dev unreachable/);
    expect(stdout).toMatch(/✘ failed: Health check → dev failed at /);
  });

  it("refuses a second process on the same embedded database instead of corrupting it", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "opsroom-shared-"));
    const first = await spawnConsole({ OPSROOM_DATA_DIR: dataDir });
    // The first console is up once it has answered a command.
    await new Promise<void>((resolve) => {
      first.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("I didn't find a command") && resolve());
      first.stdin.write("hello\n");
    });
    const second = await runConsole("check dev status\n", { OPSROOM_DATA_DIR: dataDir });
    first.stdin.end();
    await new Promise((resolve) => first.on("close", resolve));
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`Another opsroom (pid ${first.pid}) is using the embedded database`);
  });

  it("says the database is unreachable, without its password, when DATABASE_URL points nowhere", async () => {
    const { code, stderr } = await runConsole("check dev status\n", { DATABASE_URL: "postgres://ops:s3cretPw@127.0.0.1:9/opsroom" });
    expect(code).toBe(1);
    expect(stderr).toContain("opsroom cannot start: nothing is listening at 127.0.0.1:9 (ECONNREFUSED)");
    expect(stderr).not.toContain("s3cretPw");
  });

  it("stops at start with file, line and field when the config is broken", async () => {
    const { code, stderr } = await runConsole("check dev status\n", { OPSROOM_CONFIG: path.join(ROOT, "test/fixtures/config/broken.yml") });
    expect(code).toBe(1);
    expect(stderr).toContain("opsroom cannot start");
    expect(stderr).toMatch(/broken\.yml:4: environments\.dev\.settings\.healthUrl: Invalid URL/);
  });
});
