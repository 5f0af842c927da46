import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

/** One running process of a release, listening on its own free loopback port. */
export interface Instance {
  readonly pid: number;
  readonly port: number;
  readonly sha: string;
  stop(): Promise<void>;
}

/** How long a child may take to print `listening <address>` before it is given up on. */
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

/** Starts `node <release>/server.ts` (see startListening). */
export async function startInstance(release: string, sha: string, env: Record<string, string>): Promise<Instance> {
  const { pid, address, stop } = await startListening([path.join(release, "server.ts")], release, { ...env, RELEASE_COMMIT: sha });
  return { pid, port: Number(address), sha, stop };
}

/**
 * Starts a node program that prints `listening <address>` once it serves. Its standard input is a pipe from
 * this process: when this process ends, however it ends, the pipe closes and the child exits (no orphans).
 * Resolves once it listens; rejects with its last output when it exits or stays silent first.
 */
export function startListening(
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<{ pid: number; address: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${why}${output.trim() ? `: ${output.trim().split("\n").slice(-5).join(" | ")}` : ""}`));
    };
    const timer = setTimeout(() => fail(`did not start listening within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    child.on("error", (err) => fail(`could not start: ${err.message}`));
    child.on("exit", (code, signal) => fail(`exited with ${code ?? signal} before listening`));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\S+)\n/.exec(output);
      if (!match || child.pid === undefined) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      resolve({ pid: child.pid, address: match[1]!, stop: () => stopChild(child) });
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.stdin?.end();
    child.kill("SIGTERM");
  });
}
