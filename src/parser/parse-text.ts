import type { Runbook } from "../runbook/runbook-schema.js";
import { PAST_AUX } from "./english.js";
import { askForMissing, askForValidRef, askToChoose, askWhichRunbook } from "./clarify.js";
import { detectPastTalk, inflectedRunbooks } from "./detect-non-command.js";
import { readHedge, type Hedge } from "./detect-hedge.js";
import { extractEntities, type Entity } from "./extract-entities.js";
import { readStages, rolloutParams } from "./staged-rollout.js";
import { mightAskAboutThePast, readHistoryQuestion, runbookAskedAbout, type HistoryQuestion } from "./detect-history.js";
import { addTimes, fillParams, type FilledParams, type FillInput } from "./fill-params.js";
import type { Intent, ParamValue, ParseContext } from "./intent.js";
import { getLexicon, ownersOf, type LexEntry, type Lexicon, type RunbookInfo } from "./lexicon.js";
import { matchLexicon, type LexMatch } from "./match-lexicon.js";
import { stripTerminalEscapes } from "./ref-names.js";
import { mightBeCommand } from "./prefilter.js";
import { cannotScore, coverageOf, scoreRunbooks, type Candidate } from "./score-runbooks.js";
import { tokenize, type Token } from "./tokenize.js";
import { attachFacts } from "./word-facts.js";

/**
 * Only the start of a message is parsed. A command is a sentence or two (the longest in the corpus is
 * under 100 characters); a message of kilobytes is a pasted log or an essay, and reading only its
 * first 1,000 characters keeps the parser's worst case bounded (a 100 KB message costs what a 1 KB one does).
 */
export const MAX_PARSE_CHARS = 1000;

/** Words a terse flag command may hold besides the flag, its value and env: "flag put X 40", "X back off". */
const TERSE_FLAG_WORDS = new Set([
  "flag",
  "flags",
  "ff",
  "opsroom",
  "on",
  "off",
  "back",
  "up",
  "down",
  "to",
  "env",
  "please",
  "now",
  "in",
  "for",
  "status",
]);

/**
 * A flag command written like a CLI or in three words: "<tool>? <verb>? <flag> <value>" — "signalAiInsights
 * off", "flag put timelineParallax 40", "flags get X --env=staging", "take X up to 25". The flag comes within
 * the first three words and everything else is a value, an env or one verb word before it.
 */
function terseFlagCommand(tokens: readonly Token[], entities: readonly Entity[]): boolean {
  const flag = entities.find((e) => e.type === "flag");
  if (!flag || flag.start > 2) return false;
  let verbs = 0;
  for (let i = 0; i < tokens.length; i++) {
    if (i >= flag.start && i < flag.end) continue;
    const t = tokens[i]!;
    if (t.kind !== "word" || TERSE_FLAG_WORDS.has(t.lower) || entities.some((e) => e.start <= i && i < e.end)) continue;
    if (i < flag.start && verbs++ === 0) continue;
    return false;
  }
  return true;
}

/**
 * A relative count of instances asks for it without a verb: "one more replica for api in prod please", "we
 * need 2 more api pods" (the count itself is then asked for, or read at plan time). Never in talk of the past
 * ("there were 2 extra instances of api").
 */
function asksForCount(tokens: readonly Token[], filled: FilledParams): boolean {
  return filled.relative !== undefined && !tokens.some((t) => PAST_AUX.has(t.lower));
}

/** "flag put X 40": a number right after the flag is its percentage (and, with no other action, a rollout). */
function bareFlagValue(tokens: readonly Token[], entities: readonly Entity[], filled: FilledParams): void {
  const flag = entities.find((e) => e.type === "flag");
  const next = flag && tokens[flag.end];
  const params = filled.params;
  if (params.percent !== undefined || !next || next.kind !== "number" || next.value < 0 || next.value > 100) return;
  params.percent = next.value;
  if (params.action !== undefined) return;
  params.action = "rollout";
  filled.missing = filled.missing.filter((name) => name !== "action");
}

/**
 * Words of a history question's window. After "at" they name the run asked about ("the deploy at
 * yesterday 5pm"), not a window, like a time of day alone.
 */
const WINDOW_WORDS =
  /(?<!\bat\s+(?:the\s+)?)\b(?:since|after|from|until|till|before|last|past|ago|today|yesterday|tonight|morning|afternoon|evening|night|week|month|(?:mon|tues|wednes|thurs|fri|satur|sun)day)\b/i;

/** Words that make a statement of trouble a standing opinion ("so flaky lately"). */
const OPINION_TIME = new Set(["lately", "always", "usually", "generally", "forever", "constantly"]);

/** Below this score no runbook is considered meant (one trigger verb opening a clause scores 3). */
const MIN_SCORE = 2;
/** Two runbooks closer than this are ambiguous; for a mutating one, the parser asks instead of picking. */
const AMBIGUOUS_MARGIN = 0.6;
/** Share of a message's content words the chosen runbook must explain ("deploy freeze starts friday" explains 1 of 4). */
const MIN_COVERAGE = { mutating: 0.6, read: 0.5 };

/**
 * Text → Intent: which runbook the message asks for (or null when it is not a command), with the params
 * it names in canonical form. Pure and deterministic: no network, no Slack (markup is stripped before),
 * `now` and the time zone come from `ctx`. Driven by the runbooks' triggers and params and the catalog.
 *
 * @example
 * parseText("deploy api to stagin", ctx)
 * // → { runbook: "deploy", params: { service: "api", env: "staging" }, confidence: 0.8, missing: [], clarify: null, alternatives: [] }
 */
export function parseText(text: string, ctx: ParseContext): Intent {
  const input = typeof text === "string" ? comparisons(cap(stripTerminalEscapes(text))) : "";
  const lexicon = getLexicon(ctx.runbooks, ctx.catalog);
  // "all good in prod?" names no runbook word: a question that opens like one about health goes on.
  if (!mightBeCommand(input, lexicon) && !mayAskAboutHealth(input)) return notACommand(text);
  const tokens = tokenize(input);
  if (tokens.length === 0) return notACommand(text);
  attachFacts(tokens, lexicon);
  // Talk about the past ("who deployed…", "the flag was flipped") is chatter unless it asks what opsroom
  // did ("who shipped web to prod this morning?"): the history runbook answers that from the run history.
  const pastTalk = detectPastTalk(tokens, lexicon);
  let hedge = readHedge(tokens);
  if (hedge.retract) return notACommand(text);
  const asksAboutThePast = mightAskAboutThePast(tokens);
  // Past talk that asks nothing needs only the words: judged before the lexicon is matched, which is the
  // costlier step for an incident channel's chatter.
  if (pastTalk && !asksAboutThePast && !hedge.forbid) return notACommand(text);
  const { matches } = matchLexicon(tokens, lexicon);
  dropBareArrows(tokens, matches);
  if (hedge.forbid && forbidsSomethingElse(hedge, matches)) hedge = { ...hedge, forbid: false, byNegationOnly: false };
  let readOnly: Set<string> | undefined;
  if (hedge.forbid) {
    // Forbidding the change asks for the read-only form of the runbooks that have one, whatever the verb's form
    // ("what would migrating staging do"); the words that forbid it are explained by the runbook chosen.
    readOnly = new Set(lexicon.runbooks.filter((r) => r.runbook.readOnlyWhen).map((r) => r.id));
    addInflectedVerbs(tokens, matches, lexicon, readOnly);
  }
  let entities: Entity[] | undefined;
  if (pastTalk || asksAboutThePast) {
    const question = readHistoryQuestion(
      tokens,
      matches,
      () => (entities ??= extractEntities(tokens, matches, lexicon, input)),
      lexicon,
      input,
    );
    if (question) {
      entities ??= extractEntities(tokens, matches, lexicon, input);
      return historyIntent(text, question, { text: input, tokens, matches, entities, lexicon, now: ctx.now, timeZone: ctx.timeZone });
    }
    // "I don't want anything applied, …": a participle under a negation forbids, it does not report.
    if (pastTalk && !hedge.forbid) return notACommand(text);
  }
  // "is everything healthy?", "any services down in prod?": a question about health is a health check.
  if (isHealthQuestion(tokens, input) && mayHoldOnlyHealthWords(tokens, matches)) {
    entities ??= extractEntities(tokens, matches, lexicon, input);
    const info = lexicon.byId.get("healthcheck");
    if (info && onlyHealthWords(tokens, entities)) {
      const { params } = fillParams(info, { text: input, tokens, matches, entities, lexicon, now: ctx.now, timeZone: ctx.timeZone });
      return { text, runbook: info.id, params: ordered(info, params), confidence: 0.8, missing: [], clarify: null, alternatives: [] };
    }
  }
  // Most chatter names no runbook word and no flag: stop before anything costlier.
  if (!matches.some((m) => m.trigger) && !tokens.some((t) => t.facts!.phrases !== undefined)) return notACommand(text);
  // Every trigger word negated, reported, past…, and no phrase that can match: no runbook can score;
  // skip entities and scoring.
  if (cannotScore(tokens, matches, lexicon)) return notACommand(text);

  entities ??= extractEntities(tokens, matches, lexicon, input);
  const inflected = inflectedRunbooks(tokens, lexicon);
  if (readOnly) for (const id of readOnly) inflected.delete(id);
  // A staged rollout is asked for as a flag change with stages: read as the flag's, then turned into it.
  const candidates = scoreRunbooks(tokens, matches, entities, lexicon, inflected, readOnly).filter((c) => c.info.id !== "rollout");
  const fillInput = { text: input, tokens, matches, entities, lexicon, now: ctx.now, timeZone: ctx.timeZone };

  // The best candidate that is a request for it; params are read only for the ones considered.
  let chosen: { candidate: Candidate; filled: FilledParams; coverage: number } | undefined;
  for (const candidate of candidates) {
    if (candidate.score < MIN_SCORE) break;
    // Cheap rejections first: a mutating runbook that cannot turn read-only needs a command verb; a
    // runbook without free-text params cannot explain more of the message than its words and values.
    const info = candidate.info;
    // A count of instances may ask for scale without a verb ("one more replica for api in prod please").
    const counted = candidate.verb !== "command" && info.paramTypes.has("integer") && entities.some((e) => e.type === "number");
    if (info.mutating && !info.runbook.readOnlyWhen && candidate.verb !== "command" && !counted) continue;
    // "ugh staging is so flaky lately": trouble as a standing opinion, not a report to triage.
    if (candidate.verb === null && info.acceptsStatements && tokens.some((t) => OPINION_TIME.has(t.lower))) continue;
    if (!info.paramTypes.has("string") && coverageOf(tokens, candidate.explains, hedge.words, candidate.clauses) < MIN_COVERAGE.read)
      continue;
    // Forbidden to change anything: the read-only form, or not this runbook at all. A negated verb and nothing
    // asked of the runbook but the thing not to touch negates the whole request ("pls don't touch FSYNC_USE_RPC in prod").
    if (hedge.forbid && info.mutating && !info.runbook.readOnlyWhen) continue;
    if (hedge.byNegationOnly && candidate.verb === null && candidate.keywords === 0 && !candidate.phrase && !candidate.synonyms) continue;
    // Times (chrono) are read only for the runbook chosen; words of a time expression count as explained anyway.
    const filled = fillParams(candidate.info, fillInput, { times: false, clauses: candidate.clauses });
    if (info.runbook.readOnlyWhen) {
      applyHedge(info.runbook, filled.params, hedge);
      // A question that asks no verb of the runbook ("any migrations pending on prod?") asks for its read-only form.
      if (!hedge.insist && candidate.verb !== "command" && /\?\s*$/.test(input)) Object.assign(filled.params, info.runbook.readOnlyWhen);
      filled.missing = filled.missing.filter((name) => !(name in filled.params));
    }
    for (const k of hedge.words) filled.consumed.add(k);
    // "staged rollout of X in staging: 5, 20, 50, 100": stages name the request even without a command verb;
    // so does a terse flag command ("X off", "flag put X 40", "take X to 25").
    const staged =
      info.id === "flag" && candidate.verb !== "command" && (readStages(input, undefined) !== null || terseFlagCommand(tokens, entities));
    if (info.id === "flag") bareFlagValue(tokens, entities, filled);
    const coverage = viableCoverage(candidate, filled, tokens, staged || (counted && asksForCount(tokens, filled)));
    if (coverage < 0) continue;
    addTimes(candidate.info, fillInput, filled.params, filled.consumed);
    chosen = { candidate, filled, coverage };
    break;
  }
  if (!chosen) return notACommand(text);
  // Others are judged without reading their params: a mutating one counts only with a command verb.
  const viable = candidates.filter(
    (c) => c === chosen.candidate || (c.score >= MIN_SCORE && (!changes(c, readOnly) || c.verb === "command")),
  );

  const best = chosen.candidate;
  const second = candidates.find((c) => c !== best && c.score >= MIN_SCORE && (viable.includes(c) || changes(c, readOnly)));
  const margin = second ? best.score - second.score : best.score;
  const confidence = confidenceOf(best.score, margin, chosen.coverage);
  const alternatives = candidates
    .filter((c) => c !== best && viable.includes(c) && c.score >= best.score - 2)
    .slice(0, 3)
    .map((c) => ({ runbook: c.info.id, confidence: confidenceOf(c.score, c.score - best.score, chosen.coverage) }));

  // Unsure between two runbooks and one of them changes something: ask.
  if (second && margin < AMBIGUOUS_MARGIN && (changes(best, readOnly) || changes(second, readOnly)) && viable.includes(second)) {
    return {
      ...notACommand(text),
      confidence: round(confidence / 2),
      clarify: askWhichRunbook([best.info.id, second.info.id], lexicon),
      alternatives: [best, second].map((c) => ({ runbook: c.info.id, confidence: confidenceOf(c.score, 0, chosen.coverage) })),
    };
  }

  const { params, missing, conflicts } = chosen.filled;
  if (best.info.id === "history") {
    const asked = runbookAskedAbout(tokens, matches, entities, lexicon);
    if (asked !== undefined && params.runbook === undefined) params.runbook = asked;
    keepRequesterOnlyWhenNamed(params, tokens);
  }
  const allMissing = [...missing];
  for (const c of conflicts) if (!allMissing.includes(c.param)) allMissing.push(c.param);
  // A ref that is not a valid ref name is refused whole, and asked for again: never shortened, never dropped silently.
  const badRef = entities.find((e) => e.invalid !== undefined);
  const refParam = badRef && best.info.paramsOfType.get("ref")?.[0]?.[0];
  if (refParam && !(refParam in params) && !allMissing.includes(refParam)) allMissing.push(refParam);
  const clarify = refParam
    ? askForValidRef(best.info, String(badRef.value), badRef.invalid!)
    : conflicts.length > 0
      ? askToChoose(best.info, conflicts[0]!.param, conflicts[0]!.choices)
      : askForMissing(best.info, allMissing, params, lexicon);
  const staged = best.info.id === "flag" ? stagedRollout(input, params, entities, lexicon) : undefined;
  if (staged) return { text, ...staged, confidence, alternatives: [] };
  // A relative change is kept only for params still asked for ("add 2 more replicas so api runs 5" gives the count).
  const relativeAsked = chosen.filled.relative && Object.keys(chosen.filled.relative).every((name) => allMissing.includes(name));
  return {
    text,
    runbook: best.info.id,
    params: ordered(best.info, params),
    confidence,
    missing: allMissing,
    clarify,
    alternatives,
    ...(relativeAsked ? { relative: chosen.filled.relative } : {}),
  };
}

/** The staged rollout a flag request asks for ("… to 100% over 2 hours", "10/25/50/100 every 30 minutes"), if any. */
function stagedRollout(
  input: string,
  params: Record<string, ParamValue>,
  entities: readonly Entity[],
  lexicon: Lexicon,
): Pick<Intent, "runbook" | "params" | "missing" | "clarify"> | undefined {
  const info = lexicon.byId.get("rollout");
  // "check health between steps" is no status request when a percentage is given.
  if (!info || params.action === "disable" || (params.action === "status" && params.percent === undefined)) return undefined;
  const stages = readStages(input, typeof params.percent === "number" ? params.percent : undefined);
  if (!stages) return undefined;
  const out = ordered(
    info,
    rolloutParams(
      params,
      stages,
      entities.some((e) => e.type === "env"),
    ),
  );
  const missing = info.requiredParams.filter((name) => !(name in out));
  return { runbook: info.id, params: out, missing, clarify: askForMissing(info, missing, out, lexicon) };
}

/** The history runbook's intent for a question about the past, with the action it asks about. */
function historyIntent(text: string, question: HistoryQuestion, input: FillInput): Intent {
  const info = input.lexicon.byId.get("history");
  if (!info) return notACommand(text);
  // A window is asked for with its words ("since 9", "this morning", "last week"); a time of day alone ("the
  // deploy at 10:30") names the run, not a window, and chrono is not run for it.
  // The requester is read only where a name follows "by" (keepRequesterOnlyWhenNamed drops it otherwise).
  const filled = fillParams(info, input, { times: false, strings: input.tokens.some((t) => t.lower === "by") });
  if (WINDOW_WORDS.test(input.text)) addTimes(info, input, filled.params, filled.consumed);
  const params = filled.params;
  keepRequesterOnlyWhenNamed(params, input.tokens);
  if (question.runbook !== undefined) params.runbook = question.runbook;
  if (question.requester !== undefined && params.requester === undefined) params.requester = question.requester;
  return { text, runbook: info.id, params: ordered(info, params), confidence: 0.8, missing: [], clarify: null, alternatives: [] };
}

/** A requester is a name after "by" ("deploys by dana"); the history's own words are not one. */
function keepRequesterOnlyWhenNamed(params: Record<string, ParamValue>, tokens: readonly Token[]): void {
  if (params.requester !== undefined && !tokens.some((t) => t.lower === "by")) delete params.requester;
}

function notACommand(text: string): Intent {
  return { text, runbook: null, params: {}, confidence: 0, missing: [], clarify: null, alternatives: [] };
}

/** Whether the candidate changes things as asked (a mutating runbook, unless the request forbids the change). */
function changes(c: Candidate, readOnly: ReadonlySet<string> | undefined): boolean {
  return c.info.mutating && !readOnly?.has(c.info.id);
}

/** The coverage of a candidate the message really asks for and explains well enough; -1 otherwise. */
function viableCoverage(candidate: Candidate, filled: FilledParams, tokens: readonly Token[], requested = false): number {
  const mutating = candidate.info.mutating && !isReadOnly(candidate.info.runbook, filled.params);
  // A mutating runbook needs a request: its verb opening a clause ("deploy …", "can you deploy …").
  if (mutating && candidate.verb !== "command" && !requested) return -1;
  if (mutating && isBareAnaphora(tokens, candidate, filled)) return -1;
  const coverage = coverageOf(tokens, candidate.explains, filled.consumed, candidate.clauses);
  return coverage >= (mutating ? MIN_COVERAGE.mutating : MIN_COVERAGE.read) ? coverage : -1;
}

/** Words of a yes/no question about how things are ("is everything healthy?", "anything broken right now?"). */
const HEALTH_STATES = new Set([
  "healthy",
  "ok",
  "okay",
  "good",
  "fine",
  "green",
  "up",
  "alive",
  "down",
  "broken",
  "fire",
  "working",
  "responding",
  "happy",
  "problems",
  "problem",
  "issues",
  "issue",
  "red",
]);
const HEALTH_OPENERS = new Set(["is", "are", "any", "anything", "everything", "all", "something", "things", "we", "everyone"]);
const HEALTH_SCOPE = new Set([
  "everything",
  "anything",
  "something",
  "services",
  "service",
  "things",
  "stuff",
  "all",
  "we",
  "right",
  "now",
  "atm",
  "rn",
  "currently",
  "still",
  "on",
  "in",
  "at",
  "everywhere",
  "ok",
  "looking",
  "look",
  "the",
  "there",
  "with",
  "a",
  "an",
]);

/**
 * A yes/no question about health is a health check, also when it names trouble ("anything broken right now?",
 * "any services down in prod?"); a statement of trouble ("login has been flaky since lunch") is triage.
 * Only a question made of state words, scope words and the envs and services it is about.
 */
function isHealthQuestion(tokens: readonly Token[], input: string): boolean {
  const first = tokens[0]!;
  if (first.kind !== "word" || !HEALTH_OPENERS.has(first.lower)) return false;
  return first.lower === "is" || first.lower === "are" || /\?\s*$/.test(input);
}

/**
 * A first look without entities: a state word, and every other word a health word or part of a matched
 * env or service. Most questions fail here ("is the VPN flaky?"); a word joined to a ref ("api@v2",
 * "web/fix") can make the words before it a service, and leaves the answer to the entities.
 */
function mayHoldOnlyHealthWords(tokens: readonly Token[], matches: readonly LexMatch[]): boolean {
  if (tokens.some((t) => /[@#/]/.test(t.raw))) return true;
  let state = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (HEALTH_STATES.has(t.lower)) state = true;
    else if (i === 0 || HEALTH_SCOPE.has(t.lower) || HEALTH_OPENERS.has(t.lower) || t.lower === "is" || t.lower === "are") continue;
    else if (!matches.some((m) => m.start <= i && i < m.end && m.entries.some(isPlace))) return false;
  }
  return state;
}

function isPlace(e: LexEntry): boolean {
  return e.kind === "env" || e.kind === "service";
}

/** Before tokenizing: a question ("…?") whose first word opens one about health ("all good in prod?", "we good?"). */
function mayAskAboutHealth(input: string): boolean {
  if (!/\?\s*$/.test(input)) return false;
  const first = /^[a-z]+/i.exec(input);
  return first !== null && HEALTH_OPENERS.has(first[0].toLowerCase());
}

function onlyHealthWords(tokens: readonly Token[], entities: readonly Entity[]): boolean {
  let state = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (entities.some((e) => e.start <= i && i < e.end && (e.type === "env" || e.type === "service"))) continue;
    if (HEALTH_STATES.has(t.lower)) state = true;
    else if (!(i === 0 || HEALTH_SCOPE.has(t.lower) || HEALTH_OPENERS.has(t.lower) || t.lower === "is" || t.lower === "are")) return false;
  }
  return state;
}

/** "stg <-> prd", "dev ⇔ prod": a two-way arrow compares (read as "vs"); "⇒" is an arrow like "=>". */
function comparisons(text: string): string {
  if (!/<->|<=>|[\u2194\u21d4\u21d2]/.test(text)) return text;
  return text.replace(/\s*(?:<->|<=>|[\u2194\u21d4])\s*/g, " vs ").replace(/\u21d2/g, "=>");
}

function cap(text: string): string {
  if (text.length <= MAX_PARSE_CHARS) return text;
  const cut = text.lastIndexOf(" ", MAX_PARSE_CHARS);
  return text.slice(0, cut > MAX_PARSE_CHARS / 2 ? cut : MAX_PARSE_CHARS);
}

/**
 * An arrow is a verb ("api -> prod") only with a service to move: between two envs alone ("dev → staging
 * schema drift?", "stg <-> prd") it compares them, and is left to the runbooks that compare.
 */
function dropBareArrows(tokens: readonly Token[], matches: LexMatch[]): void {
  const arrow = matches.findIndex((m) => tokens[m.start]!.kind === "arrow");
  if (arrow < 0 || matches.some((m) => m.entries.some((e) => e.kind === "service"))) return;
  if (tokens.some((t) => t.kind === "word" && /[@#]/.test(t.raw))) return;
  for (let k = matches.length - 1; k >= 0; k--) if (tokens[matches[k]!.start]!.kind === "arrow") matches.splice(k, 1);
}

/**
 * "disable homeDemoVariant but leave featureMatrix alone": the words that forbid a change name a flag or service,
 * and the message names another of that kind besides, which the request is about.
 */
function forbidsSomethingElse(hedge: Hedge, matches: readonly LexMatch[]): boolean {
  const kindOf = (m: LexMatch) => m.entries.find((e) => e.kind === "flag" || e.kind === "service")?.kind;
  const named = matches.filter((m) => hedge.words.has(m.start) && kindOf(m) !== undefined);
  return named.length > 0 && named.every((m) => matches.some((o) => !hedge.words.has(o.start) && kindOf(o) === kindOf(m)));
}

/** "migrating", "migrated" as verbs of the runbooks in `ids` (a hypothetical: "what would migrating staging do"). */
function addInflectedVerbs(tokens: readonly Token[], matches: LexMatch[], lexicon: Lexicon, ids: ReadonlySet<string>): void {
  for (let i = 0; i < tokens.length; i++) {
    const inflection = tokens[i]!.facts?.inflection;
    if (!inflection || matches.some((m) => m.start <= i && i < m.end)) continue;
    const entries: LexEntry[] = inflection.runbooks.filter((r) => ids.has(r)).map((runbook) => ({ kind: "verb", runbook }));
    if (entries.length === 0) continue;
    const at = matches.findIndex((m) => m.start > i);
    const match: LexMatch = {
      start: i,
      end: i + 1,
      tokens: [i],
      entries,
      owners: ownersOf(entries, lexicon.index),
      words: 1,
      fuzzy: false,
      trigger: true,
    };
    matches.splice(at < 0 ? matches.length : at, 0, match);
  }
}

/**
 * A request that forbids the change gets the runbook's read-only form (a dry run, a status); one that insists
 * on the real thing ("for real, not a dry run") gets the real form even if a dry-run word was read.
 */
function applyHedge(runbook: Runbook, params: Record<string, ParamValue>, hedge: Hedge): void {
  const when = runbook.readOnlyWhen!;
  if (hedge.forbid) for (const [name, value] of Object.entries(when)) params[name] = value;
  else if (hedge.insist) for (const [name, value] of Object.entries(when)) if (typeof value === "boolean") params[name] = !value;
}

/** `readOnlyWhen` of the runbook holds for these params (flag status, migrate dry run). */
function isReadOnly(runbook: Runbook, params: Record<string, ParamValue>): boolean {
  const when = runbook.readOnlyWhen;
  if (!when || Object.keys(when).length === 0) return false;
  return Object.entries(when).every(([name, value]) => params[name] === value);
}

/** "lgtm ship it": a verb and a pronoun, no value at all — refers to something said before, not a command. */
function isBareAnaphora(tokens: readonly Token[], candidate: Candidate, filled: FilledParams): boolean {
  const defs = candidate.info.runbook.params;
  for (const k in filled.params) {
    // A value given in the message, not a default filled in.
    if (defs[k]?.default === undefined || filled.params[k] !== defs[k]?.default) return false;
  }
  return tokens.some(
    (t, i) =>
      (t.lower === "it" || t.lower === "this" || t.lower === "that" || t.lower === "them") && i > 0 && candidate.explains.has(i - 1),
  );
}

function confidenceOf(score: number, margin: number, coverage: number): number {
  const strength = 1 - Math.exp(-Math.max(0, score) / 3.5);
  const clear = margin >= 1 ? 1 : 0.8 + 0.2 * Math.max(0, margin);
  return round(Math.min(0.99, Math.max(0.05, strength * (0.7 + 0.3 * coverage) * clear + 0.1)));
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Params in the runbook's declared order, so output is stable. */
function ordered(info: RunbookInfo, params: Record<string, ParamValue>): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (let k = 0; k < info.params.length; k++) {
    const name = info.params[k]![0];
    if (name in params) out[name] = params[name]!;
  }
  return out;
}
