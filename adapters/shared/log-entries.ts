import { isStackLine } from "./log-signatures.js";

/**
 * Log bodies into entries, whatever their format: plain text lines, newline-delimited JSON, or a JSON
 * array (bare, or under `logs`, `entries`, `result`, `data` or `items`). JSON records are read by common
 * field names (time, message, level, status) unless the source names its own.
 */

/** One log entry: a line, or a line with its stack trace joined on. */
export interface LogEntry {
  /** Epoch ms; null when the line carries no time. */
  readonly at: number | null;
  readonly message: string;
  /** The source's own level, when it has one ("error", "fatal", "stderr"). */
  readonly level?: string | null;
  /** An HTTP status the source recorded with the line (Vercel request logs). */
  readonly status?: number | null;
}

export type LogFormat = "auto" | "ndjson" | "json" | "text";

/** Field names of a JSON log record, when they are not the common ones. */
export interface LogFields {
  readonly time?: string | undefined;
  readonly message?: string | undefined;
  readonly level?: string | undefined;
}

const TIME_FIELDS = ["timestamp", "time", "ts", "@timestamp", "date", "timestampInMs", "created", "at"];
const MESSAGE_FIELDS = ["message", "msg", "event_message", "text", "log", "line"];
const LEVEL_FIELDS = ["level", "severity", "lvl", "levelname", "type"];
const STATUS_FIELDS = ["status", "statusCode", "status_code", "responseStatusCode"];
const LIST_FIELDS = ["logs", "entries", "result", "data", "items", "lines"];

/** Parses a whole log body in the given format ("auto" looks at it first). */
export function parseLogBody(body: string, format: LogFormat = "auto", fields: LogFields = {}): LogEntry[] {
  const kind = format === "auto" ? sniff(body) : format;
  if (kind === "text") return entriesFromText(body);
  if (kind === "ndjson") {
    return body.split("\n").flatMap((line) => {
      if (!line.trim()) return [];
      try {
        return [entryFromRecord(JSON.parse(line), fields)];
      } catch {
        return entriesFromText(line);
      }
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return entriesFromText(body);
  }
  return recordsOf(parsed).map((r) => entryFromRecord(r, fields));
}

function sniff(body: string): "text" | "ndjson" | "json" {
  const trimmed = body.trimStart();
  if (trimmed.startsWith("[")) return "json";
  if (!trimmed.startsWith("{")) return "text";
  const firstLine = trimmed.split("\n", 1)[0]!;
  try {
    JSON.parse(firstLine);
    return "ndjson";
  } catch {
    return "json";
  }
}

function recordsOf(parsed: unknown): unknown[] {
  if (Array.isArray(parsed)) return parsed;
  if (parsed && typeof parsed === "object") {
    for (const key of LIST_FIELDS) {
      const list = (parsed as Record<string, unknown>)[key];
      if (Array.isArray(list)) return list;
    }
    return [parsed];
  }
  return [];
}

/** One JSON log record as an entry; a stack (`stack`, `err.stack`, `error.stack`) is joined to the message. */
export function entryFromRecord(record: unknown, fields: LogFields = {}): LogEntry {
  if (typeof record !== "object" || record === null) return { at: null, message: String(record) };
  const r = record as Record<string, unknown>;
  const pick = (own: string | undefined, common: readonly string[]) =>
    own !== undefined ? r[own] : common.map((k) => r[k]).find((v) => v !== undefined && v !== null && v !== "");
  const rawMessage = pick(fields.message, MESSAGE_FIELDS);
  const statusValue = STATUS_FIELDS.map((k) => r[k]).find((v) => typeof v === "number");
  // A request line without text (Vercel's request logs, an access log in JSON) reads as the request,
  // by route (the query string would split one failing route into many signatures), with its error.
  const path = [r.requestPath, r.path].find((v): v is string => typeof v === "string");
  const method = [r.requestMethod, r.method].find((v): v is string => typeof v === "string");
  const error = typeof r.error === "string" ? `: ${r.error}` : "";
  const request =
    path !== undefined ? `${method ? `${method} ` : ""}${path.split("?")[0]} → HTTP ${String(statusValue ?? "?")}${error}` : undefined;
  let message =
    typeof rawMessage === "string"
      ? rawMessage
      : rawMessage !== undefined
        ? JSON.stringify(rawMessage)
        : (request ?? JSON.stringify(record));
  const nested = (key: string) => {
    const v = r[key];
    return v && typeof v === "object" ? (v as Record<string, unknown>).stack : undefined;
  };
  const stack = [r.stack, nested("err"), nested("error")].find((s): s is string => typeof s === "string");
  if (stack && !message.includes(stack.split("\n")[0]!.trim())) message = `${message}\n${stack}`;
  else if (stack && !message.includes("\n")) message = stack;
  return {
    at: epochOf(pick(fields.time, TIME_FIELDS)),
    message,
    level: levelOf(pick(fields.level, LEVEL_FIELDS)),
    status: typeof statusValue === "number" ? statusValue : null,
  };
}

/** Epoch ms from ISO text or a number in seconds, milliseconds or microseconds (Supabase logs). */
export function epochOf(value: unknown): number | null {
  if (typeof value === "number" && Number.isFinite(value)) {
    if (value > 1e14) return Math.floor(value / 1000);
    if (value > 1e11) return value;
    return value * 1000;
  }
  if (typeof value === "string" && value !== "") {
    if (/^\d+(\.\d+)?$/.test(value)) return epochOf(Number(value));
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

/** A level name; pino's numbers (50 error, 60 fatal) become names. */
function levelOf(value: unknown): string | null {
  if (typeof value === "number") return value >= 60 ? "fatal" : value >= 50 ? "error" : value >= 40 ? "warn" : "info";
  return typeof value === "string" && value !== "" ? value.toLowerCase() : null;
}

/**
 * Plain-text log lines into entries. A leading "[component] time" prefix (DigitalOcean: "web
 * 2026-01-07T10:04:00.123456789Z …") gives the time and is dropped from the message; stack lines ("at …",
 * 'File "…", line N', indented continuation, "goroutine N [running]:") are joined to the line they follow.
 */
export function entriesFromText(text: string): LogEntry[] {
  const entries: { at: number | null; lines: string[] }[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") continue;
    const { at, rest } = splitPrefix(line);
    const last = entries.at(-1);
    const continues = isStackLine(rest.trim()) || /^\s{2,}\S/.test(rest) || /^\t/.test(rest) || /^goroutine \d+ \[/.test(rest.trim());
    if (last && continues && (at === null || at === last.at)) {
      last.lines.push(rest);
      continue;
    }
    entries.push({ at, lines: [rest] });
  }
  return entries.map((e) => ({ at: e.at, message: e.lines.join("\n") }));
}

/** An ISO time at the start of a line, possibly after a component name, and the line after it. */
function splitPrefix(line: string): { at: number | null; rest: string } {
  const match = /^(?:([\w.-]+)\s+)?\[?(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)\]?(?: |$)/.exec(line);
  if (!match) return { at: null, rest: line };
  // Nanosecond fractions (DigitalOcean) are more than Date.parse reads.
  const iso = match[2]!.replace(" ", "T").replace(/(\.\d{3})\d+/, "$1");
  const ms = Date.parse(/Z|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
  return Number.isNaN(ms) ? { at: null, rest: line } : { at: ms, rest: line.slice(match[0].length) };
}

/** Entries inside [since, until]; entries without a time are kept (the source chose to return them). */
export function inWindow(entries: readonly LogEntry[], since: number | undefined, until: number | undefined): LogEntry[] {
  return entries.filter((e) => e.at === null || ((since === undefined || e.at >= since) && (until === undefined || e.at <= until)));
}
