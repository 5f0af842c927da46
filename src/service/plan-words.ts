import { durationSeconds, durationText } from "../../adapters/rollout/stages.js";
import type { ParamValue } from "../parser/intent.js";
import type { Plan, PlannedStep } from "../planner/plan.js";

/**
 * A plan in the words people read, shared by every front end: what it does to what (the intent line),
 * and each step's arguments with values known only at run time said as such, never as a template.
 */
export interface PlanIntent {
  /** "Deploy", "Feature flag". */
  title: string;
  /** The thing acted on: the service or the flag. */
  subject: string | undefined;
  /** The ref, version or other params that say what exactly ("main", "enable · 25% · ops"). */
  detail: string[];
  env: string | undefined;
}

// Params that are the subject, the target or the schedule: shown in their own place, not as detail.
const PLACED = new Set(["service", "flag", "env", "at"]);

export function intentOf(plan: Plan): PlanIntent {
  const params = plan.params;
  const subject = typeof params.service === "string" ? params.service : typeof params.flag === "string" ? params.flag : undefined;
  // Sorted by name (an interval last, after what it paces): a plan read back from the database has its keys
  // in another order, and the card must not reflow.
  const detail = Object.keys(params)
    .filter((k) => !PLACED.has(k))
    .sort((a, b) => Number(a === "every") - Number(b === "every") || (a < b ? -1 : a > b ? 1 : 0))
    .flatMap((k) => {
      const v = params[k];
      if (v === undefined || v === false || v === "" || (Array.isArray(v) && v.length === 0)) return [];
      // A rollout stage's bookkeeping (its rollout, the value to revert to) is on the card's details, not in its title.
      if (k === "stages" && Array.isArray(v)) return [v.map((p) => `${p}%`).join(" → ")];
      if (k === "every" && typeof v === "string") return [`every ${everyText(v)}`];
      if (k === "stages" || k === "rollout" || k.startsWith("original")) return [];
      if (k === "stage" && typeof params.stages === "number") return [`stage ${valueText(v)} of ${params.stages}`];
      if (k === "ref") return [valueText(v)];
      if (k === "percent" || k === "percentage") return [`${valueText(v).replace(/%?$/, "%")}`];
      if (k === "cohorts") return [`for ${valueText(v)}`];
      if (v === true) return [k === "dryRun" ? "dry run" : k];
      return [k === "action" ? valueText(v) : `${k} ${valueText(v)}`];
    });
  return { title: plan.title, subject, detail, env: plan.env };
}

/** "PT30M" as "30 min"; a value that is not an ISO 8601 duration as written (the plan's check says why). */
function everyText(iso: string): string {
  try {
    return durationText(durationSeconds(iso));
  } catch {
    return iso;
  }
}

/** One argument of a step: its value, or what it will be at run time. */
export interface ArgInWords {
  name: string;
  value?: string;
  /** A value read at run time: "the sha from “What is deployed now”". */
  atRunTime?: string;
}

/** A step's args flattened ("inputs.ref"), sorted by name, templates over earlier steps explained. */
export function argsInWords(args: Record<string, unknown>, plan: Plan): ArgInWords[] {
  const labels = new Map([...plan.steps, ...plan.rollback].map((s) => [s.id, s.description]));
  const out: ArgInWords[] = [];
  const walk = (prefix: string, value: unknown) => {
    if (value && typeof value === "object" && !Array.isArray(value)) {
      for (const key of Object.keys(value).sort()) walk(prefix ? `${prefix}.${key}` : key, (value as Record<string, unknown>)[key]);
      return;
    }
    if (value === undefined || value === null || value === "") return;
    const text = Array.isArray(value) ? value.map(valueText).join(", ") : valueText(value as ParamValue);
    // A bare `{{ params.x }}` left in a rollback step is known now: it is the plan's own param.
    const param = /^\{\{\s*params\.([\w-]+)\s*\}\}$/.exec(text)?.[1];
    const known = param !== undefined && plan.params[param] !== undefined ? valueText(plan.params[param]) : undefined;
    if (known !== undefined) out.push({ name: prefix, value: known });
    else out.push(isTemplate(text) ? { name: prefix, atRunTime: runTimeWords(text, labels) } : { name: prefix, value: text });
  };
  walk("", args);
  return out;
}

/** A step's run-time condition, in words. */
export function conditionInWords(step: PlannedStep, plan: Plan): string | undefined {
  if (!step.runIf) return undefined;
  const labels = new Map([...plan.steps, ...plan.rollback].map((s) => [s.id, s.description]));
  const from = referencedSteps(step.runIf).map((id) => `“${labels.get(id) ?? id}”`);
  return from.length > 0
    ? `only if ${from.join(" and ")} calls for it (decided at run time)`
    : "only if its condition holds (decided at run time)";
}

/** Whether text still holds a Liquid template (`{{ … }}` or `{% … %}`). */
export function isTemplate(text: string): boolean {
  return /\{\{|\{%/.test(text);
}

function runTimeWords(template: string, labels: Map<string, string>): string {
  const refs = [...template.matchAll(/steps\.([\w-]+)\.data\.([\w.]+)/g)];
  const first = refs[0];
  if (!first) return "known at run time";
  const field = first[2]!.split(".").at(-1)!;
  const step = labels.get(first[1]!) ?? first[1]!;
  return `the ${/[a-z]At$/.test(field) ? "time" : words(field)} from “${step}”, read at run time`;
}

function referencedSteps(template: string): string[] {
  return [...new Set([...template.matchAll(/steps\.([\w-]+)/g)].map((m) => m[1]!))];
}

/** "deploymentId" → "deployment id", "sha" → "SHA". */
function words(field: string): string {
  if (/^(sha|id|url)$/i.test(field)) return field.toUpperCase();
  return field
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .replace(/\bid\b/, "ID");
}

function valueText(v: ParamValue | unknown): string {
  if (Array.isArray(v)) return v.map(valueText).join(", ");
  return typeof v === "object" && v !== null ? JSON.stringify(v) : String(v);
}

/** Args on one line, `name=value`, run-time values in words; for dry runs and the console. */
export function argsLine(args: Record<string, unknown>, plan: Plan, maxValue = 120): string {
  return argsInWords(args, plan)
    .map((a) => `${a.name}=${a.atRunTime ? `(${a.atRunTime})` : clip(a.value ?? "", maxValue)}`)
    .join(" ");
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
