import { hedgeRoleOf } from "./detect-hedge.js";
import { entityRoleOf } from "./extract-entities.js";
import { CHATTER, COMMON_WORDS, FUNCTION_WORDS, LIGHT_VERBS, REQUEST_WORDS } from "./english.js";
import type { LexForm, Lexicon, PhrasePattern } from "./lexicon.js";
import type { Token } from "./tokenize.js";

/**
 * What the parser's stages ask about one word, looked up once per distinct word and lexicon instead
 * of once per stage (a dozen hash lookups per token otherwise). Keyed by the token's lowercase form;
 * everything here is a pure function of it (the norm is derived from it).
 */
export interface WordFacts {
  inflection: { runbooks: string[]; form: "past" | "ing" | "s" } | undefined;
  idiomStart: boolean;
  separable: readonly { particle: string; form: LexForm }[] | undefined;
  /** Long enough, plain letters, and no common word: may be read as a typo of a lexicon word. */
  fuzzable: boolean;
  /** Function word, request word, chatter or light verb: not a content word for coverage. */
  filler: boolean;
  /** Phrases anchored on the token's norm, if any. */
  phrases: readonly PhrasePattern[] | undefined;
  /** The norm starts a lexicon key (or is one), is one, and starts a longer one. */
  prefix: boolean;
  form: LexForm | undefined;
  extends: boolean;
  /** What the word can do for a hedge (detect-hedge.ts). */
  hedgeRole: number;
  /** What the word can be to the entities (extract-entities.ts). */
  entityRole: number;
}

const properPrefixes = new WeakMap<Lexicon, Set<string>>();

/** Leading parts of lexicon keys shorter than the key ("roll" of "rollback"). */
function properPrefixesOf(lexicon: Lexicon): Set<string> {
  let set = properPrefixes.get(lexicon);
  if (!set) {
    set = new Set();
    for (const key of lexicon.forms.keys()) for (let i = 1; i < key.length; i++) set.add(key.slice(0, i));
    properPrefixes.set(lexicon, set);
  }
  return set;
}

/** Bound of each facts table (chat repeats its words; a full table is cleared). */
const LIMIT = 20_000;

/**
 * Attaches the facts of each token through the lexicon's facts tables. A token's facts depend only on
 * whether it is a word and on its lowercase form (a token's norm is derived from it).
 */
export function attachFacts(tokens: readonly Token[], lexicon: Lexicon): void {
  const tables = lexicon.factsMemo;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.facts !== null) continue;
    // Most words come with their remembered spelling, which keeps the facts for the lexicon used last.
    const spelling = t.spelling;
    if (spelling !== null && spelling.factsOf === lexicon) {
      t.facts = spelling.facts;
      continue;
    }
    const table = t.kind === "word" ? tables.words : tables.others;
    let facts = table.get(t.lower);
    if (facts === undefined) {
      facts = compute(t, lexicon);
      if (table.size >= LIMIT) table.clear();
      table.set(t.lower, facts);
    }
    t.facts = facts;
    if (spelling !== null) {
      spelling.factsOf = lexicon;
      spelling.facts = facts;
    }
  }
}

/** The token's facts, attached already or computed now (for callers that did not attach them). */
export function factsOf(t: Token, lexicon: Lexicon): WordFacts {
  return t.facts ?? compute(t, lexicon);
}

function compute(t: Token, lexicon: Lexicon): WordFacts {
  const w = t.lower;
  const norm = t.norm;
  let fuzzable = t.kind === "word" && norm.length >= 4;
  if (fuzzable) {
    for (let k = 0; k < norm.length; k++) {
      const c = norm.charCodeAt(k);
      if (c < 97 || c > 122) {
        fuzzable = false;
        break;
      }
    }
  }
  fuzzable =
    fuzzable && !COMMON_WORDS.has(w) && !FUNCTION_WORDS.has(w) && !REQUEST_WORDS.has(w) && !CHATTER.has(w) && !lexicon.inflections.has(w);
  return {
    inflection: lexicon.inflections.get(w),
    idiomStart: lexicon.idiomStarts.has(w),
    separable: t.kind === "word" ? lexicon.separable.get(w) : undefined,
    fuzzable,
    filler: t.kind === "word" && (FUNCTION_WORDS.has(w) || REQUEST_WORDS.has(w) || CHATTER.has(w) || LIGHT_VERBS.has(w)),
    phrases: lexicon.phrasesByAnchor.get(norm),
    prefix: lexicon.keyPrefixes.has(norm),
    form: lexicon.forms.get(norm),
    extends: properPrefixesOf(lexicon).has(norm),
    hedgeRole: hedgeRoleOf(w, norm),
    entityRole: entityRoleOf(w),
  };
}
