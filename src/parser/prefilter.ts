import { CHATTER, COMMON_WORDS, FUNCTION_WORDS, REQUEST_WORDS } from "./english.js";
import { ARROW_KEY, type Lexicon } from "./lexicon.js";
import { closestForms } from "./match-lexicon.js";

/**
 * A first look at a message, before tokenizing: could any word start a trigger (a runbook verb or
 * keyword, a flag name), be a typo of one, anchor a trigger phrase, or be a participle that asks for
 * one ("need web deployed")? Most chatter has none and is answered "not a command" here, for about a
 * microsecond. Permissive by design: anything it cannot judge (letters outside ASCII) goes on.
 */
export function mightBeCommand(text: string, lexicon: Lexicon): boolean {
  const n = text.length;
  const map = verdictsFor(lexicon);
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    if (c >= 128) return true;
    if (!isWordChar(c)) {
      // "api -> prod": an arrow is a verb when a runbook says so.
      if ((c === 45 || c === 61) && text.charCodeAt(i + 1) === 62 && lexicon.forms.has(ARROW_KEY)) return true;
      i++;
      continue;
    }
    const start = i;
    let joiners = false;
    while (i < n) {
      c = text.charCodeAt(i);
      if (c >= 128) return true;
      if (isWordChar(c)) i++;
      else if ((c === 45 || c === 95 || c === 39 || c === 46) && i + 1 < n && isWordChar(text.charCodeAt(i + 1))) {
        joiners = true;
        i++;
      } else break;
    }
    let word = text.slice(start, i).toLowerCase();
    if (joiners) word = word.replace(/[-_'.]/g, "");
    if (interesting(word, lexicon, map)) return true;
  }
  return false;
}

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
}

/**
 * Verdicts by word, per lexicon: the word lists and lexicon tables above folded into one lookup, and
 * the typo check of other words remembered (bounded; chat repeats its words).
 */
const verdicts = new WeakMap<Lexicon, Map<string, boolean>>();
const VERDICT_LIMIT = 20_000;

function verdictsFor(lexicon: Lexicon): Map<string, boolean> {
  let map = verdicts.get(lexicon);
  if (!map) {
    map = new Map();
    verdicts.set(lexicon, map);
  }
  return map;
}

function interesting(word: string, lexicon: Lexicon, map: Map<string, boolean>): boolean {
  const known = map.get(word);
  if (known !== undefined) return known;
  const verdict = judge(word, lexicon);
  if (map.size >= VERDICT_LIMIT) map.clear();
  map.set(word, verdict);
  return verdict;
}

function judge(word: string, lexicon: Lexicon): boolean {
  if (lexicon.triggerStarts.has(word) || lexicon.phraseAnchors.has(word)) return true;
  const inflection = lexicon.inflections.get(word);
  if (inflection) return inflection.form === "past";
  if (word.length < 4 || COMMON_WORDS.has(word) || FUNCTION_WORDS.has(word) || REQUEST_WORDS.has(word) || CHATTER.has(word)) return false;
  for (let k = 0; k < word.length; k++) {
    const c = word.charCodeAt(k);
    if (c < 97 || c > 122) return false;
  }
  for (const e of closestForms(word, lexicon, false)) if (e.kind === "verb" || e.kind === "keyword" || e.kind === "flag") return true;
  return false;
}
