import { it } from "vitest";

/** Registers a test only where it applies, so an inapplicable case is absent rather than reported as skipped. */
export const itWhere = (applies: boolean) => (applies ? it : ((() => undefined) as unknown as typeof it));
