/**
 * The console in a real terminal (tmux): what a person typing sees. Each test starts `opsroom start`
 * on a fresh embedded database, as `npm start` does.
 */
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { hasTmux, openTerminal, type Terminal } from "./support/terminal.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
/** The prompt, waiting on the last line (capture-pane drops trailing spaces). */
const PROMPT = /opsroom>\s*$/;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

// One migrated embedded database, copied for each session: creating one takes seconds.
let template: string;
beforeAll(async () => {
  template = mkdtempSync(path.join(tmpdir(), "opsroom-tty-template-"));
  const child = spawn(process.execPath, [path.join(ROOT, "bin/opsroom.js"), "migrate"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", OPSROOM_DATA_DIR: template },
    stdio: ["ignore", "ignore", "inherit"],
  });
  expect(await new Promise((resolve) => child.on("close", resolve))).toBe(0);
});

/** A fresh embedded database for one test. */
function freshDataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "opsroom-tty-"));
  cpSync(template, dir, { recursive: true });
  return dir;
}

const open: Terminal[] = [];
const servers: Server[] = [];
afterEach(async () => {
  open.splice(0).forEach((t) => t.close());
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function startConsole(env: Record<string, string> = {}): Promise<Terminal> {
  const terminal = openTerminal({ OPSROOM_DATA_DIR: freshDataDir(), PORT: String(await freePort()), ...env });
  open.push(terminal);
  await terminal.waitFor(PROMPT);
  return terminal;
}

/** A health endpoint that accepts requests and never answers: a run checking it stays in its action phase. */
async function hangingHealthUrl(): Promise<string> {
  const server = createHttpServer(() => {});
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/healthz`;
}

/** `runs` in a second console session on the same data folder, piped: the statuses as stored. */
async function storedRuns(env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, [path.join(ROOT, "bin/opsroom.js"), "start"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", PORT: String(await freePort()), ...env },
    stdio: ["pipe", "pipe", "inherit"],
  });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stdin.end("runs\n");
  await new Promise((resolve) => child.on("close", resolve));
  return stdout;
}

describe.skipIf(!hasTmux)("the console in a terminal (tmux)", () => {
  it("prompts, echoes what is typed, clears the line on Ctrl-C and exits on Ctrl-D", async () => {
    const t = await startConsole();
    t.type("check dev sta");
    await t.waitFor(/opsroom> check dev sta\s*$/);
    t.press("C-c");
    await t.waitFor(/opsroom> check dev sta\^C\nopsroom>\s*$/);
    t.type("help");
    t.press("Enter");
    const shown = await t.waitFor(/Console commands:[\s\S]*opsroom>\s*$/);
    // The cleared text did not become part of the next command.
    expect(shown).not.toContain("check dev stahelp");
    t.press("C-d");
    expect(await t.exitCode()).toBe(0);
  });

  it("offers to cancel a run on Ctrl-C and cancels it on the second, so it never stays running", async () => {
    const dataDir = freshDataDir();
    const env = {
      OPSROOM_DATA_DIR: dataDir,
      OPSROOM_CONFIG: path.join(ROOT, "test/fixtures/config/dev-health-from-env.yml"),
      DEV_HEALTH_URL: await hangingHealthUrl(),
    };
    const t = await startConsole(env);
    t.type("check dev status");
    t.press("Enter");
    await t.waitFor(/▸ action/);
    t.press("C-c");
    await t.waitFor(/press Ctrl-C again to cancel Health check \(run [0-9a-f]{8}\)/);
    // The run goes on after the first Ctrl-C.
    expect(t.screen()).not.toMatch(/■ cancelled/);
    t.press("C-c");
    await t.waitFor(/■ cancelled: Health check[\s\S]*opsroom>\s*$/);
    t.press("C-d");
    expect(await t.exitCode()).toBe(0);
    const runs = await storedRuns(env);
    expect(runs).toMatch(/cancelled\s+Health check \(dev\)/);
    expect(runs).not.toMatch(/running/);
  });

  it("keeps history across sessions in the data folder", async () => {
    const dataDir = freshDataDir();
    const first = await startConsole({ OPSROOM_DATA_DIR: dataDir });
    first.type("show the ops board please");
    first.press("Enter");
    await first.waitFor(/please\n[\s\S]*opsroom>\s*$/);
    first.press("C-d");
    await first.exitCode();
    const second = await startConsole({ OPSROOM_DATA_DIR: dataDir });
    second.press("Up");
    await second.waitFor(/opsroom> show the ops board please\s*$/);
  });

  it("colours outcomes on a terminal, and not with NO_COLOR", async () => {
    const [coloured, plain] = await Promise.all([startConsole(), startConsole({ NO_COLOR: "1" })]);
    coloured.type("check dev status");
    coloured.press("Enter");
    await coloured.waitFor(/✔ succeeded/);
    expect(coloured.screen({ escapes: true })).toContain("\u001b[32m✔ succeeded");
    plain.type("check dev status");
    plain.press("Enter");
    await plain.waitFor(/✔ succeeded/);
    expect(plain.screen({ escapes: true })).not.toContain("\u001b[32m");
  });
});
