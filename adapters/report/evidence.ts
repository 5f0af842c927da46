import { z } from "zod";

/**
 * Reading earlier steps' outputs. Report actions receive them rendered from `{{ steps.<id>.data }}` (or the
 * whole `{{ steps }}` map of `{ data, summary }` by step id) and recognise each by its shape, so a runbook
 * may name its steps freely and repeat them with `forEach`. The shapes are the `data` of the actions below;
 * everything is read leniently (a field missing means "unknown", never a crash).
 */

/** `{{ steps }}`: step id → { data, summary }. */
export const evidenceArg = z.preprocess(
  (v) => (v === undefined || v === null || v === "" ? {} : v),
  z.record(z.string(), z.unknown(), { error: "must be the outputs of earlier steps, like {{ steps }}" }),
);

/** A GitHub deployment row (github.listDeployments) or a Vercel one (vercel.listDeployments), made alike. */
export interface DeployRow {
  readonly provider: "github" | "vercel";
  readonly id: string;
  readonly ref: string | null;
  readonly sha: string | null;
  readonly state: string;
  readonly at: number | null;
  readonly creator: string | null;
  readonly environment: string | null;
}

/** A flag as supabase.getFlag / listFlags return it. */
export interface FlagRow {
  readonly flag: string;
  readonly enabled: boolean;
  readonly rolloutPercentage: number;
  readonly cohorts: readonly string[];
  readonly environment: string | null;
  readonly updatedAt: number | null;
}

export interface MigrationRow {
  readonly pending: readonly string[];
  readonly applied: readonly string[];
  readonly changed: readonly string[];
  readonly unknown: readonly string[];
  readonly total: number | null;
}

/** One step's output, classified. `label` is the part of the step id after "-of-" (forEach over services). */
export type Evidence =
  | { kind: "deploys"; stepId: string; label: string | undefined; rows: DeployRow[] }
  | { kind: "flags"; stepId: string; label: string | undefined; rows: FlagRow[] }
  | { kind: "migrations"; stepId: string; label: string | undefined; row: MigrationRow };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : typeof v === "number" ? String(v) : null);
const num = (v: unknown): number | null =>
  typeof v === "number" && Number.isFinite(v) ? v : typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : null;
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** ISO text or epoch ms → epoch ms; null when unknown. */
export function timeOf(v: unknown): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v !== "") {
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

export function flagRow(v: unknown): FlagRow | undefined {
  if (!isObj(v) || typeof v.flag !== "string") return undefined;
  return {
    flag: v.flag,
    enabled: v.enabled === true || v.enabled === "true",
    rolloutPercentage: num(v.rolloutPercentage) ?? 0,
    cohorts: strings(v.cohorts),
    environment: str(v.environment),
    updatedAt: timeOf(v.updatedAt),
  };
}

function deployRow(v: unknown): DeployRow | undefined {
  if (!isObj(v)) return undefined;
  const id = str(v.id);
  if (!id) return undefined;
  // Vercel rows carry a URL and `created` (epoch ms); GitHub rows an environment and createdAt.
  const vercel = typeof v.url === "string" && "created" in v;
  return {
    provider: vercel ? "vercel" : "github",
    id,
    ref: str(v.ref),
    sha: str(v.sha),
    state: (str(v.state) ?? "unknown").toLowerCase(),
    at: timeOf(v.createdAt) ?? timeOf(v.created),
    creator: str(v.creator),
    environment: str(v.environment) ?? str(v.target),
  };
}

/** The step outputs recognised in `{{ steps }}` (or a single `{ data }`), in step order. */
export function classifyEvidence(evidence: Readonly<Record<string, unknown>>): Evidence[] {
  const out: Evidence[] = [];
  for (const [stepId, output] of Object.entries(evidence)) {
    const data = isObj(output) && "data" in output ? output.data : output;
    if (!isObj(data)) continue;
    const label = /-of-(.+)$/.exec(stepId)?.[1];
    if (Array.isArray(data.deployments)) {
      out.push({ kind: "deploys", stepId, label, rows: data.deployments.map(deployRow).filter((r): r is DeployRow => !!r) });
    } else if (Array.isArray(data.flags)) {
      out.push({ kind: "flags", stepId, label, rows: data.flags.map(flagRow).filter((r): r is FlagRow => !!r) });
    } else if (Array.isArray(data.pending) && Array.isArray(data.applied)) {
      out.push({
        kind: "migrations",
        stepId,
        label,
        row: {
          pending: strings(data.pending),
          applied: strings(data.applied),
          changed: strings(data.changed),
          unknown: strings(data.unknown),
          total: num(data.total),
        },
      });
    }
  }
  return out;
}

/** "12 min", "2 h 05 min", "3 days". */
export function formatAge(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
  return `${Math.round(minutes / (24 * 60))} days`;
}

export function shortSha(sha: string | null): string | null {
  return sha ? sha.slice(0, 7) : null;
}

/** Markdown table cell: no pipes or newlines. */
export function cell(value: unknown): string {
  return String(value ?? "")
    .replace(/\|/g, "\\|")
    .replace(/\s*\n\s*/g, " ");
}
