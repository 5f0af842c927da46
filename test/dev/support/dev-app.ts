/**
 * opsroom as `npm start` builds it, on the example config (so with the dev environment's processes), in this
 * test process: a fresh data folder, real adapters, the real executor and worker. No credential is set and
 * no network is reachable but the loopback, so what works here works on a fresh machine.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough, Writable } from "node:stream";
import pg from "pg";
import { runConsole } from "../../../src/console/console.js";
import { createApp, type App } from "../../../src/main.js";

export const ROOT = path.resolve(import.meta.dirname, "../../..");

/** A port nobody listens on right now (opsroom's own health endpoint, which is the dev env's health URL). */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface DevApp {
  app: App;
  dataDir: string;
  /** A variable the dev environment's processes offered (DEV_API_URL, DEV_DATABASE_URL, …). */
  variable(name: string): string;
  /** Every pid the dev environment runs now: its host and the api's instances. */
  pids(): number[];
  /** The api's instances, as the host reports them. */
  status(): Promise<{ version: string; sha: string; replicas: number; instances: Array<{ pid: number }> }>;
  query<T extends pg.QueryResultRow>(env: "DEV_DATABASE_URL" | "STAGING_DATABASE_URL", sql: string): Promise<T[]>;
  close(): Promise<void>;
}

export async function startDevApp(extraEnv: Record<string, string> = {}): Promise<DevApp> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "opsroom-dev-"));
  const stderr: string[] = [];
  const app = await createApp(
    {
      stdin: new PassThrough(),
      stdout: new PassThrough(),
      stderr: new Writable({
        write(chunk: Buffer, _enc, done) {
          stderr.push(chunk.toString());
          done();
        },
      }),
      env: { OPSROOM_DATA_DIR: dataDir, PORT: String(await freePort()), PATH: process.env.PATH, HOME: process.env.HOME, ...extraEnv },
    },
    { worker: true, health: true, consoleMode: true },
  );
  const variable = (name: string) => {
    const value = app.config.credentialSource[name];
    if (!value) throw new Error(`the dev environment did not offer ${name}`);
    return value;
  };
  const status = async () => {
    const response = await fetch(new URL("/services/api/status", variable("DEV_HOST_URL")));
    return ((await response.json()) as { data: Awaited<ReturnType<DevApp["status"]>> }).data;
  };
  // The dev databases open (and are created) on first use, which takes long on a busy machine: do it here,
  // with no connect timeout, so the runbooks' connections (15 s) find them open.
  for (const name of ["DEV_DATABASE_URL", "STAGING_DATABASE_URL"]) {
    const client = new pg.Client({ connectionString: variable(name) });
    await client.connect();
    await client.end();
  }
  let lastPids: number[] = [];
  let closing: Promise<void> | undefined;
  return {
    app,
    dataDir,
    variable,
    pids: () => lastPids,
    async status() {
      const s = await status();
      lastPids = [Number(readFileSync(path.join(dataDir, "dev", "host.pid"), "utf8")), ...s.instances.map((i) => i.pid)];
      return s;
    },
    async query<T extends pg.QueryResultRow>(env: string, sql: string) {
      // The dev databases serve one connection at a time: this one is closed before the test goes on.
      const client = new pg.Client({ connectionString: variable(env) });
      await client.connect();
      try {
        return (await client.query<T>(sql)).rows;
      } finally {
        await client.end();
      }
    },
    close() {
      closing ??= app.close().then(() => rmSync(dataDir, { recursive: true, force: true }));
      return closing;
    },
  };
}

/** Whether a process is alive (signal 0 only checks). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits for a condition, polling; fails naming what it waited for. Never a fixed sleep. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs / 1000} s for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The console on piped input, as `printf '…' | npm start` drives it: each line waits for the run it
 * starts. `send` returns what the console printed for that line once `done` matches it.
 */
export function consoleSession(app: App) {
  const input = new PassThrough();
  let output = "";
  const finished = runConsole({
    service: app.service,
    input,
    output: new Writable({
      write(chunk: Buffer, _enc, done) {
        output += chunk.toString();
        done();
      },
    }),
  });
  return {
    async send(line: string, done: RegExp, timeoutMs = 120_000): Promise<string> {
      const from = output.length;
      input.write(`${line}\n`);
      return until(`the console to answer "${line}" with ${done}`, () => done.test(output.slice(from)) && output.slice(from), timeoutMs);
    },
    /** Ends the input; resolves with how many runs failed. */
    async end() {
      input.end();
      return finished;
    },
  };
}

/** Requests to the api through its front door (what its users would send), with the statuses they got. */
export async function requestApi(baseUrl: string, pathname: string, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) statuses.push((await fetch(new URL(pathname, baseUrl))).status);
  return statuses;
}
