/**
 * Times as every front end writes them: one format, in the config's time zone, named ("14:32 UTC",
 * "May 2, 14:32 CEST" when not today), and durations as "42 s", "3 min 5 s", "1 h 2 min".
 */
export function timeOfDay(at: Date, timeZone: string, now: Date): string {
  const day = (d: Date) => new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(d);
  const clock = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(at);
  const date = day(at) === day(now) ? "" : `${new Intl.DateTimeFormat("en-US", { timeZone, month: "short", day: "numeric" }).format(at)}, `;
  return `${date}${clock} ${zoneName(timeZone, at)}`;
}

/** "UTC", "CET", "EST": the zone's short name, taken from whichever locale names it (else "GMT+5:30"). */
function zoneName(timeZone: string, at: Date): string {
  const names = ["en-US", "en-GB"].map(
    (locale) =>
      new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: "short" }).formatToParts(at).find((p) => p.type === "timeZoneName")
        ?.value ?? timeZone,
  );
  return names.find((n) => !n.startsWith("GMT")) ?? names[0]!;
}

/** "42 s", "3 min 5 s", "1 h 2 min"; under ten seconds with a tenth ("1.4 s"). */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return ms < 10_000 && ms > 0 ? `${(ms / 1000).toFixed(1)} s` : `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min${s % 60 ? ` ${s % 60} s` : ""}`;
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ""}`;
}
