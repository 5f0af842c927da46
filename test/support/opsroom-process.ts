import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** A real `opsroom <command>` process, as a user starts it, with its output kept. */
export interface OpsroomProcess {
  child: ChildProcess;
  stdout(): string;
  /** Its PORT (health endpoint; Slack HTTP mode listens there too). */
  port: number;
  stderr(): string;
  /** Resolves with the exit code once the process has exited and its output is read. */
  exit: Promise<number | null>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `bin/opsroom.js start` (or `args`) on a fresh embedded database and a free PORT (unless `env`
 * names one), with a clean environment plus `env`, and `input` (if any) as its standard input. NODE_OPTIONS
 * is passed on, so it runs in the suite's strict unhandled-rejection mode.
 */
export async function startOpsroom(
  env: Record<string, string>,
  options: { args?: string[]; input?: string } = {},
): Promise<OpsroomProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, "bin/opsroom.js"), ...(options.args ?? ["start"])], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      NODE_OPTIONS: process.env.NODE_OPTIONS ?? "",
      OPSROOM_DATA_DIR: mkdtempSync(path.join(tmpdir(), "opsroom-process-")),
      PORT: String(port),
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.on("close", resolve));
  return { child, port, stdout: () => stdout, stderr: () => stderr, exit };
}

/** Polls `check` until it holds; on timeout the error shows the process's stderr. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  started: OpsroomProcess,
  // A start on a loaded 2-core machine (transpiling, opening PGlite) has taken over 30 s.
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; opsroom's stderr:\n${started.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits up to `timeoutMs` for the process to exit; returns undefined (and kills it) if it did not. */
export async function exitWithin(started: OpsroomProcess, timeoutMs: number): Promise<number | null | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  const code = await Promise.race([started.exit, timedOut]);
  clearTimeout(timer);
  if (code === undefined) started.child.kill("SIGKILL");
  return code;
}
