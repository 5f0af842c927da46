import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
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
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", OPSROOM_DATA_DIR: dataDir, PORT: String(await freePort()), ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
}

describe("the local console (piped input)", () => {
  it("checks dev status through all five phases and ends with a success summary", async () => {
    const { code, stdout } = await runConsole("check dev status\n");
    expect(code).toBe(0);
    for (const phase of ["validate", "preflight", "action", "verify", "summarize"]) expect(stdout).toContain(`▸ ${phase}`);
    expect(stdout).toMatch(/✓ check-dev — .*200/);
    expect(stdout).toMatch(/✔ succeeded: Health check \(dev\) succeeded/);
  });

  it("shows a deploy plan that waits for approval and runs nothing without it", async () => {
    const { code, stdout } = await runConsole("deploy api to staging\n");
    expect(code).toBe(0);
    expect(stdout).toContain("Deploy → staging");
    expect(stdout).toContain("github.dispatchWorkflow");
    expect(stdout).toContain("needs 1 approval");
    expect(stdout).not.toContain("▸ validate");
  });

  it("runs an approved deploy and fails validate naming the missing credential, and exits 1", async () => {
    const { code, stdout } = await runConsole("deploy api to staging\napprove\n");
    expect(code).toBe(1);
    expect(stdout).toContain("Approved by console");
    expect(stdout).toContain("▸ validate");
    expect(stdout).toMatch(/✘ failed: .*failed in validate at step credentials/);
    expect(stdout).toContain("GITHUB_TOKEN");
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
    const dataDir = mkdtempSync(path.join(tmpdir(), "opsroom-console-"));
    const first = await runConsole("deploy api to staging\ndeploy web to staging\n", { OPSROOM_DATA_DIR: dataDir });
    const [apiPlan, webPlan] = [...first.stdout.matchAll(/┌ Plan ([0-9a-f]{8}) · Deploy/g)].map((m) => m[1]!);
    const second = await runConsole(`approve\nreject ${apiPlan}\n`, { OPSROOM_DATA_DIR: dataDir });
    expect(second.stdout).toContain("Approved by console. Running Deploy");
    expect(second.stdout).toContain("Rejected: Deploy will not run.");
    const runs = await runConsole("runs\n", { OPSROOM_DATA_DIR: dataDir });
    expect(runs.stdout).toMatch(new RegExp(`${webPlan}\\s+failed`));
    expect(runs.stdout).toMatch(new RegExp(`${apiPlan}\\s+rejected`));
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
    expect(stdout).toMatch(/✗ check-dev — dev: cannot reach http:\/\/127\.0\.0\.1:9\/healthz/);
    expect(stdout).toMatch(/✘ failed: Health check \(dev\) failed in action at step check-dev/);
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
    expect(stderr).toContain("the database at DATABASE_URL is unreachable (ECONNREFUSED 127.0.0.1:9)");
    expect(stderr).not.toContain("s3cretPw");
  });

  it("stops at start with file, line and field when the config is broken", async () => {
    const { code, stderr } = await runConsole("check dev status\n", { OPSROOM_CONFIG: path.join(ROOT, "test/fixtures/config/broken.yml") });
    expect(code).toBe(1);
    expect(stderr).toContain("opsroom cannot start");
    expect(stderr).toMatch(/broken\.yml:4: environments\.dev\.settings\.healthUrl: Invalid URL/);
  });
});
