import { NEGATIONS } from "./english.js";
import type { Token } from "./tokenize.js";

/**
 * What a request says about changing things, besides what it asks for:
 * - `forbid`: it asks for the request without the change — "plan the migrations but don't run them",
 *   "what would migrating staging do", "no changes", "leave the db alone", "just show me";
 * - `insist`: it asks for the real thing in so many words — "for real", "not a dry run", "yes really";
 * - `retract`: the writer took the request back — "nah never mind", "scratch that".
 * The parser then gives the read-only form of a runbook that has one (a dry run, a status), never the
 * mutating form of a runbook that has none, and nothing at all for a retracted request.
 */
export interface Hedge {
  forbid: boolean;
  insist: boolean;
  retract: boolean;
  /** The change is forbidden only by a negated verb ("don't touch X"), not by a phrase that asks for less ("just show"). */
  byNegationOnly: boolean;
  /** The tokens that said so: the runbook chosen explains them. */
  words: ReadonlySet<number>;
}

/** Verbs of changing things: negated ("don't run them", "without applying"), they forbid the change. */
const CHANGE_VERBS = new Set(
  `run running apply applying applied touch touching change changing changes execute executing commit committing do doing
   actually migrate migrating deploy deploying ship push restart flip toggle modify write writing make go`.split(/\s+/),
);
/** Word sequences that forbid the change; `*` stands for up to three words. */
const FORBID = [
  "no changes",
  "no change",
  "nothing applied",
  "leave * alone",
  "hold off",
  "only want the diff",
  "only the diff",
  "just show",
  "just tell me",
  "just list",
  "plan first",
  "the plan first",
  "dry run only",
  "dry-run only",
  "dryrun only",
  "simulate only",
  "simulate",
  "rehearse",
  "preview only",
  "plan only",
  "nothing for real",
  "what would",
  "what will * do",
  "what happens if",
].map((p) => p.split(" "));
/** Word sequences that insist on the real change. */
const INSIST = [
  "for real",
  "not a dry run",
  "no dry run",
  "skip the dry run",
  "skip dry run",
  "not a rehearsal",
  "not a drill",
  "yes really",
  "real run",
  "not a preview",
].map((p) => p.split(" "));
const RETRACT = ["never mind", "nevermind", "nvm", "scratch that", "ignore that", "ignore me", "forget it", "forget that"].map((p) =>
  p.split(" "),
);

/** What most messages say: nothing about changing things. */
const NO_HEDGE: Hedge = Object.freeze({ forbid: false, insist: false, retract: false, byNegationOnly: false, words: new Set<number>() });

export function readHedge(tokens: readonly Token[]): Hedge {
  if (!mayHedge(tokens)) return NO_HEDGE;
  const words = new Set<number>();
  const hedge = { forbid: false, insist: false, retract: false, byNegationOnly: false, words };
  let byPhrase = false;
  for (let i = 0; i < tokens.length; i++) {
    const w = tokens[i]!.lower;
    // Taken back after the request ("restart worker? nah never mind"); at the start it answers someone else.
    if (i >= 2 && (w === "nah" || w === "nope" || at(tokens, i, RETRACT_BY_FIRST))) hedge.retract = true;
    if (
      at(tokens, i, INSIST_BY_FIRST, words) &&
      !(w === "for" && i > 0 && (tokens[i - 1]!.lower === "nothing" || NEGATIONS.has(tokens[i - 1]!.lower)))
    )
      hedge.insist = true;
    else if (at(tokens, i, FORBID_BY_FIRST, words)) hedge.forbid = byPhrase = true;
    // "don't run them", "do NOT apply anything", "without applying", "don't actually do it".
    if (NEGATIONS.has(w) && w !== "no") {
      for (let k = i + 1; k <= i + 2 && k < tokens.length && tokens[k]!.clause === tokens[i]!.clause; k++) {
        if (CHANGE_VERBS.has(tokens[k]!.lower)) {
          hedge.forbid = true;
          for (let j = i; j <= k; j++) words.add(j);
          break;
        }
      }
    }
  }
  // "migrate staging for real, not a dry run": the negation is of the dry run.
  if (hedge.insist && hedge.forbid && !tokens.some((t, i) => NEGATIONS.has(t.lower) && CHANGE_VERBS.has(tokens[i + 1]?.lower ?? "")))
    hedge.forbid = false;
  hedge.byNegationOnly = hedge.forbid && !byPhrase;
  return hedge;
}

/** Phrases by first word: most tokens start none, which costs one lookup. */
function byFirst(phrases: readonly (readonly string[])[]): Map<string, (readonly string[])[]> {
  const out = new Map<string, (readonly string[])[]>();
  for (const p of phrases) out.set(p[0]!, [...(out.get(p[0]!) ?? []), p]);
  return out;
}
const FORBID_BY_FIRST = byFirst(FORBID);
const INSIST_BY_FIRST = byFirst(INSIST);
const RETRACT_BY_FIRST = byFirst(RETRACT);
/** Words too common in chat to be a phrase's cue. */
const COMMON_CUE_WORDS = new Set(["just", "only", "what", "the", "for", "not", "no", "me", "it", "that", "if", "do", "a", "want", "yes"]);

/** A phrase's rarest word, by a rule of thumb: the longest of its less common words ("no changes" → "changes"). */
function cueOf(phrase: readonly string[]): string {
  const words = phrase.filter((p) => p !== "*");
  const rare = words.filter((w) => !COMMON_CUE_WORDS.has(w));
  let cue = "";
  for (const w of rare.length > 0 ? rare : words) if (w.length > cue.length) cue = w;
  return cue;
}
/** Words without which no phrase can match: one of each phrase, with "nah" and "nope". */
const PHRASE_CUES = new Set(
  [...FORBID, ...INSIST, ...RETRACT]
    .map(cueOf)
    .flatMap((w) => [w, w.replace(/-/g, "")])
    .concat(["nah", "nope"]),
);

/**
 * A cheap look before reading: a hedge needs one phrase's cue word, or a negation and a change verb (a
 * negation forbids only with one after it). Most messages have neither, and cost a lookup per word.
 */
function mayHedge(tokens: readonly Token[]): boolean {
  let seen = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const role = t.facts?.hedgeRole ?? hedgeRoleOf(t.lower, t.norm);
    if (role === CUE) return true;
    seen |= role;
  }
  return seen === (NEGATION | CHANGE);
}

const CUE = 1;
const NEGATION = 2;
const CHANGE = 4;

/** What one word can do for a hedge: be a phrase's cue, a negation or a change verb (0: nothing); a word fact. */
export function hedgeRoleOf(lower: string, norm: string): number {
  if (PHRASE_CUES.has(lower) || PHRASE_CUES.has(norm)) return CUE;
  if (NEGATIONS.has(lower) && lower !== "no") return NEGATION;
  return CHANGE_VERBS.has(lower) ? CHANGE : 0;
}

/** Whether one of `phrases` starts at token i (a `*` skips up to three words). */
function at(
  tokens: readonly Token[],
  i: number,
  phrases: ReadonlyMap<string, readonly (readonly string[])[]>,
  words?: Set<number>,
): boolean {
  const list = phrases.get(tokens[i]!.lower);
  if (list) {
    for (const phrase of list) {
      const end = matchesAt(tokens, i, phrase, 0);
      if (end < 0) continue;
      if (words) for (let k = i; k < end; k++) words.add(k);
      return true;
    }
  }
  return false;
}

/** The end of `phrase` matched from token i, or -1. */
function matchesAt(tokens: readonly Token[], i: number, phrase: readonly string[], p: number): number {
  if (p === phrase.length) return i;
  const part = phrase[p]!;
  if (part === "*") {
    for (let skip = 0; skip <= 3; skip++) {
      const end = matchesAt(tokens, i + skip, phrase, p + 1);
      if (end >= 0) return end;
    }
    return -1;
  }
  const t = tokens[i];
  if (!t || (t.lower !== part && t.norm !== part.replace(/-/g, ""))) return -1;
  return matchesAt(tokens, i + 1, phrase, p + 1);
}
