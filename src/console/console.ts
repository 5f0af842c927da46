import { clearScreenDown, createInterface, cursorTo, moveCursor } from "node:readline";
import type { OpsService } from "../service/ops-service.js";
import type { Run, RunStatus } from "../store/types.js";
import { createConsoleCommands } from "./console-commands.js";
import { openConsoleHistory } from "./console-history.js";
import { followRun } from "./follow-run.js";
import { createPaint } from "./paint.js";

export interface ConsoleOptions {
  service: OpsService;
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean };
  user?: string;
  /** Backstop poll for run progress when a NOTIFY is missed. */
  pollMs?: number;
  /** The config's time zone, for the times on plans. */
  timeZone?: string;
  /** Where typed lines are kept across sessions (a terminal only). */
  historyFile?: string;
  /** Colours on a terminal (the caller decides: off when NO_COLOR is set). */
  color?: boolean;
  /** Ends the session (a shutdown): no more input is read and runs are no longer followed. */
  signal?: AbortSignal;
  /**
   * Starts what reports on its own while the console waits (schedules, rollouts), given `notify` to print
   * those notices with: on a terminal it keeps them clear of the line being typed.
   */
  startNotices?: (notify: (text: string) => void) => Promise<void>;
}

export const PROMPT = "opsroom> ";

/** The run shown in the foreground, and where its Ctrl-C handling stands. */
interface Foreground {
  run: Run;
  cancelOffered: boolean;
  cancelling: boolean;
}

/**
 * The local shell: type requests as you would in Slack, see plans and progress as text, approve by
 * typing. On a terminal it works like the shells people know: a prompt with echo, line editing and
 * history kept across sessions, colours, and a run shown in the foreground until it ends. Ctrl-C
 * during a run offers to cancel it and a second Ctrl-C cancels it (as the Cancel button does);
 * Ctrl-C at the prompt clears the line; Ctrl-D exits. Notices (a schedule starting, a rollout moving) print
 * above the line being typed, which is redrawn as it was. With piped input it reads one command a line,
 * waits for each run it started, and returns when the input has ended and every run has finished:
 * with how many of them failed, so a script can tell (`npm start` exits 1 then).
 */
export async function runConsole(options: ConsoleOptions): Promise<{ failedRuns: number }> {
  const { service, output } = options;
  const user = options.user ?? "console";
  const interactive = options.input.isTTY === true;
  const paint = createPaint(interactive && options.color === true);
  const print = (text: string) => output.write(`${paint(text)}\n`);
  const outcomes: Promise<RunStatus | undefined>[] = [];
  // Scheduled runs are followed in the background; leaving a terminal session stops following them.
  const background = new AbortController();
  const stopped = options.signal ?? new AbortController().signal;
  let foreground: Foreground | undefined;
  let busy = false;
  let exited = false;
  /** Whether the prompt is waiting for a line, so a notice has to be printed around it. */
  let atPrompt = false;

  /**
   * Prints a notice that comes on its own (a schedule starting, a rollout moving, a later run's progress)
   * as shells print async notices: at the prompt the line being typed is cleared, the notice printed in its
   * place and the prompt redrawn below with what was typed and the cursor where it was. Anywhere else (a
   * command's output streaming, no prompt showing, piped input) it is printed as it comes.
   */
  const notify = (text: string) => {
    if (!atPrompt) return void print(text);
    // A typed line wider than the terminal takes several rows: clear from the prompt's.
    const { rows } = lines.getCursorPos();
    moveCursor(output, 0, -rows);
    cursorTo(output, 0);
    clearScreenDown(output);
    print(text);
    // The redraw first climbs back over the rows the line took; these keep it below the notice.
    output.write("\n".repeat(rows));
    lines.prompt(true);
  };

  const follow = async (run: Run, afterEventId = 0) => {
    const later = interactive && run.runAt.getTime() > Date.now();
    const watching = followRun(service, run.id, later ? notify : print, {
      pollMs: options.pollMs ?? 250,
      afterEventId,
      signal: later ? AbortSignal.any([background.signal, stopped]) : stopped,
    });
    outcomes.push(watching);
    if (later) return;
    if (interactive) foreground = { run, cancelOffered: false, cancelling: false };
    try {
      await watching;
    } finally {
      foreground = undefined;
    }
  };

  // Notices can come as soon as they start: before the prompt shows they just print.
  await options.startNotices?.(notify);
  // A shutdown while they started leaves nothing to run.
  if (stopped.aborted) return { failedRuns: 0 };

  const handle = createConsoleCommands({
    service,
    user,
    print,
    follow,
    timeZone: options.timeZone ?? "UTC",
    sessionId: `${process.pid}-${Date.now()}`,
  });
  const history = interactive && options.historyFile ? openConsoleHistory(options.historyFile) : undefined;
  const lines = createInterface({
    input: options.input,
    ...(interactive
      ? { output, terminal: true, prompt: PROMPT, history: history?.lines ?? [], historySize: 1000, removeHistoryDuplicates: true }
      : { terminal: false }),
  });

  const offerCancel = (fg: Foreground) => {
    const id = fg.run.id.slice(0, 8);
    if (!fg.cancelOffered) {
      fg.cancelOffered = true;
      print(`\n^C — press Ctrl-C again to cancel ${fg.run.title} (run ${id}), or wait for it to finish.`);
    } else if (!fg.cancelling) {
      fg.cancelling = true;
      service.cancel(fg.run.id, user).then(
        (run) => run.status !== "cancelled" && print(`\n^C — cancel requested for ${id}; it stops at the next safe point.`),
        (error: unknown) => print(`⚠ Could not cancel ${id}: ${(error as Error).message}`),
      );
    } else {
      print(`\n^C — ${id} is being cancelled; it stops at the next safe point.`);
    }
  };
  // Raw mode turns Ctrl-C into this event instead of a signal.
  lines.on("SIGINT", () => {
    if (foreground) return offerCancel(foreground);
    // Like a shell: the line typed so far is dropped and a fresh prompt shown.
    output.write("^C\n");
    lines.write(null, { ctrl: true, name: "e" });
    lines.write(null, { ctrl: true, name: "u" });
    if (busy) output.write("\r\u001b[K");
  });

  const showPrompt = () => {
    lines.prompt();
    atPrompt = true;
  };
  // Ctrl-D or a shutdown: no prompt to print around any more.
  lines.on("close", () => (atPrompt = false));

  const stop = () => lines.close();
  stopped.addEventListener("abort", stop, { once: true });
  if (interactive) {
    print("opsroom console — type a request like `check dev status`, or `help`. Ctrl-D exits.");
    showPrompt();
  }
  for await (const line of lines) {
    atPrompt = false;
    if (line.trim()) history?.add(line);
    busy = true;
    const more = await handle(line);
    busy = false;
    if (!more) {
      exited = true;
      break;
    }
    if (interactive) showPrompt();
  }
  lines.close();
  stopped.removeEventListener("abort", stop);
  // Ctrl-D leaves the cursor after the prompt; the shell's prompt belongs on a line of its own.
  if (interactive && !exited) output.write("\n");
  background.abort();
  const ended = await Promise.all(outcomes);
  return { failedRuns: ended.filter((status) => status === "failed").length };
}
