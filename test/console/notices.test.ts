/**
 * Notices that come on their own (a schedule starting, a rollout moving) while the console waits for a
 * line: on a terminal they must not land inside the line being typed, nor lose it.
 */
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { PROMPT, runConsole } from "../../src/console/console.js";
import type { OpsService } from "../../src/service/ops-service.js";
import { renderScreen } from "./support/screen.js";

const NOTICE = "⏰ every 5 minutes: started Health check in dev (run 1a2b3c4d).";

/** The service as far as a typed request reaches it: every request is recorded and answered as heard. */
function fakeService() {
  const requests: string[] = [];
  const service: Pick<OpsService, "scheduleText" | "isPostmortemRequest" | "submitText"> = {
    scheduleText: async () => undefined,
    isPostmortemRequest: () => false,
    submitText: async (text) => {
      requests.push(text);
      return { kind: "help", text: `heard: ${text}` };
    },
  };
  return { service: service as OpsService, requests };
}

/** Resolves once pending stream events and timers have run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

const sessions: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((end) => end()));
});

/** The console on a terminal `columns` wide (fake TTY streams), with the `notify` it hands out. */
async function openConsole(options: { columns: number; tty: boolean }) {
  const { service, requests } = fakeService();
  const input = Object.assign(new PassThrough(), { isTTY: options.tty });
  const output = Object.assign(new PassThrough(), { isTTY: options.tty, columns: options.columns });
  let written = "";
  output.on("data", (chunk: Buffer) => (written += chunk.toString()));
  let notify: (text: string) => void = () => undefined;
  const finished = runConsole({
    service,
    input,
    output,
    startNotices: async (given) => {
      notify = given;
    },
  });
  sessions.push(() => (input.end(), finished));
  await settle();
  return {
    requests,
    notify: (text: string) => notify(text),
    /** Types text a key at a time, as a person does. */
    async type(text: string) {
      for (const key of text) input.write(key);
      await settle();
    },
    screen: () => renderScreen(written, options.columns),
    written: () => written,
  };
}

describe("notices while the console waits for a line", () => {
  it("prints a notice above the half-typed line and redraws it, so nothing typed is lost", async () => {
    const terminal = await openConsole({ columns: 80, tty: true });
    await terminal.type("check dev sta");

    terminal.notify(NOTICE);
    await settle();

    const { lines, row, col } = terminal.screen();
    expect(lines.slice(-2)).toEqual([NOTICE, `${PROMPT}check dev sta`]);
    // The cursor is back where typing left it.
    expect({ row, col }).toEqual({ row: lines.length - 1, col: `${PROMPT}check dev sta`.length });

    await terminal.type("tus\r");
    expect(terminal.requests).toEqual(["check dev status"]);
    const after = terminal.screen().lines;
    expect(after[after.indexOf(`${PROMPT}check dev status`) + 1]).toBe("heard: check dev status");
    expect(after.at(-1)).toBe(PROMPT.trimEnd());
  });

  it("keeps a typed line that wraps past the terminal's width whole, below the notice", async () => {
    const terminal = await openConsole({ columns: 30, tty: true });
    const typed = "deploy api to staging at 5pm tomorrow please";
    await terminal.type(typed);

    terminal.notify("🪜 Rollout 1a2b3c4d: 50% done.");
    await settle();

    const shown = `${PROMPT}${typed}`;
    expect(terminal.screen().lines.slice(-3)).toEqual(["🪜 Rollout 1a2b3c4d: 50% done.", shown.slice(0, 30), shown.slice(30)]);
  });

  it("prints notices as plain lines when the input is piped", async () => {
    const piped = await openConsole({ columns: 80, tty: false });
    piped.notify(NOTICE);
    await settle();
    expect(piped.written()).toBe(`${NOTICE}\n`);
  });
});
