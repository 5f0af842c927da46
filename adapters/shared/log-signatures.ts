import type { SignatureGroup } from "./evidence.js";
import type { LogEntry } from "./log-entries.js";

/**
 * Error lines grouped by a normalised signature (Grafana Sift's habit): the same error with another
 * id, number, hash, timestamp or address is one signature, with a count, first and last seen, and at
 * most 3 sample lines. Every log source uses this, so one error reads the same from Vercel, DigitalOcean,
 * Supabase or a plain file.
 */

export const MAX_SAMPLES = 3;
const MAX_SIGNATURE = 160;
const ERROR_LEVELS = new Set(["error", "fatal", "panic", "critical", "crit", "emerg", "alert", "stderr", "err"]);
const LEVEL_WORD = /\b(error|fatal|panic|critical|exception|traceback|unhandled|uncaught|segfault|oom|killed)\b/i;

/** Whether an entry is an error: an error level, a 5xx, or error words in a line without a level. */
export function isErrorEntry(entry: LogEntry): boolean {
  if (entry.status !== undefined && entry.status !== null && entry.status >= 500) return true;
  const level = entry.level?.toLowerCase();
  if (level) return ERROR_LEVELS.has(level);
  return LEVEL_WORD.test(entry.message) || / 5\d\d /.test(` ${entry.message} `);
}

/**
 * The signature of a message: its first meaningful line with the parts that vary between occurrences
 * replaced (timestamps, UUIDs, hashes, IPs, numbers, emails, query strings), log prefixes dropped.
 *
 * @example normaliseSignature("2026-01-07T10:04:01Z ERROR TypeError: cannot read 'amount' of undefined (order 8812)")
 *   // "TypeError: cannot read 'amount' of undefined (order <n>)"
 */
export function normaliseSignature(message: string): string {
  const first =
    message
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l !== "" && !isStackLine(l)) ?? message.trim();
  const text = first
    .replace(/^\[?\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?\]?\s*/, "")
    // A level word in capitals or brackets is a log prefix; "Error: …" is the error's own name.
    .replace(/^\[(error|err|fatal|panic|critical|warn(ing)?|info|debug)\]:?\s+/i, "")
    .replace(/^(ERROR|ERR|FATAL|PANIC|CRITICAL|WARN(ING)?|INFO|DEBUG)\b:?\s+/, "")
    .replace(/\b\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?\b/g, "<time>")
    .replace(/\b\d\d:\d\d:\d\d(\.\d+)?\b/g, "<time>")
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<id>")
    .replace(/[\w.+-]+@[\w-]+\.[\w.-]+/g, "<email>")
    .replace(/\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b/g, "<ip>")
    .replace(/\?[^\s'"]*/g, "?<query>")
    .replace(/\b([a-z]+_)[A-Za-z0-9]{8,}\b/g, "$1<id>")
    .replace(/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,}\b/gi, "<hash>")
    // An HTTP status stays: a 502 and a 504 are different troubles.
    .replace(/(?<!(?:HTTP|status|code)[ :=/]*)\b(0x[0-9a-f]+|\d+(\.\d+)?)(?![\d.])/gi, "<n>")
    .replace(/\s+/g, " ")
    .trim();
  return text.length > MAX_SIGNATURE ? `${text.slice(0, MAX_SIGNATURE - 1)}…` : text;
}

/**
 * Groups error entries by signature, most frequent first (ties: earliest first seen), keeping at most
 * `limit` groups; entries that are not errors are left out.
 */
export function groupBySignature(entries: readonly LogEntry[], limit = 20): SignatureGroup[] {
  const groups = new Map<string, { count: number; first: number | null; last: number | null; samples: string[] }>();
  for (const entry of entries) {
    if (!isErrorEntry(entry)) continue;
    const signature = normaliseSignature(entry.message);
    const g = groups.get(signature) ?? { count: 0, first: null, last: null, samples: [] };
    g.count++;
    if (entry.at !== null) {
      if (g.first === null || entry.at < g.first) g.first = entry.at;
      if (g.last === null || entry.at > g.last) g.last = entry.at;
    }
    if (g.samples.length < MAX_SAMPLES && !g.samples.includes(entry.message)) g.samples.push(entry.message);
    groups.set(signature, g);
  }
  return [...groups.entries()]
    .sort(([, a], [, b]) => b.count - a.count || (a.first ?? Infinity) - (b.first ?? Infinity))
    .slice(0, limit)
    .map(([signature, g]) => ({
      signature,
      count: g.count,
      firstSeen: g.first === null ? null : new Date(g.first).toISOString(),
      lastSeen: g.last === null ? null : new Date(g.last).toISOString(),
      samples: g.samples,
    }));
}

/** Merges groups of one signature from several sources: counts add up, samples stay at most 3. */
export function mergeGroups(groups: readonly SignatureGroup[]): SignatureGroup {
  const times = (pick: (g: SignatureGroup) => string | null) => groups.map(pick).filter((t): t is string => t !== null);
  const firsts = times((g) => g.firstSeen).sort();
  const lasts = times((g) => g.lastSeen).sort();
  const samples: string[] = [];
  for (const g of groups) for (const s of g.samples) if (samples.length < MAX_SAMPLES && !samples.includes(s)) samples.push(s);
  return {
    signature: groups[0]?.signature ?? "",
    count: groups.reduce((n, g) => n + g.count, 0),
    firstSeen: firsts[0] ?? null,
    lastSeen: lasts.at(-1) ?? null,
    samples,
  };
}

/** A line of a stack trace: "at fn (file:line)", 'File "…", line N', "Traceback …". */
export function isStackLine(line: string): boolean {
  return /^at\s+\S/.test(line) || /^File "[^"]+", line \d+/.test(line) || /^Traceback \(most recent call last\)/.test(line);
}

/** A stack frame: a file, a line, and the function when the frame names one. */
export interface StackFrame {
  readonly file: string;
  readonly line: number;
  readonly fn: string | null;
}

/**
 * Stack frames in a sample, innermost first, skipping runtime and dependency frames (node:internal,
 * node_modules, site-packages).
 *
 * @example stackFrames("TypeError: x\n    at charge (/app/src/payments/charge.ts:42:13)") // [{ file: "/app/src/payments/charge.ts", line: 42, fn: "charge" }]
 */
export function stackFrames(sample: string): StackFrame[] {
  const frames: StackFrame[] = [];
  const patterns = [
    /at\s+(?:(?:async\s+)?([\w$.<>[\] ]+?)\s+\()?(?:file:\/\/)?([^\s()]+?):(\d+)(?::\d+)?\)?\s*$/,
    /File "([^"]+)", line (\d+)(?:, in (\S+))?/,
    /^\s*((?:\/|\.{0,2}\/?)[\w./-]+\.(?:go|rb|rs|java|kt|php|cs)):(\d+)/,
  ];
  for (const line of sample.split("\n")) {
    const node = patterns[0]!.exec(line.trim());
    const python = patterns[1]!.exec(line);
    const other = patterns[2]!.exec(line);
    const frame = node
      ? { file: node[2]!, line: Number(node[3]), fn: node[1]?.trim() || null }
      : python
        ? { file: python[1]!, line: Number(python[2]), fn: python[3] ?? null }
        : other
          ? { file: other[1]!, line: Number(other[2]), fn: null }
          : undefined;
    if (!frame || /^node:|node_modules\/|site-packages\/|internal\//.test(frame.file)) continue;
    frames.push(frame);
  }
  return frames;
}
