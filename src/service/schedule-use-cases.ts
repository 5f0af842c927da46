import { InputError, PolicyError } from "../errors.js";
import type { Intent } from "../parser/intent.js";
import { buildPlan } from "../planner/build-plan.js";
import type { Plan } from "../planner/plan.js";
import type { Runbook } from "../runbook/runbook-schema.js";
import { compileCadence } from "../schedules/cadence.js";
import { normalizeTimeWord, parseScheduleRequest } from "../schedules/parse-schedule.js";
import type { Schedule } from "../store/schedule-records.js";
import type { OpsServiceDeps } from "./ops-service.js";
import type { RunPermissions } from "./run-permissions.js";

/** Who typed a schedule request and where: a schedule created in a channel posts there unless it names another. */
export interface ScheduleRequester {
  user: string;
  source: string;
  /** The channel the request was typed in (Slack), where its runs and notices go by default. */
  channel?: string;
  /** Channels the message mentioned (Slack's `<#C123|ops>`, removed from the text before parsing). */
  mentionedChannels?: readonly string[];
  /** Names the request: the same key again (a retried Slack delivery) returns the schedule already created. */
  idempotencyKey?: string;
}

export type ScheduleReply =
  | { kind: "created"; schedule: Schedule }
  | { kind: "list"; schedules: Schedule[] }
  | { kind: "stopped"; schedule: Schedule }
  | { kind: "which"; query: string; matches: Schedule[] }
  | { kind: "approved"; schedule: Schedule; outcome: "active" | "recorded" }
  | { kind: "question"; text: string };

const STOP_WORDS = new Set(["the", "a", "schedule", "schedules", "watch", "watches", "of", "my", "our", "one", "run", "runs"]);

/**
 * Recurring schedules from chat and the console: "every weekday at 9am post the ops board in #ops",
 * "check prod status every 15 minutes", "list schedules", "stop the 9am board", "approve schedule 1a2b".
 * The cadence is taken off and the rest is an ordinary request for the normal parser; its plan is kept
 * with the schedule and each occurrence runs it. A plan that needs approval (a mutating runbook in a
 * protected env) makes the schedule wait for the same approvals a run would need before it starts.
 */
export function createScheduleUseCases(deps: OpsServiceDeps, permissions: RunPermissions, parse: (text: string) => Intent) {
  const { store, config } = deps;
  const byId = new Map(deps.runbooks.map((r) => [r.id, r]));

  /** The plan an occurrence of `request` runs, or why there is none. */
  const planFor = (request: string): { plan: Plan; runbook: Runbook } | { question: string } => {
    const intent = parse(request);
    if (intent.runbook === null || intent.runbook === "help")
      return { question: intent.clarify ?? `I don't know what to run for "${request}". Try a request like "check prod status".` };
    if (intent.missing.length > 0) return { question: intent.clarify ?? `${intent.runbook} needs ${intent.missing.join(", ")}.` };
    const runbook = byId.get(intent.runbook);
    if (!runbook) return { question: `I understood "${intent.runbook}" but there is no such runbook loaded.` };
    return { plan: buildPlan({ runbook, params: intent.params }, config), runbook };
  };

  /** The message's interval went to a param of its runbook (one cued by "every"), not to a cadence. */
  const runbookReadsInterval = (intent: Intent): boolean =>
    Object.entries(byId.get(intent.runbook ?? "")?.params ?? {}).some(
      ([name, spec]) => spec.cues.includes("every") && name in intent.params,
    );

  const findToStop = async (query: string): Promise<Schedule[]> => {
    const live = await store.schedules.list({ statuses: ["active", "pending_approval"] });
    const byPrefix = live.filter((s) => /^[0-9a-f-]{4,}$/i.test(query) && s.id.startsWith(query.toLowerCase()));
    if (byPrefix.length > 0) return byPrefix;
    const words = query
      .toLowerCase()
      .split(/\s+/)
      .filter((w) => w && !STOP_WORDS.has(w))
      .map(normalizeTimeWord);
    if (words.length === 0) return [];
    return live.filter((s) => {
      // The id only by its prefix: a word like "15" would match somewhere in a random id.
      const text = `${s.cadence} ${s.request} ${s.runbook ?? ""} ${s.configKey ?? ""} ${s.plan?.title ?? ""} ${s.cron}`.toLowerCase();
      return words.every((w) => text.includes(w) || (/^[0-9a-f-]{4,}$/.test(w) && s.id.startsWith(w)));
    });
  };

  return {
    /**
     * A schedule request, answered; `undefined` when the text is not one (the caller treats it as an
     * ordinary request). "stop …" is a schedule request only when it names a schedule or a cadence.
     */
    async scheduleText(text: string, requester: ScheduleRequester): Promise<ScheduleReply | undefined> {
      const request = parseScheduleRequest(text);
      if (!request) return undefined;
      switch (request.kind) {
        case "list":
          return { kind: "list", schedules: await store.schedules.list({ statuses: ["active", "pending_approval"] }) };
        case "approve": {
          if (request.id) return this.approveSchedule(request.id, requester.user);
          // "approve schedule" alone: the one waiting, when there is exactly one.
          const waiting = await store.schedules.list({ statuses: ["pending_approval"] });
          if (waiting.length === 1) return this.approveSchedule(waiting[0]!.id, requester.user);
          return waiting.length === 0
            ? { kind: "question", text: "No schedule is waiting for approval." }
            : { kind: "which", query: "waiting for approval", matches: waiting };
        }
        case "stop": {
          const matches = await findToStop(request.query);
          if (matches.length === 0)
            return { kind: "question", text: `No active schedule matches "${request.query}". Type \`list schedules\` to see them.` };
          if (matches.length > 1) return { kind: "which", query: request.query, matches };
          return this.stopSchedule(matches[0]!.id, requester.user);
        }
        case "create": {
          // "ramp X 10/50/100 every 30 minutes" is one staged run whose own param takes the interval, not a
          // schedule of it: a runbook that reads "every" itself keeps the whole message.
          if (runbookReadsInterval(parse(text))) return undefined;
          const planned = planFor(request.request);
          if ("question" in planned) return { kind: "question", text: planned.question };
          const { plan } = planned;
          if (request.watch && plan.mutating) {
            throw new InputError("SCHEDULE_WATCH_MUTATES", `A watch only reads: "${request.request}" (${plan.title}) changes things.`, {
              hint: 'Schedule it without "watch" to run it on a cadence, with its approvals.',
            });
          }
          const timeZone = config.timeZone;
          const nextAt = compileCadence(request.cron, timeZone).next(deps.clock());
          const needsApproval = plan.approval.required > 0;
          const schedule = await store.schedules.create({
            kind: request.watch ? "watch" : "run",
            source: "run",
            cron: request.cron,
            cadence: request.cadence,
            timeZone,
            request: request.request,
            runbook: plan.runbook,
            plan,
            channel: requester.mentionedChannels?.[0] ?? request.channel ?? requester.channel ?? null,
            owner: null,
            createdBy: requester.user,
            ...(requester.idempotencyKey ? { idempotencyKey: requester.idempotencyKey } : {}),
            status: needsApproval ? "pending_approval" : "active",
            requiredApprovals: plan.approval.required,
            selfApproval: plan.approval.selfApproval,
            nextAt: needsApproval ? null : nextAt,
            ...(request.watch ? { confirmCount: 2, quietMinutes: 30 } : {}),
          });
          return { kind: "created", schedule };
        }
      }
    },

    listSchedules: () => store.schedules.list({ statuses: ["active", "pending_approval"] }),

    /** An approval of a schedule that waits for one; the last one needed starts it from its next occurrence. */
    async approveSchedule(idOrPrefix: string, user: string): Promise<ScheduleReply> {
      const schedule = await requireSchedule(idOrPrefix);
      if (!schedule.plan || schedule.status !== "pending_approval") {
        return {
          kind: "question",
          text: `Schedule ${schedule.id.slice(0, 8)} is ${schedule.status.replace("_", " ")}: nothing to approve.`,
        };
      }
      await permissions.assertMayApprove(
        {
          plan: schedule.plan,
          env: schedule.plan.env ?? null,
          runbook: schedule.plan.runbook,
          title: `the schedule "${schedule.cadence}: ${schedule.request}"`,
        },
        user,
      );
      const nextAt = compileCadence(schedule.cron, schedule.timeZone).next(deps.clock());
      const result = await store.schedules.approve(schedule.id, user, nextAt);
      switch (result.outcome) {
        case "active":
        case "recorded":
          return { kind: "approved", schedule: result.schedule!, outcome: result.outcome };
        case "self":
          throw new PolicyError("POLICY_SELF_APPROVAL", "You can't approve your own schedule: someone else must.");
        case "duplicate":
          return { kind: "question", text: "You already approved this schedule." };
        case "not-pending":
          return { kind: "question", text: `Schedule ${schedule.id.slice(0, 8)} is no longer waiting for approval.` };
      }
    },

    /** Stops a schedule: no further occurrences (a run already started goes on). Stopping is always allowed. */
    async stopSchedule(idOrPrefix: string, user: string): Promise<ScheduleReply> {
      const schedule = await requireSchedule(idOrPrefix);
      const stopped = await store.schedules.stop(schedule.id, user);
      if (!stopped) return { kind: "question", text: `Schedule ${schedule.id.slice(0, 8)} was already stopped.` };
      return { kind: "stopped", schedule: stopped };
    },

    /** Holds a watch's alerts back for `minutes` (the config's silenceMinutes by default); it keeps reading. */
    async silenceWatch(id: string, minutes = config.schedules.silenceMinutes): Promise<Schedule> {
      const schedule = await requireSchedule(id);
      const silenced = await store.schedules.silence(schedule.id, new Date(deps.clock().getTime() + minutes * 60_000));
      return silenced ?? schedule;
    },

    /** The plan a request would run on a schedule (config watches are planned through this at start). */
    planScheduledRequest(request: string): Plan {
      const planned = planFor(request);
      if ("question" in planned) throw new InputError("SCHEDULE_UNCLEAR_REQUEST", planned.question);
      return planned.plan;
    },
  };

  async function requireSchedule(idOrPrefix: string): Promise<Schedule> {
    const found = await store.schedules.findByPrefix(idOrPrefix, 2);
    if (found.length === 0)
      throw new InputError("SCHEDULE_NOT_FOUND", `No schedule starts with "${idOrPrefix}". Type \`list schedules\` to see them.`);
    if (found.length > 1) throw new InputError("SCHEDULE_AMBIGUOUS", `Several schedules start with "${idOrPrefix}"; type more of the id.`);
    return found[0]!;
  }
}
