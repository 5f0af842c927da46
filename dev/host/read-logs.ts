import { readFile } from "node:fs/promises";

export interface LogQuery {
  /** ISO date-time; the last 15 minutes when not given. */
  since?: string;
  until?: string;
  /** Lowest level to show: error, warn or info (everything). */
  level?: string;
}

interface Entry {
  time: string;
  level: string;
  [field: string]: unknown;
}

const RANK: Record<string, number> = { info: 0, warn: 1, error: 2 };
/** Lines shown in the artifact; the counts cover every line of the window. */
const SHOWN = 200;

/**
 * Reads a service's JSON-lines log (and the file it rotated to) for a window: counts, the first and last
 * error, and the newest lines as text. Lines that are not JSON are kept as info lines.
 */
export async function readLogs(file: string, query: LogQuery, now = Date.now()) {
  const since = query.since ? Date.parse(query.since) : now - 15 * 60_000;
  const until = query.until ? Date.parse(query.until) : now;
  const min = RANK[query.level ?? "info"] ?? 0;
  const text = (await readOptional(`${file}.1`)) + (await readOptional(file));
  const entries = text
    .split("\n")
    .filter(Boolean)
    .map(parse)
    .filter((e) => {
      const at = Date.parse(e.time);
      return at >= since && at <= until && (RANK[e.level] ?? 0) >= min;
    });
  const errors = entries.filter((e) => e.level === "error");
  return {
    lines: entries.length,
    errorLines: errors.length,
    firstErrorAt: errors[0]?.time ?? null,
    lastErrorAt: errors.at(-1)?.time ?? null,
    since: new Date(since).toISOString(),
    until: new Date(until).toISOString(),
    shown: entries.slice(-SHOWN).map(format).join("\n"),
  };
}

async function readOptional(file: string): Promise<string> {
  return readFile(file, "utf8").catch(() => "");
}

function parse(line: string): Entry {
  try {
    const entry = JSON.parse(line) as Entry;
    if (typeof entry.time === "string" && typeof entry.level === "string") return entry;
  } catch {
    // Not JSON: kept as it is.
  }
  return { time: new Date(0).toISOString(), level: "info", message: line };
}

function format(e: Entry): string {
  const { time, level, service: _service, pid, version, ...rest } = e;
  const what =
    typeof rest.method === "string"
      ? `${rest.method} ${String(rest.path)} ${String(rest.status)}${rest.ms !== undefined ? ` ${String(rest.ms)} ms` : ""}${rest.error ? ` ${String(rest.error)}` : ""}`
      : String(rest.message ?? JSON.stringify(rest));
  return `${time} ${level.toUpperCase().padEnd(5)} ${String(version ?? "")} pid ${String(pid ?? "-")} ${what}`;
}
