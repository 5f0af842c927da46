import { classifyUse, isDeclarative, isRemark, type TokenSet, type Use, type UseForm } from "./detect-non-command.js";
import { CHATTER, FUNCTION_WORDS, LIGHT_VERBS, REQUEST_WORDS } from "./english.js";
import type { Entity, EntityType } from "./extract-entities.js";
import {
  KEYWORD,
  NEEDS_ENV,
  NEEDS_SERVICE,
  SYNONYM,
  VERB,
  kindsOf,
  type Lexicon,
  type PhrasePattern,
  type RunbookInfo,
} from "./lexicon.js";
import type { LexMatch } from "./match-lexicon.js";
import type { Token } from "./tokenize.js";
import { scratchBuffer } from "./scratch-buffer.js";
import { factsOf } from "./word-facts.js";

/** How well one runbook explains the message, and from what evidence. */
export interface Candidate {
  info: RunbookInfo;
  score: number;
  /** Best use of one of its trigger verbs: "command" (opens a clause) or "embedded"; null when none. */
  verb: Exclude<UseForm, "blocked"> | null;
  /** A trigger verb of this runbook was used in a way that is not a request (negated, reported, past…). */
  blockedBy: string | null;
  phrase: boolean;
  keywords: number;
  /** Whether a word of the message is a value of one of its params ("check", "status", "dry run"). */
  synonyms: boolean;
  /** Tokens this runbook explains (its words and phrases, every catalog value, number and time). */
  explains: TokenSet;
  /** Clauses holding its trigger words; coverage is judged there ("revert web in prod, the last release broke it"). */
  clauses: ReadonlySet<number>;
}

/** Weights of the evidence. Verbs that open a clause decide most; keywords and phrases add; params fit. */
const W = {
  commandVerb: 3.0,
  embeddedVerb: 1.5,
  phrase: 2.5,
  keyword: 1.5,
  maxKeywords: 2,
  synonym: 0.4,
  fuzzy: 0.85,
  fitOptional: 0.5,
  fitRequired: 0.9,
  fitFlag: 1.6,
  misfit: -0.7,
  misfitFlag: -1.5,
  missing: -0.3,
  wholeMessage: 0.5,
};

/** One byte per (runbook, token): which tokens each runbook owns. */
const ownBuffer = scratchBuffer((n) => new Uint8Array(n), 4096, 0);
/** Per token, the index of the first entity covering it, or -1. */
const entityBuffer = scratchBuffer((n) => new Int32Array(n), 1024, -1);
/** Per runbook, whether the message has evidence for it. */
const relevantBuffer = scratchBuffer((n) => new Uint8Array(n), 64, 0);

/** Which tokens a runbook owns, as one byte per (runbook, token). */
class Ownership implements TokenSet {
  phraseTokens: Set<number> | null = null;
  constructor(
    private readonly own: Uint8Array,
    private readonly offset: number,
    private readonly entityAt: Int32Array,
    private readonly tokens: readonly Token[],
  ) {}

  has(i: number): boolean {
    const t = this.tokens[i];
    if (!t) return false;
    return (
      this.own[this.offset + i] === 1 ||
      this.entityAt[i]! >= 0 ||
      t.kind !== "word" ||
      (this.phraseTokens !== null && this.phraseTokens.has(i))
    );
  }
}

/**
 * Scores the runbooks the message has evidence for, from their trigger verbs, keywords and phrases
 * (as written in runbooks/*.yml) and from which values the message carries: a flag name argues for
 * the runbook with a flag param and against the others. Returns them best first.
 */
export function scoreRunbooks(
  tokens: readonly Token[],
  matches: readonly LexMatch[],
  entities: readonly Entity[],
  lexicon: Lexicon,
  excluded: ReadonlySet<string>,
  readOnly: ReadonlySet<string> = NONE,
): Candidate[] {
  const n = tokens.length;
  const runbookCount = lexicon.runbooks.length;
  const entityAt = entityBuffer(n);
  for (let index = 0; index < entities.length; index++) {
    const e = entities[index]!;
    for (let k = e.start; k < e.end; k++) if (entityAt[k] === -1) entityAt[k] = index;
  }
  const presentTypes = new Set<EntityType>();
  for (const e of entities) presentTypes.add(e.type);

  // Which runbooks have evidence, and which tokens each owns.
  const own = ownBuffer(runbookCount * n);
  const relevant = relevantBuffer(runbookCount);
  for (const m of matches) {
    const owners = m.owners;
    const owned = m.tokens;
    for (let o = 0; o < owners.length; o += 2) {
      const r = owners[o]!;
      if (owners[o + 1]! & (VERB | KEYWORD)) relevant[r] = 1;
      for (let q = 0; q < owned.length; q++) own[r * n + owned[q]!] = 1;
    }
  }
  const phrasesToTry: PhrasePattern[] = [];
  for (const t of tokens) {
    const list = factsOf(t, lexicon).phrases;
    if (!list) continue;
    for (const p of list) {
      if (phrasesToTry.includes(p)) continue;
      phrasesToTry.push(p);
      relevant[p.index] = 1;
    }
  }
  // A flag named alone ("featureMatrix off") asks for the runbooks a flag is required by.
  if (presentTypes.has("flag")) for (let r = 0; r < runbookCount; r++) if (lexicon.runbooks[r]!.requiredTypes.has("flag")) relevant[r] = 1;
  // Phrases without an anchor word of their own are tried for runbooks that have other evidence.
  for (const p of lexicon.unanchoredPhrases) if (relevant[p.index] && !phrasesToTry.includes(p)) phrasesToTry.push(p);

  const out: Candidate[] = [];
  for (let r = 0; r < runbookCount; r++) {
    if (!relevant[r]) continue;
    const info = lexicon.runbooks[r]!;
    const id = info.id;
    // A request that forbids the change is scored as the read-only form it gets ("a dry run of the migrations").
    const mutating = info.mutating && !readOnly.has(id);
    const explains = new Ownership(own, r * n, entityAt, tokens);
    let verbScore = 0;
    let verb: Candidate["verb"] = null;
    let blockedBy: string | null = null;
    let keywordScore = 0;
    let keywordCount = 0;
    let keywordKeys = "";
    let synonymScore = 0;
    const clauses = new Set<number>();
    for (const m of matches) {
      const kinds = kindsOf(m.owners, r);
      if (kinds === 0) continue;
      const isKeyword = (kinds & KEYWORD) !== 0;
      const isSynonym = (kinds & SYNONYM) !== 0;
      if (kinds & VERB) {
        const use: Use = m.request ? { form: "command", reason: null } : classifyUse(tokens, m.start, explains);
        if (use.form === "blocked" && use.reason === "noun" && (!mutating || info.runbook.readOnlyWhen)) {
          // "the schema diff between dev and prod": the runbook's name as a noun still names it; for one that
          // changes things, its read-only form ("what's the rollout on X?"): a noun asks for no change.
          if (!isRemark(tokens, m.end, explains)) {
            keywordScore = Math.max(keywordScore, W.keyword);
            clauses.add(tokens[m.start]!.clause);
          }
          continue;
        }
        if (use.form === "blocked") {
          blockedBy ??= use.reason;
          continue;
        }
        if (isRemark(tokens, m.end, explains)) continue;
        const s = (use.form === "command" ? W.commandVerb : W.embeddedVerb) * (m.fuzzy ? W.fuzzy : 1);
        clauses.add(tokens[m.start]!.clause);
        if (s > verbScore) {
          verbScore = s;
          verb = use.form;
        }
      } else if (isKeyword) {
        // "ok" opening a clause is an acknowledgement, not "is it ok?".
        if (CHATTER.has(tokens[m.start]!.lower) && (m.start === 0 || tokens[m.start - 1]!.clause !== tokens[m.start]!.clause)) continue;
        if (!info.acceptsStatements && isDeclarative(tokens, m.start)) continue;
        const use = classifyUse(tokens, m.start, explains);
        if (use.form === "blocked" && use.reason !== "noun") continue;
        if (isRemark(tokens, m.end, explains)) continue;
        clauses.add(tokens[m.start]!.clause);
        // A light verb and the runbook's noun make a command: "run the migrations", "pull up the ops board".
        if (use.form === "command" && afterLightVerb(tokens, m.start)) {
          const s = W.commandVerb * (m.fuzzy ? W.fuzzy : 1);
          if (s > verbScore) {
            verbScore = s;
            verb = "command";
          }
          continue;
        }
        let key = "|";
        for (const k of m.tokens) key += tokens[k]!.norm;
        if (keywordKeys.includes(`${key}|`) || keywordCount >= W.maxKeywords) continue;
        keywordKeys += `${key}|`;
        keywordCount++;
        // Longer keywords are more specific: "safe to cut over" says more than "board".
        keywordScore += (W.keyword + Math.min(1, 0.5 * (m.words - 1))) * (m.fuzzy ? 0.8 : 1);
      } else if (isSynonym) {
        synonymScore = Math.min(2 * W.synonym, synonymScore + W.synonym);
      }
    }
    if (blockedBy && verb === null && mutating) continue;
    if (excluded.has(id) && verb !== "command") continue;

    let phrase = false;
    for (const p of phrasesToTry) {
      if (p.index !== r) continue;
      const matched = matchPhrase(p, tokens, entities);
      if (!matched || matched.length === 0) continue;
      const use = classifyUse(tokens, matched[0]!, explains);
      if (use.form === "blocked" && use.reason !== "noun") continue;
      if (isRemark(tokens, matched[matched.length - 1]! + 1, explains)) continue;
      phrase = true;
      explains.phraseTokens ??= new Set();
      for (const k of matched) explains.phraseTokens.add(k);
      clauses.add(tokens[matched[0]!]!.clause);
    }
    const phraseScore = phrase ? W.phrase : 0;
    const hasTrigger = verbScore > 0 || keywordScore > 0 || phrase;
    if (!hasTrigger && !(presentTypes.has("flag") && info.requiredTypes.has("flag"))) continue;

    let fit = 0;
    for (const type of presentTypes) {
      const paramType = type === "number" ? (info.paramTypes.has("integer") ? "integer" : "percent") : type === "cohort" ? "list" : type;
      if (info.paramTypes.has(paramType)) {
        fit += type === "flag" ? W.fitFlag : info.requiredTypes.has(paramType) ? W.fitRequired : W.fitOptional;
      } else if (type === "flag") fit += W.misfitFlag;
      else if (type === "number") fit += W.misfit / 2;
      else if (type !== "cohort") fit += W.misfit;
    }
    for (const paramType of info.requiredParamTypes) {
      const type = paramType === "integer" || paramType === "percent" ? "number" : paramType === "list" ? "cohort" : paramType;
      if (
        !presentTypes.has(type as EntityType) &&
        !(paramType === "percent" && presentTypes.has("percent")) &&
        paramType !== "string" &&
        paramType !== "enum" &&
        paramType !== "boolean" &&
        paramType !== "time"
      )
        fit += W.missing;
    }
    // A message made only of this runbook's words and values ("list runbooks", "what can you do?").
    const whole = hasTrigger && coverageOf(tokens, explains, undefined, clauses) === 1 ? W.wholeMessage : 0;
    const score = verbScore + phraseScore + keywordScore + synonymScore + fit + whole;
    out.push({ info, score, verb, blockedBy, phrase, keywords: keywordCount, synonyms: synonymScore > 0, explains, clauses });
  }
  sortByScore(out);
  return out;
}

/** Best first, ties in order (what a stable sort gives); an insertion sort: there are a few candidates. */
function sortByScore(out: Candidate[]): void {
  for (let k = 1; k < out.length; k++) {
    const c = out[k]!;
    let j = k - 1;
    while (j >= 0 && out[j]!.score < c.score) {
      out[j + 1] = out[j]!;
      j--;
    }
    out[j + 1] = c;
  }
}

const NOTHING_OWNED: TokenSet = { has: () => false };
const NONE: ReadonlySet<string> = new Set();

/**
 * True when scoreRunbooks can find no candidate, decided from the matches alone (before entities are
 * extracted): no flag is named, every trigger verb and keyword is used in a way that does not ask for
 * it (negated, reported, past, a condition…; not merely as a noun, which still names a runbook), and
 * no phrase that could be tried can match. Whether a use is blocked never depends on which tokens a
 * runbook owns, and a phrase is ruled out only for what matchPhrase needs whatever the entities are
 * (a word it names, a service or env it names): so this never says true where scoreRunbooks would find one.
 */
export function cannotScore(tokens: readonly Token[], matches: readonly LexMatch[], lexicon: Lexicon): boolean {
  for (const m of matches) {
    let trigger = false;
    for (const e of m.entries) {
      if (e.kind === "flag") return false;
      if (e.kind === "verb" || e.kind === "keyword") trigger = true;
    }
    if (!trigger) continue;
    if (m.request) return false;
    const use = classifyUse(tokens, m.start, NOTHING_OWNED);
    if (use.form !== "blocked" || use.reason === "noun") return false;
  }
  // Phrases anchored on a word of the message, and those without an anchor (tried for runbooks with a
  // blocked trigger word): each only if it may match.
  let named = namedInMatches(matches);
  for (const t of tokens) {
    const anchored = factsOf(t, lexicon).phrases;
    if (!anchored) continue;
    for (const p of anchored) {
      named = settleService(named, p, tokens);
      if (phraseMayMatch(p, tokens, named)) return false;
    }
  }
  for (const p of lexicon.unanchoredPhrases) {
    named = settleService(named, p, tokens);
    if (phraseMayMatch(p, tokens, named)) return false;
  }
  return true;
}

/** Set in `named` once the tokens were looked at for a service (see settleService). */
const TOKENS_CHECKED = 4;

/** NEEDS_ENV and NEEDS_SERVICE bits for the env and service values lexicon matches name. */
function namedInMatches(matches: readonly LexMatch[]): number {
  let named = 0;
  for (const m of matches) for (const e of m.entries) named |= e.kind === "env" ? NEEDS_ENV : e.kind === "service" ? NEEDS_SERVICE : 0;
  return named;
}

/**
 * A service also comes from a token like "api@v1.2": when `pattern` needs a service no match names,
 * the tokens are looked at (once per message, only then).
 */
function settleService(named: number, pattern: PhrasePattern, tokens: readonly Token[]): number {
  if ((pattern.needs & NEEDS_SERVICE) === 0 || (named & (NEEDS_SERVICE | TOKENS_CHECKED)) !== 0) return named;
  named |= TOKENS_CHECKED;
  for (const t of tokens) if (t.kind === "word" && (t.raw.includes("@") || t.raw.includes("#"))) return named | NEEDS_SERVICE;
  return named;
}

/**
 * False when matchPhrase cannot match the pattern whatever the entities: a word of it that may not be
 * left out is not in the message, or a service or env slot has no service or env named (`named`).
 */
function phraseMayMatch(pattern: PhrasePattern, tokens: readonly Token[], named: number): boolean {
  if ((pattern.needs & (NEEDS_ENV | NEEDS_SERVICE) & ~named) !== 0) return false;
  for (const literal of pattern.required) if (findWord(tokens, 0, literal, tokens.length) < 0) return false;
  return true;
}

/**
 * A trigger phrase matches when its words appear in order (a few words may sit between; articles may
 * be left out) and each placeholder is filled by a value of the right type: "is {service} up" matches
 * "is web up?" and "is the checkout service up on prod"; a value may also come later in the sentence.
 * Returns the tokens it used.
 */
function matchPhrase(pattern: PhrasePattern, tokens: readonly Token[], entities: readonly Entity[]): number[] | null {
  let pos = 0;
  let contentWords = 0;
  let slots = 0;
  const used: number[] = [];
  let slotTokens = 0;
  for (let p = 0; p < pattern.parts.length; p++) {
    const part = pattern.parts[p]!;
    if ("literal" in part) {
      const found = findWord(tokens, pos, part.literal, pos === 0 ? tokens.length : 4);
      if (found < 0) {
        if (part.optional) continue;
        return null;
      }
      if (part.content) contentWords++;
      used.push(found);
      pos = found + 1;
    } else {
      const type = part.type;
      if (type === "string" || type === "time") {
        if (pos >= tokens.length) return null;
        const clause = tokens[pos]!.clause;
        do {
          used.push(pos);
          slotTokens++;
          pos++;
        } while (part.rest && pos < tokens.length && tokens[pos]!.clause === clause);
        slots++;
        continue;
      }
      const entityType = part.entityTypes;
      const nextPart = pattern.parts[p + 1];
      const nextLiteral = nextPart && "literal" in nextPart ? findWord(tokens, pos, nextPart.literal, 4) : -1;
      let near: Entity | undefined;
      for (const e of entities) {
        if (entityType.includes(e.type) && e.start >= pos && e.start <= pos + 4 && (nextLiteral < 0 || e.start < nextLiteral)) {
          near = e;
          break;
        }
      }
      if (!near) {
        // The value may come later in the sentence ("how's the api looking in prod" for "how is {env} looking").
        if (!entities.some((e) => entityType.includes(e.type) && e.start >= pos)) return null;
        slots++;
        continue;
      }
      for (let k = near.start; k < near.end; k++) used.push(k);
      slotTokens += near.end - near.start;
      pos = near.end;
      slots++;
    }
  }
  const literals = used.length - slotTokens;
  if (!(contentWords > 0 || literals >= 3 || (slots > 0 && literals >= 2))) return null;
  // Usually found in order already: sort only when not.
  for (let k = 1; k < used.length; k++) if (used[k - 1]! > used[k]!) return used.sort(ascending);
  return used;
}

function ascending(a: number, b: number): number {
  return a - b;
}

function findWord(tokens: readonly Token[], from: number, norm: string, window: number): number {
  const to = Math.min(tokens.length, from + window + 1);
  for (let i = from; i < to; i++) if (tokens[i]!.norm === norm) return i;
  return -1;
}

/**
 * Share of content words (not function words, politeness, reactions or light verbs) that `explains`
 * accounts for, within `clauses` when given; 1 when there are none.
 */
export function coverageOf(
  tokens: readonly Token[],
  explains: TokenSet,
  extra?: ReadonlySet<number>,
  clauses?: ReadonlySet<number>,
): number {
  let content = 0;
  let explained = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (clauses && clauses.size > 0 && !clauses.has(t.clause)) continue;
    if (
      t.facts !== null
        ? t.facts.filler
        : t.kind === "word" &&
          (FUNCTION_WORDS.has(t.lower) || REQUEST_WORDS.has(t.lower) || CHATTER.has(t.lower) || LIGHT_VERBS.has(t.lower))
    )
      continue;
    content++;
    if (explains.has(i) || TIME_WORDS.has(t.lower) || extra?.has(i)) explained++;
  }
  return content === 0 ? 1 : explained / content;
}

/** Words that belong to a time expression or name a param; explained whichever runbook is chosen. */
const TIME_WORDS = new Set([
  "monday",
  "tuesday",
  "wednesday",
  "thursday",
  "friday",
  "saturday",
  "sunday",
  "tonight",
  "eod",
  "today",
  "tomorrow",
  "yesterday",
  "tonight",
  "noon",
  "midnight",
  "morning",
  "afternoon",
  "evening",
  "night",
  "ago",
  "last",
  "past",
  "since",
  "until",
  "till",
  "between",
  "minutes",
  "minute",
  "min",
  "mins",
  "hours",
  "hour",
  "hrs",
  "hr",
  "am",
  "pm",
  "days",
  "day",
  "week",
  "weeks",
  "branch",
  "tag",
  "ref",
  "commit",
  "sha",
  "version",
  "level",
  "percent",
  "pct",
  "replicas",
  "env",
  "vs",
]);

function afterLightVerb(tokens: readonly Token[], at: number): boolean {
  for (let i = at - 1; i >= 0 && tokens[i]!.clause === tokens[at]!.clause; i--) if (LIGHT_VERBS.has(tokens[i]!.lower)) return true;
  return false;
}
