import type { Adapter } from "../types.js";
import { systemClock, type Clock } from "../shared/clock.js";
import { createBlockVerdicts } from "./block-verdicts.js";
import { createChecklist, createSetChecklistStep, type ChecklistStore } from "./checklist.js";
import { createFileAge } from "./file-age.js";

export type { ChecklistStore } from "./checklist.js";

export interface BoardAdapterOptions {
  /** The checklist's states and history; absent where no store is open (`runbooks validate`, dry-run catalogs). */
  checklist?: ChecklistStore | undefined;
  /** Where relative feed paths are resolved; the working directory by default. */
  baseDir?: string;
  clock?: Clock;
}

/**
 * The ops board's own readings: the cut-over checklist (read and changed through the store the composition
 * root gives it, never the store itself) and local file feeds. No network, no credentials.
 */
export function createBoardAdapter(options: BoardAdapterOptions = {}): Adapter {
  const clock = options.clock ?? systemClock;
  return {
    id: "board",
    description: "The ops board's cut-over checklist (read, change, history) and local file feeds.",
    actions: {
      checklist: createChecklist(options.checklist),
      setChecklistStep: createSetChecklistStep(options.checklist, clock),
      fileAge: createFileAge(options.baseDir ?? process.cwd()),
      blockVerdicts: createBlockVerdicts(options.checklist, clock),
    },
  };
}
