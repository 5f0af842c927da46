/**
 * SIGTERM to a real `opsroom start` process (the console, piped, on the embedded database): it stops
 * claiming, lets running steps finish within OPSROOM_SHUTDOWN_SECONDS, hands back what did not
 * finish (queued again if nothing had changed, failed if a mutating step was cut off, its command
 * killed), and exits 0. What the database holds is read after the process has gone.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { createServer as createHttpServer, type ServerResponse } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import type { Run, RunEvent } from "../../src/store/types.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const children: ChildProcessWithoutNullStreams[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A health endpoint that answers only when the test says so. */
async function heldHealthEndpoint(): Promise<{ url: string; requested: Promise<void>; answer(): void }> {
  const pending: ServerResponse[] = [];
  let markRequested!: () => void;
  const requested = new Promise<void>((resolve) => (markRequested = resolve));
  const server = createHttpServer((_req, res) => {
    pending.push(res);
    markRequested();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/healthz`,
    requested,
    answer: () => {
      for (const res of pending.splice(0)) res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
    },
  };
}

interface Started {
  child: ChildProcessWithoutNullStreams;
  dataDir: string;
  output: () => string;
  waitFor(pattern: RegExp): Promise<void>;
  exit: Promise<number | null>;
}

/** `opsroom start` with piped input that stays open (the console keeps running until signalled). */
async function start(input: string, env: Record<string, string>): Promise<Started> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "opsroom-shutdown-"));
  const child = spawn(process.execPath, [path.join(ROOT, "bin/opsroom.js"), "start"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", OPSROOM_DATA_DIR: dataDir, PORT: String(await freePort()), ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const w of waiters.filter((w) => w.pattern.test(output))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  child.stdin.write(input);
  const exit = new Promise<number | null>((resolve) => child.on("close", resolve));
  return {
    child,
    dataDir,
    output: () => output,
    exit,
    waitFor: (pattern) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(output)) return resolve();
        waiters.push({ pattern, resolve });
        void exit.then(() => reject(new Error(`opsroom exited before showing ${pattern}:\n${output}`)));
      }),
  };
}

/** The runs and their events as the process left them. */
async function storedRuns(dataDir: string): Promise<{ run: Run; events: RunEvent[] }[]> {
  const store = await openStore({ dataDir });
  try {
    const runs = await store.listRuns({ limit: 10 });
    return Promise.all(runs.map(async (run) => ({ run, events: await store.listEvents(run.id) })));
  } finally {
    await store.close();
  }
}

/** Processes whose command line is exactly `argv`. */
function processesRunning(argv: string[]): number[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8") === `${argv.join("\0")}\0`;
      } catch {
        return false;
      }
    })
    .map(Number);
}

const HEALTH_CONFIG = path.join(ROOT, "test/fixtures/config/dev-health-from-env.yml");

describe("SIGTERM to a running opsroom", () => {
  it("lets a running step finish within the grace period, records the run as it ended, and exits 0", async () => {
    const health = await heldHealthEndpoint();
    const bot = await start("check dev status\n", {
      OPSROOM_CONFIG: HEALTH_CONFIG,
      DEV_HEALTH_URL: health.url,
      OPSROOM_SHUTDOWN_SECONDS: "120",
    });
    await health.requested;
    bot.child.kill("SIGTERM");
    await bot.waitFor(/opsroom is stopping \(SIGTERM\)/);
    health.answer();
    expect(await bot.exit).toBe(0);
    const [only] = await storedRuns(bot.dataDir);
    expect(only?.run.status).toBe("succeeded");
  });

  it("hands back a run whose step is still going after the grace period: queued again, since it changed nothing", async () => {
    const health = await heldHealthEndpoint();
    const bot = await start("check dev status\n", {
      OPSROOM_CONFIG: HEALTH_CONFIG,
      DEV_HEALTH_URL: health.url,
      OPSROOM_SHUTDOWN_SECONDS: "1",
    });
    await health.requested;
    bot.child.kill("SIGTERM");
    expect(await bot.exit).toBe(0);
    const [only] = await storedRuns(bot.dataDir);
    expect(only?.run.status).toBe("queued");
    expect(only?.events.at(-1)).toMatchObject({ kind: "run_requeued", data: { reason: "shutdown" } });
    expect(only?.events.map((e) => e.kind)).not.toContain("run_cancelled");
  });

  it("marks a mutating run it had to cut off as failed, and stops its command", async () => {
    const command = ["/bin/sleep", "987"];
    const bot = await start("stall dev\napprove\n", {
      OPSROOM_CONFIG: path.join(ROOT, "test/fixtures/config/unreachable-dev.yml"),
      OPSROOM_RUNBOOKS_DIR: path.join(ROOT, "test/fixtures/shutdown"),
      OPSROOM_SHUTDOWN_SECONDS: "1",
    });
    await bot.waitFor(/▸ action/);
    await waitUntil(() => processesRunning(command).length > 0);
    bot.child.kill("SIGTERM");
    expect(await bot.exit).toBe(0);
    expect(processesRunning(command)).toEqual([]);
    const [only] = await storedRuns(bot.dataDir);
    expect(only?.run).toMatchObject({ status: "failed", mutationStarted: true });
    expect(only?.run.error).toMatch(/^interrupted: opsroom .* was stopping during step .*, which changes things, .*Outcome unknown/);
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
