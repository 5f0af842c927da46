import type { RunbookParam } from "../runbook/runbook-schema.js";
import { FUNCTION_WORDS, NEGATIONS, REQUEST_WORDS } from "./english.js";
import type { Entity, EntityType } from "./extract-entities.js";
import { extractTimes } from "./extract-times.js";
import type { ParamValue } from "./intent.js";
import type { Lexicon, RunbookInfo } from "./lexicon.js";
import type { LexMatch } from "./match-lexicon.js";
import type { Token } from "./tokenize.js";

export interface FilledParams {
  params: Record<string, ParamValue>;
  missing: string[];
  /** Params given twice with different values ("deploy api to staging and prod"): ask, never pick one. */
  conflicts: { param: string; choices: string[] }[];
  /** Tokens read as free text or times: the chosen runbook explains them. */
  consumed: Set<number>;
  /** Integer params asked for as a change of their current value ("add 2 more replicas": { replicas: 2 }). */
  relative?: Record<string, number>;
}

export interface FillInput {
  text: string;
  tokens: readonly Token[];
  matches: readonly LexMatch[];
  entities: readonly Entity[];
  lexicon: Lexicon;
  now: Date;
  timeZone: string;
}

const EMPTY: ReadonlySet<string> = new Set();
const LIST_JOINERS = new Set(["and", "or", "&", "+", "plus"]);
const LIST_MARKERS = new Set(["cohort", "cohorts", "users", "user", "group", "groups", "team", "teams", "folks", "people"]);
const TRAILING_NOISE = new Set(["please", "thanks", "now", "asap", "today", "quickly", "quick", "pls", "kthx"]);

/** Reads the time params (with chrono, only when the text has a time cue); a default never stands in for a time given. */
export function addTimes(info: RunbookInfo, input: FillInput, params: Record<string, ParamValue>, consumed: Set<number>): void {
  if (info.timeParams.length === 0) return;
  const { tokens, entities } = input;
  const masked: [number, number][] = [];
  for (const e of entities) if (e.type === "ref" || e.type === "percent") masked.push([tokens[e.start]!.start, tokens[e.end - 1]!.end]);
  const times = extractTimes(input.text, info.timeParams, { now: input.now, timeZone: input.timeZone, past: info.pastTimes, masked });
  for (const name in times.values) params[name] = times.values[name]!;
  for (const [from, to] of times.spans) {
    for (let i = 0; i < tokens.length; i++) if (tokens[i]!.start >= from && tokens[i]!.end <= to) consumed.add(i);
  }
}

/**
 * Reads the values of a runbook's params from the message; defaults fill what is not given. `times: false`
 * leaves time params to addTimes; `strings: false` leaves free-text params unread (a caller that drops them).
 */
export function fillParams(
  info: RunbookInfo,
  input: FillInput,
  options: { times: boolean; strings?: boolean; clauses?: ReadonlySet<number> } = { times: true },
): FilledParams {
  const { tokens, entities } = input;
  const params: Record<string, ParamValue> = {};
  const conflicts: FilledParams["conflicts"] = [];
  const consumed = new Set<number>();
  const byType = entitiesByType(entities, tokens);

  // Catalog-typed params: by cue word first, then in order of appearance.
  for (const type of CATALOG_TYPES) {
    const slots = info.paramsOfType.get(type);
    if (!slots) continue;
    let found = byType[type];
    if (slots.length === 1) {
      const name = slots[0]![0];
      const def = slots[0]![1];
      let distinct = distinctValues(found);
      // "checkout looks fine now, restart the workers on staging": a value in a statement of its own is context,
      // not a second target ("deploy api to staging, then prod" still asks).
      if (distinct.length > 1 && options.clauses && options.clauses.size > 0) {
        const clauses = options.clauses;
        const targets = found.filter((e) => clauses.has(tokens[e.start]!.clause) || !isStatement(tokens, tokens[e.start]!.clause));
        if (distinctValues(targets).length === 1) distinct = distinctValues((found = targets));
      }
      if (distinct.length > 1 && (type === "env" || type === "service") && joinedList(tokens, found))
        conflicts.push({ param: name, choices: distinct });
      else if (distinct.length === 1) params[name] = distinct[0]!;
      else if (distinct.length > 1) {
        const cued = found.filter((e) => hasCueBefore(tokens, e.start, def.cues));
        const cuedValues = [...new Set(cued.map((e) => String(e.value)))];
        if (cuedValues.length === 1) params[name] = cuedValues[0]!;
        else if (type === "ref" || type === "flag") params[name] = distinct[0]!;
        else conflicts.push({ param: name, choices: distinct });
      }
      continue;
    }
    const left = [...found];
    for (const [name, def] of slots) {
      const index = left.findIndex((e) => hasCueBefore(tokens, e.start, def.cues));
      if (index >= 0) {
        params[name] = String(left[index]!.value);
        left.splice(index, 1);
      }
    }
    for (const [name] of slots) {
      if (name in params) continue;
      const next = left.shift();
      if (next) params[name] = String(next.value);
    }
  }

  // Numbers: integers by their cue or unit ("to 5", "5 replicas", "x4"); percentages by % or "to 50" for a percent param.
  const numbers = byType.number;
  const relative = info.integerParams.length > 0 && relativeCount(tokens);
  let usedNumbers: Set<Entity> | undefined;
  for (let p = 0; p < info.integerParams.length; p++) {
    const name = info.integerParams[p]![0];
    const def = info.integerParams[p]![1];
    // A count is absolute: "2 more", "up by 2", "add 2 replicas" change it by 2, and the count itself is asked for.
    const absolute = relative ? numbers.filter((e) => e.unit === "x") : numbers;
    const free = usedNumbers === undefined ? absolute : absolute.filter((e) => !usedNumbers!.has(e));
    const cued = free.find((e) => (e.unit !== undefined && def.cues.includes(e.unit)) || hasCueBefore(tokens, e.start, def.cues));
    const pick = cued ?? (free.length === 1 ? free[0] : undefined);
    if (pick && inRange(Number(pick.value), def.min, def.max)) {
      params[name] = Number(pick.value);
      (usedNumbers ??= new Set()).add(pick);
    }
  }
  const change = relative ? readRelativeChange(info, tokens, params) : undefined;
  for (let p = 0; p < info.percentParams.length; p++) {
    const name = info.percentParams[p]![0];
    const def = info.percentParams[p]![1];
    const explicit = byType.percent[0];
    const bare = numbers.find(
      (e) => (usedNumbers === undefined || !usedNumbers.has(e)) && e.unit !== "x" && hasCueBefore(tokens, e.start, def.cues),
    );
    const pick = explicit ?? bare;
    if (pick && inRange(Number(pick.value), def.min ?? 0, def.max ?? 100)) params[name] = Number(pick.value);
  }

  // Starts of env and service values, for readChoice (built on first use).
  let entityStarts: Set<number> | undefined;
  for (let p = 0; p < info.choiceParams.length; p++) {
    const name = info.choiceParams[p]![0];
    const def = info.choiceParams[p]![1];
    if (def.type === "list") {
      const list = def.of === "users" ? readUsers(tokens, entities) : readList(tokens, entities, def.cues);
      if (list.values.length > 0) params[name] = list.values;
      for (const k of list.read) consumed.add(k);
    } else {
      entityStarts ??= startsOf(byType.env, byType.service);
      const value = readChoice(name, def, info, input, params, entityStarts);
      if (value !== undefined) params[name] = def.type === "boolean" ? value === "true" : value;
    }
  }

  if (options.times) addTimes(info, input, params, consumed);

  const strings = options.strings === false ? [] : info.stringParams;
  for (let p = 0; p < strings.length; p++) {
    const name = strings[p]![0];
    const value = readString(name, strings[p]![1], info, input, strings.length === info.params.length);
    if (value) {
      params[name] = value.text;
      for (let k = value.from; k < value.to; k++) consumed.add(k);
    }
  }

  for (let p = 0; p < info.defaultParams.length; p++) {
    const name = info.defaultParams[p]![0];
    if (!(name in params) && !conflicts.some((c) => c.param === name)) params[name] = info.defaultParams[p]![1].default!;
  }
  const missing: string[] = [];
  for (const name of info.requiredParams) if (!(name in params)) missing.push(name);
  return { params, missing, conflicts, consumed, ...(change ? { relative: change } : {}) };
}

const CATALOG_TYPES = ["env", "service", "flag", "ref"] as const;

/** The entities of each type, in order (one pass instead of a filter per type). */
function entitiesByType(entities: readonly Entity[], tokens: readonly Token[]): Record<EntityType, Entity[]> {
  const out: Record<EntityType, Entity[]> = { env: [], service: [], flag: [], cohort: [], ref: [], number: [], percent: [] };
  // A ref that is not a valid ref name is never a value (parse-text asks for another); nor is a value ruled out.
  for (let k = 0; k < entities.length; k++) {
    const e = entities[k]!;
    if (e.invalid === undefined && !ruledOut(tokens, e)) out[e.type].push(e);
  }
  return out;
}

const COPULAS = new Set(["is", "are", "was", "were", "looks", "look", "seems", "seem", "feels"]);

/** Whether clause `clause` says how something is ("checkout looks fine now"). */
function isStatement(tokens: readonly Token[], clause: number): boolean {
  return tokens.some((t) => t.clause === clause && COPULAS.has(t.lower));
}

const RULED_OUT = new Set(["not", "except", "excluding"]);
const BEFORE_A_VALUE = new Set(["the", "in", "on", "to"]);

/**
 * "rollback web in prd — not api", "restart payments on stg, not prod", "restart api, leave web alone": a value
 * named only to be ruled out.
 */
function ruledOut(tokens: readonly Token[], e: Entity): boolean {
  let k = e.start - 1;
  while (k >= 0 && BEFORE_A_VALUE.has(tokens[k]!.lower)) k--;
  if (k < 0) return false;
  return RULED_OUT.has(tokens[k]!.lower) || (tokens[k]!.lower === "leave" && tokens[e.end]?.lower === "alone");
}

function startsOf(a: readonly Entity[], b: readonly Entity[]): Set<number> {
  const out = new Set<number>();
  for (const e of a) out.add(e.start);
  for (const e of b) out.add(e.start);
  return out;
}

/** The entities' values as strings, each once, in order of first appearance. */
function distinctValues(found: readonly Entity[]): string[] {
  const out: string[] = [];
  for (const e of found) {
    const value = String(e.value);
    if (!out.includes(value)) out.push(value);
  }
  return out;
}

/** "staging and prod", "api, web": two values of one kind side by side, a list where one value is allowed. */
function joinedList(tokens: readonly Token[], found: readonly Entity[]): boolean {
  for (let i = 1; i < found.length; i++) {
    const a = found[i - 1]!;
    const b = found[i]!;
    if (b.start === a.end && /[,/&+]/.test(tokens[b.start]!.sep)) return true;
    if (b.start === a.end + 1 && LIST_JOINERS.has(tokens[a.end]!.lower)) return true;
  }
  return false;
}

function inRange(value: number, min: number | undefined, max: number | undefined): boolean {
  return Number.isInteger(value) && (min === undefined || value >= min) && (max === undefined || value <= max);
}

/** Whether one of `cues` stands right before token `at` (an article may sit between: "to the staging env"). */
function hasCueBefore(tokens: readonly Token[], at: number, cues: readonly string[]): boolean {
  if (cues.length === 0) return false;
  let k = at - 1;
  while (k >= 0 && (tokens[k]!.lower === "the" || tokens[k]!.lower === "a")) k--;
  if (k < 0) return false; // (tokens[-1] is a slow property lookup)
  const prev = tokens[k];
  if (!prev) return false;
  if (cues.includes(prev.lower)) return true;
  return prev.kind === "arrow" && cues.includes("->");
}

/**
 * "for ops, admin", "to mentors and ops", "of admins", "for the demo cohort"; cohorts the config does
 * not list are read where the message says they are cohorts: "for the beta cohort", "for beta users",
 * "for ops and beta". Returns the values and the tokens read.
 */
function readList(tokens: readonly Token[], entities: readonly Entity[], cues: readonly string[]): { values: string[]; read: number[] } {
  const list = { values: [] as string[], read: [] as number[] };
  let lastEnd = -1;
  for (const e of entities) {
    if (e.type !== "cohort") continue;
    const continues =
      lastEnd >= 0 &&
      e.start - lastEnd <= 1 &&
      (e.start === lastEnd ? /[,/]/.test(tokens[e.start]!.sep) : LIST_JOINERS.has(tokens[lastEnd]!.lower));
    const cued = hasCueBefore(tokens, e.start, cues) || (lastEnd >= 0 && e.start === lastEnd && /,/.test(tokens[e.start]!.sep));
    const marked = LIST_MARKERS.has(tokens[e.end]?.lower ?? "");
    if (continues || cued || marked) {
      addToList(list, String(e.value), e.start, e.end);
      lastEnd = e.end;
    }
  }
  // A known cohort's list goes on with unknown words: "for ops and beta", "for admin, beta".
  while (lastEnd >= 0) {
    const joined = LIST_JOINERS.has(tokens[lastEnd]?.lower ?? "") ? lastEnd + 1 : /[,/]/.test(tokens[lastEnd]?.sep ?? "") ? lastEnd : -1;
    if (joined < 0 || !unknownWord(tokens, entities, joined) || tokens[joined]!.clause !== tokens[lastEnd - 1]!.clause) break;
    addToList(list, tokens[joined]!.lower, joined, joined + 1);
    lastEnd = joined + 1;
  }
  // "for the beta cohort" (any word before cohort), "for beta users" (after a cue, before a marker).
  for (let i = 1; i < tokens.length; i++) {
    const marker = tokens[i]!.lower;
    if (!LIST_MARKERS.has(marker) || !unknownWord(tokens, entities, i - 1)) continue;
    if (marker === "cohort" || marker === "cohorts" || hasCueBefore(tokens, i - 1, cues))
      addToList(list, tokens[i - 1]!.lower, i - 1, i + 1);
  }
  return list;
}

function addToList(list: { values: string[]; read: number[] }, value: string, from: number, to: number): void {
  if (list.values.includes(value)) return;
  list.values.push(value);
  for (let k = from; k < to; k++) list.read.push(k);
}

/** A plain word that names no value: a cohort the config does not list may be one. */
function unknownWord(tokens: readonly Token[], entities: readonly Entity[], i: number): boolean {
  const t = tokens[i];
  return (
    t !== undefined &&
    t.kind === "word" &&
    !FUNCTION_WORDS.has(t.lower) &&
    !LIST_MARKERS.has(t.lower) &&
    !entities.some((e) => e.start <= i && i < e.end)
  );
}

/** Words that make a number a change of a count rather than the count ("2 more", "by 2", "add 2"). */
const RELATIVE_AFTER = new Set(["more", "extra", "additional", "fewer", "less"]);
const RELATIVE_VERBS = new Set(["add", "remove", "drop", "subtract"]);

function relativeCount(tokens: readonly Token[]): boolean {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (RELATIVE_VERBS.has(t.lower) || ((t.lower === "by" || RELATIVE_AFTER.has(t.lower)) && i > 0 && tokens[i - 1]!.kind === "number"))
      return true;
    if (t.lower === "by" && tokens[i + 1]?.kind === "number") return true;
  }
  return false;
}

/** Words that say which way a relative change goes; a message with both, or neither, says no direction. */
const INCREASE = new Set(["add", "more", "extra", "additional", "up"]);
const DECREASE = new Set(["remove", "drop", "subtract", "fewer", "less", "down"]);

/**
 * The signed change of a relative request ("add 2 more replicas" +2, "remove 3 pods" −3, "down by 2" −2),
 * for the integer param not given otherwise that the number's unit names (or the runbook's only one). Nothing
 * when the direction is not said ("change it by 2"): the count is then asked for, never guessed.
 */
function readRelativeChange(
  info: RunbookInfo,
  tokens: readonly Token[],
  params: Record<string, ParamValue>,
): Record<string, number> | undefined {
  // Tokens, not number entities: "by 2" reads as a time ("by 5pm") there.
  const at = tokens.findIndex(
    (t, i) =>
      t.kind === "number" &&
      ((i > 0 && (tokens[i - 1]!.lower === "by" || RELATIVE_VERBS.has(tokens[i - 1]!.lower))) ||
        RELATIVE_AFTER.has(tokens[i + 1]?.lower ?? "")),
  );
  const by = tokens[at]?.value ?? 0;
  if (!Number.isInteger(by) || by <= 0) return undefined;
  const up = tokens.some((t) => INCREASE.has(t.lower));
  const down = tokens.some((t) => DECREASE.has(t.lower));
  if (up === down) return undefined;
  // "2 more replicas": the unit is the word after "more".
  const unit = tokens[RELATIVE_AFTER.has(tokens[at + 1]?.lower ?? "") ? at + 2 : at + 1]?.lower;
  const unset = info.integerParams.filter(([name]) => !(name in params));
  const param = unset.find(([, def]) => unit !== undefined && def.cues.includes(unit)) ?? (unset.length === 1 ? unset[0] : undefined);
  return param ? { [param[0]]: up ? by : -by } : undefined;
}

/** An app user id (UUID) or an email. */
const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$|^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i;
const USER_WORDS = new Set(["user", "users"]);

/**
 * People a request names, as written: "@dana" and "@U0123ABC" (a kept Slack mention) anywhere but first
 * (a first mention addresses someone), UUIDs and emails, and after "user"/"users" any id, with the ones
 * listed after it ("for users u_123, u_456 and u_789"). Mapped to app user ids at plan time (flagUsers).
 */
function readUsers(tokens: readonly Token[], entities: readonly Entity[]): { values: string[]; read: number[] } {
  const values: string[] = [];
  const read: number[] = [];
  let listing = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const mention = i > 0 && t.kind === "word" && t.sep.endsWith("@") && !REQUEST_WORDS.has(t.lower);
    if (USER_WORDS.has(t.lower)) {
      listing = true;
      read.push(i);
      continue;
    }
    const listed =
      listing &&
      (t.kind === "word" || t.kind === "number") &&
      !FUNCTION_WORDS.has(t.lower) &&
      !entities.some((e) => e.start <= i && i < e.end && e.type !== "ref" && e.type !== "number");
    if (mention || USER_ID.test(t.raw) || listed) {
      const value = mention ? `@${t.raw}` : t.raw;
      if (!values.includes(value)) values.push(value);
      read.push(i);
      continue;
    }
    // A list goes on over "and" and commas; anything else ends it.
    if (!(listing && LIST_JOINERS.has(t.lower))) listing = false;
  }
  return { values, read };
}

/** An enum or boolean value from its synonyms: the longest phrase wins ("turn off" over "off"), then the earliest. */
function readChoice(
  name: string,
  def: RunbookParam,
  info: RunbookInfo,
  input: FillInput,
  params: Record<string, ParamValue>,
  entityStarts: ReadonlySet<number>,
): string | undefined {
  const { tokens, matches, entities } = input;
  let best: { value: string; words: number; start: number } | undefined;
  for (const m of matches) {
    for (const e of m.entries) {
      if (e.kind !== "synonym" || e.runbook !== info.id || e.param !== name) continue;
      if (m.words === 1 && entityStarts.has(m.end)) continue;
      const insideEntity = entities.some(
        (x) => (x.type === "flag" || x.type === "service") && x.start <= m.start && m.end <= x.end && x.end - x.start > m.words,
      );
      if (insideEntity) continue;
      let value = e.value;
      if (def.type === "boolean" && value === "true" && m.start > 0 && NEGATIONS.has(tokens[m.start - 1]!.lower)) value = "false";
      if (!best || m.words > best.words || (m.words === best.words && m.start < best.start))
        best = { value, words: m.words, start: m.start };
    }
  }
  if (best) return best.value;
  // "{percent}" as a synonym: the value when that param was given ("ramp X to 50%" → rollout).
  const refs = info.synonymRefs.get(name);
  if (refs) for (const [value, ref] of refs) if (ref in params) return value;
  // "enable usage metrics" names the flag ENABLE_USAGE_METRICS and says "enable": the first word counts twice.
  for (const x of entities) {
    if (x.type !== "flag" || x.end - x.start < 2) continue;
    for (const m of matches) {
      if (m.start !== x.start) continue;
      for (const e of m.entries) if (e.kind === "synonym" && e.runbook === info.id && e.param === name) return e.value;
    }
    const word = tokens[x.start]!.lower;
    const direct = Object.entries(def.synonyms ?? {}).find(([, list]) => list.includes(word));
    if (direct) return direct[0];
  }
  return undefined;
}

/**
 * Free text after one of the param's cues ("spec for user authentication", "throwing 500s since 10am"),
 * stopping at another param's cue or value; the only param of a runbook takes the rest of the clause.
 */
function readString(
  name: string,
  def: RunbookParam,
  info: RunbookInfo,
  input: FillInput,
  onlyStrings: boolean,
): { text: string; from: number; to: number } | undefined {
  const { tokens, matches, entities, text } = input;
  const own = new Set<number>();
  // A verb that is also the param's cue introduces it ("mark write-through mutations done").
  let cueVerb = -1;
  // Values of the runbook's other params end free text ("… done", "… as blocked").
  const otherValues = new Set<number>();
  let triggerEnd = 0;
  for (const m of matches) {
    if (m.entries.some((e) => "runbook" in e && e.runbook === info.id && (e.kind === "verb" || e.kind === "keyword"))) {
      for (const k of m.tokens) own.add(k);
      if (triggerEnd === 0) triggerEnd = m.end;
      if (
        cueVerb < 0 &&
        m.words === 1 &&
        m.entries.some((e) => e.kind === "verb" && e.runbook === info.id) &&
        def.cues.includes(tokens[m.start]!.lower)
      )
        cueVerb = m.start;
    }
    if (m.entries.some((e) => e.kind === "synonym" && e.runbook === info.id && e.param !== name))
      for (const k of m.tokens) otherValues.add(k);
  }
  const otherCues = info.otherCues.get(name) ?? EMPTY;
  const entityAt = new Set<number>();
  for (const e of entities) for (let k = e.start; k < e.end; k++) entityAt.add(k);
  const colon = def.cues.includes(":") ? tokens.findIndex((t, i) => i > 0 && t.sep.includes(":")) : -1;
  let start = -1;
  if (colon > 0) start = colon;
  else if (cueVerb >= 0) start = cueVerb + 1;
  else {
    for (let i = triggerEnd; i < tokens.length; i++) {
      if (def.cues.includes(tokens[i]!.lower) && !own.has(i)) {
        start = i + 1;
        break;
      }
    }
  }
  if (start < 0 && onlyStrings && triggerEnd > 0) start = triggerEnd;
  if (start >= 0 && start < tokens.length) {
    while (start < tokens.length && FUNCTION_WORDS.has(tokens[start]!.lower) && !entityAt.has(start)) start++;
    let end = start;
    const clause = tokens[start]?.clause;
    while (
      end < tokens.length &&
      (onlyStrings ||
        (colon > 0 && start === colon) ||
        (tokens[end]!.clause === clause &&
          !otherCues.has(tokens[end]!.lower) &&
          !entityAt.has(end) &&
          !otherValues.has(end) &&
          tokens[end]!.kind !== "clock"))
    )
      end++;
    while (
      end > start &&
      (TRAILING_NOISE.has(tokens[end - 1]!.lower) || (otherValues.size > 0 && FUNCTION_WORDS.has(tokens[end - 1]!.lower)))
    )
      end--;
    // "@dana": the handle as typed.
    const from = end > start && text.charCodeAt(tokens[start]!.start - 1) === 64 ? tokens[start]!.start - 1 : (tokens[start]?.start ?? 0);
    if (end > start) return { text: text.slice(from, tokens[end - 1]!.end).trim(), from: start, to: end };
  }
  if (onlyStrings || info.stringParams.length > 1) return undefined;
  // No cue: the runbook's own keywords that describe it ("down", "slow", "500s"), for its one free-text param.
  const words: string[] = [];
  for (const m of matches) {
    if (m.entries.some((e) => e.kind === "keyword" && e.runbook === info.id))
      words.push(text.slice(tokens[m.start]!.start, tokens[m.end - 1]!.end));
  }
  return words.length > 0 ? { text: words.join(" "), from: 0, to: 0 } : undefined;
}
