import { z } from "zod";

/**
 * Zod helpers for action args. Args arrive rendered by the planner from Liquid templates, so an unset
 * optional value may arrive as "" and a number or boolean as its text: these helpers accept both forms
 * and reject everything else with a message that names what is allowed.
 */
const blankToUndefined = (value: unknown): unknown =>
  value === "" || value === null || (typeof value === "string" && value.trim() === "") ? undefined : value;

/** Optional arg that treats "" (an unset template value) as not given. */
export function optionalArg<T extends z.ZodType>(schema: T) {
  return z.preprocess(blankToUndefined, schema.optional());
}

/** Optional string that treats "" as not given. */
export function optionalText(schema: z.ZodType<string> = z.string()) {
  return optionalArg(schema);
}

/** Integer in [min, max]; accepts "42". */
export function intArg(min: number, max: number) {
  return z.preprocess(
    (value) => (typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value),
    z
      .number({ error: `must be a whole number from ${min} to ${max}` })
      .int(`must be a whole number from ${min} to ${max}`)
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`),
  );
}

export function optionalInt(min: number, max: number) {
  return z.preprocess(blankToUndefined, intArg(min, max).optional());
}

/** A list of names; also accepts "a, b" as text, since templates render lists people typed as strings. */
export function listArg<T extends z.ZodType>(item: T, error: string) {
  return z.preprocess((v) => (typeof v === "string" ? splitList(v) : v), z.array(item, { error }));
}

function splitList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Boolean; accepts "true"/"false". */
export function boolArg() {
  return z.preprocess(
    (value) => (value === "true" ? true : value === "false" ? false : value),
    z.boolean({ error: "must be true or false" }),
  );
}

export const repositoryArg = z
  .string({ error: "must be owner/name, like acme/api" })
  .regex(/^[\w.-]+\/[\w.-]+$/, "must be owner/name, like acme/api");

/** A git branch, tag or SHA: no spaces, no "..", none of ~^:?*[\ (git check-ref-format). */
export const gitRefArg = z
  .string({ error: "must be a branch, tag or commit SHA" })
  .min(1, "must be a branch, tag or commit SHA")
  .max(250, "must be at most 250 characters")
  .regex(/^(?!.*\.\.)(?!\/)(?!.*\/$)[^\s~^:?*[\\]+$/, "must be a branch, tag or commit SHA (no spaces, '..' or ~^:?*[\\)");

/** A provider id or name that goes into a URL path segment. */
export function idArg(what: string) {
  return z
    .string({ error: `must be ${what}` })
    .min(1, `must be ${what}`)
    .max(200, "must be at most 200 characters")
    .regex(/^[\w.:@-]+$/, `must be ${what} (letters, digits, . _ - : @)`);
}

/** Name of an environment variable, e.g. STAGING_DATABASE_URL. */
export const envNameArg = z
  .string({ error: "must be an environment variable name like STAGING_DATABASE_URL" })
  .regex(/^[A-Z][A-Z0-9_]*$/, "must be an environment variable name like STAGING_DATABASE_URL");

/** ISO date-time or epoch milliseconds → epoch milliseconds. */
export const instantArg = z.preprocess(
  (value) => {
    if (typeof value === "number") return value;
    if (typeof value === "string" && /^\d{10,}$/.test(value)) return Number(value);
    if (typeof value === "string") {
      const ms = Date.parse(value);
      return Number.isNaN(ms) ? value : ms;
    }
    return value;
  },
  z.number({ error: "must be an ISO date-time like 2026-01-07T10:00:00Z or epoch milliseconds" }).int().nonnegative(),
);

export function optionalInstant() {
  return z.preprocess(blankToUndefined, instantArg.optional());
}

/** "`repository` must be owner/name, like acme/api (got "acme"); `ref` is required". */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map(formatIssue).join("; ");
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.length > 0 ? `\`${issue.path.map(String).join(".")}\`` : "args";
  if (issue.code === "unrecognized_keys") {
    return `${field === "args" ? "" : `${field}: `}unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `\`${k}\``).join(", ")}`;
  }
  const input = (issue as { input?: unknown }).input;
  if (input === undefined && issue.code === "invalid_type") return `${field} is required`;
  // A refinement over several fields reports the whole args object as its input: not worth quoting.
  const quotable = input !== undefined && !(issue.code === "custom" && typeof input === "object");
  const got = quotable ? ` (got ${preview(input)})` : "";
  return issue.path.length > 0 ? `${field} ${issue.message}${got}` : `${issue.message}${got}`;
}

function preview(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
