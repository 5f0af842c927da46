import { CHATTER, COMMON_WORDS, FUNCTION_WORDS, GERUND_REQUESTS, REQUEST_WORDS } from "./english.js";
import { ARROW_KEY, type Lexicon } from "./lexicon.js";
import { closestForms } from "./match-lexicon.js";
import type { SpanMap } from "./span-map.js";
import { alnumWidth } from "./tokenize.js";

/**
 * A first look at a message, before tokenizing: could any word start a trigger (a runbook verb or
 * keyword, a flag name), be a typo of one, anchor a trigger phrase, or be a participle that asks for
 * one ("need web deployed")? Most chatter has none and is answered "not a command" here, for about a
 * microsecond. Permissive by design: anything it cannot judge (letters outside ASCII) goes on; other
 * characters outside ASCII (emoji, symbols, dashes) separate words, as they do for the tokenizer.
 */
export function mightBeCommand(text: string, lexicon: Lexicon): boolean {
  const n = text.length;
  // Verdicts by word: the word lists and lexicon tables folded into one lookup, typo checks remembered.
  const map = lexicon.verdictMemo;
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    if (c >= 128) {
      if (mayStartWord(text, i, c)) return true;
      i++;
      continue;
    }
    if (!isWordChar(c)) {
      // "api -> prod": an arrow is a verb when a runbook says so.
      if ((c === 45 || c === 61) && text.charCodeAt(i + 1) === 62 && lexicon.forms.has(ARROW_KEY)) return true;
      i++;
      continue;
    }
    const start = i;
    let joiners = false;
    // Most chat is lowercase already: toLowerCase only when a capital was seen.
    let upper = false;
    while (i < n) {
      c = text.charCodeAt(i);
      if (c >= 128) {
        if (mayStartWord(text, i, c)) return true;
        break;
      }
      if (isWordChar(c)) {
        if (c <= 90 && c >= 65) upper = true;
        i++;
      } else if ((c === 45 || c === 95 || c === 39 || c === 46) && i + 1 < n && isWordChar(text.charCodeAt(i + 1))) {
        joiners = true;
        i++;
      } else break;
    }
    // Words are judged where they stand. The map also holds the verdict on a word as typed ("I'm",
    // "CPU"): the verdict on it lowercased and without its joiners.
    const known = map.get(text, start, i);
    if (known !== undefined) {
      if (known) return true;
      continue;
    }
    const typed = text.slice(start, i);
    let verdict: boolean;
    if (!upper && !joiners) verdict = judge(typed, lexicon);
    else {
      let word = typed;
      if (upper) word = word.toLowerCase();
      if (joiners) word = word.replace(/[-_'.]/g, "");
      verdict = interesting(word, lexicon, map);
    }
    map.add(typed, verdict);
    if (verdict) return true;
  }
  return false;
}

/** A character outside ASCII the prefilter cannot judge: a letter or digit, an arrow ("→"), a typographic apostrophe. */
function mayStartWord(text: string, i: number, c: number): boolean {
  return c === 0x2192 || c === 0x27f6 || c === 0x2019 || alnumWidth(text, i) > 0;
}

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
}

/** The verdict on a word already lowercased and without joiners. */
function interesting(word: string, lexicon: Lexicon, map: SpanMap<boolean>): boolean {
  const known = map.get(word, 0, word.length);
  if (known !== undefined) return known;
  const verdict = judge(word, lexicon);
  map.add(word, verdict);
  return verdict;
}

function judge(word: string, lexicon: Lexicon): boolean {
  // "mind" may make the "-ing" form after it a request ("mind bouncing the workers?").
  if (lexicon.triggerStarts.has(word) || lexicon.phraseAnchors.has(word) || GERUND_REQUESTS.has(word)) return true;
  const inflection = lexicon.inflections.get(word);
  // Past forms may report or ask about a run; "-ing" forms of a runbook with a read-only form may be a
  // hypothetical ("what would migrating staging do").
  // "last 5 deploys" asks for past runs too.
  if (inflection) return inflection.form !== "ing" || inflection.runbooks.some((r) => lexicon.byId.get(r)?.runbook.readOnlyWhen);
  if (word.length < 4 || COMMON_WORDS.has(word) || FUNCTION_WORDS.has(word) || REQUEST_WORDS.has(word) || CHATTER.has(word)) return false;
  for (let k = 0; k < word.length; k++) {
    const c = word.charCodeAt(k);
    if (c < 97 || c > 122) return false;
  }
  for (const e of closestForms(word, lexicon, false)) if (e.kind === "verb" || e.kind === "keyword" || e.kind === "flag") return true;
  return false;
}
