import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { optionalText } from "../shared/args.js";
import type { Clock } from "../shared/clock.js";
import { resolveStep, type ConfiguredStep } from "./resolve-step.js";

/** A stored step state, as the store's board records give it. */
export interface StoredStepState {
  readonly stepId: string;
  readonly status: string;
  readonly owner: string | null;
  readonly notes: string | null;
  readonly updatedBy: string;
  readonly updatedAt: Date;
}

/** One stored change. */
export interface StoredStepChange {
  readonly stepId: string;
  readonly status: string;
  readonly owner: string | null;
  readonly notes: string | null;
  readonly previous: { status: string; owner: string | null; notes: string | null } | null;
  readonly changedBy: string;
  readonly changedAt: Date;
  readonly runId: string | null;
}

/** Where checklist states live; the composition root passes the store's board records. */
export interface ChecklistStore {
  listChecklistStates(): Promise<readonly StoredStepState[]>;
  updateChecklistStep(update: {
    stepId: string;
    status?: string | undefined;
    owner?: string | undefined;
    notes?: string | undefined;
    defaults: { status: string; owner: string | null; notes: string | null };
    runId: string;
    at: Date;
  }): Promise<StoredStepChange>;
  listChecklistHistory(stepId: string | undefined, limit: number): Promise<readonly StoredStepChange[]>;
  /** The newest board of an env as recorded (ops-board.json) and when; for preflights that show a block's verdict. */
  latestBoardData(env: string): Promise<{ content: string; finishedAt: Date } | undefined>;
}

/** A step as the board shows it: the config's definition with its current state. */
export interface ChecklistItem extends ConfiguredStep {
  readonly updatedAt: string | null;
  readonly updatedBy: string | null;
}

const stepsArg = z.array(
  z.looseObject({
    id: z.string(),
    title: z.string(),
    lane: z.string(),
    status: z.string(),
    owner: z.string().optional(),
    description: z.string().optional(),
    notes: z.string().optional(),
    block: z.string(),
  }),
  { error: "must be the config's checklist, like {{ board.checklist }}" },
);

export const STATUSES = ["healthy", "warning", "blocked", "done"] as const;

export const checklistArgs = z.strictObject({
  steps: stepsArg,
  /** Show this step's history as well. */
  step: optionalText(),
  historyLimit: z.number().int().min(1).max(100).default(20),
});

export const setChecklistStepArgs = z
  .strictObject({
    steps: stepsArg,
    step: z.string({ error: "must name a checklist step" }).min(1, "must name a checklist step"),
    status: optionalText(z.enum(STATUSES, { error: `must be one of ${STATUSES.join(", ")}` })),
    owner: optionalText(),
    note: optionalText(),
  })
  .refine((a) => a.status !== undefined || a.owner !== undefined || a.note !== undefined, {
    message: "needs a status, an owner or a note to set",
    path: ["status"],
  });

function unavailable(action: string): AdapterError {
  return new AdapterError("board", action, "BOARD_UNAVAILABLE", "The checklist's store is not open in this process.");
}

/** The checklist as it stands: each configured step with its stored state (the config's when never changed). */
export async function currentChecklist(steps: readonly ConfiguredStep[], store: ChecklistStore): Promise<ChecklistItem[]> {
  const states = new Map((await store.listChecklistStates()).map((s) => [s.stepId, s]));
  return steps.map((step) => {
    const state = states.get(step.id);
    if (!state) return { ...step, updatedAt: null, updatedBy: null };
    return {
      ...step,
      status: state.status,
      owner: state.owner ?? undefined,
      notes: state.notes ?? undefined,
      updatedAt: state.updatedAt.toISOString(),
      updatedBy: state.updatedBy,
    };
  });
}

export function createChecklist(store: ChecklistStore | undefined): AdapterAction {
  return adapterAction("board", "checklist", {
    description: "Read the cut-over checklist: each step's lane, status, owner and notes, who changed it and when; a step's history.",
    args: checklistArgs,
    risk: "read",
    async run(args) {
      if (!store) throw unavailable("checklist");
      const checklist = await currentChecklist(args.steps, store);
      const step = args.step ? resolveStep(args.steps, args.step, "checklist") : undefined;
      const history = step ? await store.listChecklistHistory(step.id, args.historyLimit) : undefined;
      const done = checklist.filter((s) => s.status === "done" || s.status === "healthy").length;
      return {
        summary: step
          ? `${step.title}: ${checklist.find((s) => s.id === step.id)?.status}, ${history!.length} change${history!.length === 1 ? "" : "s"} on record`
          : `${done} of ${checklist.length} checklist steps healthy or done`,
        data: {
          checklist,
          ...(step ? { step: step.id, history: history!.map((h) => ({ ...h, changedAt: h.changedAt.toISOString() })) } : {}),
        },
        artifacts: step
          ? [
              {
                kind: "text",
                title: `History of ${step.title}`,
                content: history!.length
                  ? history!.map((h) => `${h.changedAt.toISOString()} ${h.changedBy}: ${describeMoves(step, h)}`).join("\n")
                  : "No change on record: the step is as the config defines it.",
              },
            ]
          : [],
      };
    },
  });
}

export function createSetChecklistStep(store: ChecklistStore | undefined, clock: Clock): AdapterAction {
  return adapterAction("board", "setChecklistStep", {
    description: "Change a cut-over checklist step's status, owner or notes; the change is kept with who made it and when.",
    args: setChecklistStepArgs,
    risk: "write",
    dryRun(args) {
      const step = resolveStep(args.steps, args.step, "setChecklistStep");
      // No HTTP: the one write is to opsroom's own store, shown as such.
      const body = { status: args.status, owner: args.owner, notes: args.note };
      return {
        calls: [{ method: "UPDATE", url: `opsroom checklist step ${step.id}`, body: JSON.parse(JSON.stringify(body)) as unknown }],
        summary: `would set ${step.title}: ${describeChange(args)}`,
      };
    },
    async run(args, ctx) {
      if (!store) throw unavailable("setChecklistStep");
      const step = resolveStep(args.steps, args.step, "setChecklistStep");
      const change = await store.updateChecklistStep({
        stepId: step.id,
        status: args.status,
        owner: args.owner,
        notes: args.note,
        defaults: { status: step.status, owner: step.owner ?? null, notes: step.notes ?? null },
        runId: ctx.runId,
        at: new Date(clock.now()),
      });
      return {
        summary: `${step.title}: ${describeMoves(step, change)} (by ${change.changedBy})`,
        data: { step: step.id, change: { ...change, changedAt: change.changedAt.toISOString() } },
      };
    },
  });
}

/** "status blocked → done; owner Ops → @dana": what a change changed (against the config's state for a first change). */
function describeMoves(step: ConfiguredStep, change: StoredStepChange): string {
  const before = change.previous ?? { status: step.status, owner: step.owner ?? null, notes: step.notes ?? null };
  const moves = [
    before.status !== change.status ? `status ${before.status} → ${change.status}` : undefined,
    before.owner !== change.owner ? `owner ${before.owner ?? "unassigned"} → ${change.owner}` : undefined,
    before.notes !== change.notes ? `notes: ${change.notes}` : undefined,
  ].filter(Boolean);
  return moves.join("; ") || "unchanged";
}

function describeChange(args: z.output<typeof setChecklistStepArgs>): string {
  return [
    args.status ? `status ${args.status}` : undefined,
    args.owner ? `owner ${args.owner}` : undefined,
    args.note ? `notes "${args.note}"` : undefined,
  ]
    .filter(Boolean)
    .join(", ");
}
