import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { createShellAdapter } from "../../adapters/shell/index.js";
import { artifactsOfError } from "../../adapters/types.js";
import { waitFor } from "../engine/engine-support.js";
import { isAlive } from "../support/processes.js";
import { assertNoCanary, expectAdapterError, makeCtx } from "./helpers.js";

const shell = createShellAdapter({ baseEnv: { PATH: process.env.PATH }, killGraceMs: 200 });
const run = shell.actions.run!;
const node = process.execPath;

describe("shell.run", () => {
  it("runs argv without a shell and captures stdout and stderr in order", async () => {
    const result = await run.run(
      // Separate pipes have no common order; the pauses make arrival order deterministic.
      {
        command: [
          node,
          "-e",
          "console.log('one'); setTimeout(() => { console.error('two'); setTimeout(() => console.log('$HOME; three'), 50) }, 50)",
        ],
        timeoutSeconds: 30,
      },
      makeCtx(),
    );
    expect(result.summary).toMatch(/^`\S+ -e 'console\.log\(.*\)'` exited 0 in \d+ ms \(3 lines of output\)$/);
    expect(result.artifacts?.[0]?.content).toBe("one\ntwo\n$HOME; three\n");
    expect(result.data).toMatchObject({ exitCode: 0, lines: 3 });
  });

  it("passes only the base environment and the allow-listed names, and scrubs their values from output", async () => {
    const ctx = makeCtx();
    const result = await run.run(
      {
        command: [node, "-e", "console.log(Object.keys(process.env).sort().join(',')); console.log(process.env.SHELL_SECRET)"],
        env: ["SHELL_SECRET"],
      },
      ctx,
    );
    const [names, secret] = (result.artifacts?.[0]?.content ?? "").split("\n");
    expect(names?.split(",").filter((n) => !["__CF_USER_TEXT_ENCODING"].includes(n))).toEqual(["PATH", "SHELL_SECRET"]);
    expect(secret).toBe("[REDACTED]");
    assertNoCanary(result, ctx.logs);
  });

  it("declares the allow-listed names as the credentials it needs", () => {
    expect(run.credentialsFor?.({ command: ["x"], env: ["NPM_TOKEN"] })).toEqual([
      { name: "NPM_TOKEN", description: "passed to `x` as an environment variable" },
    ]);
  });

  it("fails a non-zero exit with the code and the last lines, and keeps the full output as an artifact", async () => {
    const script = "for (let i = 1; i <= 30; i++) console.log('line ' + i); console.error('boom'); process.exit(3)";
    const err = await expectAdapterError(run.run({ command: [node, "-e", script] }, makeCtx()), "SHELL_EXIT_NONZERO");
    expect(err.userMessage).toMatch(/exited with code 3 after \d+ ms\. Last lines:\nline 12\n[\s\S]*line 30\nboom$/);
    const [artifact] = artifactsOfError(err);
    expect(artifact?.content?.split("\n")).toHaveLength(32);
  });

  it("says when the program does not exist", async () => {
    const err = await expectAdapterError(run.run({ command: ["opsroom-no-such-program"] }, makeCtx()), "SHELL_COMMAND_NOT_FOUND");
    expect(err.userMessage).toMatch(/^cannot run `opsroom-no-such-program`: opsroom-no-such-program was not found on PATH/);
  });

  it("stops the command at its timeout with ADAPTER_TIMEOUT and keeps what it printed", async () => {
    const started = Date.now();
    const err = await expectAdapterError(
      run.run({ command: [node, "-e", "console.log('started'); setInterval(() => {}, 1000)"], timeoutSeconds: 1 }, makeCtx()),
      "ADAPTER_TIMEOUT",
    );
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err.userMessage).toMatch(/did not finish within 1\.0 s and was stopped\.$/);
    expect(artifactsOfError(err)[0]?.content).toContain("started");
  });

  it("rejects promptly when the step is cancelled, and kills the process group", async () => {
    const ctx = makeCtx();
    const started = Date.now();
    const pending = run.run({ command: ["sleep", "30"] }, ctx);
    setTimeout(() => ctx.controller.abort(), 50);
    await expectAdapterError(pending, "ADAPTER_ABORTED");
    expect(Date.now() - started).toBeLessThan(10_000); // not the 30 s the command would take
  });

  it("dry run says what it would run and runs nothing", async () => {
    const result = await run.run(
      { command: ["rm", "-rf", "/tmp/opsroom dry run"], cwd: "deploy", env: ["NPM_TOKEN"] },
      makeCtx({ dryRun: true }),
    );
    expect(result.summary).toBe("dry run: would run `rm -rf '/tmp/opsroom dry run'` in deploy with NPM_TOKEN (timeout 600 s)");
  });

  it("fails before running when an allow-listed variable was not granted", async () => {
    const err = await expectAdapterError(run.run({ command: ["true"], env: ["NPM_TOKEN"] }, makeCtx()), "ADAPTER_CREDENTIAL_MISSING");
    expect(err.userMessage).toBe("shell.run needs NPM_TOKEN (passed to `true` as an environment variable), but it was not provided.");
  });

  it("stops the command and what it started when the process running the step is killed with SIGKILL", async () => {
    const dir = mkdtempSync(join(tmpdir(), "opsroom-shell-"));
    // The step's command starts a child of its own, then waits: two processes to account for.
    const command = ["sh", "-c", `echo $$ > ${dir}/pid; sleep 60 & echo $! > ${dir}/child; wait`];
    const host = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", hostScript(command)], { stdio: "ignore" });
    const pids = () => ["pid", "child"].map((f) => Number(readFileSync(join(dir, f), "utf8")));
    try {
      await waitFor(
        async () => existsSync(join(dir, "pid")) && existsSync(join(dir, "child")) && pids().every((p) => p > 0),
        "the command",
      );
      host.kill("SIGKILL");
      await waitFor(async () => pids().every((pid) => !isAlive(pid)), "the command's processes to end", 10_000);
    } finally {
      host.kill("SIGKILL");
      for (const pid of existsSync(join(dir, "child")) ? pids() : []) if (isAlive(pid)) process.kill(pid, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A process that runs one shell step with the adapter and never finishes on its own. */
function hostScript(command: string[]): string {
  const adapter = pathToFileURL(join(import.meta.dirname, "../../adapters/shell/index.ts")).href;
  return `
    const { createShellAdapter } = await import(${JSON.stringify(adapter)});
    const { pino } = await import("pino");
    const run = createShellAdapter({ baseEnv: { PATH: process.env.PATH }, killGraceMs: 500 }).actions.run;
    const ctx = { log: pino({ level: "silent" }), signal: new AbortController().signal, runId: "r", stepId: "s", dryRun: false, credentials: {} };
    await run.run({ command: ${JSON.stringify(command)} }, ctx);`;
}
