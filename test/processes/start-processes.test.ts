import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { OpsError } from "../../src/errors.js";
import { startProcesses } from "../../src/processes/start-processes.js";

const log = pino({ level: "silent" });
const env = { PATH: process.env.PATH };
const node = (code: string) => ({ command: [process.execPath, "-e", code], readyTimeoutSeconds: 30 });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("the config's processes", () => {
  it("offers the variables a process prints when ready, and stops it when asked", async () => {
    const ready = `console.log("warming up"); console.log('opsroom:ready ' + JSON.stringify({ SIDE_URL: "http://127.0.0.1:1", SIDE_PID: String(process.pid) })); process.stdin.resume();`;
    const running = await startProcesses({ side: node(ready) }, { log, cwd: process.cwd(), env });
    expect(running.variables.SIDE_URL).toBe("http://127.0.0.1:1");
    const pid = Number(running.variables.SIDE_PID);
    expect(alive(pid)).toBe(true);
    await running.stop();
    expect(alive(pid)).toBe(false);
  });

  it("refuses to start when a process exits before it is ready, with its last output", async () => {
    const failing = startProcesses({ broken: node(`console.error("git: not found"); process.exit(3)`) }, { log, cwd: process.cwd(), env });
    await expect(failing).rejects.toBeInstanceOf(OpsError);
    await expect(failing).rejects.toThrow(/process broken .* exited with 3 before it was ready\. Last output: git: not found/);
  });
});
