/**
 * The program between a worker and a shell step's command, run as `node -e SUPERVISOR_SCRIPT`.
 *
 * The command leads its own process group (so stopping it also stops what it started), which also
 * means nothing stops it when the worker dies: Linux has PR_SET_PDEATHSIG, Node does not expose it,
 * and a SIGKILLed worker runs no exit handler. So the worker talks to the command through this
 * supervisor, whose stdin is a pipe from the worker (the lifeline). The kernel closes that pipe however
 * the worker ends, SIGKILL and the OOM killer included; the supervisor then sends SIGTERM to the
 * command's process group and SIGKILL after the grace period. The worker closes the lifeline itself to
 * stop a command (timeout, cancel).
 *
 * Protocol. stdin: one JSON line `{ file, args, cwd, env, graceMs }`, then nothing until it closes.
 * fd 3: one JSON line per event: `{ "started": pid }`, `{ "error": { code, message } }`,
 * `{ "exit": { code, signal } }`. stdout and stderr are handed to the command as they are.
 * The spec travels over stdin, not argv, because `env` holds credentials (argv is visible in `ps`).
 *
 * Plain CommonJS in a string: it must run in a bare `node` whether opsroom runs through tsx or compiled.
 * SIGINT and SIGHUP are ignored: a terminal sends them to the whole foreground group, and whether a
 * run goes on is the worker's decision (it keeps the lifeline open while it drains).
 */
export const SUPERVISOR_SCRIPT = String.raw`
"use strict";
const { spawn } = require("node:child_process");
const { writeSync } = require("node:fs");
let spec;
let group;
let stopping = false;
let input = "";
const send = (message) => {
  try { writeSync(3, JSON.stringify(message) + "\n"); } catch {}
};
const killGroup = (signal) => {
  if (group === undefined) return;
  try { process.kill(-group, signal); } catch {}
};
const stop = () => {
  if (stopping) return;
  stopping = true;
  if (group === undefined) process.exit(0);
  killGroup("SIGTERM");
  setTimeout(() => { killGroup("SIGKILL"); process.exit(0); }, spec.graceMs);
};
const start = () => {
  let child;
  try {
    child = spawn(spec.file, spec.args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ["ignore", 1, 2] });
  } catch (err) {
    send({ error: { code: err.code, message: err.message } });
    process.exit(0);
  }
  group = child.pid;
  child.on("spawn", () => send({ started: child.pid }));
  child.on("error", (err) => {
    send({ error: { code: err.code, message: err.message } });
    process.exit(0);
  });
  child.on("exit", (code, signal) => {
    send({ exit: { code, signal } });
    if (!stopping) process.exit(0);
  });
};
process.on("SIGINT", () => {});
process.on("SIGHUP", () => {});
process.on("SIGTERM", stop);
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  if (spec) return;
  input += chunk;
  const end = input.indexOf("\n");
  if (end < 0) return;
  spec = JSON.parse(input.slice(0, end));
  start();
});
process.stdin.on("end", stop);
process.stdin.on("error", stop);
`;
