import {
  ANNOUNCE,
  CHATTER,
  DELIBERATIVE,
  FUNCTION_WORDS,
  LIGHT_VERBS,
  NEGATIONS,
  NOUN_MARKERS,
  PAST_AUX,
  REPORTING,
  REQUEST_MODALS,
  REQUEST_SUBJECTS,
  REQUEST_WORDS,
  SOFT_SUBORDINATORS,
  SUBJECTS,
  SUBORDINATORS,
} from "./english.js";
import type { Lexicon } from "./lexicon.js";
import { isRequestedParticiple } from "./match-lexicon.js";
import type { Token } from "./tokenize.js";
import { factsOf } from "./word-facts.js";

/**
 * How a trigger word is used where it stands:
 * - `command`: opens the clause, maybe after "please", "can you", "@bot", "ok let's" ("deploy api to stg");
 * - `embedded`: somewhere else in a plain clause ("api logs pls", "why is payments throwing 500s");
 * - `blocked`: negated, in a question about the past, a condition, reported or quoted speech, an
 *   announcement ("i'll deploy"), a deliberation ("should we roll back?"), a noun ("the deploy failed"),
 *   a how-to question.
 */
export type UseForm = "command" | "embedded" | "blocked";

export interface Use {
  form: UseForm;
  reason: string | null;
}

/** Tokens a runbook accounts for: its own words, catalog values, numbers. */
export interface TokenSet {
  has(i: number): boolean;
}

const COMMAND: Use = { form: "command", reason: null };
const EMBEDDED: Use = { form: "embedded", reason: null };
const BLOCKED = new Map<string, Use>();
function blocked(reason: string): Use {
  let use = BLOCKED.get(reason);
  if (!use) {
    use = { form: "blocked", reason };
    BLOCKED.set(reason, use);
  }
  return use;
}

const WH = new Set(["what", "who", "when", "where", "why", "which", "how"]);
const ADVERBS = new Set([
  "usually",
  "always",
  "often",
  "sometimes",
  "normally",
  "typically",
  "also",
  "just",
  "only",
  "then",
  "still",
  "never",
  "actually",
  "really",
]);
const COPULAS = new Set(["is", "are", "was", "were", "looks", "look", "seems", "seem", "feels", "needs", "need", "has", "have"]);
const HOWTO_AUX = new Set(["do", "can", "could", "should", "would", "does"]);
const PRESENT_BE = new Set(["is", "are", "be", "being", "am", "get", "gets", "getting"]);
const SAFE_WORDS = new Set(["safe", "ok", "okay", "fine", "worth", "possible", "allowed", "wise", "smart", "risky"]);

/**
 * Judges the use of the trigger word at token `at`. `isOwn(i)` says whether token i belongs to the
 * same runbook or is a catalog value (those may precede the verb: "prod restart api", "dryrun migrate").
 */
export function classifyUse(tokens: readonly Token[], at: number, own: TokenSet): Use {
  const clause = tokens[at]!.clause;
  let s = at;
  while (s > 0 && tokens[s - 1]!.clause === clause) s--;

  if (tokens[at]!.quoted && hasContentOutsideQuotes(tokens)) return blocked("quoted");
  for (let i = 0; i < at; i++) if (REPORTING.has(tokens[i]!.lower) && !tokens[i]!.quoted) return blocked("reported");

  const reason = blockingReason(tokens, s, at);
  if (reason) return blocked(reason);
  if (isNounUse(tokens, s, at)) return blocked("noun");
  if (isCommandPrefix(tokens, s, at, own)) return COMMAND;
  return EMBEDDED;
}

/** Every word a rule in blockingReason's loop starts from: other words are skipped with one lookup. */
const BLOCKING_STARTS = new Set([
  ...NEGATIONS,
  ...SUBORDINATORS,
  ...SOFT_SUBORDINATORS,
  ...DELIBERATIVE,
  ...ANNOUNCE,
  "did",
  "was",
  "were",
  "is",
  "how",
  "let",
  "lets",
  "do",
]);

/** Negating verbs whose object ends at "and": "skip the dry run and just apply the migrations" applies them. */
const NEGATING_VERBS = new Set(["skip", "avoid"]);

function endsBefore(tokens: readonly Token[], w: string, k: number, at: number): boolean {
  if (!NEGATING_VERBS.has(w)) return false;
  for (let j = k + 1; j < at; j++) if (tokens[j]!.lower === "and" || tokens[j]!.lower === "then") return true;
  return false;
}

function blockingReason(tokens: readonly Token[], s: number, at: number): string | null {
  for (let k = s; k < at; k++) {
    const w = tokens[k]!.lower;
    if (!BLOCKING_STARTS.has(w)) continue;
    const next = wordIn(tokens, s, at, k + 1);
    if (NEGATIONS.has(w) && !(w === "no" && next !== "need" && next !== "one") && !endsBefore(tokens, w, k, at)) return "negated";
    if (w === "did" || w === "was" || w === "were") return "past";
    if (SUBORDINATORS.has(w)) return "conditional";
    if (SOFT_SUBORDINATORS.has(w) && next !== undefined && (SUBJECTS.has(next) || next === "it" || next === "the")) return "conditional";
    if (DELIBERATIVE.has(w)) return "deliberative";
    if (w === "is" && next === "it") {
      for (let j = k + 2; j < at; j++) if (SAFE_WORDS.has(tokens[j]!.lower)) return "deliberative";
    }
    if (ANNOUNCE.has(w) && (k > s || w === "about" || w === "gonna")) {
      const before = wordIn(tokens, s, at, k - 1);
      const youAround = w === "will" && (next === "you" || before === "you" || next === "someone");
      if (
        !youAround &&
        (w === "about" ||
          w === "gonna" ||
          (before !== undefined && (SUBJECTS.has(before) || before === "am" || before === "are" || before === "is")))
      )
        return "announcement";
    }
    if (w === "how" && (next === "to" || (next !== undefined && HOWTO_AUX.has(next)))) return "howto";
    // "let me check the logs", "lemme restart it": the writer will do it, not the bot.
    if ((w === "let" || w === "lets") && next === "me") return "announcement";
    if (w === "do" && (next === "we" || next === "i")) {
      for (let j = k + 2; j < at; j++) {
        const x = tokens[j]!.lower;
        if (x === "need" || x === "have" || x === "want") return "deliberative";
      }
    }
  }
  // "we deploy every tuesday": a subject right before the verb (maybe with an adverb) states a habit.
  let k = at - 1;
  while (k >= s && ADVERBS.has(tokens[k]!.lower)) k--;
  const subject = wordIn(tokens, s, at, k);
  if (
    subject !== undefined &&
    SUBJECTS.has(subject) &&
    subject !== "you" &&
    subject !== "someone" &&
    subject !== "somebody" &&
    subject !== "anyone" &&
    subject !== "anybody"
  ) {
    const before = wordIn(tokens, s, at, k - 1);
    if (!(before !== undefined && REQUEST_MODALS.has(before))) return "statement";
  }
  const first = tokens[s]!.lower;
  if (at > s && PAST_AUX.has(first) && first !== "has" && first !== "have" && first !== "had") return "past";
  return null;
}

/** The word at k when it lies in s..at-1 (before the trigger word in its clause). */
function wordIn(tokens: readonly Token[], s: number, at: number, k: number): string | undefined {
  return k >= s && k < at ? tokens[k]!.lower : undefined;
}

/** "the deploy", "nice deploy", "the api deploy": a trigger word used as a noun, unless after a light verb ("give auth a restart"). */
function isNounUse(tokens: readonly Token[], s: number, at: number): boolean {
  const prev = at > 0 ? tokens[at - 1] : undefined; // (tokens[-1] is a slow property lookup)
  if (!prev || prev.clause !== tokens[at]!.clause) return false;
  let marker = -1;
  if (NOUN_MARKERS.has(prev.lower)) marker = at - 1;
  else if (at - 2 >= s && NOUN_MARKERS.has(tokens[at - 2]!.lower) && !FUNCTION_WORDS.has(prev.lower)) marker = at - 2;
  if (marker < 0) return false;
  for (let i = s; i < marker; i++) if (LIGHT_VERBS.has(tokens[i]!.lower)) return false;
  return true;
}

/** Only politeness, request openers, catalog values and the runbook's own words before the verb. */
function isCommandPrefix(tokens: readonly Token[], s: number, at: number, own: TokenSet): boolean {
  let light = false;
  // "skip the dry run and just apply the migrations": a verb after "and"/"then" opens a request of its own.
  for (let i = at - 1; i > s; i--) {
    if (tokens[i]!.lower === "and" || tokens[i]!.lower === "then") {
      s = i + 1;
      break;
    }
  }
  for (let i = s; i < at; i++) {
    const w = tokens[i]!.lower;
    if (REQUEST_WORDS.has(w) || CHATTER.has(w) || REQUEST_SUBJECTS.has(w) || own.has(i)) continue;
    if ((w === "need" || w === "want" || w === "like" || w === "have" || w === "got") && tokens[i + 1]?.lower === "to") continue;
    if (w === "do" && i > s) continue;
    if (LIGHT_VERBS.has(w)) {
      light = true;
      continue;
    }
    // After a light verb, its object's small words: "give auth a restart", "pull up the ops board".
    if (light && FUNCTION_WORDS.has(w)) continue;
    return false;
  }
  return true;
}

function hasContentOutsideQuotes(tokens: readonly Token[]): boolean {
  for (const t of tokens) {
    if (t.quoted) continue;
    const w = t.lower;
    if (REQUEST_WORDS.has(w) || CHATTER.has(w) || LIGHT_VERBS.has(w) || w === "type" || w === "run" || w === "do") continue;
    if (/^[a-z]/.test(w)) return true;
  }
  return false;
}

/**
 * Reasons that make the whole message not a command: a question about the past ("did anyone deploy…",
 * "who deployed api?", "has the migration been run?"), or a report of something done ("i deployed api
 * an hour ago", "we rolled back checkout"). Past participles after a present "is/are" describe a state
 * ("is featureMatrix enabled?") and do not count.
 */
export function detectPastTalk(tokens: readonly Token[], lexicon: Lexicon): string | null {
  const first = tokens[0]?.lower;
  const second = tokens[1]?.lower;
  // "who deployed…", "who's handling…", "who owns…": questions about people, never a request to the bot.
  if (first === "who") return "who";
  if (first !== undefined && (first === "did" || first === "was" || first === "were")) return "past";
  if (first !== undefined && WH.has(first) && second !== undefined && PAST_AUX.has(second)) return "past";
  if (
    (first === "has" || first === "have" || first === "had") &&
    tokens.some((t) => t.lower === "been" || factsOf(t, lexicon).inflection?.form === "past")
  )
    return "past";
  for (let i = 0; i < tokens.length; i++) {
    const inflection = factsOf(tokens[i]!, lexicon).inflection;
    if (!inflection || inflection.form !== "past") continue;
    const prev = i > 0 ? tokens[i - 1]!.lower : undefined;
    // "not deployed", "get it deployed", "mark the step as blocked": no report of the past.
    if (prev !== undefined && (prev === "not" || prev === "get" || prev === "as")) continue;
    if (isRequestedParticiple(tokens, i)) continue;
    // "is featureMatrix enabled?": a participle after a present "is/are" in its clause is a state.
    let state = false;
    for (let k = i - 1; k >= 0 && tokens[k]!.clause === tokens[i]!.clause; k--) if (PRESENT_BE.has(tokens[k]!.lower)) state = true;
    if (state) continue;
    return "past";
  }
  return null;
}

/**
 * Runbooks whose trigger verb appears only as "-ing" or "-s" ("deploying api now", "thanks for rolling
 * back", "prod deploys need two approvals"): those are reports and nouns, not requests.
 */
export function inflectedRunbooks(tokens: readonly Token[], lexicon: Lexicon): Set<string> {
  const out = new Set<string>();
  for (const t of tokens) {
    const inflection = factsOf(t, lexicon).inflection;
    if (inflection && inflection.form !== "past") for (const r of inflection.runbooks) out.add(r);
  }
  return out;
}

/** "the api logs are super noisy": a trigger word followed by a copula and words of no runbook is a remark about it. */
export function isRemark(tokens: readonly Token[], end: number, own: TokenSet): boolean {
  const next = tokens[end];
  if (!next || next.clause !== tokens[end - 1]!.clause || !COPULAS.has(next.lower)) return false;
  for (let i = end + 1; i < tokens.length && tokens[i]!.clause === next.clause; i++) {
    if (own.has(i)) return false;
  }
  return true;
}

const DECLARATIVE_COPULAS = new Set(["is", "are", "was", "were", "looks", "look", "seems", "seem", "feels", "became", "got"]);
const DEGREE = new Set([
  "so",
  "super",
  "really",
  "very",
  "still",
  "all",
  "totally",
  "pretty",
  "again",
  "back",
  "now",
  "fully",
  "finally",
  "quite",
  "too",
  "mostly",
  "definitely",
]);
const QUESTION_OPENERS = new Set([
  "is",
  "are",
  "was",
  "were",
  "why",
  "how",
  "what",
  "whats",
  "which",
  "where",
  "when",
  "does",
  "do",
  "can",
  "could",
]);

/**
 * "api is healthy again", "looks like staging is fine": a statement of how something is, not a
 * question ("is api healthy?") or request. Statements ask for a runbook only if its phrases say so.
 */
export function isDeclarative(tokens: readonly Token[], at: number): boolean {
  let j = at - 1;
  while (j >= 0 && DEGREE.has(tokens[j]!.lower) && tokens[j]!.clause === tokens[at]!.clause) j--;
  const copula = tokens[j];
  if (!copula || copula.clause !== tokens[at]!.clause || !DECLARATIVE_COPULAS.has(copula.lower)) return false;
  let s = j;
  while (s > 0 && tokens[s - 1]!.clause === copula.clause) s--;
  return s < j && !QUESTION_OPENERS.has(tokens[s]!.lower);
}
