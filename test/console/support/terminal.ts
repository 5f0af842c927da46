import { execFileSync, spawnSync } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../../..");

/** Whether tmux (a real pseudo-terminal for the console to run in) is installed. */
export const hasTmux = spawnSync("tmux", ["-V"]).status === 0;

/**
 * `opsroom start` in a real terminal: a tmux session on a socket of its own, driven with send-keys
 * and read with capture-pane, the way a person at a terminal would see it.
 */
export interface Terminal {
  /** Types text (no Enter). */
  type(text: string): void;
  /** Presses keys by tmux name: "Enter", "C-c", "C-d", "Up". */
  press(...keys: string[]): void;
  /** What the screen shows now (with `escapes`, the colour codes too). */
  screen(options?: { escapes?: boolean }): string;
  /** Waits until the screen matches, and returns it; fails with the screen's content after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** The console's exit code once it has exited (the pane stays open to tell). */
  exitCode(timeoutMs?: number): Promise<number>;
  close(): void;
}

let sessions = 0;

export function openTerminal(env: Record<string, string>): Terminal {
  const socket = `opsroom-test-${process.pid}-${++sessions}`;
  const tmux = (...args: string[]) => execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8" });
  const assignments = Object.entries({ PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", TERM: "xterm-256color", ...env }).map(
    ([name, value]) => `${name}=${quote(value)}`,
  );
  const command = `cd ${quote(ROOT)} && env -i ${assignments.join(" ")} ${quote(process.execPath)} bin/opsroom.js start; echo "[exited $?]"; sleep 600`;
  tmux("new-session", "-d", "-x", "160", "-y", "50", command);
  const screen = (options: { escapes?: boolean } = {}) =>
    tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "0", ...(options.escapes ? ["-e"] : []));
  const waitFor = async (pattern: RegExp, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const shown = screen();
      if (pattern.test(shown)) return shown;
      if (Date.now() > deadline) throw new Error(`the terminal never showed ${pattern}; it shows:\n${shown}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  return {
    type: (text) => void tmux("send-keys", "-t", "0", "-l", text),
    press: (...keys) => void tmux("send-keys", "-t", "0", ...keys),
    screen,
    waitFor,
    async exitCode(timeoutMs) {
      const shown = await waitFor(/\[exited \d+\]/, timeoutMs);
      return Number(/\[exited (\d+)\]/.exec(shown)![1]);
    },
    close: () => {
      try {
        tmux("kill-server");
      } catch {
        // Already gone.
      }
    },
  };
}

function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
