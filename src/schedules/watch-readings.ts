import { STATUS_ITEMS_TITLE } from "../../adapters/report/ops-board.js";
import type { Schedule } from "../store/schedule-records.js";
import type { Run, StoredArtifact, WorkerHealth } from "../store/types.js";
import type { WatchItem, WatchStatus } from "./watch-state.js";

const STATUSES: readonly WatchStatus[] = ["Healthy", "Warning", "Blocked"];

/**
 * What a watch's finished run saw: the items of a board-like result (a json artifact titled "Status
 * items", which the ops board writes: flags, feeds, deploys, each Healthy / Warning / Blocked with an
 * owner), or else the run itself (succeeded: Healthy; failed: Blocked, with why). A run that never ran
 * (cancelled, expired) is no reading at all. Only the items the watch follows are kept.
 */
export function readingOfRun(schedule: Schedule, run: Run, artifacts: readonly StoredArtifact[]): WatchItem[] | undefined {
  // Who answers for it: the watch's owner, else the runbook's escalation contact (the on-call), else its owner.
  const fallbackOwner = schedule.owner ?? (run.plan.escalation || run.plan.owner);
  const board = artifacts.find((a) => a.kind === "json" && a.title === STATUS_ITEMS_TITLE);
  if (board?.content && run.status === "succeeded") {
    const items = boardItems(board.content, fallbackOwner);
    if (items) return followed(schedule, items);
  }
  if (run.status !== "succeeded" && run.status !== "failed") return undefined;
  const name = `${run.title}${run.env ? ` in ${run.env}` : ""}`;
  const reasons = run.status === "failed" ? [run.error ?? run.summary ?? `step ${run.failedStep ?? "?"} failed`] : [];
  return [{ key: "run", name, status: run.status === "succeeded" ? "Healthy" : "Blocked", owner: fallbackOwner, reasons }];
}

/** Workers' heartbeats (opsroom's own workers table): Blocked when none is heartbeating, Warning when some are late or lost. */
export function readingOfWorkers(schedule: Schedule, workers: readonly WorkerHealth[]): WatchItem[] {
  const live = workers.filter((w) => w.status !== "stopped");
  const healthy = live.filter((w) => w.status === "healthy");
  const missing = live.filter((w) => w.status === "late" || w.status === "lost");
  const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
  const reasons =
    healthy.length === 0
      ? [
          live.length === 0 ? "no worker is running" : "no worker is heartbeating",
          ...missing.map((w) => `${w.id}: last heartbeat ${seconds(w.heartbeatAgeMs)} ago`),
        ]
      : missing.map((w) => `${w.id} is ${w.status}: last heartbeat ${seconds(w.heartbeatAgeMs)} ago`);
  const status: WatchStatus = healthy.length === 0 ? "Blocked" : missing.length > 0 ? "Warning" : "Healthy";
  return [{ key: "workers", name: "Worker heartbeats", status, owner: schedule.owner, reasons }];
}

/** Plans still waiting for approval after their expiry (nothing expired them: is any worker reaping?). */
export function readingOfApprovals(schedule: Schedule, waiting: readonly Run[], now: Date): WatchItem[] {
  const stuck = waiting.filter((r) => r.status === "pending_approval" && r.expiresAt && r.expiresAt.getTime() <= now.getTime());
  const reasons = stuck.map(
    (r) =>
      `${r.title}${r.service ? ` ${r.service}` : ""}${r.env ? ` in ${r.env}` : ""} (${r.id.slice(0, 8)}) expired ${Math.round((now.getTime() - r.expiresAt!.getTime()) / 60_000)} min ago`,
  );
  return [
    {
      key: "approvals",
      name: "Runs waiting for approval",
      status: stuck.length > 0 ? "Warning" : "Healthy",
      owner: schedule.owner,
      reasons,
    },
  ];
}

function boardItems(content: string, fallbackOwner: string | null): WatchItem[] | undefined {
  try {
    const parsed = JSON.parse(content) as { items?: unknown };
    if (!Array.isArray(parsed.items)) return undefined;
    return parsed.items.flatMap((raw: unknown) => {
      const item = raw as { section?: unknown; name?: unknown; status?: unknown; owner?: unknown; reasons?: unknown };
      if (typeof item.name !== "string" || !STATUSES.includes(item.status as WatchStatus)) return [];
      const section = typeof item.section === "string" ? item.section : "item";
      return [
        {
          key: `${section}:${item.name}`,
          name: item.name,
          status: item.status as WatchStatus,
          owner: typeof item.owner === "string" && item.owner ? item.owner : fallbackOwner,
          reasons: Array.isArray(item.reasons) ? item.reasons.filter((r): r is string => typeof r === "string") : [],
        },
      ];
    });
  } catch {
    return undefined;
  }
}

function followed(schedule: Schedule, items: WatchItem[]): WatchItem[] {
  if (schedule.follow.length === 0) return items;
  const wanted = schedule.follow.map((f) => f.toLowerCase());
  return items.filter((i) => {
    const [section = ""] = i.key.split(":");
    return wanted.includes(i.name.toLowerCase()) || wanted.includes(section.toLowerCase()) || wanted.includes(i.key.toLowerCase());
  });
}
