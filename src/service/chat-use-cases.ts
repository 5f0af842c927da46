import { InputError, PolicyError } from "../errors.js";
import type { DryRunStep } from "../executor/dry-run.js";
import type { PreflightResult } from "../executor/run-preflight.js";
import type { Intent, ParamValue } from "../parser/intent.js";
import { parseText } from "../parser/parse-text.js";
import { buildPlan } from "../planner/build-plan.js";
import type { Plan } from "../planner/plan.js";
import type { Runbook } from "../runbook/runbook-schema.js";
import type { SlackDeliveries } from "../store/slack-deliveries.js";
import { assertEditable } from "../store/store.js";
import { TERMINAL_STATUSES, type Approval, type Run, type RunEvent, type RunOrigin, type WorkerInfo } from "../store/types.js";
import type { OpsServiceDeps, Requester, SubmitResult } from "./ops-service.js";
import { helpText, notACommandReply } from "./help-text.js";
import { coerceParam, missingParams, paramFields, type ParamField } from "./param-fields.js";
import { resolveRelative } from "./resolve-relative.js";
import type { RunPermissions } from "./run-permissions.js";
import { broadcastsOf, hasChannelRules, type Broadcasts } from "./broadcast-policy.js";
import {
  approveBlockOf,
  NO_PREFLIGHT,
  preflightStateOf,
  runAndRecordPreflight,
  type ApproveBlock,
  type PreflightState,
} from "./plan-preflight.js";

/** A run created (or found again by its idempotency key) from a plan. */
export interface PlannedRun {
  plan: Plan;
  run: Run;
  created: boolean;
  preflight?: PreflightResult;
}

type PlanRun = (runbook: Runbook, params: Record<string, ParamValue>, requester: Requester, supersedes?: string) => Promise<PlannedRun>;

/**
 * What to ask next when a request is incomplete: one missing param with its choices, or which
 * runbook was meant ("Did you mean …").
 *
 * @example { text: "Which env?", runbook: "deploy", params: { service: "api" }, field: { name: "env", choices: ["dev", "staging", "prod"], … }, alternatives: [] }
 */
export interface Question {
  text: string;
  runbook: string | null;
  params: Record<string, ParamValue>;
  field?: ParamField;
  alternatives: { runbook: string; title: string }[];
}

/** What a typed request would become, decided without creating anything (see `previewText`). */
export type PreviewResult = Exclude<SubmitResult, { kind: "planned" }> | { kind: "plan"; intent: Intent; plan: Plan };

export type ParamsResult = ({ kind: "planned" } & PlannedRun) | { kind: "ask"; question: Question };

/** A run plus what a card needs to show its buttons and approval line. */
export interface RunDescription {
  run: Run;
  approvals: Approval[];
  /** Approvals that count (the database decides: bound to the current plan hash, no requester's own when self-approval is off). */
  approvalsCounted: number;
  /** Approving asks "are you sure?" first (protected environments, e.g. prod). */
  confirmApprove: boolean;
  canEdit: boolean;
  canCancel: boolean;
  canRetry: boolean;
  /** The plan's preflight: its checks and whether it is in, failed or still running. */
  preflight: PreflightState;
  /** Whether Approve may be offered now; when not, `approveBlock` says why. */
  canApprove: boolean;
  approveBlock?: ApproveBlock;
}

/** Read-only runbooks offered as buttons when a message in an incident channel reads like an incident. */
export interface TriageOffer {
  options: { runbook: string; title: string; params: Record<string, ParamValue> }[];
}

export interface WorkerStatus extends WorkerInfo {
  status: "healthy" | "late" | "lost" | "stopped";
  heartbeatAgeMs: number;
}

/** Everything an App Home shows one person. */
export interface AppHomeSnapshot {
  /** Others' plans this person may approve, with whether Approve can be offered now. */
  pendingForMe: RunDescription[];
  /** This person's own plans waiting for someone else's approval. */
  mine: Run[];
  running: Run[];
  queued: Run[];
  scheduled: Run[];
  recent: Run[];
  workers: WorkerStatus[];
}

/** Read-only runbooks an incident channel is offered, in this order, when they are loaded. */
export const TRIAGE_RUNBOOKS = ["incident-triage", "logs", "healthcheck"] as const;

const DEFAULT_WORKER_LEASE_MS = 30_000;

/**
 * Use cases chat front ends need beyond submit/approve: asking for missing params, editing a plan
 * (a new plan hash, so earlier approvals are void), retrying a failed run, incident triage offers,
 * and the views of App Home. The policy decisions live here, not in the Slack layer.
 */
export function createChatUseCases(deps: OpsServiceDeps, planRun: PlanRun, permissions: RunPermissions) {
  const { store, config, runbooks } = deps;
  const byId = new Map(runbooks.map((r) => [r.id, r]));
  const requireRunbook = (id: string) => {
    const runbook = byId.get(id);
    if (!runbook) throw new InputError("PLAN_UNKNOWN_RUNBOOK", `There is no runbook "${id}" (known: ${[...byId.keys()].join(", ")}).`);
    return runbook;
  };
  const requireRun = async (runId: string) => {
    const run = await store.getRun(runId);
    if (!run) throw new InputError("RUN_NOT_FOUND", `There is no run ${runId}.`);
    return run;
  };
  const describe = (run: Run, approvals: Approval[], events: readonly RunEvent[]): RunDescription => {
    const now = deps.clock();
    const preflight = deps.preflight ? preflightStateOf(run, events, now) : NO_PREFLIGHT;
    const approveBlock = approveBlockOf(run, preflight, now);
    return {
      run,
      approvals,
      approvalsCounted: approvals.filter((a) => a.counts).length,
      confirmApprove: isProtected(run),
      canEdit: run.status === "pending_approval",
      canCancel: (run.status === "queued" || run.status === "running") && run.cancelRequestedAt === null,
      canRetry: run.status === "failed",
      preflight,
      canApprove: approveBlock === undefined,
      ...(approveBlock ? { approveBlock } : {}),
    };
  };
  const isProtected = (run: Run) => run.env !== null && config.environments[run.env]?.protected === true;
  const questionForParams = (runbook: Runbook, params: Record<string, ParamValue>, missing: string[], text?: string): Question => {
    const field = paramFields(runbook, config, params).find((f) => f.name === missing[0]);
    return {
      text: text ?? `Which ${missing[0]} for ${runbook.title.toLowerCase()}?${field?.description ? ` (${field.description})` : ""}`,
      runbook: runbook.id,
      params,
      ...(field ? { field } : {}),
      alternatives: [],
    };
  };

  return {
    /** Delivery dedupe and status-message leases for the Slack front end. */
    get deliveries(): SlackDeliveries {
      return store.slackDeliveries;
    },

    /** What the bot can do, for a bare mention or an empty `/ops`. */
    helpText: () => helpText(runbooks),

    /** Records where a run's card lives (channel, thread, message ts) so any process can update it. */
    attachOrigin: (runId: string, origin: RunOrigin) => store.setRunOrigin(runId, origin),

    /**
     * The run `user` is about to edit, once they may: it waits for approval, and they requested or
     * edited it or may approve it. Otherwise a PolicyError saying why (shown before any form opens).
     */
    async runToEdit(runId: string, user: string): Promise<Run> {
      const run = await requireRun(runId);
      assertEditable(run);
      await permissions.assertMayEdit(run, user);
      return run;
    },

    /** The run with its approvals and what may be done with it now. */
    async describeRun(runId: string): Promise<RunDescription | undefined> {
      const run = await store.getRun(runId);
      if (!run) return undefined;
      // Only a plan waiting for approval needs its preflight's step events.
      const [approvals, events] = await Promise.all([
        store.listApprovals(runId),
        run.status === "pending_approval" && run.mutating ? store.listEvents(runId) : Promise.resolve([]),
      ]);
      return describe(run, approvals, events);
    },

    /** `describeRun` for a run just created (no approvals, no events yet), without reading it back. */
    describeNewRun: (run: Run): RunDescription => describe(run, [], []),

    /**
     * `submitText` without the run: the same decision (help, question, not a command, or the plan it
     * would make), creating nothing. Fast, except that a relative request ("add 2 more replicas") reads
     * the current count first. A front end can show the plan at once and then create the run with
     * `submitPlan(plan.runbook, intent.params, …)`, which builds the identical plan (same hash).
     */
    async previewText(text: string): Promise<PreviewResult> {
      const parsed = parseText(text, { ...deps.parseContext, now: deps.clock() });
      deps.onParsed?.(parsed);
      if (parsed.runbook === "help") return { kind: "help", text: helpText(runbooks) };
      if (parsed.runbook === null) {
        return parsed.clarify
          ? { kind: "clarify", intent: parsed, question: parsed.clarify }
          : { kind: "not-command", intent: parsed, reply: notACommandReply(runbooks) };
      }
      const runbook = byId.get(parsed.runbook);
      const intent = runbook ? await resolveRelative(parsed, runbook, deps.currentReplicas) : parsed;
      if (intent.missing.length > 0)
        return { kind: "clarify", intent, question: intent.clarify ?? `${intent.runbook} needs ${intent.missing.join(", ")}.` };
      if (!runbook) throw new InputError("PARSE_UNKNOWN_RUNBOOK", `I understood "${intent.runbook}" but there is no such runbook loaded.`);
      return { kind: "plan", intent, plan: buildPlan({ runbook, params: intent.params }, config) };
    },

    /** The question for an incomplete request (a `clarify` result of submitText). */
    questionFor(intent: Intent, text: string): Question {
      const alternatives = intent.alternatives.flatMap((a) => {
        const runbook = byId.get(a.runbook);
        return runbook && runbook.id !== "help" ? [{ runbook: runbook.id, title: runbook.title }] : [];
      });
      const runbook = intent.runbook ? byId.get(intent.runbook) : undefined;
      if (!runbook) return { text, runbook: null, params: intent.params, alternatives };
      const missing = intent.missing.length > 0 ? intent.missing : missingParams(runbook, intent.params);
      if (missing.length === 0) return { text, runbook: runbook.id, params: intent.params, alternatives };
      return { ...questionForParams(runbook, intent.params, missing, text), alternatives };
    },

    /** A plan from params picked on buttons or a form: planned when complete, otherwise the next question. */
    async submitParams(runbookId: string, params: Record<string, ParamValue>, requester: Requester): Promise<ParamsResult> {
      const runbook = requireRunbook(runbookId);
      const missing = missingParams(runbook, params);
      if (missing.length > 0) return { kind: "ask", question: questionForParams(runbook, params, missing) };
      return { kind: "planned", ...(await planRun(runbook, params, requester)) };
    },

    /** The form for a runbook: every param with its choices and current value. */
    paramFields(runbookId: string, params: Record<string, ParamValue> = {}): { runbook: Runbook; fields: ParamField[] } {
      const runbook = requireRunbook(runbookId);
      return { runbook, fields: paramFields(runbook, config, params) };
    },

    /** Form input → typed params, with a message per field that is wrong. */
    readParams(
      runbookId: string,
      raw: Record<string, string | undefined>,
    ): { params: Record<string, ParamValue>; errors: Record<string, string> } {
      const runbook = requireRunbook(runbookId);
      const params: Record<string, ParamValue> = {};
      const errors: Record<string, string> = {};
      for (const field of paramFields(runbook, config)) {
        try {
          const value = coerceParam(field, raw[field.name], deps.clock(), config.timeZone);
          if (value !== undefined) params[field.name] = value;
          else if (field.required && field.default === undefined) errors[field.name] = `\`${field.name}\` is required.`;
        } catch (error) {
          errors[field.name] = error instanceof InputError ? error.userMessage : String(error);
        }
      }
      return { params, errors };
    },

    /**
     * Replaces a plan waiting for approval with one built from new params, for its requesters and
     * approvers only. The new plan is a new run with a new hash whose requesters include the editor;
     * the old run is cancelled in the same transaction, and only while it still waits for approval,
     * so approvals given for it can never start anything and an edit never cancels a started run.
     */
    async editPlan(
      runId: string,
      params: Record<string, ParamValue>,
      requester: Requester,
    ): Promise<{ previous: Run; unchanged: boolean } & PlannedRun> {
      const previous = await this.runToEdit(runId, requester.user);
      const runbook = requireRunbook(previous.runbook);
      const plan = buildPlan({ runbook, params }, config); // invalid params fail here, before anything changes
      if (plan.hash === previous.planHash) return { previous, unchanged: true, plan: previous.plan, run: previous, created: false };
      const next = await planRun(runbook, params, { ...requester, idempotencyKey: `edit:${runId}` }, runId);
      return { previous, unchanged: false, ...next };
    },

    /** A new plan for a failed run's request; mutating runbooks need approval again. One retry per run. */
    async retryRun(runId: string, requester: Requester): Promise<PlannedRun> {
      const previous = await requireRun(runId);
      if (previous.status !== "failed")
        throw new PolicyError(
          "POLICY_NOT_RETRYABLE",
          `Only a failed run can be retried; this one is ${previous.status.replace("_", " ")}.`,
        );
      const { at: _at, ...params } = previous.params;
      return planRun(requireRunbook(previous.runbook), params, { ...requester, idempotencyKey: `retry:${runId}` });
    },

    /**
     * A deferred preflight (see `Requester.deferPreflight`), or a re-check after something was fixed:
     * runs it for a plan still waiting for approval and records the result on the run.
     */
    async preflight(runId: string): Promise<PreflightResult | undefined> {
      const run = await requireRun(runId);
      if (run.status !== "pending_approval" || !run.mutating || !deps.preflight) return undefined;
      return runAndRecordPreflight(store, run, deps.preflight, deps.clock());
    },

    /** Every call the run's plan would make, computed without calling anything. */
    async dryRunOf(runId: string): Promise<{ run: Run; steps: DryRunStep[] }> {
      const run = await requireRun(runId);
      return { run, steps: deps.describeCalls ? await deps.describeCalls(run.plan) : [] };
    },

    /** Plans of others waiting for approval that `user` may approve and has not decided on yet. */
    async listPendingApprovalsFor(user: string): Promise<Run[]> {
      const now = deps.clock().getTime();
      const pending = await store.listRuns({ statuses: ["pending_approval"], approvableBy: user, limit: 100 });
      const mine: Run[] = [];
      for (const run of pending) {
        if (run.expiresAt && run.expiresAt.getTime() <= now) continue;
        // One's own plans are listed as one's own, not as a decision waiting for one.
        if (run.requestedBy === user) continue;
        if (!(await permissions.isApprover(run, user))) continue;
        if ((await store.listApprovals(run.id)).some((a) => a.approver === user)) continue;
        mine.push(run);
      }
      return mine;
    },

    /** What App Home shows `user`: their pending approvals, the queue, recent runs and worker health. */
    async appHomeSnapshot(user: string): Promise<AppHomeSnapshot> {
      const now = deps.clock().getTime();
      const [pending, mine, running, queuedAll, recentAll, workers] = await Promise.all([
        this.listPendingApprovalsFor(user),
        store.listRuns({ statuses: ["pending_approval"], requestedBy: user, limit: 10 }),
        store.listRuns({ statuses: ["running"], limit: 20 }),
        store.listRuns({ statuses: ["queued"], limit: 40 }),
        store.listRuns({ statuses: [...TERMINAL_STATUSES], limit: 10 }),
        store.listWorkers(),
      ]);
      return {
        pendingForMe: (await Promise.all(pending.slice(0, 10).map((run) => this.describeRun(run.id)))).filter(
          (d): d is RunDescription => d !== undefined,
        ),
        mine: mine.filter((r) => !r.expiresAt || r.expiresAt.getTime() > now),
        running,
        queued: queuedAll.filter((r) => r.runAt.getTime() <= now),
        scheduled: queuedAll.filter((r) => r.runAt.getTime() > now),
        recent: recentAll,
        workers: workers.map((w) => workerStatus(w, now)),
      };
    },

    /** Whether the run's card and outcome also show in the channel (config `broadcast`; never for read-only runs). */
    broadcasts: (run: Run, channel: { id: string; name?: string }): Broadcasts => broadcastsOf(config, run, channel),

    /** Whether broadcasts depend on the channel's name (only then must a front end look it up). */
    broadcastsByChannel: () => hasChannelRules(config),

    /** Runs of the same target (lock key) queued or running now, for a plan waiting for approval. */
    async runsOnTarget(run: Run): Promise<number> {
      if (!run.lockKey) return 0;
      const busy = await store.listRuns({ statuses: ["queued", "running"], limit: 100 });
      return busy.filter((r) => r.lockKey === run.lockKey && r.id !== run.id).length;
    },

    /** Whether a channel name matches the config's incident channel patterns (`inc-*`). */
    isIncidentChannel(name: string): boolean {
      return config.incidentChannels.some((pattern) => globToRegExp(pattern).test(name));
    },

    /**
     * For a message in an incident channel: when it reads like an incident report (the parser picks
     * incident triage, or it uses the triage runbook's incident words), the read-only triage runbooks
     * to offer, with the service and environment it named. Nothing is ever run from the message itself.
     */
    triageOffer(text: string): TriageOffer | undefined {
      const intent = parseText(text, { ...deps.parseContext, now: deps.clock() });
      const triage = byId.get("incident-triage");
      const reads = intent.runbook === "incident-triage" || (triage !== undefined && mentionsAny(text, triage.triggers.keywords));
      if (!reads) return undefined;
      const options = TRIAGE_RUNBOOKS.flatMap((id) => {
        const runbook = byId.get(id);
        if (!runbook || runbook.risk !== "read") return [];
        const params = Object.fromEntries(Object.entries(intent.params).filter(([name]) => name in runbook.params));
        return [{ runbook: id, title: runbook.title, params }];
      });
      return options.length > 0 ? { options } : undefined;
    },
  };
}

function workerStatus(worker: WorkerInfo, now: number): WorkerStatus {
  const leaseMs = worker.leaseMs ?? DEFAULT_WORKER_LEASE_MS;
  const heartbeatAgeMs = Math.max(0, now - worker.heartbeatAt.getTime());
  const status = worker.stoppedAt ? "stopped" : heartbeatAgeMs > leaseMs ? "lost" : heartbeatAgeMs > (leaseMs * 2) / 3 ? "late" : "healthy";
  return { ...worker, status, heartbeatAgeMs };
}

function mentionsAny(text: string, words: readonly string[]): boolean {
  const lower = ` ${text.toLowerCase().replace(/[^a-z0-9%]+/g, " ")} `;
  return words.some((word) => lower.includes(` ${word.toLowerCase()} `));
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`, "i");
}
