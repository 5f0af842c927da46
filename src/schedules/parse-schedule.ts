import { InputError } from "../errors.js";

/**
 * What a schedule request asks for. The inner request ("post the ops board") is left for the normal
 * parser: this module only takes the cadence and the wrapper words off it.
 *
 * @example parseScheduleRequest("every weekday at 9am post the ops board in #ops")
 *   // → { kind: "create", cron: "0 9 * * 1-5", cadence: "every weekday at 9:00", request: "post the ops board", channel: "ops", watch: false }
 */
export type ScheduleRequest =
  | { kind: "create"; cron: string; cadence: string; request: string; channel: string | undefined; watch: boolean }
  | { kind: "list" }
  | { kind: "stop"; query: string }
  | { kind: "approve"; id: string | undefined };

const DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const DAY = `(?:${DAYS.map((d) => `${d.slice(0, 3)}(?:${d.slice(3)})?`).join("|")})s?`;
const TIME = String.raw`(?:(?:at\s+)?(?:(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)|(\d{1,2}):(\d{2})|(noon|midnight)))`;
const DAYSET = String.raw`(?:every|each|on)\s+(weekdays?|work\s*days?|days?|weekends?|${DAY}(?:\s*(?:,|and)\s*${DAY})*)|(daily|weekdays|weekends)`;

const LIST = /^(?:list|show|what are)(?:\s+(?:the|all|my|our|active))*\s+(?:schedules|watches|scheduled runs)\??$|^(?:schedules|watches)$/i;
const STOP = /^(?:stop|cancel|delete|remove|unschedule|disable|end)\s+(.+)$/i;
const APPROVE = /^approve\s+(?:the\s+)?(?:schedule|watch)(?:\s+([0-9a-f-]{4,36}))?$/i;
const CRON = /^(?:on\s+)?cron\s+["'`]?((?:\S+\s+){4}\S+?)["'`]?\s+(.+)$/i;
const INTERVAL = /\b(?:every|each)\s+(?:(\d+)\s*|(an?|one|half(?:\s+an?)?)\s+)?(minutes?|mins?|m|hours?|hrs?|h)\b/i;
const HOURLY = /\b(hourly)\b/i;
const STOP_NAMES_SCHEDULE =
  /\b(?:schedules?|scheduled|watch(?:es)?|every|daily|hourly|weekdays?|weekends?|minutes?|hours?|noon|midnight)\b|\b\d{1,2}(?::\d{2})?\s*(?:am|pm)\b|\b\d{1,2}:\d{2}\b/i;
const CHANNEL = /\s+(?:in|to|into|on)\s+#([\w-]+)\s*$/i;

/** Is this text a schedule request at all (a cadence, a list, a stop or an approval of one)? */
export function parseScheduleRequest(text: string): ScheduleRequest | undefined {
  const trimmed = text.trim().replace(/[.!]+$/, "");
  if (LIST.test(trimmed)) return { kind: "list" };
  const approve = APPROVE.exec(trimmed);
  if (approve) return { kind: "approve", id: approve[1]?.toLowerCase() };
  const stop = STOP.exec(trimmed);
  if (stop) {
    const query = stop[1]!.replace(/^(?:the|my|our)\s+/i, "");
    // Only a stop that names a schedule or its cadence ("the 9am board", "schedule 1a2b"): "cancel the deploy"
    // must never stop a schedule that happens to deploy.
    if (!STOP_NAMES_SCHEDULE.test(query)) return undefined;
    return { kind: "stop", query };
  }
  return parseCreate(trimmed);
}

function parseCreate(text: string): ScheduleRequest | undefined {
  let rest = text;
  let watch = false;
  const watchWord = /^watch\s+/i.exec(rest);
  if (watchWord) {
    watch = true;
    rest = rest.slice(watchWord[0].length);
  }
  const cron = CRON.exec(rest);
  if (cron) return finish(cron[2]!, cron[1]!.trim(), `cron ${cron[1]!.trim()}`, watch);

  const interval = INTERVAL.exec(rest) ?? HOURLY.exec(rest);
  if (interval) {
    const [cronText, cadence] = intervalCron(interval);
    return finish(cut(rest, interval), cronText, cadence, watch);
  }

  const dayset = new RegExp(DAYSET, "i").exec(rest);
  if (!dayset) return undefined;
  rest = cut(rest, dayset);
  const time = new RegExp(TIME, "i").exec(rest);
  const days = dayset[1] ?? dayset[2]!;
  if (!time) {
    throw new InputError("SCHEDULE_NO_TIME", `At what time ${days.startsWith("day") || days === "daily" ? "each day" : `on ${days}`}?`, {
      hint: 'Say it with a time, e.g. "every weekday at 9am post the ops board".',
    });
  }
  const { hour, minute } = timeOf(time);
  rest = cut(rest, time);
  const [dow, dayText] = daysOfWeek(days);
  const clock = `${hour}:${String(minute).padStart(2, "0")}`;
  return finish(rest, `${minute} ${hour} * * ${dow}`, `${dayText} at ${clock}`, watch);
}

function finish(inner: string, cron: string, cadence: string, watch: boolean): ScheduleRequest {
  let request = inner.replace(/\s+/g, " ").trim();
  let channel: string | undefined;
  const named = CHANNEL.exec(request);
  if (named) {
    channel = named[1]!;
    request = request.slice(0, named.index);
  }
  // A Slack channel mention is removed with the rest of Slack's markup, leaving "… in" behind.
  request = request
    .replace(/\s+(?:in|to|into)$/i, "")
    .replace(/^(?:and|then|,)\s+|\s*,$/gi, "")
    .trim()
    // "post the ops board in #ops": posting is what a scheduled read does anyway; the parser knows "show".
    .replace(/^(?:post|send|share)\s+/i, "show ");
  if (!request) {
    throw new InputError("SCHEDULE_NO_REQUEST", `What should I run ${cadence}?`, {
      hint: 'Say the request too, e.g. "every 15 minutes check prod status".',
    });
  }
  return { kind: "create", cron, cadence, request, channel, watch };
}

/** The text without the matched cadence words. */
function cut(text: string, match: RegExpExecArray): string {
  return `${text.slice(0, match.index)} ${text.slice(match.index + match[0].length)}`.replace(/\s+/g, " ").trim();
}

function intervalCron(match: RegExpExecArray): [string, string] {
  if (match[1]?.toLowerCase() === "hourly") return ["0 * * * *", "every hour"];
  const hours = match[3]!.toLowerCase().startsWith("h");
  if (match[2]?.toLowerCase().startsWith("half")) {
    if (hours) return ["*/30 * * * *", "every 30 minutes"];
    throw new InputError("SCHEDULE_TOO_OFTEN", "Half a minute is too often: the shortest interval is 1 minute.");
  }
  const n = match[1] ? Number(match[1]) : 1;
  if (n < 1)
    throw new InputError("SCHEDULE_TOO_OFTEN", `Every ${n} ${hours ? "hours" : "minutes"} is not an interval; the shortest is 1 minute.`);
  return hours || n % 60 !== 0 ? everyN(n, hours ? "hour" : "minute") : everyN(n / 60, "hour");
}

function everyN(n: number, unit: "minute" | "hour"): [string, string] {
  const limit = unit === "minute" ? 60 : 24;
  // Cron steps restart at each hour (each day): only divisors keep the spacing even.
  if (limit % n !== 0) {
    const allowed = unit === "minute" ? "1, 2, 3, 4, 5, 6, 10, 12, 15, 20 or 30" : "1, 2, 3, 4, 6, 8 or 12";
    throw new InputError(
      "SCHEDULE_UNEVEN_INTERVAL",
      `Every ${n} ${unit}s does not divide the ${unit === "minute" ? "hour" : "day"} evenly.`,
      {
        hint: `Use every ${allowed} ${unit}s, or a cron pattern ("cron */7 * * * * …").`,
      },
    );
  }
  const text = n === 1 ? `every ${unit}` : `every ${n} ${unit}s`;
  if (unit === "minute") return [n === 1 ? "* * * * *" : `*/${n} * * * *`, text];
  return [n === 1 ? "0 * * * *" : `0 */${n} * * *`, text];
}

function timeOf(match: RegExpExecArray): { hour: number; minute: number } {
  if (match[6]) return { hour: match[6].toLowerCase() === "noon" ? 12 : 0, minute: 0 };
  const twelve = match[1] !== undefined;
  let hour = Number(twelve ? match[1] : match[4]);
  const minute = Number((twelve ? match[2] : match[5]) ?? 0);
  if (twelve) {
    const pm = match[3]!.toLowerCase().startsWith("p");
    if (hour < 1 || hour > 12) throw new InputError("SCHEDULE_BAD_TIME", `"${match[0].trim()}" is not a time of day.`);
    hour = (hour % 12) + (pm ? 12 : 0);
  }
  if (hour > 23 || minute > 59) throw new InputError("SCHEDULE_BAD_TIME", `"${match[0].trim()}" is not a time of day.`);
  return { hour, minute };
}

function daysOfWeek(days: string): [string, string] {
  const d = days.toLowerCase().replace(/\s+/g, "");
  if (/^(weekdays?|workdays?)$/.test(d)) return ["1-5", "every weekday"];
  if (/^weekends?$/.test(d)) return ["0,6", "every weekend day"];
  if (/^(days?|daily)$/.test(d)) return ["*", "every day"];
  const named = d
    .split(/,|and/)
    .filter(Boolean)
    .map((name) => DAYS.findIndex((full) => name.startsWith(full.slice(0, 3))));
  const unique = [...new Set(named)].sort((a, b) => a - b);
  return [unique.join(","), `every ${unique.map((i) => DAYS[i]![0]!.toUpperCase() + DAYS[i]!.slice(1)).join(" and ")}`];
}

/** A time typed in a stop request ("9am") written the way cadences show it ("9:00"). */
export function normalizeTimeWord(word: string): string {
  const m = /^(\d{1,2})(?::(\d{2}))?(am|pm)?$/i.exec(word);
  if (!m || (!m[2] && !m[3])) return word;
  let hour = Number(m[1]);
  if (m[3]) hour = (hour % 12) + (m[3].toLowerCase() === "pm" ? 12 : 0);
  return `${hour}:${m[2] ?? "00"}`;
}

/** A config watch's `every` ("5 minutes", "1 hour") as a cron pattern and how people read it. */
export function intervalCadence(every: string): { cron: string; cadence: string } {
  const match = INTERVAL.exec(`every ${every.trim()}`);
  if (!match) throw new InputError("SCHEDULE_BAD_INTERVAL", `"${every}" is not an interval like "5 minutes" or "1 hour".`);
  const [cron, cadence] = intervalCron(match);
  return { cron, cadence };
}
