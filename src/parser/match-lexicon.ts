import { FUNCTION_WORDS, GERUND_REQUESTS, NEGATIONS } from "./english.js";
import { isTypoOf } from "./fuzzy-match.js";
import { scratchBuffer } from "./scratch-buffer.js";
import { ARROW_KEY, ownersOf, type KeyPair, type LexEntry, type LexForm, type Lexicon, type Owners } from "./lexicon.js";
import type { Token } from "./tokenize.js";
import { factsOf } from "./word-facts.js";

/** A run of tokens that means something to the lexicon. */
export interface LexMatch {
  /** First token. */
  start: number;
  /** One past the last token. */
  end: number;
  /** For a separable verb ("roll api back") the two tokens it is made of; else every token in start..end. */
  tokens: readonly number[];
  entries: readonly LexEntry[];
  /** Runbooks of its entries and their kinds in this match (see lexicon Owners). */
  owners: Owners;
  words: number;
  fuzzy: boolean;
  /** Made from "need web deployed": a participle after need/want/get, itself a request. */
  request?: boolean;
  /** Holds a verb, keyword or flag. */
  trigger: boolean;
}

/** Per token, the index of the contiguous match covering it, -2 inside an idiom, or -1. */
const coverageBuffer = scratchBuffer((n) => new Int32Array(n), 1024, -1);

/** Words a separable verb's particle may come after: "flip legacy migration dry run on". */
const SEPARABLE_GAP = 5;

/**
 * Finds lexicon phrases in the tokens: longest exact match first ("payment service" before
 * "payment"), then separable verbs, then typos of what is left. Returns matches in text order.
 */
export function matchLexicon(tokens: readonly Token[], lexicon: Lexicon): { matches: LexMatch[] } {
  const n = tokens.length;
  const coveredBy = coverageBuffer(n);
  const matches: LexMatch[] = [];
  for (let i = 0; i < n;) {
    const first = tokens[i]!;
    if (first.kind !== "word") {
      const arrow = first.kind === "arrow" ? lexicon.forms.get(ARROW_KEY) : undefined;
      if (arrow) {
        coveredBy[i] = matches.length;
        matches.push({
          start: i,
          end: i + 1,
          tokens: [i],
          entries: arrow.entries,
          owners: arrow.owners,
          words: 1,
          fuzzy: false,
          trigger: arrow.trigger,
        });
      }
      i++;
      continue;
    }
    let key = "";
    let bestLen = 0;
    let best: LexForm | undefined;
    let idiom = 0;
    const firstFacts = factsOf(first, lexicon);
    const idiomStart = firstFacts.idiomStart;
    const idioms = idiomStart ? lexicon.idiomsByStart.get(first.lower) : undefined;
    // A run that stopped being the start of a key never becomes one again: `dead` skips the lookups.
    let dead = false;
    for (let len = 1; len <= lexicon.maxWords && i + len <= n; len++) {
      const t = tokens[i + len - 1]!;
      if (t.kind !== "word" || (len > 1 && (t.clause !== first.clause || !isSpace(t.sep)))) break;
      if (len > 1 && idioms !== undefined && isIdiomAt(tokens, i, len, idioms)) idiom = len;
      let form: LexForm | undefined;
      if (!dead) {
        if (len === 1) {
          key = t.norm;
          dead = !firstFacts.prefix;
          form = firstFacts.form;
        } else if (len === 2) {
          if (firstFacts.extends) {
            const pair = pairOf(key, t.norm, lexicon);
            key = pair.key;
            dead = !pair.prefix;
            form = pair.form;
          } else dead = true;
        } else {
          key += t.norm;
          dead = !lexicon.keyPrefixes.has(key);
          if (!dead) form = lexicon.forms.get(key);
        }
      }
      if (dead) {
        if (!idiomStart || len >= 3) break;
        continue;
      }
      if (form) {
        best = form;
        bestLen = len;
      }
    }
    if (idiom >= bestLen && idiom > 0) {
      // An idiom means nothing to the parser; its words are used up so no part of it matches alone.
      for (let k = i; k < i + idiom; k++) coveredBy[k] = -2;
      i += idiom;
      continue;
    }
    // "payments is on fire": "is on" (a flag's status) must not take the "on" of "on fire" (a symptom);
    // a phrase that is no trigger yields to a trigger starting inside it and reaching further.
    if (best && bestLen > 1 && !best.trigger) {
      for (let k = i + 1; k < i + bestLen; k++) {
        const later = longestFormAt(tokens, k, lexicon);
        if (later && later.form.trigger && k + later.len > i + bestLen) {
          best = undefined;
          break;
        }
      }
    }
    if (best) {
      const index = matches.length;
      matches.push({
        start: i,
        end: i + bestLen,
        tokens: range(i, i + bestLen),
        entries: best.entries,
        owners: best.owners,
        words: bestLen,
        fuzzy: false,
        trigger: best.trigger,
      });
      for (let k = i; k < i + bestLen; k++) coveredBy[k] = index;
      i += bestLen;
    } else i++;
  }
  addSeparable(tokens, lexicon, matches);
  addRequestedParticiples(tokens, lexicon, matches);
  addTypos(tokens, lexicon, matches, coveredBy);
  if (!inOrder(matches)) matches.sort(byPosition);
  return { matches };
}

/** Whether tokens i.. spell one of `idioms` (the idioms starting with token i's word) in exactly `len` words. */
function isIdiomAt(tokens: readonly Token[], i: number, len: number, idioms: readonly (readonly string[])[]): boolean {
  for (const words of idioms) {
    if (words.length !== len) continue;
    let k = 1;
    while (k < len && words[k] === tokens[i + k]!.lower) k++;
    if (k === len) return true;
  }
  return false;
}

/**
 * Key pairs are remembered per lexicon (bounded): "to prod", "the api", "roll back" recur in every
 * channel, and building and hashing their joined key is most of what matching two words costs.
 */
const PAIR_LIMIT = 20_000;

function pairOf(first: string, second: string, lexicon: Lexicon): KeyPair {
  const table = lexicon.pairMemo;
  let seconds = table.byFirst.get(first);
  if (!seconds) {
    seconds = new Map();
    table.byFirst.set(first, seconds);
  }
  let pair = seconds.get(second);
  if (!pair) {
    const key = first + second;
    const prefix = lexicon.keyPrefixes.has(key);
    pair = { key, prefix, form: prefix ? lexicon.forms.get(key) : undefined };
    if (table.size >= PAIR_LIMIT) {
      table.byFirst.clear();
      table.size = 0;
      seconds = new Map();
      table.byFirst.set(first, seconds);
    }
    seconds.set(second, pair);
    table.size++;
  }
  return pair;
}

/** The longest lexicon form starting at token i (no idioms, no typos). */
function longestFormAt(tokens: readonly Token[], i: number, lexicon: Lexicon): { form: LexForm; len: number } | undefined {
  const first = tokens[i]!;
  if (first.kind !== "word") return undefined;
  let key = "";
  let out: { form: LexForm; len: number } | undefined;
  for (let len = 1; len <= lexicon.maxWords && i + len <= tokens.length; len++) {
    const t = tokens[i + len - 1]!;
    if (t.kind !== "word" || (len > 1 && (t.clause !== first.clause || !isSpace(t.sep)))) break;
    key += t.norm;
    if (!lexicon.keyPrefixes.has(key)) break;
    const form = lexicon.forms.get(key);
    if (form) out = { form, len };
  }
  return out;
}

function addSeparable(tokens: readonly Token[], lexicon: Lexicon, matches: LexMatch[]): void {
  if (lexicon.separable.size === 0) return;
  for (let i = 0; i < tokens.length; i++) {
    const head = tokens[i]!;
    const options = factsOf(head, lexicon).separable;
    if (!options) continue;
    for (const { particle, form } of options) {
      for (let j = i + 2; j <= i + 1 + SEPARABLE_GAP && j < tokens.length; j++) {
        const t = tokens[j]!;
        if (t.clause !== head.clause) break;
        if (t.lower === particle) {
          matches.push({
            start: i,
            end: j + 1,
            tokens: [i, j],
            entries: form.entries,
            owners: form.owners,
            words: 2,
            fuzzy: false,
            trigger: form.trigger,
          });
          break;
        }
      }
    }
  }
}

const WANTING = new Set(["need", "needs", "want", "wants", "get", "have", "like"]);

/**
 * "i need web deployed to staging", "can we get api restarted": the participle asks for its runbook; so does
 * a gerund after "mind" ("would you mind restarting api?").
 */
function addRequestedParticiples(tokens: readonly Token[], lexicon: Lexicon, matches: LexMatch[]): void {
  for (let i = 1; i < tokens.length; i++) {
    const inflection = factsOf(tokens[i]!, lexicon).inflection;
    if (!inflection) continue;
    if (inflection.form === "past" ? !isRequestedParticiple(tokens, i) : inflection.form !== "ing" || !isPoliteGerund(tokens, i)) continue;
    const entries: LexEntry[] = inflection.runbooks.map((runbook) => ({ kind: "verb", runbook }));
    matches.push({
      start: i,
      end: i + 1,
      tokens: [i],
      entries,
      owners: ownersOf(entries, lexicon.index),
      words: 1,
      fuzzy: false,
      request: true,
      trigger: true,
    });
  }
}

/** "mind bouncing …": a gerund right after "mind", with no negation before it in the clause ("I don't mind waiting"). */
function isPoliteGerund(tokens: readonly Token[], i: number): boolean {
  const clause = tokens[i]!.clause;
  if (!GERUND_REQUESTS.has(tokens[i - 1]!.lower) || tokens[i - 1]!.clause !== clause) return false;
  return !tokens.some((t, k) => k < i && t.clause === clause && NEGATIONS.has(t.lower));
}

/** A participle within a few words after need/want/get in its clause, with no negation before. */
export function isRequestedParticiple(tokens: readonly Token[], i: number): boolean {
  for (let k = i - 1; k >= 0 && k >= i - 4 && tokens[k]!.clause === tokens[i]!.clause; k--) {
    const w = tokens[k]!.lower;
    if (WANTING.has(w))
      return !tokens.slice(0, k).some((t) => t.clause === tokens[i]!.clause && (t.lower === "not" || t.lower === "never"));
  }
  return false;
}

function addTypos(tokens: readonly Token[], lexicon: Lexicon, matches: LexMatch[], coveredBy: Int32Array): void {
  const n = tokens.length;
  for (let i = 0; i < n; i++) {
    if (coveredBy[i]! !== -1 || !fuzzable(tokens[i]!, lexicon)) continue;
    // Up to three tokens joined ("timeline paralax" → timelineparalax), longest first.
    let done = false;
    for (let len = Math.min(3, n - i); len >= 1 && !done; len--) {
      let key = "";
      let ok = true;
      for (let k = i; k < i + len; k++) {
        const t = tokens[k]!;
        if (
          coveredBy[k]! !== -1 ||
          t.kind !== "word" ||
          t.clause !== tokens[i]!.clause ||
          (k > i && (!isSpace(t.sep) || FUNCTION_WORDS.has(t.lower)))
        ) {
          ok = false;
          break;
        }
        key += t.norm;
      }
      if (!ok) continue;
      const entries = closestForms(key, lexicon, len > 1);
      if (entries.length === 0) continue;
      const index = matches.length;
      matches.push({
        start: i,
        end: i + len,
        tokens: range(i, i + len),
        entries,
        owners: ownersOf(entries, lexicon.index),
        words: len,
        fuzzy: true,
        trigger: entries.some((e) => e.kind === "verb" || e.kind === "keyword" || e.kind === "flag"),
      });
      for (let k = i; k < i + len; k++) coveredBy[k] = index;
      done = true;
      i += len - 1;
    }
  }
}

function fuzzable(token: Token, lexicon: Lexicon): boolean {
  return factsOf(token, lexicon).fuzzable;
}

const TYPO_MEMO_LIMIT = 20_000;

/** Catalog and lexicon entries `key` is a typo of, memoized per lexicon (a pure function of the word). */
export function closestForms(key: string, lexicon: Lexicon, joined: boolean): readonly LexEntry[] {
  const memoKey = joined ? `+${key}` : key;
  const known = lexicon.typoMemo.get(memoKey);
  if (known !== undefined) return known ?? [];
  const out: LexEntry[] = [];
  const seen = new Set<LexForm>();
  const first = key.charAt(0);
  const second = key.charAt(1);
  const spread = key.length >= 9 ? 2 : 1;
  for (let len = key.length - spread; len <= key.length + spread; len++) {
    for (const letter of first === second ? [first] : [first, second]) {
      const list = lexicon.fuzzy.get(`${letter}${len}`);
      if (!list) continue;
      for (const form of list) {
        if (seen.has(form)) continue;
        // Joined tokens only ever stand for a catalog name or a phrase of several words.
        if (joined && form.words < 2 && !form.entries.some((e) => e.kind === "flag" || e.kind === "service" || e.kind === "env")) continue;
        if (!isTypoOf(key, form.key)) continue;
        seen.add(form);
        for (const e of form.entries) if (e.kind !== "cue") out.push(e);
      }
    }
  }
  if (lexicon.typoMemo.size >= TYPO_MEMO_LIMIT) lexicon.typoMemo.clear();
  lexicon.typoMemo.set(memoKey, out.length > 0 ? out : null);
  return out;
}

const byPosition = (a: LexMatch, b: LexMatch): number => a.start - b.start || b.words - a.words;

function inOrder(matches: readonly LexMatch[]): boolean {
  for (let k = 1; k < matches.length; k++) if (byPosition(matches[k - 1]!, matches[k]!) > 0) return false;
  return true;
}

function isSpace(sep: string): boolean {
  for (let i = 0; i < sep.length; i++) if (sep.charCodeAt(i) !== 32) return false;
  return true;
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}
