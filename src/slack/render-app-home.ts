import type { AppHomeSnapshot, RunDescription, WorkerStatus } from "../service/chat-use-cases.js";
import { formatDuration, timeOfDay } from "../service/time-text.js";
import type { Run } from "../store/types.js";
import { ACTION, encodeRunRef } from "./action-ids.js";
import { actions, button, context, divider, escapeMrkdwn, header, LIMITS, section, timeAgo, type Block } from "./block-kit.js";
import { renderHomeBoard, type HomeBoard } from "./render-home-board.js";
import { approveButton, plainIntent } from "./render-plan-card.js";

const STATUS_MARK: Record<Run["status"], string> = {
  pending_approval: "⏸️",
  queued: "⏳",
  running: "🔄",
  succeeded: "✅",
  failed: "❌",
  cancelled: "⏹️",
  rejected: "🚫",
  expired: "⌛",
};

const WORKER_MARK: Record<WorkerStatus["status"], string> = { healthy: "🟢", late: "🟡", lost: "🔴", stopped: "⚪" };
const MAX_LISTED = 15;

/**
 * App Home: first the ops board at a glance (render-home-board.ts) when there is one, then others' plans waiting for my approval (with their risk, a link to the card, and Approve
 * only when the plan may be approved now), my own plans waiting for others, what runs, waits and
 * ran, and the workers by host. `links` maps run ids to their card's permalink.
 */
export function renderAppHome(
  snapshot: AppHomeSnapshot,
  now: Date,
  timeZone: string,
  links: ReadonlyMap<string, string> = new Map(),
  board?: HomeBoard,
): Record<string, unknown> {
  const open = (run: Run, label: string) => {
    const url = links.get(run.id);
    return url ? ` · <${url}|${label}>` : typeof run.origin.channel === "string" ? ` · in <#${run.origin.channel}>` : "";
  };
  const blocks: Block[] = [header("opsroom"), context([`Updated ${timeOfDay(now, timeZone, now)}`])];
  if (board) blocks.push(...renderHomeBoard(board, { timeZone, now }));

  blocks.push(section(`*Waiting for your approval* (${snapshot.pendingForMe.length})`));
  if (snapshot.pendingForMe.length === 0) blocks.push(context(["Nothing waits for you."]));
  for (const d of snapshot.pendingForMe.slice(0, 10)) {
    const { run } = d;
    const lines = [
      `${riskMark(run)} ${intent(run)}`,
      `requested by <@${run.requestedBy}>${run.expiresAt ? ` · expires ${timeOfDay(run.expiresAt, timeZone, now)}` : ""}${open(run, "Open the plan")}`,
    ];
    if (!d.canApprove && d.approveBlock) lines.push(`⚠️ _Not yet: ${escapeMrkdwn(d.approveBlock.reason)}; see the plan._`);
    blocks.push(section(lines.join("\n")));
    if (d.canApprove) blocks.push(actions(decisionButtons(d)));
  }

  if (snapshot.mine.length > 0) {
    blocks.push(
      section(
        [
          `*Your plans waiting for approval* (${snapshot.mine.length})`,
          ...snapshot.mine.map((r) => `${riskMark(r)} ${intent(r)}${open(r, "Open the plan")}`),
        ].join("\n"),
      ),
    );
  }

  const list = (title: string, runs: readonly Run[], detail: (run: Run) => string, empty: string) => {
    blocks.push(divider(), section(`*${title}* (${runs.length})`));
    if (runs.length === 0) blocks.push(context([empty]));
    else
      blocks.push(
        section(
          runs
            .slice(0, MAX_LISTED)
            .map((r) => `${STATUS_MARK[r.status]} ${intent(r)} · ${detail(r)}${open(r, "status")}`)
            .join("\n"),
        ),
      );
  };
  list("Running", snapshot.running, (r) => `started ${timeAgo(r.startedAt ?? r.updatedAt, timeZone, now)}`, "Nothing is running.");
  list("Queued", snapshot.queued, (r) => `queued ${timeAgo(r.updatedAt, timeZone, now)}`, "The queue is empty.");
  list("Scheduled", snapshot.scheduled, (r) => `at ${timeOfDay(r.runAt, timeZone, now)}`, "Nothing is scheduled.");
  list(
    "Recent",
    snapshot.recent,
    (r) => `${r.status.replace("_", " ")}${r.finishedAt ? ` ${timeOfDay(r.finishedAt, timeZone, now)}` : ""}`,
    "No runs yet.",
  );

  const up = snapshot.workers.filter((w) => w.status !== "stopped");
  blocks.push(divider(), section(`*Workers* (${up.length} up)`));
  if (snapshot.workers.length === 0)
    blocks.push(context(["No worker has registered: runs stay queued until one starts (`npx opsroom worker`)."]));
  else blocks.push(section(workerLines(snapshot.workers)));
  return { type: "home", blocks: blocks.slice(0, LIMITS.viewBlocks) };
}

/** One line per state, by host: who runs the queue, not the workers' internal ids. */
function workerLines(workers: readonly WorkerStatus[]): string {
  const states: WorkerStatus["status"][] = ["healthy", "late", "lost", "stopped"];
  return states
    .flatMap((state) => {
      const these = workers.filter((w) => w.status === state);
      if (these.length === 0) return [];
      const hosts = [...new Set(these.map((w) => w.hostname))].slice(0, 6).map(escapeMrkdwn).join(", ");
      const slots = these.reduce((n, w) => n + w.concurrency, 0);
      const beat =
        state === "late" || state === "lost"
          ? ` · last heartbeat ${formatDuration(Math.max(...these.map((w) => w.heartbeatAgeMs)))} ago`
          : "";
      return [
        `${WORKER_MARK[state]} ${these.length} ${state} on ${hosts}${state === "stopped" ? "" : ` · ${slots} slot${slots === 1 ? "" : "s"}`}${beat}`,
      ];
    })
    .join("\n");
}

function intent(run: Run): string {
  return `*${escapeMrkdwn(plainIntent(run.plan))}*`;
}

function riskMark(run: Run): string {
  return run.mutating ? `🛠️ _changes ${run.env ? escapeMrkdwn(run.env) : "things"}_ ·` : "🔎 _read-only_ ·";
}

function decisionButtons(d: RunDescription): Record<string, unknown>[] {
  return [approveButton(d), button("Reject", ACTION.reject, { value: encodeRunRef({ runId: d.run.id, planHash: d.run.planHash }) })];
}
