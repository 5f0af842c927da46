import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { boolArg, listArg, optionalArg, optionalInt, optionalText } from "../shared/args.js";

const text = (what: string) => z.string({ error: `must be ${what}` }).min(1, "must not be empty");
const scalar = z.union([z.string(), z.number(), z.boolean()]);

export const checkSettingsArgs = z.strictObject({
  /** What needs the settings, for the message: "deploy of api to prod". */
  subject: text("what needs the settings, like deploy of api to prod"),
  /** Where in the config they may be set, most general first: ["services.api", "services.api.environments.prod"]. */
  where: z.array(text("a config path like services.api"), { error: "must be a list of config paths like services.api" }).min(1),
  /** Names of the settings that must have a value. */
  required: listArg(text("a setting name like repository"), "must be a list of setting names").refine(
    (names) => names.length > 0,
    "must name at least one setting",
  ),
  /** The settings as the planner rendered them; an unset one is simply absent. */
  settings: z.preprocess(
    (v) => (v === undefined || v === "" ? {} : v),
    z.record(z.string(), z.unknown(), { error: "must map setting names to values" }),
  ),
  hint: optionalText(),
});

const isSet = (v: unknown) => v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && v.length === 0);

/**
 * Fails, naming every config setting a runbook needs and the config does not have, and where to set it.
 * The executor names missing credentials (environment variables) itself; this covers the config file.
 */
export function createCheckSettings(): AdapterAction {
  return adapterAction("report", "checkSettings", {
    description: "Check the config has the settings a runbook needs; name each missing one and where to set it.",
    args: checkSettingsArgs,
    risk: "read",
    async run(args) {
      const missing = args.required.filter((name) => !isSet(args.settings[name]));
      if (missing.length > 0) {
        const [first, ...rest] = args.where;
        const places = missing.map((name) => `${first}.${name}${rest.length ? ` (or ${rest.map((w) => `${w}.${name}`).join(", ")})` : ""}`);
        throw new AdapterError(
          "report",
          "checkSettings",
          "REPORT_SETTING_MISSING",
          `${args.subject} needs ${missing.length === 1 ? "the setting" : "the settings"} ${missing.join(", ")}, which ${missing.length === 1 ? "is" : "are"} not in the config: set ${places.join("; ")}.`,
          args.hint ? { hint: args.hint } : {},
        );
      }
      const shown = args.required.map((name) => `${name} ${String(args.settings[name])}`);
      return { summary: `${args.subject}: ${shown.join(", ")}`, data: Object.fromEntries(args.required.map((n) => [n, args.settings[n]])) };
    },
  });
}

export const pickArgs = z.strictObject({
  /** What is being picked, for messages: "the deployment serving prod". */
  what: text("what is being picked, like the deployment serving prod"),
  /** A list from an earlier step, e.g. {{ steps.deployments.data.deployments }}; missing means empty. */
  items: z.preprocess(
    (v) => (v === undefined || v === null || v === "" ? [] : v),
    z.array(z.unknown(), { error: "must be a list from an earlier step" }),
  ),
  /** Fields an item must have; a list of values means any of them. Values compare as text. */
  match: z.preprocess(
    (v) => (v === undefined || v === "" ? {} : v),
    z.record(z.string(), z.union([scalar, z.array(scalar)]), { error: "must map field names to a value or a list of values" }),
  ),
  /** Take the nth match (1 = the first); lists from providers are newest first, so 2 is "the one before". */
  nth: optionalInt(1, 1000),
  /** Returned (with `fallback: true`) when nothing matches; without it, nothing matching is an error. */
  fallback: optionalArg(z.unknown()),
  hint: optionalText(),
});

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function matches(item: unknown, match: Record<string, unknown>): boolean {
  if (!isObj(item)) return Object.keys(match).length === 0;
  return Object.entries(match).every(([key, want]) => {
    const have = item[key];
    const wanted = Array.isArray(want) ? want : [want];
    return have !== undefined && have !== null && wanted.some((w) => String(w) === String(have));
  });
}

const SHOWN = ["name", "id", "ref", "sha", "state", "phase", "instanceCount", "createdAt"];

function describeItem(item: unknown): string {
  if (!isObj(item)) return JSON.stringify(item) ?? "nothing";
  const parts = SHOWN.filter((k) => item[k] !== undefined && item[k] !== null).map((k) => {
    const v = item[k];
    return `${k} ${k === "sha" && typeof v === "string" ? v.slice(0, 7) : String(v)}`;
  });
  return parts.join(", ") || "an item";
}

function describeMatch(match: Record<string, unknown>, nth: number): string {
  const where = Object.entries(match).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(" or ") : String(v)}`);
  return `${nth > 1 ? ` number ${nth}` : ""}${where.length ? ` with ${where.join(", ")}` : ""}`;
}

/**
 * Picks one item out of an earlier step's list (the deployment serving an env now, the one before it, a
 * component of an app), so later steps can use its fields, and rollback steps can use what was there
 * before the change. The fallback is how a runbook supplies a config value when the list has no match.
 */
export function createPick(): AdapterAction {
  return adapterAction("report", "pick", {
    description: "Pick the nth item matching some fields from an earlier step's list (or a fallback), for later steps.",
    args: pickArgs,
    risk: "read",
    async run(args) {
      const nth = args.nth ?? 1;
      const found = args.items.filter((item) => matches(item, args.match))[nth - 1];
      if (found !== undefined) return { summary: `${args.what}: ${describeItem(found)}`, data: found };
      if (args.fallback !== undefined) {
        const data = isObj(args.fallback) ? { ...args.fallback, fallback: true } : args.fallback;
        return {
          summary: `${args.what}: none among ${args.items.length} listed${describeMatch(args.match, nth)}; using ${describeItem(args.fallback)}`,
          data,
        };
      }
      const listed = args.items.slice(0, 5).map(describeItem);
      throw new AdapterError(
        "report",
        "pick",
        "REPORT_NOT_FOUND",
        `no ${args.what}: nothing${describeMatch(args.match, nth)} among ${args.items.length} listed${listed.length ? ` (${listed.join("; ")}${args.items.length > 5 ? "; …" : ""})` : ""}.`,
        args.hint ? { hint: args.hint } : {},
      );
    },
  });
}

export const expectArgs = z.strictObject({
  /** What is checked: "worker instances", "pending migrations". */
  what: text("what is checked, like pending migrations"),
  /** The value from an earlier step. */
  actual: optionalArg(z.unknown()),
  /** The value it must have. An object checks only the fields it lists; values compare as text. */
  equals: z.unknown().refine((v) => v !== undefined, "is required: the value actual must have"),
  hint: optionalText(),
});

function agrees(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => agrees(actual[i], e));
  }
  if (isObj(expected)) return isObj(actual) && Object.entries(expected).every(([k, e]) => agrees(actual[k], e));
  if (expected === null) return actual === null || actual === undefined;
  return actual !== undefined && actual !== null && !isObj(actual) && !Array.isArray(actual) && String(actual) === String(expected);
}

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 200 ? `${json.slice(0, 197)}...` : json;
}

/**
 * Verifies a value read back after a change (instance count, flag state, nothing left pending). Fails
 * retryably, since providers are often eventually consistent: a step's `retries` reads again.
 */
export function createExpect(): AdapterAction {
  return adapterAction("report", "expect", {
    description: "Check a value from an earlier step equals what a change should have produced (objects: the listed fields).",
    args: expectArgs,
    risk: "read",
    async run(args) {
      if (!agrees(args.actual, args.equals)) {
        throw new AdapterError(
          "report",
          "expect",
          "REPORT_CHECK_FAILED",
          `${args.what}: expected ${show(args.equals)}, got ${show(args.actual)}.`,
          {
            retryable: true,
            ...(args.hint ? { hint: args.hint } : {}),
          },
        );
      }
      return {
        summary: `${args.what}: ${show(args.equals)} as expected`,
        data: { what: args.what, ok: true, actual: args.actual ?? null },
      };
    },
  });
}

export const guardArgs = z.strictObject({
  /** The condition that must hold, usually a rendered comparison like "{{ params.ref == blank }}". */
  ok: boolArg(),
  /** What is wrong when it does not hold, for people. */
  reason: text("what is wrong when the condition does not hold"),
  hint: optionalText(),
});

/**
 * Stops a run early, with a clear reason, when a request cannot be done on a service's path (a ref for a
 * platform that builds its own branch). Passes when `ok` is true.
 */
export function createGuard(): AdapterAction {
  return adapterAction("report", "guard", {
    description: "Fail with a clear reason when a condition about the request does not hold; pass otherwise.",
    args: guardArgs,
    risk: "read",
    async run(args) {
      if (!args.ok) {
        throw new AdapterError("report", "guard", "REPORT_NOT_SUPPORTED", args.reason, args.hint ? { hint: args.hint } : {});
      }
      return { summary: "ok", data: { ok: true } };
    },
  });
}
