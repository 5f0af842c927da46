import { CHANGE_KINDS, type ChangeEvidence, type Evidence, type SymptomEvidence } from "../shared/evidence.js";

/**
 * Reads earlier steps' outputs (`{{ steps }}`) into evidence: every `data.evidence` list, whichever
 * action produced it, plus what each source could not tell. A step that could not run because a
 * setting was missing is "not checked — set X", never a failure; a health source that could not be
 * reached is itself a symptom.
 */

/** What a source said about itself: read, not checked (and why), or failed to answer. */
export interface SourceStatus {
  readonly stepId: string;
  /** The action that reads it ("github.listDeployments"), when known. */
  readonly uses: string | null;
  /** It reports changes (deploys, flags), not symptoms. */
  readonly changes: boolean;
  /** "GitHub deployments of payments". */
  readonly what: string;
  /** The source ("GitHub deployments") and what it was read for ("payments"), for grouping. */
  readonly name: string;
  readonly of: string | null;
  readonly state: "read" | "not-checked" | "failed";
  /** For not-checked: the settings to set. */
  readonly missing: readonly string[];
  /** For failed: what went wrong. */
  readonly reason: string | null;
}

export interface GatheredEvidence {
  readonly changes: ChangeEvidence[];
  readonly symptoms: SymptomEvidence[];
  readonly sources: SourceStatus[];
}

/** Names of the sources, by the action that reads them. */
const SOURCE_NAMES: Readonly<Record<string, string>> = {
  "github.listDeployments": "GitHub deployments",
  "github.listWorkflowRuns": "GitHub workflow runs",
  "vercel.listDeployments": "Vercel deployments",
  "vercel.getRuntimeLogs": "Vercel logs",
  "vercel.getLogs": "Vercel build logs",
  "digitalocean.listDeployments": "DigitalOcean deployments",
  "digitalocean.appHealth": "DigitalOcean app health",
  "digitalocean.getLogs": "DigitalOcean logs",
  "supabase.listFlags": "feature flags",
  "supabase.health": "Supabase project health",
  "supabase.getLogs": "Supabase logs",
  "http.checkAll": "health URLs",
  "http.fetchLogs": "logs",
  "history.listChanges": "opsroom run history",
};

/** Sources of changes; the rest report symptoms. */
const CHANGE_SOURCES = new Set([
  "github.listDeployments",
  "github.listWorkflowRuns",
  "vercel.listDeployments",
  "digitalocean.listDeployments",
  "supabase.listFlags",
  "history.listChanges",
]);

/** Sources whose failure to answer is itself a symptom of the thing they check. */
const HEALTH_SOURCES = new Set(["supabase.health"]);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const KINDS = new Set<string>([...CHANGE_KINDS, "errors", "health"]);

/** "GitHub deployments of api, web; feature flags": sources named once, with what each was read for. */
export function describeSources(sources: readonly SourceStatus[]): string {
  const byName = new Map<string, string[]>();
  for (const s of sources) {
    const list = byName.get(s.name) ?? [];
    if (s.of && !list.includes(s.of)) list.push(s.of);
    byName.set(s.name, list);
  }
  return [...byName].map(([name, of]) => (of.length ? `${name} of ${of.join(", ")}` : name)).join("; ");
}

export function gatherEvidence(steps: Readonly<Record<string, unknown>>, env: string, checkedAt: string): GatheredEvidence {
  const changes: ChangeEvidence[] = [];
  const symptoms: SymptomEvidence[] = [];
  const sources: SourceStatus[] = [];
  for (const [stepId, output] of Object.entries(steps)) {
    if (!isObj(output)) continue;
    const uses = typeof output.uses === "string" ? output.uses : undefined;
    const label = /-of-(.+)$/.exec(stepId)?.[1];
    const name = (uses && SOURCE_NAMES[uses]) ?? stepId;
    const what = `${name}${label ? ` of ${label}` : ""}`;
    const base = { stepId, uses: uses ?? null, changes: uses !== undefined && CHANGE_SOURCES.has(uses), what, name, of: label ?? null };
    if (typeof output.error === "string") {
      const missing = Array.isArray(output.missing) ? output.missing.map(String) : [];
      if (missing.length > 0) {
        sources.push({ ...base, state: "not-checked", missing, reason: null });
      } else if (uses && HEALTH_SOURCES.has(uses)) {
        sources.push({ ...base, state: "read", missing: [], reason: null });
        symptoms.push({
          type: "symptom",
          kind: "health",
          service: label ?? null,
          env,
          at: checkedAt,
          summary: `${what}: ${output.error}`,
          source: what,
          provider: "supabase",
          healthy: false,
          detail: output.error,
        });
      } else {
        sources.push({ ...base, state: "failed", missing: [], reason: output.error });
      }
      continue;
    }
    const data = isObj(output.data) ? output.data : undefined;
    if (!data || !Array.isArray(data.evidence)) continue;
    sources.push({ ...base, state: "read", missing: [], reason: null });
    for (const item of data.evidence) {
      const e = evidenceOf(item);
      if (e?.type === "change") changes.push(e);
      else if (e?.type === "symptom") symptoms.push(e);
    }
  }
  return { changes, symptoms, sources };
}

/** An evidence item read leniently: anything without a type, a known kind and a time is dropped. */
function evidenceOf(v: unknown): Evidence | undefined {
  if (!isObj(v) || (v.type !== "change" && v.type !== "symptom") || typeof v.kind !== "string" || !KINDS.has(v.kind)) return undefined;
  if (typeof v.at !== "string" || Number.isNaN(Date.parse(v.at))) return undefined;
  return {
    ...v,
    service: typeof v.service === "string" ? v.service : null,
    env: typeof v.env === "string" ? v.env : null,
    summary: typeof v.summary === "string" ? v.summary : v.kind,
    source: typeof v.source === "string" ? v.source : "unknown source",
  } as Evidence;
}
