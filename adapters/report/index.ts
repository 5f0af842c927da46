import type { Adapter } from "../types.js";
import { systemClock, type Clock } from "../shared/clock.js";
import { createChangeHistory } from "./change-history.js";
import { createCheckSettings, createExpect, createGuard, createPick } from "./checks.js";
import { createErrorGate } from "./error-gate.js";
import { createFlagChange } from "./flag-change.js";
import { createOpsBoard } from "./ops-board.js";
import { createSpecDraft } from "./spec-draft.js";
import { createProposedFix } from "./proposed-fix.js";
import { createTriageWindow } from "./triage-window.js";
import { createTriage } from "./triage.js";

export interface ReportAdapterOptions {
  /** "Now" for ages and "before the errors began"; the system clock by default. */
  clock?: Clock;
}

/**
 * Pure steps that compose what earlier steps read into something people decide on: the settings a
 * runbook needs, one item out of a list, a verification, a flag change diff, an incident's window,
 * suspects and proposed fix, the ops board, a spec draft. No network, no credentials, all read; inputs are earlier steps'
 * outputs rendered from `{{ steps.<id>.data }}` or `{{ steps }}`.
 *
 * @example createReportAdapter({ clock: { now: () => Date.parse("2026-01-07T10:00:00Z"), sleep: async () => {} } })
 */
export function createReportAdapter(options: ReportAdapterOptions = {}): Adapter {
  const clock = options.clock ?? systemClock;
  return {
    id: "report",
    description:
      "Reports from earlier steps: settings check, pick, expect, guard, flag change, triage window, suspects and fix, ops board, spec draft.",
    actions: {
      checkSettings: createCheckSettings(),
      pick: createPick(),
      expect: createExpect(),
      guard: createGuard(),
      flagChange: createFlagChange(),
      errorGate: createErrorGate(clock),
      triageWindow: createTriageWindow(clock),
      changeHistory: createChangeHistory(clock),
      triage: createTriage(clock),
      proposedFix: createProposedFix(),
      opsBoard: createOpsBoard(clock),
      specDraft: createSpecDraft(clock),
    },
  };
}
