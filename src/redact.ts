import { createScrubber } from "../adapters/shared/scrub.js";

/**
 * Removes secrets from anything we record or show: values we know are secret (tokens from config and
 * environment) and anything shaped like a credential even when we did not know it. One implementation
 * with the adapters' own scrubbing (adapters/shared/scrub.ts), so both know the same credential shapes.
 */
export interface Redactor {
  /** Returns a copy of `value` with every secret string replaced; non-strings pass through. */
  redact<T>(value: T): T;
  redactText(text: string): string;
}

export function createRedactor(knownSecrets: Iterable<string | undefined>): Redactor {
  const scrubber = createScrubber(knownSecrets);
  return { redact: scrubber.value, redactText: scrubber.text };
}
