import { EXPANSIONS, NUMBER_WORDS } from "./english.js";
import { SpanMap } from "./span-map.js";
import type { WordFacts } from "./word-facts.js";

/** What a token is made of: letters (maybe with digits), a whole number, a percentage, a clock time, an arrow. */
export type TokenKind = "word" | "number" | "percent" | "clock" | "arrow";

/**
 * One word of the message. `norm` is the form the lexicon is keyed by: lowercase without `-`, `_`,
 * `'` and `.`, so "feature_matrix", "feature-matrix" and "featureMatrix" all read "featurematrix",
 * and a run of tokens can be matched by concatenating their norms ("timeline parallax").
 */
export interface Token {
  /** Exactly as typed (for refs and free-text params). */
  raw: string;
  lower: string;
  norm: string;
  kind: TokenKind;
  /** Numeric value for number and percent tokens. */
  value: number;
  /** Offsets of the token in the text (expanded contractions share their source's offsets). */
  start: number;
  end: number;
  /** Clauses are split at . ! ? ; , : newlines and dashes; verbs are judged within their clause. */
  clause: number;
  /** Inside "double quotes" or 'single quotes' (code spans arrive quoted from the Slack layer). */
  quoted: boolean;
  /** The characters between the previous token and this one, e.g. ", " or " -> ". */
  sep: string;
  /** Lexicon facts of the word, attached by the parser once per message (see word-facts.ts). */
  facts: WordFacts | null;
  /** The remembered spelling of a word read as typed (not of an expansion), where word-facts.ts keeps its facts. */
  spelling: Spelling | null;
}

const ALNUM = /[\p{L}\p{N}]/u;
const JOINER_CHARS = /[-_'.]/g;

/** . _ - / @ # ' + */
function isJoiner(c: number): boolean {
  return c === 46 || c === 95 || c === 45 || c === 47 || c === 64 || c === 35 || c === 39 || c === 43;
}
/** . ! ? ; , : newline — – ( ) */
function isClauseChar(c: number): boolean {
  return (
    c === 46 || c === 33 || c === 63 || c === 59 || c === 44 || c === 58 || c === 10 || c === 0x2014 || c === 0x2013 || c === 40 || c === 41
  );
}
/** " “ ” ‘ ' ` */
function isQuoteChar(c: number): boolean {
  return c === 34 || c === 0x201c || c === 0x201d || c === 0x2018 || c === 39 || c === 96;
}

/** Scanner state of the message being tokenized (tokenize is synchronous and not reentrant). */
let clauseNow = 0;
let quotedNow = false;
let lastEnd = 0;

/**
 * Splits text into tokens; expands chat spellings and contractions ("pls" → please, "don't" → do not).
 * A hand-written scanner: it runs on every message the bot sees, most of them chatter.
 */
export function tokenize(text: string): Token[] {
  const src = text.indexOf("\u2019") >= 0 ? text.replace(/\u2019/g, "'") : text;
  const tokens: Token[] = [];
  const n = src.length;
  clauseNow = 0;
  quotedNow = false;
  lastEnd = 0;
  let i = 0;
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 32) {
      i++;
      continue;
    }
    if ((c === 45 || c === 61) && src.charCodeAt(i + 1) === 62) {
      push(tokens, src, i, i + 2, "arrow");
      i += 2;
      continue;
    }
    if (c === 0x2192 || c === 0x27f6) {
      push(tokens, src, i, i + 1, "arrow");
      i++;
      continue;
    }
    const width = alnumWidth(src, i);
    if (width === 0) {
      i++;
      continue;
    }
    if (isDigit(c)) {
      const end = numberLike(src, i);
      if (end > 0) {
        push(tokens, src, i, end, src.charCodeAt(end - 1) === 37 ? "percent" : "clock");
        i = end;
        continue;
      }
    }
    let j = i + width;
    while (j < n) {
      const d = src.charCodeAt(j);
      if ((d >= 97 && d <= 122) || (d >= 65 && d <= 90) || (d >= 48 && d <= 57)) {
        j++;
        continue;
      }
      const w = alnumWidth(src, j);
      if (w > 0) j += w;
      else if (isJoiner(d) && alnumWidth(src, j + 1) > 0) j++;
      else break;
    }
    push(tokens, src, i, j, "word");
    i = j;
  }
  return tokens;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Width in UTF-16 units of the letter or digit at i (2 for one outside the BMP), or 0. */
export function alnumWidth(src: string, i: number): number {
  const c = src.charCodeAt(i);
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57)) return 1;
  if (c < 0x80 || Number.isNaN(c)) return 0;
  const cp = src.codePointAt(i)!;
  return ALNUM.test(String.fromCodePoint(cp)) ? (cp > 0xffff ? 2 : 1) : 0;
}

/** End of a clock time (10:30, 9:15am, 17:30:00) or a percentage (25%, 2.5 %) starting at i, or 0. */
function numberLike(src: string, i: number): number {
  let d = i;
  while (isDigit(src.charCodeAt(d))) d++;
  if (
    d - i <= 2 &&
    src.charCodeAt(d) === 58 &&
    isDigit(src.charCodeAt(d + 1)) &&
    isDigit(src.charCodeAt(d + 2)) &&
    !isDigit(src.charCodeAt(d + 3))
  ) {
    let e = d + 3;
    if (src.charCodeAt(e) === 58 && isDigit(src.charCodeAt(e + 1)) && isDigit(src.charCodeAt(e + 2))) e += 3;
    const meridiem = meridiemLength(src, e);
    if (meridiem > 0 && alnumWidth(src, e + meridiem) === 0) e += meridiem;
    return alnumWidth(src, e) === 0 ? e : 0;
  }
  let p = d;
  if (src.charCodeAt(p) === 46 && isDigit(src.charCodeAt(p + 1))) {
    p++;
    while (isDigit(src.charCodeAt(p))) p++;
  }
  if (src.charCodeAt(p) === 32 && src.charCodeAt(p + 1) === 37) p++;
  return src.charCodeAt(p) === 37 ? p + 1 : 0;
}

function push(tokens: Token[], src: string, start: number, end: number, kind: TokenKind): void {
  // Most separators are one space: no slice, no scan.
  const last = lastEnd;
  const sep = start - last === 1 && src.charCodeAt(last) === 32 ? " " : src.slice(last, start);
  lastEnd = end;
  if (sep !== " ") {
    let breaks = false;
    let quotes = 0;
    for (let k = 0; k < sep.length; k++) {
      const c = sep.charCodeAt(k);
      if (c === 32) continue;
      if (isClauseChar(c)) breaks = true;
      else if (c === 45 && k > 0 && k + 1 < sep.length && sep.charCodeAt(k - 1) === 32 && sep.charCodeAt(k + 1) === 32) breaks = true;
      if (isQuoteChar(c)) quotes++;
    }
    if (tokens.length > 0 && breaks) clauseNow++;
    if (quotes % 2 === 1) quotedNow = !quotedNow;
  }
  const clause = clauseNow;
  const quoted = quotedNow;
  if (kind === "word") {
    const spelling = spellingOf(src, start, end);
    const raw = spelling.raw;
    const expanded = spelling.expanded;
    if (expanded !== undefined) {
      for (let k = 0; k < expanded.length; k++) {
        const word = expanded[k]!;
        tokens.push(
          make(k === 0 ? raw : word.lower, word.lower, word.norm, "word", Number.NaN, start, end, clause, quoted, k === 0 ? sep : " "),
        );
      }
      return;
    }
    const token = make(raw, spelling.lower, spelling.norm, spelling.kind, spelling.value, start, end, clause, quoted, sep);
    token.spelling = spelling;
    tokens.push(token);
    return;
  }
  const raw = src.slice(start, end);
  if (kind === "clock") {
    const lower = raw.toLowerCase().replace(/[\s.]/g, "");
    tokens.push(make(raw, lower, lower, "clock", Number.NaN, start, end, clause, quoted, sep));
    return;
  }
  if (kind === "percent") {
    const lower = raw.replace(/\s/g, "");
    tokens.push(make(raw, lower, lower, "percent", Number.parseFloat(raw), start, end, clause, quoted, sep));
    return;
  }
  tokens.push(make(raw, "->", "->", "arrow", Number.NaN, start, end, clause, quoted, sep));
}

/** How a word as typed reads: its token's lowercase form, norm, kind and value, or the words it expands to. */
export interface Spelling {
  /** The word as typed. */
  raw: string;
  lower: string;
  norm: string;
  kind: TokenKind;
  value: number;
  expanded: readonly { lower: string; norm: string }[] | undefined;
  /** The word's facts for the lexicon `factsOf` (set by word-facts.ts; they follow from its kind and lowercase form). */
  factsOf: object | null;
  facts: WordFacts | null;
}

/**
 * Spellings by the word as typed, remembered (bounded; chat repeats its words): a known word costs
 * one lookup of its span instead of a slice, lowercasing, the expansion lookup and the number checks.
 * Its strings are then the same from message to message, which makes later lookups by them cheaper too.
 */
const spellings = new SpanMap<Spelling>(20_000);

function spellingOf(src: string, start: number, end: number): Spelling {
  let spelling = spellings.get(src, start, end);
  if (spelling === undefined) {
    spelling = spell(src.slice(start, end));
    spellings.add(spelling.raw, spelling);
  }
  return spelling;
}

function spell(raw: string): Spelling {
  const lower = raw.toLowerCase();
  const expanded = EXPANSIONS.get(lower);
  if (expanded !== undefined) {
    const words = expanded.map((w) => ({ lower: w, norm: normWord(w) }));
    return { raw, lower, norm: lower, kind: "word", value: Number.NaN, expanded: words, factsOf: null, facts: null };
  }
  const counted = NUMBER_WORDS.get(lower);
  if (counted !== undefined)
    return { raw, lower, norm: lower, kind: "number", value: counted, expanded: undefined, factsOf: null, facts: null };
  const first = lower.charCodeAt(0);
  if (first >= 48 && first <= 57) {
    if (/^\d+$/.test(lower))
      return {
        raw,
        lower,
        norm: lower,
        kind: "number",
        value: Number.parseInt(lower, 10),
        expanded: undefined,
        factsOf: null,
        facts: null,
      };
    if (/^\d{1,2}(?:am|pm|a|p)$/.test(lower))
      return { raw, lower, norm: lower, kind: "clock", value: Number.NaN, expanded: undefined, factsOf: null, facts: null };
  }
  // A possessive is keyed by its word: "prod's schema", "api's logs" (contractions were expanded above).
  const possessive = lower.length > 3 && lower.endsWith("'s") ? lower.slice(0, -2) : lower;
  return { raw, lower, norm: normWord(possessive), kind: "word", value: Number.NaN, expanded: undefined, factsOf: null, facts: null };
}

/** Length of " am", "pm", "a.m." and the like at e (any case), or 0: `/^ ?[ap]\.?m\.?/i` without a slice and a regex. */
function meridiemLength(src: string, e: number): number {
  let k = e;
  if (src.charCodeAt(k) === 32) k++;
  const letter = src.charCodeAt(k) | 32;
  if (letter !== 97 && letter !== 112) return 0;
  k++;
  if (src.charCodeAt(k) === 46) k++;
  if ((src.charCodeAt(k) | 32) !== 109) return 0;
  k++;
  if (src.charCodeAt(k) === 46) k++;
  return k - e;
}

/** The lexicon key of a word: lowercase, without the joiners people vary ("dry-run", "dry_run", "dryrun"). */
export function normWord(lower: string): string {
  for (let i = 0; i < lower.length; i++) {
    const c = lower.charCodeAt(i);
    if (c === 45 || c === 95 || c === 39 || c === 46) return lower.replace(JOINER_CHARS, "");
  }
  return lower;
}

function make(
  raw: string,
  lower: string,
  norm: string,
  kind: TokenKind,
  value: number,
  start: number,
  end: number,
  clause: number,
  quoted: boolean,
  sep: string,
): Token {
  return { raw, lower, norm, kind, value, start, end, clause, quoted, sep, facts: null, spelling: null };
}
