import { Cron } from "croner";
import { InputError } from "../errors.js";

/** Occurrences counted one by one when opsroom was down; beyond this the notice says "at least". */
export const MAX_COUNTED_OCCURRENCES = 10_000;

/**
 * A cron pattern (5 fields: minute hour day-of-month month day-of-week) in an IANA time zone, checked by
 * croner, which also does the calendar and daylight-saving arithmetic.
 *
 * @example compileCadence("0 9 * * 1-5", "Europe/Berlin").next(new Date()) // the next weekday 9:00 in Berlin
 */
export function compileCadence(pattern: string, timeZone: string): { next(after: Date): Date } {
  let cron: Cron;
  try {
    cron = new Cron(pattern, { timezone: timeZone, paused: true, mode: "5-part" });
  } catch (error) {
    throw new InputError(
      "SCHEDULE_BAD_CRON",
      `"${pattern}" is not a cron pattern I can use: ${(error as Error).message.replace(/^CronPattern: /, "")}.`,
      { hint: 'Use five fields: minute hour day-of-month month day-of-week, e.g. "0 9 * * 1-5" for weekdays at 9:00.', cause: error },
    );
  }
  if (!cron.nextRun(new Date())) throw new InputError("SCHEDULE_NEVER", `"${pattern}" never comes around again.`);
  return {
    next(after) {
      const next = cron.nextRun(after);
      if (!next) throw new InputError("SCHEDULE_NEVER", `"${pattern}" never comes around again.`);
      return next;
    },
  };
}

/** What to do with a schedule that is due: which occurrence, whether to run it, and how many were missed. */
export interface OccurrencePlan {
  occurrenceAt: Date;
  fire: boolean;
  skipped: number;
  skippedFrom: Date | null;
  nextAt: Date;
}

/**
 * A due schedule at `now`: the newest occurrence not later than `now` runs if it is at most `graceMs`
 * late; every older one (missed while no opsroom was running) is skipped, counted and reported, so a
 * restart after a night down does not fire a burst of morning boards.
 */
export function planOccurrence(pattern: string, timeZone: string, dueAt: Date, now: Date, graceMs: number): OccurrencePlan {
  const cadence = compileCadence(pattern, timeZone);
  let latest = dueAt;
  let count = 1;
  for (let next = cadence.next(latest); next.getTime() <= now.getTime() && count < MAX_COUNTED_OCCURRENCES; next = cadence.next(latest)) {
    latest = next;
    count++;
  }
  const fire = now.getTime() - latest.getTime() <= graceMs;
  const skipped = fire ? count - 1 : count;
  return { occurrenceAt: latest, fire, skipped, skippedFrom: skipped > 0 ? dueAt : null, nextAt: cadence.next(now) };
}
