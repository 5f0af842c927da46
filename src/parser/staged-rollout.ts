import type { ParamValue } from "./intent.js";

/**
 * The contract's rule between `flag` and `rollout`: a flag change asked for in stages ("roll out X to 100%
 * in prod over 2 hours", "ramp X 10/25/50/100 every 30 minutes", "take X to 50% in steps of 10") is the
 * staged `rollout`; a single percentage stays `flag` with action rollout. Read from the text: the stage
 * percentages, the time between stages (ISO 8601), or a span the stages are spread over.
 */
export interface Stages {
  stages?: number[];
  every?: string;
}

const UNIT = String.raw`(m|mins?|minutes?|h|hrs?|hours?|d|days?)`;
const COUNT = String.raw`(\d{1,3}|an?|one|two|three|four|six|half an?)`;
/** "10/25/50/100", "5, 20, 50, 100", "25 50 100", "10 then 50 then 100" (not followed by a time unit). */
const LIST =
  /(?<![\w.])\d{1,3}%?(?:(?:\s*[/,]\s*|\s*(?:then|and|->|→|,\s*then)\s*|\s+)\d{1,3}%?)+(?![\w.%])(?!\s*(?:m|mins?|minutes?|h|hrs?|hours?|s|secs?|seconds?|d|days?|replicas?|instances?)\b)/gi;
const EVERY = new RegExp(String.raw`\bevery\s+(?:${COUNT}\s*${UNIT}\b|${UNIT}\b)|\b${COUNT}\s*${UNIT}\s+apart\b`, "i");
const OVER = new RegExp(String.raw`\bover\s+(?:the\s+next\s+|an?\s+)?${COUNT}?\s*${UNIT}\b`, "i");
const STEP_OF = /\bin\s+steps\s+of\s+(\d{1,3})\b|\b(\d{1,3})\s*%\s+(?:every|at a time|per step|each step)\b/i;
const WORDS = /\b(?:staged|stages|in steps|step by step|gradual|gradually|stagger(?:ed)?)\b/i;
/** "hourly", "daily": the time between stages in one word. */
const EVERY_WORD = /\b(?:(half[- ]?hourly)|(hourly)|(daily))\b/i;
const MAYBE = /every|over|apart|step|stage|gradual|stagger|then|hourly|daily|\d%?\s*[/,]\s*\d|\d%?\s+\d/i;
/** Stages when only a target and a span are given. */
const LADDER = [10, 25, 50, 100];

const NUMBER_WORDS: Record<string, number> = { a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, six: 6 };

/** The stages a message asks for, or null when it asks for a single change. `target` is the percentage read, if any. */
export function readStages(text: string, target: number | undefined): Stages | null {
  // Most flag requests name one percentage: one cheap test before the patterns.
  if (!MAYBE.test(text)) return null;
  const out: Stages = {};
  for (const m of text.matchAll(LIST)) {
    const values = m[0].match(/\d{1,3}/g)!.map(Number);
    if (values.length >= 2 && values.every((v, k) => v <= 100 && (k === 0 || v > values[k - 1]!))) out.stages = values;
  }
  const every = EVERY.exec(text);
  const everyWord = every ? null : EVERY_WORD.exec(text);
  if (every) out.every = duration(every[1] ?? every[4] ?? "1", every[2] ?? every[3] ?? every[5]!);
  else if (everyWord) out.every = everyWord[1] ? "PT30M" : everyWord[2] ? "PT1H" : "P1D";
  const step = STEP_OF.exec(text);
  const top = target ?? 100;
  if (!out.stages && step) {
    const size = Number(step[1] ?? step[2]);
    if (size > 0 && size < top) {
      out.stages = [];
      for (let v = size; v < top; v += size) out.stages.push(v);
      out.stages.push(top);
    }
  }
  const over = OVER.exec(text);
  if (!out.stages && !out.every && over) {
    out.stages = [...LADDER.filter((v) => v < top), top];
    const total = minutesOf(over[1] ?? "1", over[2]!);
    if (out.stages.length > 1) out.every = iso(Math.round(total / (out.stages.length - 1)));
  }
  if (out.stages && target !== undefined && out.stages[out.stages.length - 1]! < target) out.stages.push(target);
  if (!out.stages && !out.every && !WORDS.test(text)) return null;
  return out;
}

/** The rollout's params from the flag params read and the stages. */
export function rolloutParams(flagParams: Record<string, ParamValue>, stages: Stages, envNamed: boolean): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  if (flagParams.flag !== undefined) out.flag = flagParams.flag;
  if (envNamed && flagParams.env !== undefined) out.env = flagParams.env;
  if (stages.stages) out.stages = stages.stages;
  if (stages.every) out.every = stages.every;
  if (flagParams.cohorts !== undefined) out.cohorts = flagParams.cohorts;
  return out;
}

function minutesOf(count: string, unit: string): number {
  const n = /^\d+$/.test(count) ? Number(count) : count.startsWith("half") ? 0.5 : (NUMBER_WORDS[count.toLowerCase()] ?? 1);
  const u = unit.toLowerCase();
  return n * (u.startsWith("d") ? 1440 : u.startsWith("h") ? 60 : 1);
}

function duration(count: string, unit: string): string {
  return iso(minutesOf(count, unit));
}

/** Minutes as an ISO 8601 duration: PT30M, PT2H, PT1H30M, P1D. */
export function iso(minutes: number): string {
  if (minutes % 1440 === 0) return `P${minutes / 1440}D`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `PT${h ? `${h}H` : ""}${m ? `${m}M` : ""}`;
}
