import type { Redactor } from "../redact.js";
import type { RunFilter } from "../store/store.js";
import type { RunStatus } from "../store/types.js";
import type { RunChain } from "./run-chain.js";

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : "");

export const RUN_STATUSES: readonly RunStatus[] = [
  "pending_approval",
  "queued",
  "running",
  "succeeded",
  "failed",
  "cancelled",
  "rejected",
  "expired",
];

/** The audit filters as people type them (`opsroom runs export --env prod`, the Runboard's history form). */
export interface RunFilterText {
  runbook?: string | undefined;
  env?: string | undefined;
  service?: string | undefined;
  requester?: string | undefined;
  /** Comma-separated statuses. */
  status?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

/**
 * The filter, or what is wrong with each field (by field name: the CLI says `--since`, the Runboard
 * marks the form field). Blank fields are no filter.
 */
export function parseRunFilter(text: RunFilterText): { filter: RunFilter; problems: { field: keyof RunFilterText; message: string }[] } {
  const problems: { field: keyof RunFilterText; message: string }[] = [];
  const value = (v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : v.trim());
  const time = (field: "since" | "until") => {
    const raw = value(text[field]);
    if (raw === undefined) return undefined;
    const date = new Date(raw);
    if (Number.isNaN(date.getTime())) problems.push({ field, message: `must be an ISO date or time (got "${raw}")` });
    return date;
  };
  const since = time("since");
  const until = time("until");
  const statusText = value(text.status);
  const statuses = statusText
    ?.split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const bad = statuses?.find((s) => !RUN_STATUSES.includes(s as RunStatus));
  if (bad) problems.push({ field: "status", message: `must be one of ${RUN_STATUSES.join(", ")} (got "${bad}")` });
  const runbook = value(text.runbook);
  const env = value(text.env);
  const service = value(text.service);
  const requester = value(text.requester);
  const filter: RunFilter = {
    ...(runbook ? { runbook } : {}),
    ...(env ? { env } : {}),
    ...(service ? { service } : {}),
    ...(requester ? { requestedBy: requester } : {}),
    ...(statuses?.length ? { statuses: statuses as RunStatus[] } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
  };
  return { filter, problems };
}

/**
 * The audit export, one line at a time: a header and one CSV row per run, or one JSON object (the
 * whole chain) per line. What `opsroom runs export` prints and the Runboard's export downloads.
 * Secrets were redacted before anything was stored; `redactor` is the second line, for values set since.
 */
export async function* exportRunChains(
  chains: AsyncIterable<RunChain>,
  format: "csv" | "jsonl",
  redactor: Redactor,
): AsyncGenerator<string> {
  if (format === "csv") yield CSV_COLUMNS.join(",");
  for await (const chain of chains) yield redactor.redactText(format === "csv" ? renderChainCsvRow(chain) : JSON.stringify(chain));
}

export const CSV_COLUMNS = [
  "id",
  "created_at",
  "runbook",
  "title",
  "env",
  "service",
  "requested_by",
  "source",
  "request_text",
  "parsed_runbook",
  "parse_confidence",
  "plan_hash",
  "approvals",
  "status",
  "started_at",
  "finished_at",
  "failed_step",
  "error",
  "summary",
  "events",
  "artifacts",
] as const;

/** One CSV row per run (RFC 4180 quoting); approvals as `approver:decision@time` (with ` (override: reason)`) joined by `; `. */
export function renderChainCsvRow(chain: RunChain): string {
  const { run } = chain;
  const values: Record<(typeof CSV_COLUMNS)[number], string> = {
    id: run.id,
    created_at: iso(run.createdAt),
    runbook: run.runbook,
    title: run.title,
    env: run.env ?? "",
    service: run.service ?? "",
    requested_by: run.requestedBy,
    source: run.source,
    request_text: chain.request?.text ?? "",
    parsed_runbook: chain.parse?.runbook ?? "",
    parse_confidence: chain.parse ? String(chain.parse.confidence) : "",
    plan_hash: chain.planHash,
    approvals: chain.approvals
      .map((a) => `${a.approver}:${a.decision}@${iso(a.createdAt)}${a.overrideReason ? ` (override: ${a.overrideReason})` : ""}`)
      .join("; "),
    status: run.status,
    started_at: iso(run.startedAt),
    finished_at: iso(run.finishedAt),
    failed_step: run.failedStep ?? "",
    error: run.error ?? "",
    summary: run.summary ?? "",
    events: String(chain.events.length),
    artifacts: chain.artifacts.map((a) => a.title).join("; "),
  };
  return CSV_COLUMNS.map((c) => csvField(values[c])).join(",");
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
