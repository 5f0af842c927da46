/**
 * Removes secrets from anything we record or show: values we know are secret (tokens from config and
 * environment) and anything shaped like a credential even when we did not know it.
 */
const REDACTED = "[REDACTED]";

const CREDENTIAL_PATTERNS: readonly RegExp[] = [
  /\bxox[abposr]-[A-Za-z0-9-]{6,}/g, // Slack bot/user/app tokens
  /\bxapp-[A-Za-z0-9-]{6,}/g, // Slack app-level tokens
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g, // GitHub classic tokens
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g, // GitHub fine-grained tokens
  /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}/g, // Stripe-style keys
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g, // JWTs (Supabase keys are JWTs)
  /\bdop_v1_[a-f0-9]{20,}/g, // DigitalOcean tokens
  /(?<=\b[Bb]earer\s+)[A-Za-z0-9._~+/=-]{8,}/g, // Authorization: Bearer <token>
  /(?<=:\/\/[^\s:/@]+:)[^\s@/]+(?=@)/g, // password in scheme://user:password@host
  /(?<=\b(?:password|passwd|pwd|secret|token|api[_-]?key|apikey)["']?\s*[:=]\s*["']?)[^\s"'&,;}]{4,}/gi,
];

export interface Redactor {
  /** Returns a copy of `value` with every secret string replaced; non-strings pass through. */
  redact<T>(value: T): T;
  redactText(text: string): string;
}

export function createRedactor(knownSecrets: Iterable<string | undefined>): Redactor {
  // Longest first so a secret that contains another is replaced whole. Very short values would
  // redact ordinary words, so they are ignored (config validation asks for real tokens).
  const secrets = [...new Set([...knownSecrets].filter((s): s is string => !!s && s.length >= 6))].sort((a, b) => b.length - a.length);

  function redactText(text: string): string {
    let out = text;
    for (const secret of secrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    for (const pattern of CREDENTIAL_PATTERNS) out = out.replace(pattern, REDACTED);
    return out;
  }

  function redact<T>(value: T): T {
    return redactValue(value, redactText, new WeakMap()) as T;
  }

  return { redact, redactText };
}

function redactValue(value: unknown, redactText: (s: string) => string, seen: WeakMap<object, unknown>): unknown {
  if (typeof value === "string") return redactText(value);
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value)) return seen.get(value);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(redactValue(item, redactText, seen));
    return out;
  }
  if (value instanceof Error) {
    const copy = new Error(redactText(value.message));
    copy.name = value.name;
    if (value.stack) copy.stack = redactText(value.stack);
    seen.set(value, copy);
    return copy;
  }
  if (value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [key, item] of Object.entries(value)) out[key] = redactValue(item, redactText, seen);
  return out;
}
