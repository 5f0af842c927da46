import type { ChangeEvidence, SignatureGroup, SymptomEvidence } from "../shared/evidence.js";
import { mergeGroups } from "../shared/log-signatures.js";
import { formatAge } from "./evidence.js";

/**
 * Which changes may have caused an incident, by a stated rule (ANCHORS, "Incident triage"): a change
 * is a suspect only if it actually reached the environment, ended shortly before a new error signature
 * or a health drop, and touched the same service. Each suspect says which rule matched; each change
 * ruled out says why; no suspect is a valid answer. Pure: evidence in, verdicts out.
 */

/** A change as triage sees it: the same deploy reported by several sources is one change. */
export interface Change extends ChangeEvidence {
  /** Every source that reported it: "GitHub deployments", "opsroom run 1a2b3c4d". */
  readonly sources: readonly string[];
  readonly links: readonly string[];
}

/** When something started going wrong. */
export interface Onset {
  readonly kind: "new-signature" | "health-drop";
  readonly service: string | null;
  readonly at: number;
  /** errors: the signature across every source. */
  readonly group: SignatureGroup | null;
  readonly symptom: SymptomEvidence;
}

/** A signature seen in the window, with every source's lines merged. */
export interface Signature {
  readonly service: string | null;
  readonly group: SignatureGroup;
  readonly sources: readonly string[];
  /** First seen after the logs read began: it appeared during the window. */
  readonly isNew: boolean;
  readonly windowStart: string | null;
}

export interface Suspect {
  readonly change: Change;
  readonly onset: Onset;
  /** 0 strongest: a new signature of the same service; then health drops; then matches not tied to one service. */
  readonly tier: number;
  /** From the change's end to the onset. */
  readonly gapMs: number;
  /** Which rule matched, in words. */
  readonly rule: string;
  /** The evidence in one line: "deploy … at 10:02; `…` first seen 10:04, 312 times since". */
  readonly evidence: string;
}

export interface Correlation {
  /** Changes in the environment (or not tied to one), newest first. */
  readonly changes: readonly Change[];
  readonly signatures: readonly Signature[];
  readonly onsets: readonly Onset[];
  readonly suspects: readonly Suspect[];
  readonly ruledOut: readonly { change: Change; reason: string }[];
}

export interface CorrelationInput {
  readonly changes: readonly ChangeEvidence[];
  readonly symptoms: readonly SymptomEvidence[];
  readonly env: string;
  /** When people said the trouble started; a health drop is dated from it. */
  readonly since?: number | undefined;
  /** A change must have ended at most this long before the onset; 30 min by default. */
  readonly withinMs?: number | undefined;
  /** Services that read each flag (config); a flag not listed may touch any service. */
  readonly flagServices?: Readonly<Record<string, readonly string[]>>;
  /** Times as people read them (the config's zone). */
  readonly formatTime: (ms: number) => string;
}

export const DEFAULT_WITHIN_MS = 30 * 60_000;
/** A signature first seen within a minute of the logs' start was there before the window. */
const NEW_AFTER_MS = 60_000;
/** Provider clocks are not ours; a change "after" the onset by less than this still counts as before. */
const CLOCK_SKEW_MS = 60_000;
/** Two reports of one deploy (GitHub and opsroom, workflow run and deployment) are this close in time. */
const SAME_CHANGE_MS = 30 * 60_000;

const ms = (iso: string | null | undefined) => (iso ? Date.parse(iso) : NaN);
const endOf = (c: ChangeEvidence) => (Number.isFinite(ms(c.endedAt)) ? ms(c.endedAt) : ms(c.at));

export function correlate(input: CorrelationInput): Correlation {
  const within = input.withinMs ?? DEFAULT_WITHIN_MS;
  const changes = mergeChanges(input.changes.filter((c) => c.env === null || c.env === input.env));
  const signatures = mergeSignatures(input.symptoms.filter((s) => s.kind === "errors" && (s.env === null || s.env === input.env)));
  const onsets = findOnsets(signatures, input);
  const suspects: Suspect[] = [];
  const ruledOut: { change: Change; reason: string }[] = [];
  for (const change of changes) {
    const verdicts = onsets.map((onset) => judge(change, onset, input, within));
    // An onset the clock-skew allowance lets in (seen just before the change started) explains it
    // less well than one seen after it started.
    const early = (v: { onset: Onset }) => (v.onset.at < ms(change.at) ? 1 : 0);
    const fits = verdicts
      .filter((v): v is Extract<Verdict, { ok: true }> => v.ok)
      .sort((a, b) => a.tier - b.tier || early(a) - early(b) || a.gapMs - b.gapMs);
    if (fits[0]) suspects.push({ change, ...fits[0] });
    else if (onsets.length > 0) ruledOut.push({ change, reason: (verdicts.find((v) => !v.ok) as { reason: string }).reason });
  }
  suspects.sort((a, b) => a.tier - b.tier || a.gapMs - b.gapMs);
  return { changes, signatures, onsets, suspects, ruledOut };
}

type Verdict = { ok: true; onset: Onset; tier: number; gapMs: number; rule: string; evidence: string } | { ok: false; reason: string };

function judge(change: Change, onset: Onset, input: CorrelationInput, within: number): Verdict {
  const t = input.formatTime;
  const what = describeOnset(onset, t);
  if (change.env === null) {
    return {
      ok: false,
      reason: `not known to have reached ${input.env}: ${change.sources.join(", ")} record${change.sources.length === 1 ? "s" : ""} no environment`,
    };
  }
  if (!change.reached) return { ok: false, reason: `never reached ${input.env} (${change.state})` };
  const start = ms(change.at);
  const end = endOf(change);
  if (start > onset.at + CLOCK_SKEW_MS) return { ok: false, reason: `came after ${what}` };
  const gapMs = Math.max(0, onset.at - end);
  if (gapMs > within) return { ok: false, reason: `ended ${formatAge(gapMs)} before ${what}, longer than ${formatAge(within)}` };
  const service = sameService(change, onset, input.flagServices ?? {});
  if (!service.ok) return { ok: false, reason: service.reason };
  const tier = (onset.kind === "new-signature" ? 0 : 2) + (service.weak ? 1 : 0);
  const timing = end > onset.at ? `was still rolling out when ${what}` : `ended ${formatAge(gapMs)} before ${what}`;
  return {
    ok: true,
    onset,
    tier,
    gapMs,
    rule: `reached ${input.env} (${change.state}); ${timing}; ${service.text}`,
    evidence: `${change.summary} at ${t(start)}; ${onsetEvidence(onset, t)}`,
  };
}

function sameService(change: Change, onset: Onset, flagServices: Readonly<Record<string, readonly string[]>>) {
  if (change.kind === "flag" && change.flag && change.service === null) {
    const readers = flagServices[change.flag.key] ?? [];
    if (readers.length === 0)
      return {
        ok: true as const,
        weak: true,
        text: `flag ${change.flag.key} is not scoped to services in the config, so it may touch any`,
      };
    if (onset.service === null) return { ok: true as const, weak: true, text: `the symptom is not tied to one service` };
    return readers.includes(onset.service)
      ? { ok: true as const, weak: false, text: `${onset.service} reads flag ${change.flag.key}` }
      : { ok: false as const, reason: `flag ${change.flag.key} is read by ${readers.join(", ")}, not ${onset.service}` };
  }
  if (onset.service === null || change.service === null)
    return { ok: true as const, weak: true, text: `the ${onset.service === null ? "symptom" : "change"} is not tied to one service` };
  return change.service === onset.service
    ? { ok: true as const, weak: false, text: `same service (${change.service})` }
    : { ok: false as const, reason: `touched ${change.service}, not ${onset.service}` };
}

function findOnsets(signatures: readonly Signature[], input: CorrelationInput): Onset[] {
  const onsets: Onset[] = signatures
    .filter((s) => s.isNew && s.group.firstSeen)
    .map((s) => ({
      kind: "new-signature" as const,
      service: s.service,
      at: ms(s.group.firstSeen),
      group: s.group,
      symptom: {
        type: "symptom" as const,
        kind: "errors" as const,
        service: s.service,
        env: input.env,
        at: s.group.firstSeen!,
        summary: `\`${s.group.signature}\``,
        source: s.sources.join(", "),
        provider: "http" as const,
        signature: s.group,
      },
    }));
  const firstNew = Math.min(...onsets.map((o) => o.at));
  for (const symptom of input.symptoms) {
    if (symptom.kind !== "health" || symptom.healthy !== false || (symptom.env !== null && symptom.env !== input.env)) continue;
    // A check says how things are now, not since when: the trouble began when people say it did, or when
    // the first new error appeared, or at the latest when the check saw it.
    const at = input.since ?? (Number.isFinite(firstNew) ? firstNew : ms(symptom.at));
    onsets.push({ kind: "health-drop", service: symptom.service, at, group: null, symptom });
  }
  return onsets.sort((a, b) => a.at - b.at);
}

/** One deploy reported by several sources becomes one change; so does one flag change. */
export function mergeChanges(changes: readonly ChangeEvidence[]): Change[] {
  const clusters: ChangeEvidence[][] = [];
  for (const c of [...changes].sort((a, b) => ms(a.at) - ms(b.at))) {
    const cluster = clusters.find((cl) => cl.some((other) => sameChange(c, other)));
    if (cluster) cluster.push(c);
    else clusters.push([c]);
  }
  return clusters
    .map((cluster) => {
      // The most telling report first: one that knows the environment, then the provider's own over opsroom's.
      const ranked = [...cluster].sort((a, b) => rank(a) - rank(b));
      const head = ranked[0]!;
      const placed = ranked.filter((c) => c.env !== null);
      const opsroom = cluster.find((c) => c.provider === "opsroom");
      return {
        ...head,
        env: placed[0]?.env ?? null,
        at: cluster.map((c) => c.at).sort()[0]!,
        endedAt:
          cluster
            .map((c) => c.endedAt ?? null)
            .filter((e): e is string => !!e)
            .sort()
            .at(-1) ?? null,
        reached: (placed.length > 0 ? placed : cluster).some((c) => c.reached),
        sha: cluster.find((c) => c.sha)?.sha ?? null,
        ref: cluster.find((c) => c.ref)?.ref ?? null,
        repository: cluster.find((c) => c.repository)?.repository ?? null,
        by: head.by ?? cluster.find((c) => c.by)?.by ?? null,
        flag: opsroom?.flag ?? head.flag ?? null,
        runId: opsroom?.runId ?? null,
        sources: [...new Set(ranked.map((c) => c.source))],
        links: [...new Set(ranked.map((c) => c.link).filter((l): l is string => !!l))],
        link: ranked.find((c) => c.link)?.link ?? null,
      };
    })
    .sort((a, b) => ms(b.at) - ms(a.at));
}

function rank(c: ChangeEvidence): number {
  return (c.env === null ? 2 : 0) + (c.provider === "opsroom" ? 1 : 0);
}

function sameChange(a: ChangeEvidence, b: ChangeEvidence): boolean {
  if (Math.abs(ms(a.at) - ms(b.at)) > SAME_CHANGE_MS) return false;
  if (a.env !== null && b.env !== null && a.env !== b.env) return false;
  if (a.service !== null && b.service !== null && a.service !== b.service) return false;
  const deploys = (c: ChangeEvidence) => c.kind === "deploy" || c.kind === "rollback";
  if (deploys(a) && deploys(b)) {
    if (a.sha && b.sha) return a.sha.startsWith(b.sha) || b.sha.startsWith(a.sha);
    return !!a.ref && a.ref === b.ref && a.provider !== b.provider;
  }
  if (a.kind === "flag" && b.kind === "flag" && a.flag && b.flag) {
    return a.flag.key === b.flag.key && a.provider !== b.provider && Math.abs(endOf(a) - endOf(b)) <= 5 * 60_000;
  }
  return false;
}

/** Error symptoms of one signature and service from every source, merged. */
function mergeSignatures(symptoms: readonly SymptomEvidence[]): Signature[] {
  const byKey = new Map<string, SymptomEvidence[]>();
  for (const s of symptoms) {
    if (!s.signature) continue;
    const key = `${s.service ?? ""}\u0000${s.signature.signature}`;
    byKey.set(key, [...(byKey.get(key) ?? []), s]);
  }
  return [...byKey.values()]
    .map((list) => {
      const group = mergeGroups(list.map((s) => s.signature!));
      const starts = list
        .map((s) => s.windowStart)
        .filter((w): w is string => !!w)
        .sort();
      const windowStart = starts[0] ?? null;
      return {
        service: list[0]!.service,
        group,
        sources: [...new Set(list.map((s) => s.source))],
        isNew: windowStart !== null && group.firstSeen !== null && ms(group.firstSeen) - ms(windowStart) > NEW_AFTER_MS,
        windowStart,
      };
    })
    .sort((a, b) => b.group.count - a.group.count);
}

export function describeOnset(onset: Onset, t: (ms: number) => string): string {
  return onset.kind === "new-signature"
    ? `\`${onset.group!.signature}\` was first seen${onset.service ? ` in ${onset.service}` : ""} at ${t(onset.at)}`
    : `${onset.service ?? "the environment"} turned unhealthy (${onset.symptom.detail ?? "unhealthy"}; dated ${t(onset.at)})`;
}

function onsetEvidence(onset: Onset, t: (ms: number) => string): string {
  if (onset.kind === "new-signature") {
    const g = onset.group!;
    return `\`${g.signature}\` first seen ${t(onset.at)}, ${g.count} time${g.count === 1 ? "" : "s"} since`;
  }
  return `${onset.service ?? "the environment"} unhealthy: ${onset.symptom.detail ?? onset.symptom.summary}`;
}
