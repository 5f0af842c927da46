import type { SymptomEvidence } from "../shared/evidence.js";
import type { Change, Correlation } from "./correlate.js";

/** One line of an incident's timeline: a change or a symptom onset, at a time. */
export interface TimelineEntry {
  readonly at: string;
  readonly kind: "change" | "symptom";
  readonly text: string;
  readonly link: string | null;
}

/**
 * Changes and symptom onsets interleaved, oldest first: each change (with its end when it took a
 * while), each signature's first sighting, each service seen unhealthy.
 */
export function buildTimeline(
  correlation: Correlation,
  health: readonly SymptomEvidence[],
  formatTime: (ms: number) => string,
): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  for (const c of correlation.changes) {
    entries.push({ at: c.at, kind: "change", text: `${c.summary}${span(c, formatTime)} [${c.sources.join(", ")}]`, link: c.link ?? null });
  }
  for (const s of correlation.signatures) {
    if (!s.group.firstSeen) continue;
    entries.push({
      at: s.group.firstSeen,
      kind: "symptom",
      text: `${s.isNew ? "new error" : "error (already there when the logs read began)"}${s.service ? ` in ${s.service}` : ""}: \`${s.group.signature}\` — ${s.group.count} time${s.group.count === 1 ? "" : "s"}, last ${s.group.lastSeen ? formatTime(Date.parse(s.group.lastSeen)) : "?"} [${s.sources.join(", ")}]`,
      link: null,
    });
  }
  for (const h of health) {
    if (h.healthy !== false) continue;
    entries.push({ at: h.at, kind: "symptom", text: `${h.summary} [${h.source}]`, link: h.link ?? null });
  }
  return entries.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

function span(c: Change, formatTime: (ms: number) => string): string {
  if (!c.endedAt || c.endedAt === c.at) return "";
  return ` (until ${formatTime(Date.parse(c.endedAt))})`;
}

/**
 * Times in a zone: "10:04" on the incident's day, "Jan 6 16:00" on another.
 *
 * @example const t = timeFormatter("Europe/Berlin", Date.parse("2026-01-07T10:00:00Z")); t(Date.parse("2026-01-07T09:04:00Z")) // "10:04"
 */
export function timeFormatter(timeZone: string, reference: number): (ms: number) => string {
  const day = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
  const clock = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const date = new Intl.DateTimeFormat("en-US", { timeZone, month: "short", day: "numeric" });
  const today = day.format(reference);
  return (ms) => (day.format(ms) === today ? clock.format(ms) : `${date.format(ms)} ${clock.format(ms)}`);
}

export function renderTimeline(entries: readonly TimelineEntry[], formatTime: (ms: number) => string): string[] {
  return entries.map((e) => `${formatTime(Date.parse(e.at)).padStart(12)}  ${e.kind === "change" ? "change " : "symptom"}  ${e.text}`);
}
