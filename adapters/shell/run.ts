import { spawn } from "node:child_process";
import { isAbsolute, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction, Artifact, StepResult } from "../types.js";
import { adapterAction, type ActionContext } from "../shared/action.js";
import { boolArg, envNameArg, optionalArg, optionalInt, optionalText } from "../shared/args.js";
import { formatDuration } from "../shared/clock.js";
import { AdapterFailure, abortError } from "../shared/errors.js";
import { SUPERVISOR_SCRIPT } from "./supervisor.js";
import { parseStepResult } from "./step-result.js";

export interface ShellAdapterOptions {
  /**
   * The environment every command starts from, e.g. { PATH, HOME, LANG } picked by the composition
   * root. Nothing else from the bot's environment reaches a command: further variables must be listed in
   * the step's `env` and are then granted as credentials by the executor.
   */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  /** Folder relative `cwd` values are resolved from; the bot's working directory by default. */
  baseDir?: string;
  /** How long a stopped command gets after SIGTERM before SIGKILL; default 5 s. */
  killGraceMs?: number;
}

export const runArgs = z
  .strictObject({
    /** argv: the program and its arguments, never a shell line. */
    command: z
      .array(z.string({ error: "must be a list of strings" }), { error: "must be argv, a list like [npm, run, build] (no shell)" })
      .min(1, "must name the program to run"),
    /** Arguments appended to `command`: the per-run part of a configured command (a ref, a count). */
    args: z.array(z.union([z.string(), z.number()], { error: "must be a list of strings" }).transform(String)).default([]),
    cwd: optionalText(),
    /** Names of environment variables to pass to the command (granted as credentials). */
    env: z.array(envNameArg, { error: "must be a list of environment variable names" }).default([]),
    timeoutSeconds: optionalInt(1, 6 * 3600),
    /** The command prints its step result as JSON on stdout ({ summary, data, artifacts }; see step-result.ts). */
    stepResult: optionalArg(boolArg()),
  })
  .transform(({ args, ...rest }) => ({ ...rest, command: [...rest.command, ...args] }));

type RunArgs = z.output<typeof runArgs>;

/** What the supervisor reports on fd 3 (see supervisor.ts). */
type SupervisorMessage =
  { started: number } | { exit: { code: number | null; signal: NodeJS.Signals | null } } | { error: { code?: string; message: string } };

const DEFAULT_TIMEOUT_SECONDS = 600;
/** Output beyond this is dropped with an explicit marker rather than exhausting memory: 16 MiB. */
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
const TAIL_LINES = 20;

/** Renders argv for people, quoting what a shell would need quoted (display only; nothing is run by a shell). */
export function displayCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}

/**
 * Runs a program (argv, no shell) with only the allowed environment, in a process group of its own
 * under a supervisor that ends the group when this process ends (supervisor.ts). Output from stdout
 * and stderr is kept in arrival order in one text artifact, whole. A non-zero exit fails with the exit
 * code and the last lines, and the error still carries the full output as an artifact.
 */
export function createRunAction(options: ShellAdapterOptions = {}, readOnly = false): AdapterAction {
  const baseDir = options.baseDir ?? process.cwd();
  const killGraceMs = options.killGraceMs ?? 5000;
  const action = {
    description: readOnly
      ? "Run a program that only reads (argv, no shell), like shell.run; runs in preflight, before approval, and may be retried."
      : "Run a program (argv, no shell) with an allow-listed environment; capture its output; fail on non-zero exit.",
    args: runArgs,
    credentialsFor: (args: RunArgs) =>
      args.env.map((name) => ({ name, description: `passed to \`${args.command[0]}\` as an environment variable` })),
    run(args: RunArgs, ctx: ActionContext): Promise<StepResult> {
      const cwd = args.cwd ? (isAbsolute(args.cwd) ? args.cwd : resolve(baseDir, args.cwd)) : baseDir;
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(options.baseEnv ?? {})) if (v !== undefined) env[k] = v;
      for (const name of args.env) env[name] = ctx.credentials[name] ?? "";
      const shown = displayCommand(args.command);
      const timeoutMs = (args.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = AbortSignal.any([ctx.signal, timeout]);
      const started = performance.now();

      return new Promise((resolvePromise, reject) => {
        const chunks: Buffer[] = [];
        const stdoutChunks: Buffer[] = [];
        let bytes = 0;
        let dropped = 0;
        let stdoutBytes = 0;
        let stderrBytes = 0;
        let settled = false;
        const collect = (chunk: Buffer) => {
          if (bytes + chunk.length > MAX_OUTPUT_BYTES) {
            dropped += chunk.length;
            return;
          }
          chunks.push(chunk);
          bytes += chunk.length;
        };
        const output = (): string => {
          const text = ctx.scrub.text(Buffer.concat(chunks).toString("utf8"));
          return dropped > 0
            ? `${text}\n[opsroom: output over ${MAX_OUTPUT_BYTES / 1024 / 1024} MiB; the last ${dropped} bytes were not kept]`
            : text;
        };
        const artifact = (): Artifact => ({ kind: "text", title: `Output of ${shown}`, filename: "output.log", content: output() });

        const spawnError = (err: { code?: string; message: string }) => {
          const notFound = err.code === "ENOENT";
          return new AdapterError(
            "shell",
            "run",
            notFound ? "SHELL_COMMAND_NOT_FOUND" : "SHELL_SPAWN_FAILED",
            notFound
              ? `cannot run \`${shown}\`: ${args.command[0]} was not found on PATH, or the folder ${cwd} does not exist.`
              : `cannot run \`${shown}\`: ${err.code ?? err.message}.`,
          );
        };
        const fail = (error: Error) => {
          signal.removeEventListener("abort", onAbort);
          if (settled) return;
          settled = true;
          reject(error);
        };

        // The command runs under a supervisor (supervisor.ts) that stops its process group when this
        // process ends, however it ends; closing the supervisor's stdin (the lifeline) stops it on purpose.
        const supervisor = spawn(process.execPath, ["-e", SUPERVISOR_SCRIPT], { env: {}, stdio: ["pipe", "pipe", "pipe", "pipe"] });
        const lifeline = supervisor.stdin;
        lifeline.on("error", () => {}); // the supervisor is gone: nothing is left to stop
        // `node` is the Node.js running opsroom (the dev environment's commands are TypeScript run by Node 22).
        const file = args.command[0] === "node" ? process.execPath : args.command[0];
        lifeline.write(`${JSON.stringify({ file, args: args.command.slice(1), cwd, env, graceMs: killGraceMs })}\n`);
        supervisor.stdout.on("data", (c: Buffer) => {
          stdoutBytes += c.length;
          if (args.stepResult && stdoutBytes <= MAX_OUTPUT_BYTES) stdoutChunks.push(c);
          collect(c);
        });
        supervisor.stderr.on("data", (c: Buffer) => {
          stderrBytes += c.length;
          collect(c);
        });
        let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
        createInterface({ input: supervisor.stdio[3] as Readable }).on("line", (line) => {
          const message = JSON.parse(line) as SupervisorMessage;
          if ("started" in message) ctx.log.info({ command: args.command[0], pid: message.started }, "command started");
          else if ("exit" in message) exit = message.exit;
          else fail(spawnError(message.error));
        });
        supervisor.on("error", (err: NodeJS.ErrnoException) => fail(spawnError({ code: err.code, message: err.message })));

        const onAbort = () => {
          lifeline.end();
          if (settled) return;
          settled = true;
          if (ctx.signal.aborted) return reject(abortError("shell", "run", `\`${shown}\``, ctx.signal.reason));
          reject(
            new AdapterFailure(
              "shell",
              "run",
              "ADAPTER_TIMEOUT",
              `\`${shown}\` did not finish within ${formatDuration(timeoutMs)} and was stopped.`,
              {
                retryable: true,
                artifacts: [artifact()],
                hint: "Raise timeoutSeconds if it needs longer.",
              },
            ),
          );
        };
        signal.addEventListener("abort", onAbort, { once: true });

        supervisor.on("close", () => {
          signal.removeEventListener("abort", onAbort);
          if (settled) return;
          settled = true;
          // The supervisor died before the command (someone killed it): the command may live on.
          if (!exit) {
            reject(new AdapterError("shell", "run", "SHELL_SUPERVISOR_LOST", `\`${shown}\` lost its supervisor; it may still be running.`));
            return;
          }
          const { code, signal: sig } = exit;
          const ms = performance.now() - started;
          const text = output();
          const lines = text.split("\n").filter((l, i, all) => l !== "" || i < all.length - 1);
          const data = { exitCode: code, signal: sig, durationMs: Math.round(ms), stdoutBytes, stderrBytes, lines: lines.length };
          if (code === 0 && args.stepResult) {
            const result = parseStepResult(Buffer.concat(stdoutChunks).toString("utf8"));
            if ("summary" in result) return resolvePromise(result);
            return reject(
              new AdapterFailure("shell", "run", "SHELL_BAD_RESULT", `\`${shown}\` exited 0, but ${result.problem}.`, {
                artifacts: [artifact()],
                hint: "A command run with stepResult prints one JSON object: { summary, data, artifacts }.",
              }),
            );
          }
          if (code === 0) {
            resolvePromise({
              summary: `\`${shown}\` exited 0 in ${formatDuration(ms)} (${lines.length} line${lines.length === 1 ? "" : "s"} of output)`,
              data,
              artifacts: [{ kind: "text", title: `Output of ${shown}`, filename: "output.log", content: text }],
            });
            return;
          }
          const tail = lines.slice(-TAIL_LINES).join("\n");
          const how = code === null ? `was killed by ${sig ?? "a signal"}` : `exited with code ${code}`;
          reject(
            new AdapterFailure(
              "shell",
              "run",
              "SHELL_EXIT_NONZERO",
              `\`${shown}\` ${how} after ${formatDuration(ms)}.${tail ? ` Last lines:\n${tail}` : " It printed nothing."}`,
              {
                artifacts: [{ kind: "text", title: `Output of ${shown}`, filename: "output.log", content: text }],
              },
            ),
          );
        });
      });
    },
  };
  // shell.read: the same for a command that only reads (a status, a list, a preview of a change). Being
  // read-only it runs in preflight, so its result is on the plan card; the runbook vouches that it reads.
  if (readOnly) return adapterAction("shell", "read", { ...action, risk: "read" });
  return adapterAction("shell", "run", {
    ...action,
    risk: "write",
    dryRun: (args) => ({
      calls: [],
      summary: `would run \`${displayCommand(args.command)}\`${args.cwd ? ` in ${args.cwd}` : ""}${args.env.length ? ` with ${args.env.join(", ")}` : ""} (timeout ${args.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS} s)`,
    }),
  });
}
