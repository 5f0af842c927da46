import { AdapterError } from "../../src/errors.js";

/** A checklist step as the config defines it ({{ board.checklist }}). */
export interface ConfiguredStep {
  readonly id: string;
  readonly title: string;
  readonly lane: string;
  readonly status: string;
  readonly owner?: string | undefined;
  readonly description?: string | undefined;
  readonly notes?: string | undefined;
  readonly block: string;
}

/** Words that name no step: filler, and statuses a message may carry along ("write-through mutations done"). */
const IGNORED = new Set(["the", "step", "as", "to", "done", "healthy", "warning", "blocked"]);

const words = (text: string): string[] =>
  text
    .toLowerCase()
    .replace(/&/g, " and ")
    .split(/[^a-z0-9]+/)
    .filter((w) => w && !IGNORED.has(w));

/**
 * The step people meant: its id or title ("write-through mutations", "Backfill & reconciliation"), or the
 * one step whose words start with every word given ("backfill", "dual-write queue"). Several matches or
 * none is an error listing the steps, so nothing changes on a guess.
 */
export function resolveStep(steps: readonly ConfiguredStep[], text: string, action: string): ConfiguredStep {
  const wanted = words(text);
  const exact = steps.find((s) => s.id === text.trim().toLowerCase() || words(s.title).join(" ") === wanted.join(" "));
  if (exact) return exact;
  const matches = steps.filter((s) => {
    const have = [...words(s.title), ...words(s.id)];
    return wanted.length > 0 && wanted.every((w) => have.some((h) => h.startsWith(w)));
  });
  if (matches.length === 1) return matches[0]!;
  const list = (of: readonly ConfiguredStep[]) => of.map((s) => `${s.id} (${s.title})`).join(", ");
  if (matches.length > 1) {
    throw new AdapterError("board", action, "BOARD_STEP_AMBIGUOUS", `"${text}" matches several checklist steps: ${list(matches)}.`, {
      hint: "Name the step by its id.",
    });
  }
  throw new AdapterError(
    "board",
    action,
    "BOARD_UNKNOWN_STEP",
    steps.length ? `No checklist step "${text}"; the steps are ${list(steps)}.` : "The config has no checklist steps (board.checklist).",
    { hint: "Checklist steps are defined in the config under board.checklist." },
  );
}
