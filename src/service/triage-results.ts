import type { ParamValue } from "../parser/intent.js";
import type { Run, StoredArtifact } from "../store/types.js";

/**
 * A finished triage as its runs recorded it: the triage step's data (artifact `triage.json`) and the
 * proposed fix (artifact `fix.json`), read back for the incident summary and the postmortem.
 */

/** A request that undoes a suspect, offered as a button and as words to type. */
export interface WayBackOffer {
  label: string;
  text: string;
  runbook: string;
  params: Record<string, ParamValue>;
  because?: string;
}

export interface TriageSuspect {
  rank: number;
  kind: string;
  service: string | null;
  at: string;
  summary: string;
  rule: string;
  evidence: string;
  sources: string[];
  link: string | null;
}

export interface TriageResult {
  service: string | null;
  env: string;
  symptom: string | null;
  since: string | null;
  timeZone: string;
  onset: string | null;
  suspects: TriageSuspect[];
  noSuspect: string | null;
  ruledOut: { summary: string; reason: string }[];
  signatures: {
    service: string | null;
    signature: string;
    count: number;
    firstSeen: string | null;
    lastSeen: string | null;
    isNew: boolean;
  }[];
  /** healthy null: a state worth knowing that is not a health drop (a failed build, the old one serving). */
  health: { service: string | null; healthy: boolean | null; detail: string; source: string }[];
  notChecked: { what: string; why: string }[];
  wayBack: WayBackOffer[];
  timeline: { at: string; kind: "change" | "symptom"; text: string; link: string | null }[];
}

export interface ProposedFix {
  proposed: boolean;
  file?: string;
  line?: number;
  excerpt?: string[];
  sha?: string;
  revert?: WayBackOffer | null;
}

/** A triage run with what it found. */
export interface TriageOutcome {
  run: Run;
  triage: TriageResult;
  fix: ProposedFix | null;
}

export const TRIAGE_RUNBOOK = "incident-triage";

/** What a finished triage run found; undefined when it recorded no triage data (it failed early). */
export function triageOutcome(run: Run, artifacts: readonly StoredArtifact[]): TriageOutcome | undefined {
  const triage = readJson<TriageResult>(artifacts, "triage.json");
  if (!triage) return undefined;
  return { run, triage: { ...EMPTY, ...triage }, fix: readJson<ProposedFix>(artifacts, "fix.json") ?? null };
}

const EMPTY: Omit<TriageResult, "env"> = {
  service: null,
  symptom: null,
  since: null,
  timeZone: "UTC",
  onset: null,
  suspects: [],
  noSuspect: null,
  ruledOut: [],
  signatures: [],
  health: [],
  notChecked: [],
  wayBack: [],
  timeline: [],
};

function readJson<T>(artifacts: readonly StoredArtifact[], filename: string): T | undefined {
  const found = artifacts.filter((a) => a.kind === "json" && a.filename === filename).at(-1);
  if (!found?.content) return undefined;
  try {
    return JSON.parse(found.content) as T;
  } catch {
    return undefined;
  }
}

/** The buttons of a triage: each way back, then the revert pull request when one is proposed. */
export function offersOf(outcome: TriageOutcome): WayBackOffer[] {
  const revert = outcome.fix?.proposed && outcome.fix.revert ? [outcome.fix.revert] : [];
  return [...outcome.triage.wayBack, ...revert];
}
