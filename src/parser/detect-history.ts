import { SUBJECTS } from "./english.js";
import type { Entity } from "./extract-entities.js";
import type { Lexicon } from "./lexicon.js";
import type { LexMatch } from "./match-lexicon.js";
import type { Token } from "./tokenize.js";
import { factsOf } from "./word-facts.js";

/**
 * Questions about what happened ("who shipped web to prod this morning?", "when was api last restarted?",
 * "did last night's prod migration go through?", "last 5 deploys of checkout") ask for the read-only history
 * runbook; the kind of action asked about becomes its `runbook` param. Questions to people ("did you restart
 * it?", "do you think we should revert?"), opinions and reports of one's own actions ("I deployed api an
 * hour ago") are not: they stay chatter.
 */
export interface HistoryQuestion {
  /** The runbook whose runs are asked about (deploy, rollback, flag, …), when the question names one. */
  runbook: string | undefined;
  /** "what did dana deploy": who asked for the runs, as written. */
  requester: string | undefined;
}

const WH = new Set(["who", "when", "what", "which", "whats"]);
const PAST_OPENERS = new Set(["did", "was", "were", "has", "have", "had"]);
/** "how many times…", "how often…", "how long ago…". */
const HOW_PAST = new Set(["many", "often", "long"]);
/** "anything deployed to prod after 10?", "any deploys since friday?" */
const ANY = new Set(["anything", "anyone", "anybody", "any", "somebody", "someone"]);
/** Openers of a request for a list of past runs: "last 5 deploys", "show me the latest restarts". */
const LIST_OPENERS = new Set(["last", "latest", "recent", "previous", "show", "list", "get", "give", "pull", "the", "me", "our"]);
const RECENT = new Set(["last", "latest", "recent", "previous", "past"]);
/** Words that say something changed, whatever runbook did it. */
const CHANGE_VERBS = new Set(["changed", "change", "changes", "touched", "modified", "updated", "edited", "flipped", "toggled"]);
/** Nouns of runs in general: "opsroom runs", "history", "changes". */
const RUN_NOUNS = new Set(["runs", "history", "changes", "changelog", "activity"]);
/** Past verbs a question about a run may use without naming its runbook ("who approved the rollback?"). */
const PAST_IRREGULAR = new Set(["ran", "went", "got", "made", "took", "broke", "did", "done", "gone"]);
function isPastVerb(w: string): boolean {
  return (
    PAST_IRREGULAR.has(w) ||
    (w.length >= 5 && w.charCodeAt(w.length - 1) === 100 && w.charCodeAt(w.length - 2) === 101 && /^[a-z]+$/.test(w))
  );
}
/** Words of a question about what is to come ("what deploys are planned for tomorrow?"): not history. */
const FUTURE = new Set(["tomorrow", "upcoming", "planned", "scheduled", "will", "gonna"]);
/** The order in which a runbook is picked when a word names several ("bumped": deploy, flag or scale). */
const PRIORITY = ["rollback", "migrate", "restart", "scale", "deploy", "flag", "rollout", "checklist"];
const FILLERS = new Set(["hey", "hi", "so", "btw", "ok", "okay", "quick", "q", "question", "bot", "opsbot", "opsroom", "yo", "um", "hmm"]);

/**
 * The history question the message asks, or null when it asks none. `entitiesOf` gives the message's
 * entities; they are needed only once the message is found to ask (most past talk does not).
 */
export function readHistoryQuestion(
  tokens: readonly Token[],
  matches: readonly LexMatch[],
  entitiesOf: () => readonly Entity[],
  lexicon: Lexicon,
  input: string,
): HistoryQuestion | null {
  let s = 0;
  while (s < tokens.length && FILLERS.has(tokens[s]!.lower)) s++;
  const first = tokens[s]?.lower;
  if (first === undefined) return null;
  const second = tokens[s + 1]?.lower;
  // A question to a person ("did you…", "do you think…", "have you…") or about what to do ("should we…").
  for (let i = s; i < tokens.length - 1; i++) {
    const w = tokens[i]!.lower;
    if (
      tokens[i + 1]!.lower === "you" &&
      (PAST_OPENERS.has(w) || w === "do" || w === "does" || w === "are" || w === "will" || w === "would")
    )
      return null;
  }
  const pastOpener = PAST_OPENERS.has(first) || (WH.has(first) && second !== undefined && PAST_OPENERS.has(second));
  // "anything deployed to prod after 10?" asks; "someone typed deploy web in the wrong channel" tells.
  const last = tokens[tokens.length - 1]!;
  const asks = input.charCodeAt(last.end) === 63 || input.slice(last.end).includes("?");
  const question =
    pastOpener || WH.has(first) || (ANY.has(first) && asks) || (first === "how" && second !== undefined && HOW_PAST.has(second));
  const listing = !question && LIST_OPENERS.has(first) && tokens.slice(s, s + 4).some((t) => RECENT.has(t.lower));
  if (!question && !listing) return null;

  // What was done: a past form of a runbook's verb, a runbook's verb or noun in a question about the past,
  // or a word of change.
  const runbooks: string[] = [];
  let past = pastOpener || tokens.some((t) => t.lower === "did" || t.lower === "ago");
  let change = false;
  let actionAt = -1;
  for (let i = s; i < tokens.length; i++) {
    const t = tokens[i]!;
    const inflection = factsOf(t, lexicon).inflection;
    if (inflection && inflection.form === "past") {
      past = true;
      for (const r of inflection.runbooks) if (lexicon.byId.get(r)?.mutating) add(runbooks, r);
      if (actionAt < 0) actionAt = i;
    } else if (inflection && inflection.form === "s") {
      // "last 5 deploys", "the latest restarts", "how many deploys went to prod this week?".
      for (const r of inflection.runbooks) if (lexicon.byId.get(r)?.mutating) add(runbooks, r);
      if (actionAt < 0) actionAt = i;
    } else if (CHANGE_VERBS.has(t.lower)) {
      change = true;
      if (t.lower.endsWith("ed")) past = true;
      if (actionAt < 0) actionAt = i;
    } else if (t.kind === "word" && isPastVerb(t.lower)) past = true;
  }
  for (const m of matches) {
    for (const e of m.entries) {
      if ((e.kind === "verb" || e.kind === "keyword") && lexicon.byId.get(e.runbook)?.mutating) {
        add(runbooks, e.runbook);
        if (actionAt < 0) actionAt = m.start;
      }
    }
  }
  const runNoun = tokens.some((t) => RUN_NOUNS.has(t.lower));
  if (runbooks.length === 0 && !change && !runNoun) return null;
  if (question && (!past || tokens.some((t) => FUTURE.has(t.lower)))) return null;
  // "we shipped web yesterday?" is a report, even with a question mark: a subject right before the verb.
  if (!pastOpener && !WH.has(first) && first !== "how" && actionAt > 0 && SUBJECTS.has(tokens[actionAt - 1]!.lower)) return null;

  const entities = entitiesOf();
  return { runbook: pickRunbook(runbooks, change, entities), requester: requesterOf(tokens, entities, lexicon) };
}

/** A cheap first look: could the message be a question about the past or a request for past runs? */
export function mightAskAboutThePast(tokens: readonly Token[]): boolean {
  let s = 0;
  while (s < tokens.length && FILLERS.has(tokens[s]!.lower)) s++;
  const first = tokens[s]?.lower;
  if (first === undefined) return false;
  if (WH.has(first) || PAST_OPENERS.has(first) || ANY.has(first) || first === "how") return true;
  return LIST_OPENERS.has(first) && tokens.some((t) => RECENT.has(t.lower));
}

/** The runbook a history request is about ("show me the deploy history for payments" → deploy), if it names one. */
export function runbookAskedAbout(
  tokens: readonly Token[],
  matches: readonly LexMatch[],
  entities: readonly Entity[],
  lexicon: Lexicon,
): string | undefined {
  const runbooks: string[] = [];
  for (const m of matches)
    for (const e of m.entries)
      if ((e.kind === "verb" || e.kind === "keyword") && lexicon.byId.get(e.runbook)?.mutating) add(runbooks, e.runbook);
  return pickRunbook(
    runbooks,
    tokens.some((t) => CHANGE_VERBS.has(t.lower)),
    entities,
  );
}

function pickRunbook(runbooks: readonly string[], change: boolean, entities: readonly Entity[]): string | undefined {
  if (entities.some((e) => e.type === "flag") && (change || runbooks.includes("flag"))) return "flag";
  return PRIORITY.find((r) => runbooks.includes(r)) ?? runbooks[0];
}

function add(list: string[], id: string): void {
  if (!list.includes(id)) list.push(id);
}

/** "what did dana deploy", "did lee restart api": a name between "did" and a runbook's verb. */
function requesterOf(tokens: readonly Token[], entities: readonly Entity[], lexicon: Lexicon): string | undefined {
  for (let i = 0; i + 2 < tokens.length; i++) {
    if (tokens[i]!.lower !== "did") continue;
    const who = tokens[i + 1]!;
    const verb = tokens[i + 2]!;
    if (
      who.kind !== "word" ||
      SUBJECTS.has(who.lower) ||
      ["we", "they", "anyone", "anybody", "the", "last", "it", "that"].includes(who.lower)
    )
      continue;
    if (entities.some((e) => e.start <= i + 1 && i + 1 < e.end)) continue;
    if (lexicon.forms.get(verb.norm)?.entries.some((e) => e.kind === "verb" && lexicon.byId.get(e.runbook)?.mutating)) return who.raw;
  }
  return undefined;
}
