import type { TestOptions } from "vitest";

declare module "vitest" {
  interface TaskMeta {
    /** Why a test or suite did not run here; the skips reporter prints it after the run. */
    skipReason?: string;
  }
}

/**
 * Test options that skip a test or suite (hooks included) unless `applies`, recording why, so the run
 * ends with a line saying what was skipped and how to run it.
 *
 * @example describe("losing the Postgres connection", NEEDS_POSTGRES, () => { … })
 */
export function skipUnless(applies: boolean, reason: string): TestOptions {
  return applies ? {} : { skip: true, meta: { skipReason: reason } };
}

/** For suites that need a real PostgreSQL server (CI sets TEST_DATABASE_URL). */
export const NEEDS_POSTGRES = skipUnless(
  !!process.env.TEST_DATABASE_URL,
  "set TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run against real PostgreSQL",
);
