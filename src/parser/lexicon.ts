import type { Runbook, RunbookParam } from "../runbook/runbook-schema.js";
import { COMMON_WORDS, FUNCTION_WORDS, IDIOMS, PARTICLES } from "./english.js";
import type { Catalog } from "./intent.js";
import { SpanMap } from "./span-map.js";
import { normWord } from "./tokenize.js";
import type { WordFacts } from "./word-facts.js";

/** What a word or phrase means to the parser. */
export type LexEntry =
  | { kind: "verb" | "keyword"; runbook: string }
  | { kind: "synonym"; runbook: string; param: string; value: string }
  | { kind: "cue"; runbook: string; param: string }
  | { kind: "env" | "service"; value: string }
  | { kind: "flag"; value: string }
  | { kind: "cohort"; value: string };

/** A phrase of the lexicon: the norms of its words, joined ("roll back" → "rollback"). */
export interface LexForm {
  key: string;
  words: number;
  entries: LexEntry[];
  /** Runbooks of its entries and their kinds there: pairs of runbook index and VERB | KEYWORD | SYNONYM | CUE bits. */
  owners: Owners;
  /** A verb, keyword or flag: enough for a message to be looked at closely. */
  trigger: boolean;
}

export const VERB = 1;
export const KEYWORD = 2;
export const SYNONYM = 4;
export const CUE = 8;

/** Two words' lexicon key, whether it starts a key, and the form it is. */
export interface KeyPair {
  key: string;
  prefix: boolean;
  form: LexForm | undefined;
}

/** Bound of the prefilter's verdict memo (chat repeats its words; the rest is cleared when full). */
const VERDICT_MEMO_LIMIT = 20_000;

/**
 * Runbook index and kind bits, as a flat list of pairs [r0, bits0, r1, bits1, …], each runbook once in
 * order of its first entry (a flat array: the scorer walks these for every match of every message).
 */
export type Owners = readonly number[];

/** The owners of a set of entries (computed once per form, or per typo match). */
export function ownersOf(entries: readonly LexEntry[], index: ReadonlyMap<string, number>): Owners {
  const owners: number[] = [];
  for (const e of entries) {
    if (!("runbook" in e)) continue;
    const r = index.get(e.runbook);
    if (r === undefined) continue;
    const bit = e.kind === "verb" ? VERB : e.kind === "keyword" ? KEYWORD : e.kind === "synonym" ? SYNONYM : CUE;
    let k = 0;
    while (k < owners.length && owners[k] !== r) k += 2;
    if (k < owners.length) owners[k + 1] = owners[k + 1]! | bit;
    else owners.push(r, bit);
  }
  return owners;
}

/** The kind bits of runbook r in `owners`, or 0 when it owns none of the entries. */
export function kindsOf(owners: Owners, r: number): number {
  for (let k = 0; k < owners.length; k += 2) if (owners[k] === r) return owners[k + 1]!;
  return 0;
}

/** A trigger phrase compiled to a sequence of literal words and placeholders ({env}, {service}, {topic}). */
export interface PhrasePattern {
  runbook: string;
  /** Position of the runbook in the lexicon's runbooks. */
  index: number;
  parts: (PhraseLiteral | PhraseSlot)[];
  /** Its literals that may not be left out: each must be in a message for the phrase to match. */
  required: readonly string[];
  /** NEEDS_ENV | NEEDS_SERVICE: it has an env or service slot, which only a named env or service fills. */
  needs: number;
}

export const NEEDS_ENV = 1;
export const NEEDS_SERVICE = 2;

export interface PhraseLiteral {
  literal: string;
  /** A small word the message may leave out (see OPTIONAL_LITERALS). */
  optional: boolean;
  /** Not a function word. */
  content: boolean;
}

export interface PhraseSlot {
  slot: string;
  /** The type the placeholder takes: its param's, an entity type named like it, or free text ("string"). */
  type: string;
  /** The entity types that fill it (for catalog, number and cohort types). */
  entityTypes: readonly string[];
  /** Free text that is no param, ending the phrase: it takes the rest of its clause ("how do i {action}"). */
  rest: boolean;
}

/** Small words a phrase may leave out ("health of the api in prod" and "health of api in prod"). */
const OPTIONAL_LITERALS = new Set(["the", "a", "an", "of", "in", "on", "to", "for", "at", "my", "our", "me", "this"]);

const ENTITY_SLOTS = new Set(["env", "service", "flag", "ref", "percent", "integer", "list", "cohort"]);

/** A runbook with what the parser derives from it once. */
export interface RunbookInfo {
  runbook: Runbook;
  id: string;
  mutating: boolean;
  /** Time params read the past ("since 10am"); otherwise the future ("at 5pm"). */
  pastTimes: boolean;
  paramTypes: ReadonlySet<string>;
  requiredTypes: ReadonlySet<string>;
  /** The types of its required params, one per param in declared order. */
  requiredParamTypes: readonly string[];
  /** Its params as [name, definition], in declared order. */
  params: readonly (readonly [string, RunbookParam])[];
  /** Params by type, in declared order. */
  paramsOfType: ReadonlyMap<string, readonly (readonly [string, RunbookParam])[]>;
  /** For each param, the cue words of its other params (where a free-text value stops). */
  otherCues: ReadonlyMap<string, ReadonlySet<string>>;
  /** Its time params with their cues. */
  timeParams: readonly { name: string; cues: readonly string[] }[];
  /** Its phrases include statements ("{service} is down"), so "payments is slow" asks for it. */
  acceptsStatements: boolean;
  /** Params by the order fillParams reads them (each in declared order). */
  integerParams: readonly (readonly [string, RunbookParam])[];
  percentParams: readonly (readonly [string, RunbookParam])[];
  /** List, enum and boolean params. */
  choiceParams: readonly (readonly [string, RunbookParam])[];
  stringParams: readonly (readonly [string, RunbookParam])[];
  /** Params with a default. */
  defaultParams: readonly (readonly [string, RunbookParam])[];
  /** Names of its required params. */
  requiredParams: readonly string[];
  /** Per param, its "{percent}"-style synonyms as [value, referenced param], in declared order. */
  synonymRefs: ReadonlyMap<string, readonly (readonly [string, string])[]>;
}

/**
 * Everything the parser matches against, compiled once per (runbooks, catalog) pair: the runbooks'
 * trigger verbs, keywords, phrases, enum synonyms and param cues, and the catalog's envs, services,
 * flags and cohorts.
 */
export interface Lexicon {
  forms: ReadonlyMap<string, LexForm>;
  /** Longest phrase in words, so matching tries no longer runs. */
  maxWords: number;
  /** Phrases whose second word is a particle and may come later ("roll api back", "turn featureMatrix on"). */
  separable: ReadonlyMap<string, { particle: string; form: LexForm }[]>;
  /** Forms long enough to match with a typo, by first letter and length ("s7" → staging, …). */
  fuzzy: ReadonlyMap<string, LexForm[]>;
  /** Typo lookups already made, per word (bounded): chat repeats its words. */
  typoMemo: Map<string, readonly LexEntry[] | null>;
  /** The prefilter's verdict per word (prefilter.ts; bounded). */
  verdictMemo: SpanMap<boolean>;
  /** Two-word keys by first and second norm (match-lexicon.ts; bounded). */
  pairMemo: { size: number; byFirst: Map<string, Map<string, KeyPair>> };
  /** Facts of word tokens and of the other tokens, by lowercase form (word-facts.ts; bounded). */
  factsMemo: { words: Map<string, WordFacts>; others: Map<string, WordFacts> };
  /** Past, progressive and third-person forms of trigger verbs ("deployed", "deploying", "deploys"). */
  inflections: ReadonlyMap<string, { runbooks: string[]; form: "past" | "ing" | "s" }>;
  phrases: readonly PhrasePattern[];
  /** Content words of the phrases: a message with none of them, and no verb or keyword, is skipped early. */
  phraseAnchors: ReadonlySet<string>;
  /** Phrases by anchor word, so only phrases whose words occur are tried. */
  phrasesByAnchor: ReadonlyMap<string, readonly PhrasePattern[]>;
  /** Phrases of small words only, tried when their runbook has other evidence. */
  unanchoredPhrases: readonly PhrasePattern[];
  /** Position of each runbook id in `runbooks`. */
  index: ReadonlyMap<string, number>;
  /** Every leading part of a form's key ("roll", "rollb", …): a run of tokens stops growing when it is none. */
  keyPrefixes: ReadonlySet<string>;
  /** First words of idioms. */
  idiomStarts: ReadonlySet<string>;
  /** Words that can start a trigger (verb, keyword or flag), as typed alone or first of several. */
  triggerStarts: ReadonlySet<string>;
  /** Idioms by their words joined with spaces ("heads up"); see english.ts. */
  idioms: ReadonlySet<string>;
  /** The same idioms as lists of words, by first word ("heads" → [["heads", "up"]]). */
  idiomsByStart: ReadonlyMap<string, readonly (readonly string[])[]>;
  runbooks: readonly RunbookInfo[];
  byId: ReadonlyMap<string, RunbookInfo>;
  catalog: Catalog;
  envNames: readonly string[];
  serviceNames: readonly string[];
  cohorts: ReadonlySet<string>;
}

/**
 * Other names of the usual environments; added to a config environment whose name or alias is in a
 * group, unless another environment already uses the word.
 */
const ENV_GROUPS: readonly (readonly string[])[] = [
  ["dev", "development", "local", "devel", "develop env"],
  ["staging", "stage", "stg", "preprod", "pre-prod", "pre-production", "preproduction", "stag", "staging env"],
  ["prod", "production", "prd", "live", "prod env", "production env"],
];

/** Lexicon key of an arrow token; a runbook lists "->" among its verbs to read "api -> prod" as its command. */
export const ARROW_KEY = "->";
const ARROW_SPELLINGS = new Set(["->", "=>", "\u2192", "\u27f6"]);

/**
 * Words that open a flag's name without naming what it is about: ENABLE_USAGE_METRICS is "usage metrics"
 * to people ("turn on usage metrics", "disable the legacy migration flag").
 */
const FLAG_NAME_VERBS = new Set(["enable", "enabled", "use", "allow", "feature", "ff"]);

const cache = new WeakMap<readonly Runbook[], WeakMap<Catalog, Lexicon>>();

/** The compiled lexicon for these runbooks and catalog (cached: contexts are rebuilt per message). */
export function getLexicon(runbooks: readonly Runbook[], catalog: Catalog): Lexicon {
  // The same pair message after message: one comparison instead of two WeakMap lookups.
  if (last !== undefined && last.runbooks === runbooks && last.catalog === catalog) return last.lexicon;
  let inner = cache.get(runbooks);
  if (!inner) {
    inner = new WeakMap();
    cache.set(runbooks, inner);
  }
  let lexicon = inner.get(catalog);
  if (!lexicon) {
    lexicon = buildLexicon(runbooks, catalog);
    inner.set(catalog, lexicon);
  }
  last = { runbooks, catalog, lexicon };
  return lexicon;
}

/** The pair looked up last (held until another pair is looked up). */
let last: { runbooks: readonly Runbook[]; catalog: Catalog; lexicon: Lexicon } | undefined;

export function buildLexicon(runbooks: readonly Runbook[], catalog: Catalog): Lexicon {
  const forms = new Map<string, LexForm>();
  const triggerStarts = new Set<string>();
  const add = (phrase: string, entry: LexEntry) => {
    if (entry.kind === "verb" || entry.kind === "keyword" || entry.kind === "flag") {
      // "featureMatrix", "FSYNC_USE_RPC", "roll back": typed whole or split at the word boundaries.
      // One word that must be present: the first that is not a small word ("on fire" → fire, "get logs" → logs).
      const parts = phrase
        .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
        .split(/[\s_-]+/)
        .filter(Boolean)
        .map((p) => normWord(p.toLowerCase()));
      const anchor = parts.find((p) => !FUNCTION_WORDS.has(p)) ?? parts[0];
      if (anchor) triggerStarts.add(anchor);
      triggerStarts.add(normWord(phrase.toLowerCase().replace(/\s+/g, "")));
    }
    const words = phrase.toLowerCase().split(/\s+/).filter(Boolean);
    // An arrow ("api -> prod") is a token of its own; the tokenizer reads "->", "=>" and "→" as "->".
    const key = ARROW_SPELLINGS.has(phrase.trim()) ? ARROW_KEY : words.map(normWord).join("");
    if (!key) return;
    let form = forms.get(key);
    if (!form) {
      form = { key, words: words.length, entries: [], owners: [], trigger: false };
      forms.set(key, form);
    }
    form.words = Math.max(form.words, words.length);
    if (!form.entries.some((e) => sameEntry(e, entry))) form.entries.push(entry);
  };

  // Catalog: envs (with the usual other names), services (with "X service"), flags, cohorts.
  const envOwner = new Map<string, string>();
  for (const env of catalog.envs)
    for (const name of [env.name, ...env.aliases]) envOwner.set(normWord(name.toLowerCase().replace(/\s+/g, "")), env.name);
  for (const env of catalog.envs) {
    const names = new Set([env.name, ...env.aliases].map((n) => n.toLowerCase()));
    for (const group of ENV_GROUPS) {
      if (!group.some((g) => names.has(g))) continue;
      for (const g of group) {
        const owner = envOwner.get(normWord(g.replace(/\s+/g, "")));
        if (owner === undefined || owner === env.name) names.add(g);
      }
    }
    for (const name of names) add(name, { kind: "env", value: env.name });
  }
  for (const service of catalog.services) {
    for (const name of [service.name, ...service.aliases]) {
      add(name, { kind: "service", value: service.name });
      if (!/\bservice$/i.test(name)) add(`${name} service`, { kind: "service", value: service.name });
    }
  }
  for (const flag of catalog.flags) add(flag, { kind: "flag", value: flag });
  const flagKeys = new Set(catalog.flags.map((f) => normWord(f.toLowerCase())));
  for (const flag of catalog.flags) {
    const parts = flag
      .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
      .split(/[\s_-]+/)
      .filter(Boolean)
      .map((p) => p.toLowerCase());
    if (parts.length < 3 || !FLAG_NAME_VERBS.has(parts[0]!)) continue;
    const rest = parts.slice(1).join(" ");
    if (!flagKeys.has(normWord(rest.replace(/\s+/g, "")))) add(rest, { kind: "flag", value: flag });
  }
  const cohorts = new Set((catalog.cohorts ?? []).map((c) => c.toLowerCase()));
  for (const cohort of cohorts) {
    add(cohort, { kind: "cohort", value: cohort });
    if (!cohort.endsWith("s")) add(`${cohort}s`, { kind: "cohort", value: cohort });
  }

  // Runbooks: trigger verbs and keywords, enum and boolean synonyms, param cues, phrases.
  const infos: RunbookInfo[] = [];
  const phrases: PhrasePattern[] = [];
  for (const runbook of runbooks) {
    for (const verb of runbook.triggers.verbs) add(verb, { kind: "verb", runbook: runbook.id });
    for (const keyword of runbook.triggers.keywords) add(keyword, { kind: "keyword", runbook: runbook.id });
    for (const [param, def] of Object.entries(runbook.params)) {
      for (const value of def.enum ?? []) add(value, { kind: "synonym", runbook: runbook.id, param, value });
      for (const [value, list] of Object.entries(def.synonyms ?? {})) {
        for (const phrase of list) if (!phrase.startsWith("{")) add(phrase, { kind: "synonym", runbook: runbook.id, param, value });
      }
      for (const cue of def.cues) if (/\w/.test(cue)) add(cue, { kind: "cue", runbook: runbook.id, param });
    }
    for (const phrase of runbook.triggers.phrases) phrases.push(compilePhrase(runbook, infos.length, phrase));
    infos.push(describeRunbook(runbook));
  }

  // A runbook phrase that starts with another of its phrases means that one too: "toggle off" (a value of
  // action) starts with the verb "toggle", "dry run migrations" (a verb) with "dry run" (dryRun: true).
  // Matching takes the longest phrase, which would otherwise hide the shorter one's meaning.
  for (const runbook of runbooks) {
    const own: { words: string[]; entry: LexEntry }[] = [];
    for (const verb of runbook.triggers.verbs)
      own.push({ words: verb.toLowerCase().split(/\s+/), entry: { kind: "verb", runbook: runbook.id } });
    for (const [param, def] of Object.entries(runbook.params)) {
      for (const [value, list] of Object.entries(def.synonyms ?? {})) {
        for (const phrase of list)
          if (!phrase.startsWith("{"))
            own.push({ words: phrase.toLowerCase().split(/\s+/), entry: { kind: "synonym", runbook: runbook.id, param, value } });
      }
    }
    for (const long of own) {
      if (long.words.length < 2) continue;
      for (const short of own) {
        if (short.words.length >= long.words.length || short.entry.kind === long.entry.kind) continue;
        if (short.words.every((w, k) => long.words[k] === w)) add(long.words.join(" "), short.entry);
      }
    }
  }

  const runbookIndex = new Map(infos.map((info, i) => [info.id, i]));
  for (const form of forms.values()) {
    form.owners = ownersOf(form.entries, runbookIndex);
    form.trigger = form.entries.some((e) => e.kind === "verb" || e.kind === "keyword" || e.kind === "flag");
  }
  const separable = new Map<string, { particle: string; form: LexForm }[]>();
  const fuzzy = new Map<string, LexForm[]>();
  let maxWords = 1;
  for (const form of forms.values()) {
    maxWords = Math.max(maxWords, form.words);
    if (form.key.length >= 4 && !COMMON_WORDS.has(form.key) && form.entries.some((e) => e.kind !== "cue")) {
      const bucket = `${form.key.charAt(0)}${form.key.length}`;
      const list = fuzzy.get(bucket) ?? [];
      list.push(form);
      fuzzy.set(bucket, list);
    }
  }
  // Separable verbs are found from the original phrases, whose word boundaries the keys have lost.
  for (const runbook of runbooks) {
    const phrasesOf = [...runbook.triggers.verbs, ...Object.values(runbook.params).flatMap((p) => Object.values(p.synonyms ?? {}).flat())];
    for (const phrase of phrasesOf) {
      const words = phrase.toLowerCase().split(/\s+/);
      if (words.length !== 2 || !PARTICLES.has(words[1]!)) continue;
      const form = forms.get(words.map(normWord).join(""));
      if (!form) continue;
      const list = separable.get(words[0]!) ?? [];
      if (!list.some((s) => s.form === form)) list.push({ particle: words[1]!, form });
      separable.set(words[0]!, list);
    }
  }

  return {
    forms,
    maxWords: Math.min(maxWords, 6),
    separable,
    fuzzy,
    inflections: buildInflections(runbooks, forms),
    phrases,
    phraseAnchors: new Set(phrases.flatMap(anchorsOf)),
    phrasesByAnchor: indexPhrases(phrases),
    unanchoredPhrases: phrases.filter((p) => anchorsOf(p).length === 0),
    index: runbookIndex,
    keyPrefixes: prefixesOf(forms.keys()),
    idiomStarts: new Set([...IDIOMS].map((idiom) => idiom.split(" ")[0]!)),
    triggerStarts,
    idioms: IDIOMS,
    idiomsByStart: groupIdioms(IDIOMS),
    typoMemo: new Map(),
    verdictMemo: new SpanMap(VERDICT_MEMO_LIMIT),
    pairMemo: { size: 0, byFirst: new Map() },
    factsMemo: { words: new Map(), others: new Map() },
    runbooks: infos,
    byId: new Map(infos.map((i) => [i.id, i])),
    catalog,
    envNames: catalog.envs.map((e) => e.name),
    serviceNames: catalog.services.map((s) => s.name),
    cohorts,
  };
}

function groupIdioms(idioms: ReadonlySet<string>): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  for (const idiom of idioms) {
    const words = idiom.split(" ");
    const list = out.get(words[0]!) ?? [];
    list.push(words);
    out.set(words[0]!, list);
  }
  return out;
}

function indexPhrases(phrases: readonly PhrasePattern[]): Map<string, PhrasePattern[]> {
  const out = new Map<string, PhrasePattern[]>();
  for (const p of phrases) {
    for (const anchor of anchorsOf(p)) {
      const list = out.get(anchor) ?? [];
      if (!list.includes(p)) list.push(p);
      out.set(anchor, list);
    }
  }
  return out;
}

function prefixesOf(keys: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const key of keys) for (let i = 1; i <= key.length; i++) out.add(key.slice(0, i));
  return out;
}

/**
 * The content words of a phrase: one of them must be in a message for the phrase to be tried on its
 * own. A phrase of small words only ("is {service} up") is tried when its runbook has other evidence
 * (here the verb "up"); anchoring it on "is" would send every chat line down the slow path.
 */
function anchorsOf(phrase: PhrasePattern): string[] {
  return phrase.parts.flatMap((part) => ("literal" in part && !FUNCTION_WORDS.has(part.literal) ? [part.literal] : []));
}

function groupByType(entries: readonly (readonly [string, RunbookParam])[]): Map<string, (readonly [string, RunbookParam])[]> {
  const out = new Map<string, (readonly [string, RunbookParam])[]>();
  for (const entry of entries) {
    const list = out.get(entry[1].type) ?? [];
    list.push(entry);
    out.set(entry[1].type, list);
  }
  return out;
}

function describeRunbook(runbook: Runbook): RunbookInfo {
  const entries = Object.entries(runbook.params) as [string, RunbookParam][];
  const params = entries.map(([, p]) => p);
  const pastCues = new Set(["since", "last", "past", "after", "ago"]);
  return {
    runbook,
    id: runbook.id,
    mutating: runbook.risk === "write",
    pastTimes: params.some((p) => p.type === "time" && p.cues.some((c) => pastCues.has(c))),
    params: entries,
    paramsOfType: groupByType(entries),
    otherCues: new Map(entries.map(([name]) => [name, new Set(entries.filter(([n]) => n !== name).flatMap(([, d]) => d.cues))])),
    timeParams: entries.filter(([, d]) => d.type === "time").map(([name, d]) => ({ name, cues: d.cues })),
    paramTypes: new Set(params.map((p) => p.type)),
    requiredTypes: new Set(params.filter((p) => p.required).map((p) => p.type)),
    requiredParamTypes: params.filter((p) => p.required).map((p) => p.type),
    acceptsStatements: runbook.triggers.phrases.some((p) => /^\{[a-zA-Z]+\}\s+(?:is|are)\b/.test(p)),
    integerParams: entries.filter(([, d]) => d.type === "integer"),
    percentParams: entries.filter(([, d]) => d.type === "percent"),
    choiceParams: entries.filter(([, d]) => d.type === "list" || d.type === "enum" || d.type === "boolean"),
    stringParams: entries.filter(([, d]) => d.type === "string"),
    defaultParams: entries.filter(([, d]) => d.default !== undefined),
    requiredParams: entries.filter(([, d]) => d.required).map(([name]) => name),
    synonymRefs: new Map(entries.map(([name, d]) => [name, synonymRefsOf(d)])),
  };
}

/** "{percent}" among an enum's synonyms: that value is meant when the param it names was given. */
function synonymRefsOf(def: RunbookParam): [string, string][] {
  const out: [string, string][] = [];
  for (const [value, list] of Object.entries(def.synonyms ?? {})) {
    for (const s of list) {
      const ref = /^\{([a-zA-Z0-9]+)\}$/.exec(s)?.[1];
      if (ref) out.push([value, ref]);
    }
  }
  return out;
}

function compilePhrase(runbook: Runbook, index: number, phrase: string): PhrasePattern {
  const words: ({ literal: string } | { slot: string })[] = [];
  for (const word of phrase.toLowerCase().match(/\{[a-z][a-zA-Z0-9]*\}|[^\s{}]+/gi) ?? []) {
    if (word.startsWith("{")) words.push({ slot: word.slice(1, -1) });
    else words.push({ literal: normWord(word.replace(/[?!,.]+$/, "").replace(/'s$/, "")) });
  }
  const expanded = expandContractions(words);
  const parts = expanded.map((part, k): PhraseLiteral | PhraseSlot => {
    if ("literal" in part)
      return { literal: part.literal, optional: OPTIONAL_LITERALS.has(part.literal), content: !FUNCTION_WORDS.has(part.literal) };
    const param = runbook.params[part.slot];
    const type = param?.type ?? (ENTITY_SLOTS.has(part.slot) ? part.slot : "string");
    const entityTypes = type === "integer" || type === "percent" ? ["number", "percent"] : type === "list" ? ["cohort"] : [type];
    return { slot: part.slot, type, entityTypes, rest: !param && type === "string" && k === expanded.length - 1 };
  });
  let needs = 0;
  for (const part of parts) if ("slot" in part) needs |= part.type === "env" ? NEEDS_ENV : part.type === "service" ? NEEDS_SERVICE : 0;
  const required = parts.flatMap((part) => ("literal" in part && !part.optional ? [part.literal] : []));
  return { runbook: runbook.id, index, parts, required, needs };
}

/** Phrases are written as people type them; "how's" becomes "how is" as in the tokenizer. */
function expandContractions(parts: ({ literal: string } | { slot: string })[]): ({ literal: string } | { slot: string })[] {
  const out: ({ literal: string } | { slot: string })[] = [];
  for (const part of parts) {
    if ("literal" in part && /^(what|how|where|who|that|it)s$/.test(part.literal) && !FUNCTION_WORDS.has(part.literal)) {
      out.push({ literal: part.literal.slice(0, -1) }, { literal: "is" });
    } else out.push(part);
  }
  return out;
}

const IRREGULAR_PAST: Record<string, string[]> = {
  run: ["ran"],
  do: ["did", "done"],
  make: ["made"],
  get: ["got"],
  go: ["went", "gone"],
  give: ["gave", "given"],
  write: ["wrote", "written"],
  set: [],
  put: [],
  spin: ["spun"],
  show: ["showed", "shown"],
};

function buildInflections(
  runbooks: readonly Runbook[],
  forms: ReadonlyMap<string, LexForm>,
): Map<string, { runbooks: string[]; form: "past" | "ing" | "s" }> {
  const out = new Map<string, { runbooks: string[]; form: "past" | "ing" | "s" }>();
  const put = (word: string, runbook: string, form: "past" | "ing" | "s") => {
    if (form !== "past" && forms.has(word)) return;
    const entry = out.get(word) ?? { runbooks: [], form };
    if (!entry.runbooks.includes(runbook)) entry.runbooks.push(runbook);
    out.set(word, entry);
  };
  for (const runbook of runbooks) {
    for (const verb of runbook.triggers.verbs) {
      const words = verb.toLowerCase().split(/\s+/);
      const head = words[0]!;
      if (!/^[a-z]+$/.test(head) || head.length < 2) continue;
      // "get out" (a deploy) says nothing when "got" or "getting" stands alone.
      if (words.length > 1 && FUNCTION_WORDS.has(head)) continue;
      const stem = head.endsWith("e") ? head.slice(0, -1) : head;
      const doubled = /[^aeiou][aeiou][bdgklmnprt]$/.test(head) && head.length <= 5 ? head + head.slice(-1) : head;
      const past = IRREGULAR_PAST[head] ?? [
        head.endsWith("e") ? `${head}d` : head.endsWith("y") && !/[aeiou]y$/.test(head) ? `${head.slice(0, -1)}ied` : `${doubled}ed`,
      ];
      for (const p of past) put(p, runbook.id, "past");
      put(`${doubled === head ? stem : doubled}ing`, runbook.id, "ing");
      put(/(s|sh|ch|x)$/.test(head) ? `${head}es` : `${head}s`, runbook.id, "s");
    }
  }
  return out;
}

function sameEntry(a: LexEntry, b: LexEntry): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
