/**
 * Secret scrubbing: values known to be secret (the credentials an adapter was granted, tokens from
 * config) and anything shaped like a credential even when nobody said it was one. Adapters use it so
 * they never *return* a secret a provider echoed back (build logs, error bodies, command output); the
 * rest of opsroom uses it through src/redact.ts for everything it records, logs or shows. It lives here
 * because adapters may import only their types and src/errors.ts.
 */
const REDACTED = "[REDACTED]";

const CREDENTIAL_PATTERNS: readonly RegExp[] = [
  /\bxox[abposr]-[A-Za-z0-9-]{6,}/g, // Slack tokens
  /\bxapp-[A-Za-z0-9-]{6,}/g, // Slack app-level tokens
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g, // GitHub classic tokens
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g, // GitHub fine-grained tokens
  /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}/g, // Stripe-style keys
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g, // JWTs (Supabase keys)
  /\bsb_(?:secret|publishable)_[A-Za-z0-9_-]{10,}/g, // Supabase API keys (new format)
  /\bdop_v1_[a-f0-9]{20,}/g, // DigitalOcean tokens
  /(?<=\b[Bb]earer\s+)[A-Za-z0-9._~+/=-]{8,}/g, // Authorization: Bearer <token>
  /(?<=:\/\/[^\s:/@]+:)[^\s@/]+(?=@)/g, // password in scheme://user:password@host
  /(?<=\b(?:password|passwd|pwd|secret|token|api[_-]?key|apikey)["']?\s*[:=]\s*["']?)[^\s"'&,;}]{4,}/gi,
];

export interface Scrubber {
  text(value: string): string;
  /** Deep copy with every string scrubbed; Errors become plain Errors with scrubbed message. */
  value<T>(value: T): T;
}

/** Values shorter than this are not treated as secrets: they would redact ordinary words. */
const MIN_SECRET_LENGTH = 6;

export function createScrubber(secrets: Iterable<string | undefined>): Scrubber {
  const known = [...new Set([...secrets].filter((s): s is string => !!s && s.length >= MIN_SECRET_LENGTH))].sort(
    (a, b) => b.length - a.length,
  );
  const text = (input: string): string => {
    let out = input;
    for (const secret of known) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    // Providers sometimes echo a secret URL-encoded (query strings, error bodies).
    for (const secret of known) {
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret && out.includes(encoded)) out = out.split(encoded).join(REDACTED);
    }
    for (const pattern of CREDENTIAL_PATTERNS) out = out.replace(pattern, REDACTED);
    return out;
  };
  const value = <T>(input: T): T => scrubValue(input, text, new WeakMap()) as T;
  return { text, value };
}

function scrubValue(value: unknown, text: (s: string) => string, seen: WeakMap<object, unknown>): unknown {
  if (typeof value === "string") return text(value);
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value)) return seen.get(value);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(scrubValue(item, text, seen));
    return out;
  }
  if (value instanceof Error) {
    const copy = new Error(text(value.message));
    copy.name = value.name;
    if (value.stack) copy.stack = text(value.stack);
    seen.set(value, copy);
    return copy;
  }
  if (value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [key, item] of Object.entries(value)) out[key] = scrubValue(item, text, seen);
  return out;
}

/** The URL without user:password, for messages (credential-shaped query values are scrubbed later). */
export function describeUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (!url.username && !url.password) return raw;
    url.username = "";
    url.password = "";
    return url.toString();
  } catch {
    return raw.replace(/\/\/[^@/\s]*@/, "//");
  }
}
