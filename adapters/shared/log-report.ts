import type { StepResult } from "../types.js";
import { errorSymptoms, type EvidenceLabels, type Provider, type SignatureGroup } from "./evidence.js";
import { inWindow, type LogEntry } from "./log-entries.js";
import { groupBySignature, isErrorEntry } from "./log-signatures.js";

export interface LogReportInput extends EvidenceLabels {
  /** What was read, for people: "Vercel runtime logs of acme-web (dpl_…)". */
  readonly what: string;
  /** The source's name on the timeline: "Vercel logs". */
  readonly source: string;
  readonly provider: Provider;
  readonly since?: number | undefined;
  readonly until?: number | undefined;
  readonly link?: string | null;
}

/**
 * The result every log-reading action returns: error lines in the window grouped by signature (count,
 * first and last seen, up to 3 samples; first seen is the earliest line read, even before the window), one
 * error symptom per signature in `data.evidence`, and the signatures as a text artifact.
 */
export function logReport(entries: readonly LogEntry[], input: LogReportInput): StepResult {
  const kept = inWindow(entries, input.since, input.until);
  const errors = kept.filter(isErrorEntry);
  // Lines from before the window (a file or endpoint may return them) say a signature is not new: its
  // first sighting is the earliest one read; its count and samples stay the window's.
  const earlier = new Map(
    groupBySignature(
      entries.filter((e) => e.at !== null && input.since !== undefined && e.at < input.since),
      Number.MAX_SAFE_INTEGER,
    ).map((g) => [g.signature, g.firstSeen]),
  );
  const signatures = groupBySignature(kept).map((g) => ({ ...g, firstSeen: earlier.get(g.signature) ?? g.firstSeen }));
  const windowStart = input.since !== undefined ? new Date(input.since).toISOString() : null;
  const evidence = errorSymptoms(signatures, {
    service: input.service ?? null,
    env: input.env ?? null,
    source: input.source,
    provider: input.provider,
    windowStart,
    link: input.link ?? null,
  });
  const window = windowStart ? ` since ${windowStart}` : "";
  const top = signatures[0];
  const summary =
    errors.length === 0
      ? `no error lines in ${kept.length} line${kept.length === 1 ? "" : "s"} of ${input.what}${window}`
      : `${errors.length} error line${errors.length === 1 ? "" : "s"} in ${signatures.length} signature${signatures.length === 1 ? "" : "s"} from ${input.what}${window}; most frequent: \`${top!.signature}\` ×${top!.count}`;
  return {
    summary,
    data: {
      source: input.source,
      lines: kept.length,
      errorLines: errors.length,
      windowStart,
      signatures,
      evidence,
    },
    artifacts: [
      {
        kind: "text",
        title: `Error signatures: ${input.what}`,
        content: signatures.length ? signatures.map(describeGroup).join("\n\n") : "(no error lines)",
      },
    ],
  };
}

/** A signature as people read it: the pattern, how often and when, and its samples. */
export function describeGroup(g: SignatureGroup): string {
  return [
    `${g.signature}`,
    `  ${g.count} time${g.count === 1 ? "" : "s"}; first seen ${g.firstSeen ?? "?"}, last seen ${g.lastSeen ?? "?"}`,
    ...g.samples.map((s) => `  | ${s.split("\n").slice(0, 6).join("\n  | ")}`),
  ].join("\n");
}
