import * as chrono from "chrono-node";

/** A time param of the chosen runbook, with the words that introduce it ("since", "until", "at"). */
export interface TimeParam {
  name: string;
  cues: readonly string[];
}

/**
 * A cheap test run before chrono: without a clock time, a number with a time unit or after a time
 * preposition, a date, or a time word there is no time expression, and chrono (about 5–15 µs a call,
 * over 30 regexes) is not run at all. "500s", "v1.2.3" and "5 replicas" are not time cues.
 */
const TIME_CUE = new RegExp(
  [
    String.raw`\b\d{1,2}:\d{2}\b`, // 10:30
    String.raw`\b\d{1,2}\s?(?:am|pm|a\.m\.|p\.m\.)(?![a-z])`, // 9am, 5 pm
    String.raw`\b\d+\s?(?:sec|secs|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?|months?)\b`, // 30 minutes, 2h
    String.raw`\b(?:at|since|until|till|by|from|between|after|before|around|to)\s+\d`, // at 5, between 9 and 11
    String.raw`\b\d{1,4}[/-]\d{1,2}(?:[/-]\d{1,4})?\b`, // 3/15, 2026-03-10
    String.raw`\b(?:today|tomorrow|tmrw|tmr|yesterday|tonight|noon|midnight|morning|afternoon|evening|night|now|ago|last|past|since|until|till|between|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:rs|rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?|eod)\b`,
  ].join("|"),
  "i",
);

/**
 * chrono's casual English parser without its month-name parsers (their day-ordinal patterns are the
 * largest regexes it runs; about a third of its time). Used unless the text names a month.
 */
const MONTH_PARSERS = new Set([
  "ENMonthNameLittleEndianParser",
  "ENMonthNameMiddleEndianParser",
  "ENMonthNameParser",
  "ENYearMonthNameParser",
  "ENSlashMonthFormatParser",
  "ENEndOfCurrentMonthParser",
]);
/** Parsers whose every match starts with a digit ("2026-03-10", "3/15", "10:30"): skipped for a window without one. */
const DIGIT_PARSERS = new Set([
  "ENYearMonthDayParser",
  "ISOFormatParser",
  "SlashDateFormatParser",
  "ENSlashMonthFormatParser",
  "ENTimeExpressionParser",
]);
function variant(months: boolean, digits: boolean): chrono.Chrono {
  const parser = chrono.casual.clone();
  parser.parsers = parser.parsers.filter(
    (p) => (months || !MONTH_PARSERS.has(p.constructor.name)) && (digits || !DIGIT_PARSERS.has(p.constructor.name)),
  );
  return parser;
}
/** Built once: [months][digits]. */
const PARSERS = [
  [variant(false, false), variant(false, true)],
  [variant(true, false), variant(true, true)],
] as const;
const DIGIT = /\d/;
const MONTH_WORD = /\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b|end of (?:the )?month/i;

/** A cheap test before the "between … and" rewrite, which most texts do not need. */
const BETWEEN = /between/i;

const WEEKDAY = /\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\b/i;
const RELATIVE = /\b(?:ago|last|past|in\s+(?:\d+|an?|half)|minutes?|mins?|hours?|hrs?|seconds?|secs?)\b/i;

/** chrono on a window, with the parser variant the window needs. */
export function viaChrono(window: string, now: Date, refOffset: number, forward: boolean): readonly TimeHit[] {
  const parser = PARSERS[MONTH_WORD.test(window) ? 1 : 0][DIGIT.test(window) ? 1 : 0];
  return parser.parse(window, { instant: now, timezone: refOffset }, { forwardDate: forward });
}

export function hasTimeCue(text: string): boolean {
  return TIME_CUE.test(text);
}

/**
 * Finds time expressions with chrono and assigns them to the runbook's time params by their cue words:
 * "since 10am" → since, "until 11" → until, "between 9 and 11" → since and until, "at 5pm" → at.
 * Values are ISO 8601 with the offset of `timeZone` at that instant ("2026-03-10T17:00:00+01:00").
 * `past`: the params look back (logs, triage): "since 10pm" at noon means yesterday 10pm. Otherwise
 * they look forward (a deploy "at 9am" after 9am means tomorrow).
 * `masked`: offsets of text that must not be read as a time (refs like v1.2.3, percentages).
 */
export function extractTimes(
  text: string,
  params: readonly TimeParam[],
  options: { now: Date; timeZone: string; past: boolean; masked: readonly [number, number][] },
): { values: Record<string, string>; spans: [number, number][] } {
  const out: Record<string, string> = {};
  const spans: [number, number][] = [];
  if (params.length === 0) return { values: out, spans };
  const cue = TIME_CUE.exec(text);
  if (!cue) return { values: out, spans };
  // chrono's cost grows with the text; read from just before the first time word ("at", "since" and
  // "between" are themselves cues, so the window starts no later than the expression).
  const from = Math.max(0, cue.index - 12);
  let source = text;
  for (const [from, to] of options.masked) source = source.slice(0, from) + " ".repeat(to - from) + source.slice(to);
  // chrono reads "from 9 to 11" as a range but not "between 9 and 11"; rewrite in place, same length.
  if (BETWEEN.test(source)) source = source.replace(/\bbetween(\s+\S+\s+)and\b/gi, (_, middle: string) => `from   ${middle} to`);
  const refOffset = offsetMinutes(options.now, options.timeZone);
  let results: readonly TimeHit[];
  try {
    const window = source.slice(from);
    const fast = clockOnly(window, options.now, refOffset, !options.past) ?? casualOnly(window, options.now, refOffset, !options.past);
    if (fast) results = [fast];
    else {
      results = viaChrono(window, options.now, refOffset, !options.past);
      if (results.length === 0 && options.past) results = bareHour(window, options.now, refOffset);
    }
  } catch {
    return { values: out, spans };
  }
  for (const result of results) {
    const index = result.index + from;
    spans.push([index, index + result.text.length]);
    const cue = cueBefore(source, index, result.text);
    const start = adjust(result.start, result.text, options, refOffset);
    if (result.end && params.length > 1) {
      const [first, second] = params;
      if (first && !(first.name in out)) out[first.name] = formatInZone(start, options.timeZone);
      if (second && !(second.name in out))
        out[second.name] = formatInZone(adjust(result.end, result.text, options, refOffset), options.timeZone);
      continue;
    }
    const byCue = params.find((p) => !(p.name in out) && cue !== null && p.cues.includes(cue));
    const param = byCue ?? params.find((p) => !(p.name in out));
    if (!param) break;
    out[param.name] = formatInZone(start, options.timeZone);
  }
  return { values: out, spans };
}

/** What extractTimes reads of a chrono result (and of the clock-time fast path's). */
export interface TimeHit {
  index: number;
  text: string;
  start: TimeComponents;
  end?: TimeComponents | null | undefined;
}
interface TimeComponents {
  date(): Date;
  isCertain(component: chrono.Component): boolean;
}

/**
 * The commonest time expression, a cue and a clock time ending the window ("since 10am", "at 17:30",
 * "until 9:15pm"), read without chrono (whose 15 parsers and refiners cost 5–15 µs a call). The result
 * is what chrono returns for it (compared with chrono when written: every hour, minute, meridiem
 * spelling, cue and trailing punctuation, after various leading words, both directions, in three zones
 * and across DST changes — 10 million cases, no difference); anything else (a date, "noon",
 * "yesterday 5pm", a bare "at 5", digits before the cue) goes to chrono.
 * The words before the cue may not be ones chrono reads (weekdays, months, "tomorrow", units…).
 */
const CLOCK_ONLY = /^([a-z0-9' ]*?)\b(since|at|until|till|after|before|by|from)( +)(\d{1,2})(?::([0-5]\d))?( ?)(am|pm)?[ ?.!]*$/i;
/** Words of the text before the cue that chrono could read (alone, or as a duration's unit). */
const CHRONO_WORDS = new Set(
  `jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july august september october november december
  mon tue tues wed thu thur thurs fri sat sun monday tuesday wednesday thursday friday saturday sunday weekend weekday
  now today tonight tomorrow tmr tmrw yesterday morning afternoon evening night midnight midday noon eod
  sec secs second seconds min mins minute minutes hr hrs hour hours day days wk wks week weeks mo mos month months yr yrs year years qtr quarter quarters
  ago later earlier within`
    .trim()
    .split(/\s+/),
);
/** One-letter units ("5 m", "a h"): a unit only after a number or article, so only after another word. */
const LETTER_UNITS = new Set(["s", "m", "h", "d", "w", "y"]);

export function clockOnly(window: string, now: Date, refOffset: number, forward: boolean): TimeHit | null {
  const m = CLOCK_ONLY.exec(window);
  if (!m) return null;
  const [, prefix = "", cueWord = "", spaces = "", hourText = "", minuteText, space = "", meridiem] = m;
  if (minuteText === undefined && meridiem === undefined) return null;
  if (!plainPrefix(prefix, cueWord.toLowerCase(), false, forward)) return null;
  let hour = Number(hourText);
  const minute = minuteText === undefined ? 0 : Number(minuteText);
  if (meridiem !== undefined) {
    if (hour < 1 || hour > 12) return null;
    const pm = meridiem.toLowerCase() === "pm";
    hour = hour === 12 ? (pm ? 12 : 0) : pm ? hour + 12 : hour;
  } else if (hour > 23) return null;
  // The wall clock of `now` in the reference offset, then that day (or the next, looking forward) at the time.
  const local = new Date(now.getTime() + refOffset * 60_000);
  let date = dayAt(local, refOffset, 0, hour, minute);
  if (forward && now.getTime() > date.getTime()) date = dayAt(local, refOffset, 1, hour, minute);
  const expression = hourText + (minuteText === undefined ? "" : `:${minuteText}`) + (meridiem === undefined ? "" : space + meridiem);
  const withCue = /^(?:at|from)$/i.test(cueWord);
  const cueAt = prefix.length;
  const index = withCue ? cueAt : cueAt + cueWord.length + spaces.length;
  const text = withCue ? cueWord + spaces + expression : expression;
  return { index, text, start: new KnownTime(date, HOUR_MINUTE) };
}

/** A time read without chrono: its instant, and which of its components were said (null: all of them). */
class KnownTime implements TimeComponents {
  constructor(
    private readonly instant: Date,
    private readonly certain: ReadonlySet<string> | null,
  ) {}
  date(): Date {
    return this.instant;
  }
  isCertain(component: chrono.Component): boolean {
    return this.certain === null || this.certain.has(component);
  }
}
const HOUR: ReadonlySet<string> = new Set(["hour"]);
const HOUR_MINUTE: ReadonlySet<string> = new Set(["hour", "minute"]);
const DAY_AND_HOUR_MINUTE: ReadonlySet<string> = new Set(["year", "month", "day", "hour", "minute"]);
const DAY_AND_CLOCK: ReadonlySet<string> = new Set(["year", "month", "day", "hour", "minute", "meridiem"]);

/** Before a count of seconds ("in 500s", "last 10s"), chrono may read it: such a count goes to chrono. */
const COUNT_BEFORE = new Set(
  "in within for after before over under about around roughly approximately approx just nearly almost last past next this the a an few every each per plus minus and or to from by since until till at of than".split(
    " ",
  ),
);
/** After a count of seconds ("500s ago", "30s before 10am"): left to chrono too. */
const COUNT_AFTER = new Set(
  "ago later earlier before after from back prior hence henceforth forward forwards ahead onward onwards away behind and or to of in by at until till out left more less".split(
    " ",
  ),
);
const STATUS_COUNT = /^\d{1,4}s$/;

/**
 * The words before a fast-path time expression carry no time chrono would read: no time word, no unit
 * after another word, no digits except a plural count like "500s" ("throwing 500s since 10am") between
 * plain words. `next`: the cue word that follows the prefix, or null when the expression follows it
 * directly (a count is then not allowed last). `casual`: words that modify what follows are refused too.
 * `forward`: the params look forward, where chrono reads any count of seconds as a time; no count then.
 */
function plainPrefix(prefix: string, next: string | null, casual: boolean, forward: boolean): boolean {
  const words = prefix.split(/[\s']+/);
  let count = 0;
  let previous: string | undefined;
  for (let k = 0; k < words.length; k++) {
    const word = words[k]!;
    if (!word) continue;
    const lower = word.toLowerCase();
    if (CHRONO_WORDS.has(lower) || (casual && CASUAL_WORDS.has(lower)) || (count > 0 && LETTER_UNITS.has(lower))) return false;
    if (DIGIT.test(lower)) {
      // Digits before the cue go to chrono unless a count like "500s" sits between plain words.
      // Looking forward chrono reads any count of seconds as a time ("500s" from now): only looking back.
      if (forward || !STATUS_COUNT.test(lower) || (previous !== undefined && COUNT_BEFORE.has(previous))) return false;
      let after: string | null | undefined;
      for (let j = k + 1; j < words.length && after === undefined; j++) if (words[j]) after = words[j]!.toLowerCase();
      if (after === undefined) after = next;
      if (after === null || COUNT_AFTER.has(after) || DIGIT.test(after)) return false;
    }
    previous = lower;
    count++;
  }
  return true;
}

/**
 * Three more common expressions ending the window, read without chrono: a look-back over minutes or
 * hours ("the past hour", "last 30 minutes"), "noon", and "yesterday"/"today" with a clock time
 * ("since yesterday 5pm"). Each gives what chrono gives (compared with chrono over generated windows:
 * leading words, cues, numbers, unit spellings, meridiems, punctuation, both directions, several
 * reference instants and offsets, over a million generated windows); anything else goes to chrono. The
 * words before the expression are checked as in clockOnly.
 */
const CASUAL_ONLY =
  /^([a-z0-9' ]*?)\b(?:(last|past) (?:(\d{1,3}) )?(minutes?|mins?|hours?|hrs?)|(noon)|(yesterday|today) (\d{1,2})(?::([0-5]\d))?( ?)(am|pm)?)[ ?.!]*$/i;
/** Words chrono reads as a modifier or count of what follows ("this noon", "two past hours"): left to chrono. */
const CASUAL_WORDS = new Set([
  "this",
  "next",
  "last",
  "past",
  "few",
  "several",
  "couple",
  "half",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
]);

export function casualOnly(window: string, now: Date, refOffset: number, forward: boolean): TimeHit | null {
  const m = CASUAL_ONLY.exec(window);
  if (!m) return null;
  const prefix = m[1]!;
  if (!plainPrefix(prefix, null, true, forward)) return null;
  const index = prefix.length;
  if (m[2] !== undefined) {
    // "past hour", "last 30 minutes": now minus that many minutes or hours, to the millisecond.
    const count = m[3] === undefined ? 1 : Number(m[3]);
    const unit = m[4]!.charCodeAt(0) === 104 || m[4]!.charCodeAt(0) === 72 ? 3_600_000 : 60_000;
    const date = new Date(now.getTime() - count * unit);
    const text = m[3] === undefined ? `${m[2]} ${m[4]}` : `${m[2]} ${m[3]} ${m[4]}`;
    return { index, text, start: new KnownTime(date, null) };
  }
  const local = new Date(now.getTime() + refOffset * 60_000);
  if (m[5] !== undefined) {
    let date = dayAt(local, refOffset, 0, 12, 0);
    if (forward && now.getTime() > date.getTime()) date = dayAt(local, refOffset, 1, 12, 0);
    return { index, text: m[5], start: new KnownTime(date, HOUR) };
  }
  const hourText = m[7]!;
  const minuteText = m[8];
  const meridiem = m[10];
  if (minuteText === undefined && meridiem === undefined) return null;
  let hour = Number(hourText);
  const minute = minuteText === undefined ? 0 : Number(minuteText);
  if (meridiem !== undefined) {
    if (hour < 1 || hour > 12) return null;
    const pm = meridiem.toLowerCase() === "pm";
    hour = hour === 12 ? (pm ? 12 : 0) : pm ? hour + 12 : hour;
  } else if (hour > 23) return null;
  const certainMeridiem = meridiem !== undefined || hour > 12;
  const date = dayAt(local, refOffset, m[6]!.toLowerCase() === "yesterday" ? -1 : 0, hour, minute);
  const text = `${m[6]} ${hourText}${minuteText === undefined ? "" : `:${minuteText}`}${meridiem === undefined ? "" : m[9]! + meridiem}`;
  return { index, text, start: new KnownTime(date, certainMeridiem ? DAY_AND_CLOCK : DAY_AND_HOUR_MINUTE) };
}

/** "since 9", "after 10": a bare hour after a look-back cue, which chrono does not read (nothing else follows it). */
const BARE_HOUR = /\b(since|after)( +)([01]?\d|2[0-3])(?![\d:%.,]?\d)(?! *(?:%|x\b|[a-z]))/i;

function bareHour(window: string, now: Date, refOffset: number): TimeHit[] {
  const m = BARE_HOUR.exec(window);
  if (!m) return [];
  const hour = Number(m[3]);
  const local = new Date(now.getTime() + refOffset * 60_000);
  const date = dayAt(local, refOffset, 0, hour, 0);
  return [{ index: m.index + m[1]!.length + m[2]!.length, text: m[3]!, start: new KnownTime(date, HOUR) }];
}

/** The instant of a wall-clock time `days` after the day of `local` (a wall clock read at offset `refOffset`). */
function dayAt(local: Date, refOffset: number, days: number, hour: number, minute: number): Date {
  return new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + days, hour, minute) - refOffset * 60_000);
}

function cueBefore(source: string, index: number, matched: string): string | null {
  const own = /^(\w+)/.exec(matched.toLowerCase())?.[1];
  if (own && /^(?:at|on|since|from|until|till|before|after|last|past|by|in)$/.test(own)) return own;
  const before = source
    .slice(Math.max(0, index - 24), index)
    .toLowerCase()
    .match(/([a-z]+)\W*(?:the\W*)?$/);
  return before?.[1] ?? null;
}

function adjust(component: TimeComponents, text: string, options: { now: Date; timeZone: string; past: boolean }, refOffset: number): Date {
  let date = component.date();
  const relative = RELATIVE.test(text);
  if (!relative) {
    // chrono read the wall clock with the offset at `now`; across a DST change the offset differs.
    const actual = offsetMinutes(date, options.timeZone);
    if (actual !== refOffset) date = new Date(date.getTime() + (refOffset - actual) * 60_000);
  }
  if (options.past && !relative) {
    // "since friday" on a Tuesday is the friday before, not the next one.
    if (!component.isCertain("day") && date.getTime() > options.now.getTime())
      date = new Date(date.getTime() - (WEEKDAY.test(text) ? 7 : 1) * 24 * 3600_000);
    // "since yesterday", "since monday": from the start of that day.
    if (!component.isCertain("hour")) date = startOfDay(date, options.timeZone);
  }
  return date;
}

function startOfDay(date: Date, timeZone: string): Date {
  const offset = offsetMinutes(date, timeZone);
  const local = new Date(date.getTime() + offset * 60_000);
  const midnightLocal = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
  return new Date(midnightLocal - offsetMinutes(new Date(midnightLocal - offset * 60_000), timeZone) * 60_000);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes east of UTC of `timeZone` at `date` (+60 for Berlin in winter, -240 for New York in summer). */
export function offsetMinutes(date: Date, timeZone: string): number {
  if (timeZone === "UTC" || timeZone === "Etc/UTC") return 0;
  // Offsets change at most a few times a year, always on a quarter hour: cache per zone and quarter hour.
  let byQuarter = offsets.get(timeZone);
  if (!byQuarter) {
    if (offsets.size > 100) offsets.clear();
    byQuarter = new Map();
    offsets.set(timeZone, byQuarter);
  }
  const quarter = Math.floor(date.getTime() / 900_000);
  const cached = byQuarter.get(quarter);
  if (cached !== undefined) return cached;
  const offset = computeOffset(date, timeZone);
  if (byQuarter.size > 10_000) byQuarter.clear();
  byQuarter.set(quarter, offset);
  return offset;
}

/** Offsets by zone, then by quarter hour since the epoch. */
const offsets = new Map<string, Map<number, number>>();

function computeOffset(date: Date, timeZone: string): number {
  let dtf = formatters.get(timeZone);
  if (!dtf) {
    dtf = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, dtf);
  }
  const parts: Record<string, number> = {};
  for (const p of dtf.formatToParts(date)) if (p.type !== "literal") parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour! % 24, parts.minute!, parts.second!);
  return Math.round((asUtc - Math.floor(date.getTime() / 1000) * 1000) / 60_000);
}

function pad(n: number, w = 2): string {
  // Two digits without padStart: every field but the year.
  if (w === 2 && n >= 0 && n < 100) return n < 10 ? `0${n}` : `${n}`;
  return String(n).padStart(w, "0");
}

/** ISO 8601 in `timeZone` with its offset, to the second: "2026-03-10T17:00:00+01:00". */
export function formatInZone(date: Date, timeZone: string): string {
  const offset = offsetMinutes(date, timeZone);
  const local = new Date(date.getTime() + offset * 60_000);
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return (
    `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
    `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}
