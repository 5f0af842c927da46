import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runConsole } from "../../src/console/console.js";
import { createApp, type App } from "../../src/main.js";

const RUNBOOK = `
id: print-env
title: Print environment
owner: platform
escalation: "@oncall-platform"
risk: write
triggers: { verbs: [printenv] }
examples: [printenv]
phases:
  action:
    - id: print
      uses: shell.run
      with: { command: [env] }
`;

const FAILING_RUNBOOK = `
id: migrate-loudly
title: Migrate loudly
owner: platform
escalation: "@oncall-platform"
risk: write
triggers: { verbs: [migrateloud] }
examples: [migrateloud]
phases:
  action:
    - id: migrate
      uses: shell.run
      with: { command: [sh, -c, "echo applying 0042; echo 'error: relation users is locked' >&2; exit 3"] }
`;

// The app as \`npm start\` builds it (main.ts), with a runbook whose one step is a real command.
describe("a shell step in the running app", () => {
  let app: App;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "opsroom-shell-app-"));
    writeFileSync(path.join(dir, "print-env.yml"), RUNBOOK);
    writeFileSync(path.join(dir, "migrate-loudly.yml"), FAILING_RUNBOOK);
    app = await createApp(
      {
        stdin: new PassThrough(),
        stdout: new PassThrough(),
        stderr: new PassThrough(),
        env: {
          PATH: process.env.PATH,
          HOME: "/home/opsroom",
          LANG: "C.UTF-8",
          GITHUB_TOKEN: "ghp_not_for_shell_steps",
          OPSROOM_RUNBOOKS_DIR: dir,
          OPSROOM_DATA_DIR: path.join(dir, "data"),
        },
      },
      { worker: true, health: false, consoleMode: true },
    );
  });

  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const converse = async (lines: string) => {
    const input = new PassThrough();
    const output = new PassThrough();
    let text = "";
    output.on("data", (chunk: Buffer) => (text += chunk.toString()));
    input.end(lines);
    const { failedRuns } = await runConsole({ service: app.service, input, output });
    return { text, failedRuns };
  };

  it("runs the command with the documented base environment, and nothing else of opsroom's", async () => {
    const { text, failedRuns } = await converse("printenv\napprove\n");

    expect(failedRuns, text).toBe(0);
    expect(text).toContain("✔ succeeded: Print environment in ");
    const printed = text.split("\n").flatMap((l) => /^\s+([A-Z_]+)=/.exec(l)?.[1] ?? []);
    expect(printed.sort()).toEqual(["HOME", "LANG", "PATH"]);
    expect(text).toContain("HOME=/home/opsroom");
  });

  it("shows the output of a command that failed, under its step", async () => {
    const { text, failedRuns } = await converse("migrateloud\napprove\n");
    expect(failedRuns).toBe(1);
    const failure = text.slice(text.indexOf("✗ migrate"));
    expect(failure).toMatch(/^✗ migrate — `sh -c .*` exited with code 3/);
    expect(failure).toContain("📎 Output of sh -c");
    // stdout and stderr are two pipes: both lines are there, in whichever order they arrived.
    expect(failure).toContain("       applying 0042\n");
    expect(failure).toContain("       error: relation users is locked\n");
  });
});
