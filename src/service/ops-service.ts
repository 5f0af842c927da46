import type { Logger } from "pino";
import type { Config } from "../config/load-config.js";
import { InputError } from "../errors.js";
import type { DryRunStep } from "../executor/dry-run.js";
import type { PreflightResult } from "../executor/run-preflight.js";
import type { Intent, ParamValue, ParseContext } from "../parser/intent.js";
import { parseText } from "../parser/parse-text.js";
import { buildPlan } from "../planner/build-plan.js";
import type { Plan } from "../planner/plan.js";
import type { Redactor } from "../redact.js";
import type { Runbook } from "../runbook/runbook-schema.js";
import type { DecisionResult, RunFilter, Store } from "../store/store.js";
import type { NewRun, Run, RunOrigin } from "../store/types.js";
import { createChatUseCases } from "./chat-use-cases.js";
import { helpText, notACommandReply } from "./help-text.js";
import { assertPreflightAllowsApproval, NO_PREFLIGHT, overrideOf, preflightStateOf, runAndRecordPreflight } from "./plan-preflight.js";
import { createRunBoard } from "./run-board.js";
import { createRunChains, type StoredRequest } from "./run-chain.js";
import { exportRunChains } from "./run-chain-export.js";
import { createBoardUseCases } from "./board-use-cases.js";
import { createIncidentUseCases } from "./incident-use-cases.js";
import { createRolloutUseCases } from "./rollout-use-cases.js";
import { createRunPermissions } from "./run-permissions.js";
import { createScheduleUseCases } from "./schedule-use-cases.js";
import { relativeNote, resolveRelative, type CurrentReplicas } from "./resolve-relative.js";

/** Who asked, from where, and a key that makes a retried delivery return the same run. */
export interface Requester {
  user: string;
  source: string;
  origin?: RunOrigin;
  idempotencyKey?: string;
  /**
   * Skip the preflight while planning; the caller runs it with `preflight(runId)` once the plan is
   * shown (Slack posts the card at once and fills the preflight in when it lands).
   */
  deferPreflight?: boolean;
  /** The message that asked and how it was understood, kept with the run for its audit trail. */
  request?: { text: string; intent?: Intent };
}

export type SubmitResult =
  | { kind: "planned"; intent: Intent; plan: Plan; run: Run; created: boolean; preflight?: PreflightResult }
  | { kind: "clarify"; intent: Intent; question: string }
  | { kind: "help"; text: string }
  | { kind: "not-command"; intent: Intent; reply: string };

/** Resolves Slack user groups (or any directory) when the policy names groups of approvers. */
export interface ApproverDirectory {
  groupMembers(groupId: string): Promise<readonly string[]>;
}

export interface OpsServiceDeps {
  store: Store;
  config: Config;
  runbooks: readonly Runbook[];
  parseContext: Omit<ParseContext, "now">;
  clock: () => Date;
  log: Logger;
  directory?: ApproverDirectory;
  /** Runs a mutating plan's read-only validate and preflight steps before anyone can approve it. */
  preflight?: (run: Run) => Promise<PreflightResult>;
  /** Describes every call a plan would make without making any. */
  describeCalls?: (plan: Plan) => Promise<DryRunStep[]>;
  /** Secrets out of what is kept of a request (its text) before it is stored. */
  redactor?: Redactor;
  /** Told about every message parsed (metrics). */
  onParsed?: (intent: Intent) => void;
  /** Reads the count a relative scale ("add 2 more replicas") starts from; without it, the count is asked for. */
  currentReplicas?: CurrentReplicas;
}

/**
 * The use cases every front end shares: the console and Slack translate input into these calls and
 * their results into text or blocks, nothing more.
 */
export function createOpsService(deps: OpsServiceDeps) {
  const { store, config, runbooks } = deps;
  const byId = new Map(runbooks.map((r) => [r.id, r]));
  const permissions = createRunPermissions({ config, directory: () => deps.directory });
  const chains = createRunChains(store);

  /** Plans and records a run; with `supersedes`, as the edit of that pending plan (see Store.supersedeRun). */
  const planRun = async (runbook: Runbook, params: Record<string, ParamValue>, requester: Requester, supersedes?: string) => {
    const plan = buildPlan({ runbook, params }, config);
    const needsApproval = plan.approval.required > 0;
    const expiresAt = needsApproval ? new Date(deps.clock().getTime() + plan.approval.expiresInMinutes * 60_000) : undefined;
    // A value worked out from a relative request says where it came from on the card ("replicas: 5 (3 now + 2)").
    const note = requester.request?.intent && relativeNote(requester.request.intent);
    const origin = requester.request
      ? { ...requester.origin, request: keptRequest(requester.request, deps.redactor), ...(note ? { note } : {}) }
      : requester.origin;
    const next: NewRun = {
      plan,
      status: needsApproval ? "pending_approval" : "queued",
      requestedBy: requester.user,
      source: requester.source,
      ...(origin ? { origin } : {}),
      ...(requester.idempotencyKey ? { idempotencyKey: requester.idempotencyKey } : {}),
      ...(expiresAt ? { expiresAt } : {}),
    };
    const { run, created } = supersedes
      ? { run: (await store.supersedeRun(supersedes, next)).run, created: true }
      : await store.createRun(next);
    // Approvers should see the diff, the commits or the flag change before they can say yes.
    const preflight =
      created && run.status === "pending_approval" && run.mutating && deps.preflight && !requester.deferPreflight
        ? await runAndRecordPreflight(store, run, deps.preflight, deps.clock())
        : undefined;
    return { plan: run.plan, run, created, ...(preflight ? { preflight } : {}) };
  };

  return {
    runbooks,

    parse(text: string): Intent {
      const intent = parseText(text, { ...deps.parseContext, now: deps.clock() });
      deps.onParsed?.(intent);
      return intent;
    },

    /** A message typed by a person: understood, planned, and queued or held for approval. */
    async submitText(text: string, requester: Requester): Promise<SubmitResult> {
      const parsed = this.parse(text);
      if (parsed.runbook === "help") return { kind: "help", text: helpText(runbooks) };
      if (parsed.runbook === null) {
        return parsed.clarify
          ? { kind: "clarify", intent: parsed, question: parsed.clarify }
          : { kind: "not-command", intent: parsed, reply: notACommandReply(runbooks) };
      }
      const intent = await this.resolve(parsed);
      if (intent.missing.length > 0) {
        return { kind: "clarify", intent, question: intent.clarify ?? `${intent.runbook} needs ${intent.missing.join(", ")}.` };
      }
      const runbook = byId.get(parsed.runbook);
      if (!runbook) throw new InputError("PARSE_UNKNOWN_RUNBOOK", `I understood "${parsed.runbook}" but there is no such runbook loaded.`);
      return { kind: "planned", intent, ...(await planRun(runbook, intent.params, { request: { text, intent }, ...requester })) };
    },

    /** The intent with what a relative request leaves missing worked out from the current state (resolve-relative.ts). */
    async resolve(intent: Intent): Promise<Intent> {
      const runbook = intent.runbook === null ? undefined : byId.get(intent.runbook);
      return runbook ? resolveRelative(intent, runbook, deps.currentReplicas) : intent;
    },

    /** A plan from explicit params (a Slack modal, a "did you mean" button, a retry). */
    async submitPlan(runbookId: string, params: Record<string, ParamValue>, requester: Requester) {
      const runbook = byId.get(runbookId);
      if (!runbook)
        throw new InputError("PLAN_UNKNOWN_RUNBOOK", `There is no runbook "${runbookId}" (known: ${[...byId.keys()].join(", ")}).`);
      return planRun(runbook, params, requester);
    },

    /** The steps a run would make, without creating anything. */
    dryRun(runbookId: string, params: Record<string, ParamValue>): Plan {
      const runbook = byId.get(runbookId);
      if (!runbook) throw new InputError("PLAN_UNKNOWN_RUNBOOK", `There is no runbook "${runbookId}".`);
      return buildPlan({ runbook, params }, config);
    },

    /** A dry run of a typed request: the plan and every call it would make; nothing is called or stored. */
    async dryRunText(
      text: string,
    ): Promise<{ kind: "dry-run"; intent: Intent; plan: Plan; steps: DryRunStep[] } | Exclude<SubmitResult, { kind: "planned" }>> {
      const parsed = this.parse(text);
      if (parsed.runbook === null || parsed.runbook === "help")
        return { kind: "not-command", intent: parsed, reply: notACommandReply(runbooks) };
      const intent = await this.resolve(parsed);
      if (intent.missing.length > 0)
        return { kind: "clarify", intent, question: intent.clarify ?? `${intent.runbook} needs ${intent.missing.join(", ")}.` };
      const plan = this.dryRun(parsed.runbook, intent.params);
      return { kind: "dry-run", intent, plan, steps: deps.describeCalls ? await deps.describeCalls(plan) : [] };
    },

    /**
     * Approves a plan. `overrideReason` is the approver's why when the preflight reported something that
     * stands against it (a Blocked board verdict, a migration never run on staging): required then, and
     * kept with the approval and as a run event. It never replaces an approver: who may approve, and
     * whether the approval counts (no requester's own when self-approval is off), stay as they are.
     */
    async approve(runId: string, user: string, planHash?: string, overrideReason?: string): Promise<DecisionResult> {
      const run = await requireRun(store, runId);
      await permissions.assertMayApprove(run, user);
      const preflight = deps.preflight ? await assertPreflightAllowsApproval(store, run, deps.clock()) : undefined;
      // A reason is typed text: a secret pasted into it is masked before it is kept, like a request's text.
      const given = overrideOf(run, preflight ?? NO_PREFLIGHT, overrideReason);
      const reason = given && deps.redactor ? deps.redactor.redactText(given) : given;
      return store.recordDecision({
        runId,
        approver: user,
        decision: "approve",
        planHash: planHash ?? run.planHash,
        ...(reason ? { override: { reason, overrides: (preflight?.overrides ?? []).map((c) => c.override!) } } : {}),
      });
    },

    /**
     * What `user`'s approval of a plan would have to override (empty: a plain approval will do), for front
     * ends that ask for the reason first. Someone who may not approve it is told so before being asked.
     */
    async overridesToApprove(runId: string, user: string): Promise<string[]> {
      const run = await requireRun(store, runId);
      if (run.status !== "pending_approval" || !run.mutating || !deps.preflight) return [];
      const overrides = preflightStateOf(run, await store.listEvents(run.id), deps.clock()).overrides.map((c) => c.override!);
      if (overrides.length > 0) await permissions.assertMayApprove(run, user);
      return overrides;
    },

    async reject(runId: string, user: string, planHash?: string): Promise<DecisionResult> {
      const run = await requireRun(store, runId);
      await permissions.assertMayReject(run, user);
      return store.recordDecision({ runId, approver: user, decision: "reject", planHash: planHash ?? run.planHash });
    },

    /** Cancels a run (before it starts) or asks its executor to stop; only for its requesters, approvers and admins. */
    async cancel(runId: string, user: string): Promise<Run> {
      await permissions.assertMayCancel(await requireRun(store, runId), user);
      return store.requestCancel(runId, user);
    },
    getRun: (runId: string) => store.getRun(runId),
    listEvents: (runId: string, afterId?: number) => store.listEvents(runId, afterId),
    listArtifacts: (runId: string) => store.listArtifacts(runId),
    listApprovals: (runId: string) => store.listApprovals(runId),
    listRuns: (filter?: Parameters<Store["listRuns"]>[0]) => store.listRuns(filter),
    listWorkers: () => store.listWorkers(),
    queuePosition: (runId: string) => store.lockQueuePosition(runId),
    onRunEvent: (listener: (runId: string) => void) => store.onRunEvent(listener),

    /**
     * Resolves approver groups through `directory` from now on. For front ends that learn the
     * workspace after the service was built (Slack: usergroups.users.list once connected).
     */
    useDirectory(directory: ApproverDirectory): void {
      deps.directory = directory;
    },

    // Asking for missing params, editing and retrying plans, triage offers, App Home (chat-use-cases.ts).
    ...createChatUseCases(deps, planRun, permissions),

    // The audit trail of runs: runChain, runChains (run-chain.ts).
    ...chains,

    /** The audit export of every run `filter` matches, line by line: what `opsroom runs export` prints. */
    exportRuns: (filter: Omit<RunFilter, "olderThan">, format: "csv" | "jsonl") =>
      exportRunChains(chains.runChains(filter), format, deps.redactor ?? { redact: (v) => v, redactText: (t) => t }),

    // The runs now by lane, and the workers (run-board.ts): the Runboard's board.
    ...createRunBoard(deps),

    /** Whether `user` may see the Runboard (the config's `runboard.allow`; empty: everyone signed in). */
    mayViewRunboard: (user: string) => permissions.isAmongOrEveryone(config.runboard.allow, user),

    // Incident channels: messages seen, the triage summary message, the postmortem (incident-use-cases.ts).
    ...createIncidentUseCases(deps),

    // Recurring schedules and watches: create, list, stop, approve, silence (schedule-use-cases.ts).
    ...createScheduleUseCases(deps, permissions, (text) => parseText(text, { ...deps.parseContext, now: deps.clock() })),
    // Staged rollouts: status, pause, resume, skip, abort, "roll back the rollout" (rollout-use-cases.ts).
    ...createRolloutUseCases(deps, planRun, permissions),
    // The ops board's one message per Slack channel (board-use-cases.ts).
    ...createBoardUseCases(deps, planRun),
  };
}

export type OpsService = ReturnType<typeof createOpsService>;

function keptRequest(request: { text: string; intent?: Intent }, redactor: Redactor | undefined): StoredRequest {
  let kept: StoredRequest = { text: request.text };
  if (request.intent) {
    const { text: _text, ...intent } = request.intent;
    kept = { ...kept, intent };
  }
  return redactor ? redactor.redact(kept) : kept;
}

async function requireRun(store: Store, runId: string): Promise<Run> {
  const run = await store.getRun(runId);
  if (!run) throw new InputError("RUN_NOT_FOUND", `There is no run ${runId}.`);
  return run;
}
