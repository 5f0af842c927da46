import { createInterface } from "node:readline";
import { OpsError } from "../errors.js";
import { helpText } from "../service/help-text.js";
import type { OpsService } from "../service/ops-service.js";
import { TERMINAL_STATUSES, type Run, type RunEvent, type RunStatus } from "../store/types.js";
import { renderArtifactText, renderDryRunText, renderEventText, renderOutcomeText, renderPlanText } from "./render-text.js";

export interface ConsoleOptions {
  service: OpsService;
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
  user?: string;
  /** Backstop poll for run progress when a NOTIFY is missed. */
  pollMs?: number;
  /** The config's time zone, for the times on plans. */
  timeZone?: string;
}

const CONSOLE_HELP =
  "Console commands: `approve [id]`, `reject [id]`, `cancel [id]`, `dry run <request>`, `runs`, `artifact <id>`, `help`, `exit`. Anything else is read as a request.";

/**
 * The local shell: type requests as you would in Slack, see plans and progress as text, approve by
 * typing. With a terminal it prompts; with piped input it reads one command a line, waits for each
 * run it started, and returns when the input has ended and every run has finished: with how many of
 * them failed, so a script can tell (`npm start` exits 1 then).
 */
export async function runConsole(options: ConsoleOptions): Promise<{ failedRuns: number }> {
  const { service, output } = options;
  const user = options.user ?? "console";
  const interactive = options.input.isTTY === true;
  const print = (text: string) => output.write(`${text}\n`);
  const watching = new Map<string, Promise<RunStatus>>();
  let lastPending: string | undefined;
  let lineNumber = 0;
  const sessionId = `${process.pid}-${Date.now()}`;

  const watch = (run: Run, afterEventId = 0) => {
    if (!watching.has(run.id)) watching.set(run.id, followRun(service, run.id, print, options.pollMs ?? 250, afterEventId));
    return watching.get(run.id)!;
  };

  const resolveRunId = async (arg: string | undefined): Promise<string | undefined> => {
    if (!arg) return lastPending;
    const recent = await service.listRuns({ limit: 100 });
    return recent.find((r) => r.id.startsWith(arg))?.id;
  };

  const handle = async (line: string): Promise<boolean> => {
    const text = line.trim();
    lineNumber++;
    if (!text) return true;
    const [word = "", arg] = text.split(/\s+/, 2);
    const command = word.toLowerCase();
    try {
      if (command === "exit" || command === "quit") return false;
      if (command === "help" || command === "?") {
        print(`${helpText(service.runbooks)}\n${CONSOLE_HELP}`);
        return true;
      }
      if (command === "approve" || command === "reject" || command === "cancel") {
        const runId = await resolveRunId(arg);
        if (!runId) {
          print(
            arg
              ? `No run starts with "${arg}". Type \`runs\` to list them.`
              : `Nothing is waiting for ${command === "cancel" ? "cancellation" : "approval"}.`,
          );
          return true;
        }
        if (command === "cancel") {
          const run = await service.cancel(runId, user);
          print(
            run.status === "cancelled"
              ? renderOutcomeText(run)
              : `Cancel requested for ${runId.slice(0, 8)}; it stops at the next safe point.`,
          );
          return true;
        }
        // Progress starts after what was already shown with the plan (its preflight).
        const shownUpTo = (await service.listEvents(runId)).at(-1)?.id ?? 0;
        const result = command === "approve" ? await service.approve(runId, user) : await service.reject(runId, user);
        if (runId === lastPending && result.outcome !== "recorded") lastPending = undefined;
        if (result.outcome === "queued") {
          print(`Approved by ${user}. Running ${result.run.title}…`);
          const done = watch(result.run, shownUpTo);
          if (!interactive) await done;
        } else if (result.outcome === "recorded") {
          print(`Approval recorded (${result.approvals} of ${result.run.requiredApprovals}).`);
        } else if (result.outcome === "rejected") {
          print(`Rejected: ${result.run.title} will not run.`);
        } else {
          print("You already decided on this plan.");
        }
        return true;
      }
      const dryRun = /^dry[- ]?run\s+(.+)$/i.exec(text);
      if (dryRun) {
        const result = await service.dryRunText(dryRun[1]!);
        print(
          result.kind === "dry-run"
            ? renderDryRunText(result.plan, result.steps)
            : result.kind === "clarify"
              ? result.question
              : "reply" in result
                ? result.reply
                : result.text,
        );
        return true;
      }
      if (command === "artifact") {
        const id = Number(arg);
        const runs = await service.listRuns({ limit: 100 });
        for (const run of runs) {
          const found = (await service.listArtifacts(run.id)).find((a) => a.id === id);
          if (found) {
            print(`📎 ${found.title}${found.url ? ` ${found.url}` : ""}\n${found.content ?? ""}`);
            return true;
          }
        }
        print(`No artifact ${arg ?? ""} among the last 100 runs.`);
        return true;
      }
      if (command === "runs") {
        const runs = await service.listRuns({ limit: 10 });
        print(
          runs.length === 0
            ? "No runs yet."
            : runs.map((r) => `${r.id.slice(0, 8)}  ${r.status.padEnd(16)} ${r.title}${r.env ? ` (${r.env})` : ""}`).join("\n"),
        );
        return true;
      }
      const result = await service.submitText(text, { user, source: "console", idempotencyKey: `console:${sessionId}:${lineNumber}` });
      switch (result.kind) {
        case "help":
          print(`${result.text}\n${CONSOLE_HELP}`);
          break;
        case "not-command":
          print(result.reply);
          break;
        case "clarify":
          print(result.question);
          break;
        case "planned": {
          const description = (await service.describeRun(result.run.id)) ?? service.describeNewRun(result.run);
          const artifacts = result.preflight ? await service.listArtifacts(result.run.id) : [];
          print(renderPlanText(description, artifacts, options.timeZone ?? "UTC", new Date()));
          if (result.run.status === "pending_approval") lastPending = result.run.id;
          else {
            const done = watch(result.run);
            if (!interactive) await done;
          }
          break;
        }
      }
    } catch (error) {
      print(
        error instanceof OpsError
          ? `⚠ ${error.userMessage}${error.hint ? ` ${error.hint}` : ""}`
          : `⚠ Something went wrong: ${(error as Error).message}`,
      );
    }
    return true;
  };

  const lines = createInterface({ input: options.input, terminal: interactive, ...(interactive ? { prompt: "opsroom> " } : {}) });
  if (interactive) {
    print("opsroom console — type a request like `check dev status`, or `help`.");
    lines.prompt();
  }
  for await (const line of lines) {
    if (!(await handle(line))) break;
    if (interactive) lines.prompt();
  }
  lines.close();
  const outcomes = await Promise.all(watching.values());
  return { failedRuns: outcomes.filter((status) => status === "failed").length };
}

/** Prints a run's events as they arrive until it reaches a final state, and returns that state. */
async function followRun(
  service: OpsService,
  runId: string,
  print: (text: string) => void,
  pollMs: number,
  afterEventId: number,
): Promise<RunStatus> {
  let lastId = afterEventId;
  const shownArtifacts = new Set<number>();
  const seen: RunEvent[] = [];
  const printEvents = async () => {
    for (const event of await service.listEvents(runId, lastId)) {
      lastId = event.id;
      seen.push(event);
      const line = renderEventText(event);
      if (line) print(line);
      if ((event.kind === "step_succeeded" || event.kind === "step_failed") && Number(event.data.artifacts) > 0) {
        for (const artifact of await service.listArtifacts(runId)) {
          if (artifact.stepId !== event.stepId || shownArtifacts.has(artifact.id)) continue;
          shownArtifacts.add(artifact.id);
          print(renderArtifactText(artifact).replace(/^/gm, "    "));
        }
      }
    }
  };
  let wake: (() => void) | undefined;
  const unlisten = await service.onRunEvent((id) => id === runId && wake?.());
  try {
    for (;;) {
      await printEvents();
      const run = await service.getRun(runId);
      if (run && TERMINAL_STATUSES.includes(run.status) && run.finishedAt) {
        await printEvents();
        print(renderOutcomeText(run, seen));
        return run.status;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    await unlisten();
  }
}
