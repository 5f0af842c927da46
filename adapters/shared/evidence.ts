/**
 * Evidence for incident triage, in one shape whatever its source: a change (something done to a service)
 * or a symptom (something seen going wrong). Evidence-gathering actions put a list of these in their
 * `data.evidence`; report.triage correlates them without knowing which provider they came from.
 *
 * Times are ISO strings (they pass through step outputs and templates). A change may be a point in time
 * or a range (a rolling deploy, a migration): `at` is when it started, `endedAt` when it ended.
 *
 * @example { type: "change", kind: "deploy", service: "api", env: "prod", at: "2026-01-07T10:02:00.000Z",
 *   endedAt: "2026-01-07T10:03:10.000Z", summary: "deploy api@4f2c1e3 (v1.4.1) by octocat", link: "https://github.com/…",
 *   source: "GitHub deployments", provider: "github", reached: true, state: "success", sha: "4f2c1e3…", ref: "v1.4.1" }
 */

/** incident.io's change kinds, minus "alert" (a symptom here) and "other". */
export const CHANGE_KINDS = ["deploy", "rollback", "flag", "config", "infrastructure", "database"] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export type Provider = "github" | "vercel" | "digitalocean" | "supabase" | "opsroom" | "http";

export interface ChangeEvidence {
  readonly type: "change";
  readonly kind: ChangeKind;
  /** The opsroom service it touched; null when the source cannot tell (a flag not scoped to services). */
  readonly service: string | null;
  /** The opsroom environment it touched; null when the source does not record one (a workflow run). */
  readonly env: string | null;
  readonly at: string;
  readonly endedAt?: string | null;
  readonly summary: string;
  readonly link?: string | null;
  /** Where this fact came from, for people: "GitHub deployments", "opsroom run 1a2b3c4d". */
  readonly source: string;
  readonly provider: Provider;
  /** Whether it actually reached the environment: a deploy whose build failed did not. */
  readonly reached: boolean;
  /** The provider's word for its state ("success", "READY", "ACTIVE", "succeeded"): why `reached` is what it is. */
  readonly state: string;
  readonly ref?: string | null;
  readonly sha?: string | null;
  readonly repository?: string | null;
  readonly by?: string | null;
  /** Flags: the state after the change, and before it when known. */
  readonly flag?: FlagState | null;
  /** opsroom runs: the run that made the change. */
  readonly runId?: string | null;
}

export interface FlagState {
  readonly key: string;
  readonly enabled: boolean;
  readonly rolloutPercentage: number;
  readonly previous?: { readonly enabled: boolean; readonly rolloutPercentage: number } | null;
}

export type SymptomKind = "errors" | "health";

export interface SymptomEvidence {
  readonly type: "symptom";
  readonly kind: SymptomKind;
  readonly service: string | null;
  readonly env: string | null;
  /** errors: first seen; health: when it was checked. */
  readonly at: string;
  /** errors: last seen. */
  readonly endedAt?: string | null;
  readonly summary: string;
  readonly link?: string | null;
  readonly source: string;
  readonly provider: Provider;
  /** errors: one normalised signature with its count and samples. */
  readonly signature?: SignatureGroup | null;
  /** errors: where the logs read began; a signature first seen well after it is new. */
  readonly windowStart?: string | null;
  /** health: whether it was healthy, and what was seen ("500", "unreachable (ENOTFOUND)"). */
  readonly healthy?: boolean | null;
  readonly detail?: string | null;
}

export type Evidence = ChangeEvidence | SymptomEvidence;

/** A group of log lines with one normalised signature (see log-signatures.ts). */
export interface SignatureGroup {
  readonly signature: string;
  readonly count: number;
  readonly firstSeen: string | null;
  readonly lastSeen: string | null;
  /** At most 3 lines, as logged (stack included). */
  readonly samples: readonly string[];
}

/** Labels a service and environment by their opsroom names, which providers do not know. */
export interface EvidenceLabels {
  readonly service?: string | undefined;
  readonly env?: string | undefined;
}

/** ISO text from epoch ms or a date string; null when unknown. */
export function isoOf(value: number | string | null | undefined): string | null {
  if (value === null || value === undefined || value === "") return null;
  const ms = typeof value === "number" ? value : Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** One symptom per signature group of a log source. */
export function errorSymptoms(
  groups: readonly SignatureGroup[],
  base: {
    service: string | null;
    env: string | null;
    source: string;
    provider: Provider;
    windowStart: string | null;
    link?: string | null;
  },
): SymptomEvidence[] {
  return groups.flatMap((g) =>
    g.firstSeen
      ? [
          {
            type: "symptom" as const,
            kind: "errors" as const,
            service: base.service,
            env: base.env,
            at: g.firstSeen,
            endedAt: g.lastSeen,
            summary: `\`${g.signature}\` ${g.count} time${g.count === 1 ? "" : "s"}`,
            link: base.link ?? null,
            source: base.source,
            provider: base.provider,
            signature: g,
            windowStart: base.windowStart,
          },
        ]
      : [],
  );
}
