import * as chrono from "chrono-node";
import type { ConfigFile } from "../config/config-schema.js";
import { InputError } from "../errors.js";
import type { ParamValue } from "../parser/intent.js";
import type { ParamType, Runbook } from "../runbook/runbook-schema.js";

/**
 * One param of a runbook as a form shows it: what it is, whether it is needed, the values it may
 * take (from the runbook or the config's catalogs) and its current value.
 *
 * @example { name: "env", type: "env", required: true, description: "Environment to deploy to.", choices: ["dev", "staging", "prod"], value: "staging" }
 */
export interface ParamField {
  name: string;
  type: ParamType;
  required: boolean;
  description: string;
  /** Allowed values, when the set is closed (environments, services, flags, enum values, booleans). */
  choices?: string[];
  value?: ParamValue;
  default?: ParamValue;
  min?: number;
  max?: number;
}

/** Every param of `runbook`, in declaration order, with its choices and the value from `params`. */
export function paramFields(
  runbook: Runbook,
  config: Pick<ConfigFile, "environments" | "services" | "flags">,
  params: Record<string, ParamValue> = {},
): ParamField[] {
  return Object.entries(runbook.params).map(([name, spec]) => {
    const choices = choicesFor(spec.type, spec.enum, config);
    const field: ParamField = { name, type: spec.type, required: spec.required, description: spec.description };
    if (choices) field.choices = choices;
    if (params[name] !== undefined) field.value = params[name];
    if (spec.default !== undefined) field.default = spec.default;
    if (spec.min !== undefined) field.min = spec.min;
    if (spec.max !== undefined) field.max = spec.max;
    return field;
  });
}

/** Required params that are neither given nor defaulted: what a front end still has to ask for. */
export function missingParams(runbook: Runbook, params: Record<string, ParamValue>): string[] {
  return Object.entries(runbook.params)
    .filter(([name, spec]) => spec.required && params[name] === undefined && spec.default === undefined)
    .map(([name]) => name);
}

function choicesFor(
  type: ParamType,
  values: string[] | undefined,
  config: Pick<ConfigFile, "environments" | "services" | "flags">,
): string[] | undefined {
  switch (type) {
    case "env":
      return Object.keys(config.environments);
    case "service":
      return Object.keys(config.services);
    case "flag":
      return Object.keys(config.flags);
    case "enum":
      return values ?? [];
    case "boolean":
      return ["true", "false"];
    default:
      return undefined;
  }
}

/**
 * Turns what someone typed or picked in a form into the param's value, or says exactly what is wrong.
 * Empty input means "not given". Times accept ISO timestamps and phrases like "5pm" or "tomorrow 9:00",
 * read in `timeZone`.
 */
export function coerceParam(field: ParamField, raw: string | undefined, now: Date, timeZone: string): ParamValue | undefined {
  const text = raw?.trim() ?? "";
  if (text === "") return undefined;
  const bad = (allowed: string) => new InputError("PLAN_BAD_PARAM", `\`${field.name}\` must be ${allowed} (got "${text.slice(0, 60)}").`);
  if (field.choices && !field.choices.includes(text)) throw bad(`one of ${field.choices.join(", ")}`);
  switch (field.type) {
    case "integer":
    case "percent": {
      const value = Number(text.replace(/%$/, ""));
      const min = field.min ?? (field.type === "percent" ? 0 : Number.MIN_SAFE_INTEGER);
      const max = field.max ?? (field.type === "percent" ? 100 : Number.MAX_SAFE_INTEGER);
      if (!Number.isInteger(value) || value < min || value > max) throw bad(`a whole number from ${min} to ${max}`);
      return value;
    }
    case "boolean":
      return text === "true";
    case "list":
      return text
        .split(/[,\s]+/)
        .map((s) => s.trim())
        .filter(Boolean);
    case "time": {
      const parsed = /^\d{4}-\d{2}-\d{2}T/.test(text)
        ? new Date(text)
        : chrono.parseDate(text, { instant: now, timezone: offsetMinutes(timeZone, now) }, { forwardDate: true });
      if (!parsed || Number.isNaN(parsed.getTime())) throw bad('a time like "17:30", "tomorrow 9am" or 2026-05-01T17:30:00Z');
      return parsed.toISOString();
    }
    default:
      return text;
  }
}

/** The zone's offset from UTC at `at`, in minutes (chrono wants offsets, not IANA names). */
function offsetMinutes(timeZone: string, at: Date): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const local = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"));
  return Math.round((local - Math.floor(at.getTime() / 60_000) * 60_000) / 60_000);
}
