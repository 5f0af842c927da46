import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import type { Logger } from "pino";
import type { ProcessConfig } from "../config/config-schema.js";
import { OpsError } from "../errors.js";

/** What a process prints once it is ready, followed by the variables it offers as one JSON object. */
const READY = "opsroom:ready";
const VARIABLE = /^[A-Z][A-Z0-9_]*$/;
const STOP_GRACE_MS = 10_000;
/** Processes opsroom is stopping: their exit is expected, not an error to log. */
const stopping = new WeakSet<ChildProcessWithoutNullStreams>();

export interface RunningProcesses {
  /** Variables the processes offered when ready (e.g. DEV_DATABASE_URL), for the config and credentials. */
  readonly variables: Readonly<Record<string, string>>;
  /** Stops every process (SIGTERM, then SIGKILL after 10 s) and waits for them to exit. */
  stop(): Promise<void>;
}

/**
 * Starts the config's `processes` (the dev environment's host, or a team's own helpers) and waits until
 * each has printed `opsroom:ready {…variables}`. Each gets a pipe as its standard input and must exit when
 * it closes: opsroom never writes to it, so it closes exactly when opsroom is gone, even after a kill -9,
 * and nothing a process started outlives opsroom.
 *
 * @example const processes = await startProcesses(config.processes, { log, cwd: process.cwd(), env: { PATH } });
 */
export async function startProcesses(
  specs: Readonly<Record<string, ProcessConfig>>,
  options: { log: Logger; cwd: string; env: Readonly<Record<string, string | undefined>> },
): Promise<RunningProcesses> {
  const started: Array<{ name: string; child: ChildProcessWithoutNullStreams }> = [];
  const variables: Record<string, string> = {};
  const stop = () => Promise.all(started.map(({ child }) => stopChild(child))).then(() => undefined);
  try {
    for (const [name, spec] of Object.entries(specs)) {
      const log = options.log.child({ process: name });
      // `node` is the Node.js running opsroom, whatever PATH the process gets.
      const program = spec.command[0] === "node" ? process.execPath : spec.command[0]!;
      const child = spawn(program, spec.command.slice(1), { cwd: options.cwd, env: definedOnly(options.env), stdio: "pipe" });
      started.push({ name, child });
      Object.assign(variables, await untilReady(name, spec, child, log));
      log.info({ pid: child.pid, variables: Object.keys(variables) }, "process ready");
      child.on("exit", (code, signal) => {
        if (!stopping.has(child))
          log.error({ code, signal }, "process exited while opsroom runs; what it served is gone until opsroom restarts");
      });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { variables, stop };
}

function untilReady(
  name: string,
  spec: ProcessConfig,
  child: ChildProcessWithoutNullStreams,
  log: Logger,
): Promise<Record<string, string>> {
  const tail: string[] = [];
  const remember = (line: string) => {
    tail.push(line);
    if (tail.length > 10) tail.shift();
  };
  createInterface({ input: child.stderr }).on("line", (line) => {
    remember(line);
    log.warn({ line }, "process stderr");
  });
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(
        new OpsError(
          "PROCESS_NOT_READY",
          `process ${name} (${spec.command.join(" ")}) ${why}.${tail.length ? ` Last output: ${tail.join(" | ")}` : ""}`,
          {
            hint: `Check processes.${name} in the config; remove it to start opsroom without it.`,
          },
        ),
      );
    };
    const timer = setTimeout(() => fail(`was not ready within ${spec.readyTimeoutSeconds} s`), spec.readyTimeoutSeconds * 1000);
    child.on("error", (err) => fail(`could not start: ${err.message}`));
    child.on("exit", (code, signal) => fail(`exited with ${code ?? signal} before it was ready`));
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (!line.startsWith(READY)) {
        remember(line);
        log.info({ line }, "process output");
        return;
      }
      clearTimeout(timer);
      child.removeAllListeners("exit");
      child.removeAllListeners("error");
      try {
        resolve(parseVariables(line.slice(READY.length)));
      } catch (err) {
        reject(new OpsError("PROCESS_NOT_READY", `process ${name} printed ${READY} with ${(err as Error).message}.`));
      }
    });
  });
}

function parseVariables(text: string): Record<string, string> {
  if (!text.trim()) return {};
  const value = JSON.parse(text) as unknown;
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error("something other than a JSON object");
  for (const [key, v] of Object.entries(value)) {
    if (!VARIABLE.test(key) || typeof v !== "string") throw new Error(`a bad variable ${key} (names like DEV_API_URL, string values)`);
  }
  return value as Record<string, string>;
}

function stopChild(child: ChildProcessWithoutNullStreams): Promise<void> {
  stopping.add(child);
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.stdin.end();
    child.kill("SIGTERM");
  });
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
