import { z } from "zod";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { listArg, optionalArg, optionalInstant, optionalInt, optionalText } from "../shared/args.js";
import type { Clock } from "../shared/clock.js";
import { correlate, DEFAULT_WITHIN_MS, describeOnset, type Correlation, type Suspect } from "./correlate.js";
import { evidenceArg } from "./evidence.js";
import { describeSources, gatherEvidence, type SourceStatus } from "./triage-evidence.js";
import { buildTimeline, renderTimeline, timeFormatter, type TimelineEntry } from "./timeline.js";
import { previousDeploy, wayBack, type WayBack } from "./way-back.js";

/** A service's settings as the planner's `services` lists them; only what says which sources it has is read. */
const serviceSettings = z.looseObject({
  name: z.string(),
  healthUrl: z.string().optional().nullable(),
  repository: z.string().optional().nullable(),
  vercelProject: z.string().optional().nullable(),
  digitaloceanApp: z.string().optional().nullable(),
  logSource: z.unknown().optional(),
});

export const triageArgs = z.strictObject({
  /** The affected service; every service when not given. */
  service: optionalText(),
  env: z.string({ error: "must be the environment name" }).min(1, "must not be empty"),
  /** When the trouble started, as people said it. */
  since: optionalInstant(),
  symptom: optionalText(),
  /** Where the evidence window began (report.triageWindow). */
  windowStart: optionalInstant(),
  /** How long before a symptom a change may have ended and still be a suspect; 30 min by default. */
  suspectWithinMinutes: optionalInt(1, 24 * 60),
  /** The config's time zone, for the timeline. */
  timeZone: optionalText(),
  /** The config's flag catalog: which services read each flag. */
  flags: optionalArg(z.record(z.string(), z.looseObject({ services: z.array(z.string()).optional() }))),
  /** The services and their settings (the planner's `services`): which sources each has, to say what was not checked. */
  services: optionalArg(z.array(serviceSettings)),
  /** Services a restart can help (App Platform apps). */
  restartable: optionalArg(listArg(z.string(), "must be a list of service names")),
  /** The outputs of the evidence steps: `{{ steps }}`. */
  evidence: evidenceArg,
});

type Args = z.output<typeof triageArgs>;

/**
 * Incident triage: reads every source's evidence (changes and symptoms, in one shape), says what was not
 * checked and why, builds the timeline, names the suspects by the stated rule with the evidence that
 * ranks them (or says no suspect fits), and offers the way back as plans to approve. Read-only: the
 * way back is offered, never taken.
 */
export function createTriage(clock: Clock): AdapterAction {
  return adapterAction("report", "triage", {
    description: "Correlate an incident's changes and symptoms: timeline, ranked suspects with their evidence, and the way back.",
    args: triageArgs,
    risk: "read",
    async run(args) {
      const now = clock.now();
      const timeZone = args.timeZone ?? "UTC";
      const t = timeFormatter(timeZone, args.since ?? now);
      const gathered = gatherEvidence(args.evidence, args.env, new Date(now).toISOString());
      const flagServices = Object.fromEntries(Object.entries(args.flags ?? {}).map(([k, v]) => [k, v.services ?? []]));
      const inScope = <T extends { service: string | null }>(e: T) => !args.service || e.service === null || e.service === args.service;
      const correlation = correlate({
        changes: gathered.changes,
        symptoms: gathered.symptoms.filter(inScope),
        env: args.env,
        since: args.since,
        withinMs: args.suspectWithinMinutes ? args.suspectWithinMinutes * 60_000 : DEFAULT_WITHIN_MS,
        flagServices,
        formatTime: t,
      });
      const health = gathered.symptoms.filter((s) => s.kind === "health" && inScope(s));
      const timeline = buildTimeline(correlation, health, t);
      const ways = wayBack(correlation, args.env, args.restartable ?? []);
      const notChecked = [...unread(gathered.sources), ...unconfigured(args)];
      const who = args.service ? `${args.service} in ${args.env}` : args.env;
      const top = correlation.suspects[0];
      const noSuspect = top ? null : whyNoSuspect(correlation, gathered.sources, args.env);
      const summary = top
        ? `Likely suspect: ${top.evidence}.${ways[0] ? ` Way back: ${ways[0].text}.` : ""}`
        : `No suspect found: ${noSuspect}.`;
      const fix = top && (top.change.kind === "deploy" || top.change.kind === "rollback") ? fixTarget(top, correlation) : null;
      const data = {
        service: args.service ?? null,
        env: args.env,
        symptom: args.symptom ?? null,
        since: args.since !== undefined ? new Date(args.since).toISOString() : null,
        windowStart: args.windowStart !== undefined ? new Date(args.windowStart).toISOString() : null,
        timeZone,
        onset: correlation.onsets[0] ? new Date(correlation.onsets[0].at).toISOString() : null,
        suspects: correlation.suspects.slice(0, 3).map((s, i) => suspectData(s, i + 1)),
        noSuspect,
        ruledOut: correlation.ruledOut.map((r) => ({ summary: r.change.summary, reason: r.reason })),
        signatures: correlation.signatures
          .slice(0, 10)
          .map((s) => ({ service: s.service, ...s.group, isNew: s.isNew, sources: s.sources })),
        health: health.map((h) => ({ service: h.service, healthy: h.healthy ?? null, detail: h.detail ?? h.summary, source: h.source })),
        notChecked,
        wayBack: ways,
        timeline,
        fix,
      };
      const report = renderReport(data, correlation, t, who);
      return {
        summary,
        data,
        artifacts: [
          { kind: "text", title: `Triage of ${who}`, filename: "triage.txt", content: report.join("\n") },
          {
            kind: "text",
            title: `Timeline of ${who}`,
            filename: "timeline.txt",
            content: [
              `Timeline of ${who} (times in ${timeZone})`,
              ...(timeline.length ? renderTimeline(timeline, t) : ["  (nothing happened in the window)"]),
            ].join("\n"),
          },
          { kind: "json", title: "Triage data", filename: "triage.json", content: JSON.stringify(data) },
        ],
      };
    },
  });
}

function suspectData(s: Suspect, rank: number) {
  return {
    rank,
    kind: s.change.kind,
    service: s.change.service,
    at: s.change.at,
    endedAt: s.change.endedAt ?? null,
    summary: s.change.summary,
    rule: s.rule,
    evidence: s.evidence,
    sources: s.change.sources,
    link: s.change.link ?? null,
    runId: s.change.runId ?? null,
  };
}

/** What the proposed-fix step needs when the top suspect is a deploy with a known commit. */
function fixTarget(top: Suspect, correlation: Correlation) {
  const before = previousDeploy(top.change, correlation.changes);
  const repository = top.change.repository ?? before?.repository ?? null;
  if (!repository || !top.change.sha || !before?.sha) return null;
  return {
    repository,
    service: top.change.service,
    sha: top.change.sha,
    previousSha: before.sha,
    signature: top.onset.group?.signature ?? null,
    samples: top.onset.group?.samples ?? [],
  };
}

/** Sources that could not be read, in step order: "not checked — set X" once per setting, then what failed. */
function unread(sources: readonly SourceStatus[]): { what: string; why: string }[] {
  const bySetting = new Map<string, SourceStatus[]>();
  const failed: { what: string; why: string }[] = [];
  for (const s of sources) {
    if (s.state === "not-checked") {
      const key = s.missing.join(", ");
      bySetting.set(key, [...(bySetting.get(key) ?? []), s]);
    } else if (s.state === "failed") {
      failed.push({ what: s.what, why: `could not be read: ${s.reason}` });
    }
  }
  return [...[...bySetting].map(([settings, list]) => ({ what: describeSources(list), why: `set ${settings}` })), ...failed];
}

/** Sources the config gives a service none of: no health URL, no log source, nothing that records deploys. */
function unconfigured(args: Args): { what: string; why: string }[] {
  const services = (args.services ?? []).filter((s) => !args.service || s.name === args.service);
  const out: { what: string; why: string }[] = [];
  for (const s of services) {
    const where = `services.${s.name}`;
    if (!s.healthUrl && !s.digitaloceanApp)
      out.push({ what: `health of ${s.name}`, why: `no health URL in the config (set ${where}.environments.${args.env}.healthUrl)` });
    if (!s.vercelProject && !s.digitaloceanApp && !s.logSource) {
      out.push({
        what: `logs of ${s.name}`,
        why: `no log source in the config (set ${where}.logSource, or deploy it with Vercel or DigitalOcean)`,
      });
    }
    if (!s.repository && !s.vercelProject && !s.digitaloceanApp) {
      out.push({
        what: `deploys of ${s.name}`,
        why: `no repository, Vercel project or DigitalOcean app in the config; only opsroom's own runs are known`,
      });
    }
  }
  return out;
}

function whyNoSuspect(correlation: Correlation, sources: readonly SourceStatus[], env: string): string {
  if (correlation.onsets.length === 0) {
    const read = sources.filter((s) => s.state === "read").length;
    return read === 0
      ? "no source could be read, so nothing was seen going wrong (see Not checked)"
      : `nothing in the evidence went wrong in ${env}: no new error signature and no unhealthy service`;
  }
  if (correlation.changes.length === 0) {
    const read = sources.filter((s) => s.changes && s.state === "read");
    const unread = sources.filter((s) => s.changes && s.state !== "read");
    return `no change in ${env} is on record${read.length ? ` in ${describeSources(read)}` : ""}${unread.length ? ` (not checked: ${describeSources(unread)})` : ""}; look at dependencies, traffic and infrastructure next`;
  }
  return `${correlation.changes.length} change${correlation.changes.length === 1 ? "" : "s"} in the window, none fits the rule (reached ${env}, ended shortly before the trouble, same service); look at dependencies, traffic and infrastructure next`;
}

interface ReportData {
  readonly symptom: string | null;
  readonly since: string | null;
  readonly windowStart: string | null;
  readonly timeZone: string;
  readonly noSuspect: string | null;
  readonly wayBack: readonly WayBack[];
  readonly health: readonly { service: string | null; healthy: boolean | null; detail: string; source: string }[];
  readonly notChecked: readonly { what: string; why: string }[];
  readonly timeline: readonly TimelineEntry[];
}

function renderReport(data: ReportData, correlation: Correlation, t: (ms: number) => string, who: string): string[] {
  const at = (iso: string | null) => (iso ? t(Date.parse(iso)) : "?");
  const lines = [
    `Triage of ${who}${data.symptom ? ` (${data.symptom})` : ""} — times in ${data.timeZone}`,
    `Trouble reported since: ${data.since ? at(data.since) : "not said"}; evidence read from ${at(data.windowStart)}`,
    "",
    "Suspects (a change that reached the environment, ended shortly before a new error or health drop, same service):",
  ];
  if (correlation.suspects.length === 0) lines.push(`  No suspect found: ${data.noSuspect}.`);
  correlation.suspects.slice(0, 3).forEach((s, i) => {
    lines.push(`  ${i + 1}. ${s.change.summary} at ${at(s.change.at)}`, `     why: ${s.rule}`, `     evidence: ${s.evidence}`);
    lines.push(`     sources: ${s.change.sources.join(", ")}${s.change.link ? ` — ${s.change.link}` : ""}`);
  });
  if (correlation.ruledOut.length > 0) {
    lines.push("  Ruled out:");
    for (const r of correlation.ruledOut.slice(0, 8)) lines.push(`    - ${r.change.summary} (${at(r.change.at)}): ${r.reason}`);
  }
  lines.push("", "Way back (each is a plan to approve; nothing has been changed):");
  if (data.wayBack.length === 0) lines.push("  (nothing to undo)");
  for (const w of data.wayBack) lines.push(`  - ${w.label} — type: ${w.text}`);
  lines.push("", "Errors (grouped by signature):");
  if (correlation.signatures.length === 0) lines.push("  (no error lines read)");
  for (const s of correlation.signatures.slice(0, 5)) {
    lines.push(
      `  ${s.isNew ? "NEW " : ""}\`${s.group.signature}\`${s.service ? ` in ${s.service}` : ""} — ${s.group.count} time${s.group.count === 1 ? "" : "s"}, first ${at(s.group.firstSeen)}, last ${at(s.group.lastSeen)} [${s.sources.join(", ")}]`,
    );
    for (const sample of s.group.samples) lines.push(`      | ${sample.split("\n").slice(0, 4).join("\n      | ")}`);
  }
  lines.push("", "Health:");
  if (data.health.length === 0) lines.push("  (no health source read; see Not checked)");
  for (const h of data.health)
    lines.push(`  ${h.healthy ? "✓" : h.healthy === false ? "✗" : "·"} ${h.service ?? "environment"}: ${h.detail} [${h.source}]`);
  lines.push("", "Not checked:");
  if (data.notChecked.length === 0) lines.push("  (every source was read)");
  for (const n of data.notChecked) lines.push(`  - ${n.what} — ${n.why}`);
  lines.push("", "Onsets:");
  if (correlation.onsets.length === 0) lines.push("  (nothing went wrong in the evidence)");
  for (const o of correlation.onsets) lines.push(`  ${t(o.at)}  ${describeOnset(o, t)}`);
  lines.push(
    "",
    `Timeline (${data.timeline.length} entr${data.timeline.length === 1 ? "y" : "ies"}):`,
    ...renderTimeline(data.timeline, t),
  );
  return lines;
}
