import { FUNCTION_WORDS } from "./english.js";
import type { Lexicon } from "./lexicon.js";
import type { LexMatch } from "./match-lexicon.js";
import { normWord, type Token } from "./tokenize.js";
import { isTypoOf } from "./fuzzy-match.js";
import { refProblem, typedRef } from "./ref-names.js";
import { scratchBuffer } from "./scratch-buffer.js";

export type EntityType = "env" | "service" | "flag" | "cohort" | "ref" | "number" | "percent";

/** A value found in the message, with the tokens it came from. */
export interface Entity {
  type: EntityType;
  value: string | number;
  start: number;
  end: number;
  fuzzy: boolean;
  /** For numbers: a unit or marker right next to it ("x" in x4, "replicas" in "5 replicas"). */
  unit?: string;
  /** For refs: why the ref as typed is not a valid ref name (then `value` is the whole ref as typed). */
  invalid?: string;
}

const TIME_UNITS = new Set([
  "s",
  "sec",
  "secs",
  "second",
  "seconds",
  "m",
  "min",
  "mins",
  "minute",
  "minutes",
  "h",
  "hr",
  "hrs",
  "hour",
  "hours",
  "d",
  "day",
  "days",
  "week",
  "weeks",
  "wk",
  "wks",
  "am",
  "pm",
  "month",
  "months",
  "ms",
]);
const TIME_PREPS = new Set(["at", "since", "until", "till", "between", "before", "after", "by", "around", "from"]);
const PERCENT_WORDS = new Set(["percent", "pct", "per", "%"]);
const FRACTIONS = new Map([
  ["tenth", 10],
  ["fifth", 20],
  ["quarter", 25],
  ["quarters", 25],
  ["half", 50],
]);
/** A fraction is a share only after these ("to a tenth"), not in "half an hour". */
const FRACTION_CUES = new Set(["to", "at"]);
const REF_CUES = new Set(["branch", "tag", "ref", "commit", "sha", "version", "build", "revision", "rev"]);
/** A cohort named like a common word ("all") counts only after these: "enable X for all". */
const COHORT_CUES = new Set(["for", "to", "of"]);
const NAMED_REFS = new Set(["main", "master", "trunk", "develop", "head"]);
const VERSION = /^v?\d+(?:\.\d+){2,3}(?:[-+][0-9a-z.-]+)?$|^v\d+(?:\.\d+)?(?:[-+][0-9a-z.-]+)?$/i;
const SHA = /^(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}$/i;
const BRANCH = /^(?!https?:)(?=[\w./-]*[a-z])[a-z0-9][\w.-]*\/[\w./-]*[\w]$/i;
const TAGGED = /^[a-z][a-z]*[-_]v?\d[\w.-]*$/i;

/**
 * Catalog values (from the lexicon matches), refs, numbers and percentages. Refs come in the forms
 * people type: `api@v1.2.3`, `payments#main`, `v2.4.0`, `1.4.0`, SHAs, `fix/login-timeout`,
 * `release-2026.03`, "branch main", "tag v2".
 */
export function extractEntities(tokens: readonly Token[], matches: readonly LexMatch[], lexicon: Lexicon, text: string): Entity[] {
  const entities: Entity[] = [];
  const taken = takenBuffer(tokens.length);
  for (const m of matches) {
    if (m.tokens.length !== m.end - m.start) continue;
    for (const e of m.entries) {
      if (
        e.kind === "cohort" &&
        FUNCTION_WORDS.has(tokens[m.start]!.lower) &&
        !(m.start > 0 && COHORT_CUES.has(tokens[m.start - 1]!.lower))
      )
        continue;
      if (e.kind === "env" || e.kind === "service" || e.kind === "flag" || e.kind === "cohort") {
        entities.push({ type: e.kind, value: e.value, start: m.start, end: m.end, fuzzy: m.fuzzy });
        for (let k = m.start; k < m.end; k++) taken[k] = 1;
      }
    }
  }
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === "percent") {
      entities.push({ type: "percent", value: t.value, start: i, end: i + 1, fuzzy: false });
      continue;
    }
    if (t.kind === "number") {
      const next = tokens[i + 1];
      const prev = i > 0 ? tokens[i - 1] : undefined; // (tokens[-1] is a slow property lookup)
      if (next && PERCENT_WORDS.has(next.lower)) {
        entities.push({ type: "percent", value: t.value, start: i, end: i + 2, fuzzy: false });
        i++;
      } else if (next && TIME_UNITS.has(next.lower)) {
        continue;
      } else if (prev && TIME_PREPS.has(prev.lower)) {
        continue;
      } else if (prev && prev.lower === "and" && i >= 3 && tokens[i - 3]!.lower === "between") {
        continue;
      } else {
        entities.push({
          type: "number",
          value: t.value,
          start: i,
          end: i + 1,
          fuzzy: false,
          ...(next && next.kind === "word" ? { unit: next.lower } : {}),
        });
      }
      continue;
    }
    // "down to a tenth", "to half of users", "up to three quarters": a share written as a fraction.
    const role = t.facts?.entityRole ?? entityRoleOf(t.lower);
    if (t.kind === "word" && (role & FRACTION) !== 0 && i > 0) {
      let k = i - 1;
      let value = FRACTIONS.get(t.lower)!;
      if (tokens[k]!.lower === "three" && t.lower === "quarters") {
        value = 75;
        k--;
      } else if (tokens[k]!.lower === "a" || tokens[k]!.lower === "one") k--;
      if (k >= 0 && FRACTION_CUES.has(tokens[k]!.lower)) {
        entities.push({ type: "percent", value, start: k + 1, end: i + 1, fuzzy: false });
        continue;
      }
    }
    if (t.kind !== "word" || taken[i]) continue;
    // Refs and multipliers carry a digit or a joiner; plain words skip the patterns below.
    const prev = i > 0 ? tokens[i - 1] : undefined;
    const afterRefCue = prev !== undefined && ((prev.facts?.entityRole ?? entityRoleOf(prev.lower)) & REF_CUE) !== 0;
    if ((role & REF_CHAR) === 0) {
      if (afterRefCue && !FUNCTION_WORDS.has(t.lower)) entities.push(refAt(text, tokens, t.raw, i));
      else if ((role & NAMED_REF) !== 0 && namedRefContext(tokens, i, entities)) entities.push(refAt(text, tokens, t.raw, i));
      continue;
    }
    const multiplier = /^x(\d{1,4})$|^(\d{1,4})x$/.exec(t.lower);
    if (multiplier) {
      entities.push({ type: "number", value: Number(multiplier[1] ?? multiplier[2]), start: i, end: i + 1, fuzzy: false, unit: "x" });
      continue;
    }
    // "web/hotfix-cart": a known service's name opening a path is the service, and the rest its ref.
    const path = /^([a-z][\w-]*)\/(.+)$/i.exec(t.raw);
    if (path && !lexicon.forms.has(normWord(path[2]!.toLowerCase()))) {
      const service = lexicon.forms.get(normWord(path[1]!.toLowerCase()))?.entries.find((e) => e.kind === "service");
      if (service && service.kind === "service") {
        entities.push({ type: "service", value: service.value, start: i, end: i + 1, fuzzy: false });
        entities.push(refAt(text, tokens, path[2]!, i, path[1]!));
        continue;
      }
    }
    const attached = /^([a-z][\w-]*)[@#](.+)$/i.exec(t.raw);
    if (attached) {
      // "api@v1.2.3", and "the payment service@v1.2.3" where the alias ends at the @.
      const head = normWord(attached[1]!.toLowerCase());
      let from = i;
      let service = resolveService(head, lexicon);
      for (let back = 1; !service && back <= 2 && i - back >= 0 && tokens[i - back]!.kind === "word"; back++) {
        let key = head;
        for (let k = 1; k <= back; k++) key = tokens[i - k]!.norm + key;
        service = resolveService(key, lexicon);
        if (service) from = i - back;
      }
      if (service) {
        entities.push({ type: "service", value: service.value, start: from, end: i + 1, fuzzy: service.fuzzy });
        entities.push(refAt(text, tokens, attached[2]!, i));
        continue;
      }
    }
    if (VERSION.test(t.raw) || SHA.test(t.raw) || BRANCH.test(t.raw) || TAGGED.test(t.raw)) {
      entities.push(refAt(text, tokens, t.raw, i));
    } else if (afterRefCue && !FUNCTION_WORDS.has(t.lower) && /^[\w./-]+$/.test(t.raw)) {
      entities.push(refAt(text, tokens, t.raw, i));
    } else if ((role & NAMED_REF) !== 0 && namedRefContext(tokens, i, entities)) {
      entities.push(refAt(text, tokens, t.raw, i));
    }
  }
  // Usually in order already (a stable sort would keep it as is).
  for (let k = 1; k < entities.length; k++) {
    if (entities[k - 1]!.start > entities[k]!.start) {
      entities.sort(byStart);
      break;
    }
  }
  return entities;
}

/** A ref read from token i; the whole word as typed decides whether it is a valid ref name. */
function refAt(text: string, tokens: readonly Token[], value: string, i: number, service?: string): Entity {
  const typed = typedRef(text, tokens[i]!.start, tokens[i]!.end, service);
  const problem = refProblem(typed);
  return problem
    ? { type: "ref", value: typed, start: i, end: i + 1, fuzzy: false, invalid: problem }
    : { type: "ref", value, start: i, end: i + 1, fuzzy: false };
}

const byStart = (a: Entity, b: Entity): number => a.start - b.start;

/** Per token, whether a catalog value was read from it. */
const takenBuffer = scratchBuffer((n) => new Uint8Array(n), 1024, 0);

const FRACTION = 1;
const REF_CUE = 2;
const NAMED_REF = 4;
/** Holds a digit or a joiner (`/[\d@#/._-]/`): may be a ref or a multiplier; plain words skip those patterns. */
const REF_CHAR = 8;

/** What a word (lowercase) can be to the entities, as bits: a word fact, looked up once per distinct word. */
export function entityRoleOf(lower: string): number {
  const role = (FRACTIONS.has(lower) ? FRACTION : 0) | (REF_CUES.has(lower) ? REF_CUE : 0) | (NAMED_REFS.has(lower) ? NAMED_REF : 0);
  for (let i = 0; i < lower.length; i++) {
    const c = lower.charCodeAt(i);
    if ((c >= 48 && c <= 57) || c === 64 || c === 35 || c === 47 || c === 46 || c === 95 || c === 45) return role | REF_CHAR;
  }
  return role;
}

function namedRefContext(tokens: readonly Token[], i: number, entities: readonly Entity[]): boolean {
  const prev = i > 0 ? tokens[i - 1] : undefined;
  if (!prev) return false;
  if (prev.lower === "from" || prev.lower === "of") return true;
  if (tokens[i + 1]?.lower === "branch") return true;
  // "deploy main of api": the ref, then the service it belongs to.
  if (tokens[i + 1]?.lower === "of" && entities.some((e) => e.type === "service" && e.start === i + 2)) return true;
  return entities.some((e) => e.type === "service" && e.end === i);
}

function resolveService(key: string, lexicon: Lexicon): { value: string; fuzzy: boolean } | undefined {
  const exact = lexicon.forms.get(key)?.entries.find((e) => e.kind === "service");
  if (exact && exact.kind === "service") return { value: exact.value, fuzzy: false };
  if (key.length < 4) return undefined;
  for (let len = key.length - 1; len <= key.length + 1; len++) {
    for (const f of lexicon.fuzzy.get(`${key.charAt(0)}${len}`) ?? []) {
      const entry = f.entries.find((e) => e.kind === "service");
      if (entry && entry.kind === "service" && isTypoOf(key, f.key)) return { value: entry.value, fuzzy: true };
    }
  }
  return undefined;
}
