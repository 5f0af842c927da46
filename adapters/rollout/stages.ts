import { AdapterError } from "../../src/errors.js";

/** One step of a rollout's ladder: the flag on for this share of users (of these cohorts). */
export interface StagePlan {
  percent: number;
  cohorts: string[];
}

/** The ladder used when a request names only the target ("roll out X to 100%"): shares of the target. */
const DEFAULT_SHARES = [0.1, 0.25, 0.5, 1];
const DEFAULT_EVERY_SECONDS = 30 * 60;

/**
 * The stages of a rollout from what was asked: the percentages given (ascending, the last one the target),
 * or a default ladder up to a single target; steps at or below the flag's current share are dropped, so
 * ramping a flag already at 25% to 100% starts above 25%. Bad input is refused with what was seen.
 */
export function planStages(input: { stages: readonly (string | number)[]; cohorts: readonly string[]; current: number }): StagePlan[] {
  const percents = input.stages.map((raw) => {
    const n = typeof raw === "number" ? raw : Number(String(raw).trim().replace(/%$/, ""));
    if (!Number.isInteger(n) || n < 1 || n > 100) {
      throw new AdapterError("rollout", "plan", "ROLLOUT_BAD_STAGE", `each stage must be a whole percentage from 1 to 100 (got "${raw}").`);
    }
    return n;
  });
  for (let i = 1; i < percents.length; i++) {
    if (percents[i]! <= percents[i - 1]!) {
      throw new AdapterError(
        "rollout",
        "plan",
        "ROLLOUT_STAGES_NOT_ASCENDING",
        `stages must go up, ending at the target (got ${percents.join("/")}).`,
        { hint: 'Say them in order, like "10/25/50/100".' },
      );
    }
  }
  const target = percents.length > 0 ? percents[percents.length - 1]! : 100;
  const ladder =
    percents.length > 1
      ? percents
      : [...new Set(DEFAULT_SHARES.map((share) => Math.max(1, Math.round(target * share))))].sort((a, b) => a - b);
  const ahead = ladder.filter((p) => p > input.current);
  if (ahead.length === 0) {
    throw new AdapterError(
      "rollout",
      "plan",
      "ROLLOUT_NOTHING_TO_DO",
      `the flag is already at ${input.current}%, at or above the target ${target}%; nothing to roll out.`,
      { hint: 'To lower it, use the flag runbook ("roll out X to 10%") or "rollout rollback X".' },
    );
  }
  return ahead.map((percent) => ({ percent, cohorts: [...input.cohorts] }));
}

/** Seconds in an ISO 8601 duration (PT30M, PT2H, P1D, PT1H30M); undefined text means the default 30 minutes. */
export function durationSeconds(text: string | undefined): number {
  if (text === undefined || text.trim() === "") return DEFAULT_EVERY_SECONDS;
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i.exec(text.trim());
  if (!m || text.trim().toUpperCase() === "P" || /T$/i.test(text.trim())) {
    throw new AdapterError(
      "rollout",
      "plan",
      "ROLLOUT_BAD_INTERVAL",
      `every must be an ISO 8601 duration like PT30M or PT2H (got "${text}").`,
    );
  }
  const [, d, h, min, s] = m.map((v) => Number(v ?? 0));
  return (d ?? 0) * 86_400 + (h ?? 0) * 3600 + (min ?? 0) * 60 + (s ?? 0);
}

/** "30 min", "2 h", "1 h 30 min", "45 s". */
export function durationText(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.round((seconds % 3600) / 60);
  return [h ? `${h} h` : "", m ? `${m} min` : ""].filter(Boolean).join(" ");
}

/** "10% → 25% → 50% → 100% (ops, demo)". */
export function ladderText(stages: readonly StagePlan[]): string {
  const cohorts = stages[0]?.cohorts ?? [];
  return `${stages.map((s) => `${s.percent}%`).join(" → ")}${cohorts.length ? ` (${cohorts.join(", ")})` : ""}`;
}
