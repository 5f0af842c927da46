import { InputError, OpsError } from "../errors.js";
import { helpText } from "../service/help-text.js";
import { describeRollout, rolloutRollbackRequest, type RolloutView } from "../service/rollout-use-cases.js";
import { CONSOLE_PLACE } from "../service/incident-use-cases.js";
import type { OpsService } from "../service/ops-service.js";
import type { Run, RunStatus } from "../store/types.js";
import { scheduleReplyText } from "../service/schedule-text.js";
import { renderDryRunText, renderOutcomeText, renderPlanText } from "./render-text.js";

export const CONSOLE_HELP =
  "Console commands: `approve [id]`, `approve [id] because <reason>` (when a check asks for an override), `reject [id]`, `cancel [id]`, `dry run <request>`, `runs`, `artifact <id>`, `postmortem`, `list schedules`, `stop schedule <id>`, `approve schedule <id>`, `rollouts`, `rollout status|pause|resume|skip|abort|rollback <flag>`, `help`, `exit` (or Ctrl-D). Anything else is read as a request.";

const ROLLOUT_ACTIONS = ["status", "pause", "resume", "skip", "abort", "rollback"] as const;

export interface ConsoleCommandContext {
  service: OpsService;
  user: string;
  print: (text: string) => void;
  /** Shows a run's progress until it ends (`afterEventId`: what was already shown with its plan). */
  follow: (run: Run, afterEventId?: number) => Promise<void>;
  /** The config's time zone, for the times on plans. */
  timeZone: string;
  /** Makes each typed line's idempotency key unique to this session. */
  sessionId: string;
}

/** Statuses a run can be cancelled in. */
const CANCELLABLE: RunStatus[] = ["pending_approval", "queued", "running"];

/**
 * One typed line → one service call, its result printed as text. Returns false for `exit`.
 * `approve`, `reject` and `cancel` without an id take this user's latest plan or run from the
 * database, so they work on plans made in an earlier console session too.
 */
export function createConsoleCommands(ctx: ConsoleCommandContext): (line: string) => Promise<boolean> {
  const { service, user, print } = ctx;
  let lineNumber = 0;

  const findRun = async (prefix: string): Promise<Run> => {
    const found = await service.listRuns({ idPrefix: prefix, limit: 2 });
    if (found.length === 0) throw new InputError("RUN_NOT_FOUND", `No run starts with "${prefix}". Type \`runs\` to list them.`);
    if (found.length > 1) throw new InputError("RUN_AMBIGUOUS", `Several runs start with "${prefix}"; type more of the id.`);
    return found[0]!;
  };
  const latestOfMine = async (statuses: RunStatus[]): Promise<Run | undefined> => {
    const now = Date.now();
    const runs = await service.listRuns({ statuses, requestedBy: user, limit: 20 });
    return runs.find((r) => r.status !== "pending_approval" || !r.expiresAt || r.expiresAt.getTime() > now);
  };

  const decide = async (decision: "approve" | "reject", arg: string | undefined, reason?: string) => {
    const run = arg ? await findRun(arg) : await latestOfMine(["pending_approval"]);
    if (!run) return print("Nothing is waiting for approval.");
    // Progress starts after what was already shown with the plan (its preflight).
    const shownUpTo = (await service.listEvents(run.id)).at(-1)?.id ?? 0;
    const result = decision === "approve" ? await service.approve(run.id, user, undefined, reason) : await service.reject(run.id, user);
    if (result.outcome === "queued") {
      const overridden = (await service.listApprovals(run.id)).find((a) => a.approver === user)?.overrideReason;
      print(`Approved by ${user}${overridden ? ` with an override (because ${overridden})` : ""}. Running ${result.run.title}…`);
      await ctx.follow(result.run, shownUpTo);
    } else if (result.outcome === "recorded") {
      print(`Approval recorded (${result.approvals} of ${result.run.requiredApprovals}).`);
    } else if (result.outcome === "rejected") {
      print(`Rejected: ${result.run.title} will not run.`);
    } else {
      print("You already decided on this plan.");
    }
  };

  const cancel = async (arg: string | undefined) => {
    const target = arg ? await findRun(arg) : await latestOfMine(CANCELLABLE);
    if (!target) return print("Nothing to cancel: no run of yours is waiting or running.");
    const run = await service.cancel(target.id, user);
    print(
      run.status === "cancelled" ? renderOutcomeText(run) : `Cancel requested for ${run.id.slice(0, 8)}; it stops at the next safe point.`,
    );
  };

  const showArtifact = async (arg: string | undefined) => {
    const id = Number(arg);
    for (const run of await service.listRuns({ limit: 100 })) {
      const found = (await service.listArtifacts(run.id)).find((a) => a.id === id);
      if (found) return print(`📎 ${found.title}${found.url ? ` ${found.url}` : ""}\n${found.content ?? ""}`);
    }
    print(`No artifact ${arg ?? ""} among the last 100 runs.`);
  };

  const listRuns = async () => {
    const runs = await service.listRuns({ limit: 10 });
    print(
      runs.length === 0
        ? "No runs yet."
        : runs.map((r) => `${r.id.slice(0, 8)}  ${r.status.padEnd(16)} ${r.title}${r.env ? ` (${r.env})` : ""}`).join("\n"),
    );
  };

  const dryRun = async (request: string) => {
    const result = await service.dryRunText(request);
    print(
      result.kind === "dry-run"
        ? renderDryRunText(result.plan, result.steps)
        : result.kind === "clarify"
          ? result.question
          : "reply" in result
            ? result.reply
            : result.text,
    );
  };

  const showRollout = (view: RolloutView) => {
    const d = describeRollout(view, ctx.timeZone);
    print([`┌ ${d.title}`, `│ ${d.ladder}`, ...d.gates.map((g) => `│ ${g}`), `└ ${d.state}`].join("\n"));
  };

  const planRollback = async (ref: string) => {
    const planned = await service.planRolloutRollback(ref, {
      user,
      source: "console",
      idempotencyKey: `console:${ctx.sessionId}:${lineNumber}`,
    });
    const description = (await service.describeRun(planned.run.id)) ?? service.describeNewRun(planned.run);
    const artifacts = planned.preflight ? await service.listArtifacts(planned.run.id) : [];
    print(renderPlanText(description, artifacts, ctx.timeZone, new Date()));
  };

  const rollout = async (rest: string) => {
    const [action = "", ref = ""] = rest.trim().split(/\s+/, 2);
    const verb = action.toLowerCase() as (typeof ROLLOUT_ACTIONS)[number];
    if (!ROLLOUT_ACTIONS.includes(verb) || !ref) {
      return print(`Say \`rollout <${ROLLOUT_ACTIONS.join("|")}> <flag or rollout id>\`, like \`rollout pause FSYNC_USE_RPC\`.`);
    }
    if (verb === "status") return showRollout(await service.rolloutStatus(ref));
    if (verb === "rollback") return planRollback(ref);
    showRollout(await service.controlRollout(ref, verb, user));
  };

  const listRollouts = async () => {
    const live = await service.liveRollouts();
    if (live.length === 0) return print("No rollout is active or paused.");
    for (const view of live) showRollout(view);
  };

  const submit = async (text: string) => {
    const rollbackOf = rolloutRollbackRequest(text);
    if (rollbackOf) return planRollback(rollbackOf);
    if (service.isPostmortemRequest(text)) {
      const draft = await service.writePostmortem(CONSOLE_PLACE);
      return print(`📝 ${draft.title} (${draft.filename})\n${draft.markdown}`);
    }
    const result = await service.submitText(text, { user, source: "console", idempotencyKey: `console:${ctx.sessionId}:${lineNumber}` });
    switch (result.kind) {
      case "help":
        return print(`${result.text}\n${CONSOLE_HELP}`);
      case "not-command":
        return print(result.reply);
      case "clarify":
        return print(result.question);
      case "planned": {
        const description = (await service.describeRun(result.run.id)) ?? service.describeNewRun(result.run);
        const artifacts = result.preflight ? await service.listArtifacts(result.run.id) : [];
        print(renderPlanText(description, artifacts, ctx.timeZone, new Date()));
        if (result.run.status !== "pending_approval") await ctx.follow(result.run);
      }
    }
  };

  return async (line) => {
    const text = line.trim();
    lineNumber++;
    if (!text) return true;
    const [word = "", arg] = text.split(/\s+/, 2);
    const command = word.toLowerCase();
    if (command === "exit" || command === "quit") return false;
    try {
      // Schedules first ("every weekday at 9am …", "list schedules", "stop the 9am board", "approve schedule 1a2b"):
      // the console's own words (approve, cancel, runs …) stay theirs unless they name a schedule.
      const ownWord = ["approve", "reject", "cancel", "runs", "artifact", "help", "?"].includes(command);
      if (!ownWord || /^\w+\s+(?:the\s+)?(?:schedule|watch)\b/i.test(text)) {
        const reply = await service.scheduleText(text, { user, source: "console" });
        if (reply) {
          print(scheduleReplyText(reply, ctx.timeZone, new Date()));
          return true;
        }
      }
      const dry = /^dry[- ]?run\s+(.+)$/i.exec(text);
      // `approve [id] because <reason>`: the reason an override needs (see plan-preflight.ts overrideOf).
      const approval = /^approve(?:\s+(?!because\b)(\S+))?(?:\s+because\b\s*(.*))?$/is.exec(text);
      if (command === "help" || command === "?") print(`${helpText(service.runbooks)}\n${CONSOLE_HELP}`);
      else if (command === "approve" && approval) await decide("approve", approval[1], approval[2] ?? undefined);
      else if (command === "approve" || command === "reject") await decide(command, arg);
      else if (command === "cancel") await cancel(arg);
      else if (dry) await dryRun(dry[1]!);
      else if (command === "artifact") await showArtifact(arg);
      else if (command === "runs") await listRuns();
      else if (command === "rollouts") await listRollouts();
      else if (command === "rollout" && ROLLOUT_ACTIONS.includes((arg ?? "").toLowerCase() as (typeof ROLLOUT_ACTIONS)[number]))
        await rollout(text.slice(word.length));
      else await submit(text);
    } catch (error) {
      print(
        error instanceof OpsError
          ? `⚠ ${error.userMessage}${error.hint ? ` ${error.hint}` : ""}`
          : `⚠ Something went wrong: ${(error as Error).message}`,
      );
    }
    return true;
  };
}
