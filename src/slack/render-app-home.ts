import type { AppHomeSnapshot } from "../service/chat-use-cases.js";
import type { Run } from "../store/types.js";
import { ACTION, encodeRunRef } from "./action-ids.js";
import {
  actions,
  button,
  clockTime,
  context,
  divider,
  escapeMrkdwn,
  formatDuration,
  header,
  LIMITS,
  section,
  slackDate,
  type Block,
} from "./block-kit.js";

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

const WORKER_MARK = { healthy: "🟢", late: "🟡", lost: "🔴", stopped: "⚪" } as const;

/** App Home: my pending approvals, running, queued and scheduled runs, recent runs, worker health. */
export function renderAppHome(snapshot: AppHomeSnapshot, now: Date, timeZone: string): Record<string, unknown> {
  const blocks: Block[] = [
    header("opsroom"),
    context([`Updated ${slackDate(now, "{date_short_pretty} {time}", `${clockTime(now, timeZone)} ${timeZone}`)}`]),
  ];

  blocks.push(section(`*Waiting for your approval* (${snapshot.pendingForMe.length})`));
  if (snapshot.pendingForMe.length === 0) blocks.push(context(["Nothing waits for you."]));
  for (const { run, confirmApprove } of snapshot.pendingForMe.slice(0, 10)) {
    const ref = encodeRunRef({ runId: run.id, planHash: run.planHash });
    blocks.push(
      section(
        `${runLine(run)}\nrequested by <@${run.requestedBy}>${run.expiresAt ? ` · expires ${slackDate(run.expiresAt, "{time}", clockTime(run.expiresAt, timeZone))}` : ""}${where(run)}`,
      ),
    );
    blocks.push(
      actions([
        button("Approve", ACTION.approve, {
          style: "primary",
          value: ref,
          ...(confirmApprove
            ? {
                confirm: {
                  title: `Approve in ${run.env ?? "production"}?`,
                  text: `This runs *${escapeMrkdwn(run.title)}* as planned.`,
                  confirm: "Approve and run",
                  deny: "Not yet",
                },
              }
            : {}),
        }),
        button("Reject", ACTION.reject, { style: "danger", value: ref }),
      ]),
    );
  }

  const list = (title: string, runs: readonly Run[], detail: (run: Run) => string, empty: string) => {
    blocks.push(divider(), section(`*${title}* (${runs.length})`));
    if (runs.length === 0) blocks.push(context([empty]));
    else
      blocks.push(
        section(
          runs
            .slice(0, 15)
            .map((r) => `${runLine(r)} · ${detail(r)}${where(r)}`)
            .join("\n"),
        ),
      );
  };
  list(
    "Running",
    snapshot.running,
    (r) => `for ${formatDuration(now.getTime() - (r.startedAt ?? r.updatedAt).getTime())}`,
    "Nothing is running.",
  );
  list(
    "Queued",
    snapshot.queued,
    (r) => `since ${slackDate(r.updatedAt, "{time}", clockTime(r.updatedAt, timeZone))}`,
    "The queue is empty.",
  );
  list(
    "Scheduled",
    snapshot.scheduled,
    (r) => `at ${slackDate(r.runAt, "{date_short_pretty} {time}", `${clockTime(r.runAt, timeZone)} ${timeZone}`)}`,
    "Nothing is scheduled.",
  );
  list(
    "Recent",
    snapshot.recent,
    (r) =>
      r.finishedAt ? `${r.status} ${slackDate(r.finishedAt, "{date_short_pretty} {time}", clockTime(r.finishedAt, timeZone))}` : r.status,
    "No runs yet.",
  );

  blocks.push(divider(), section(`*Workers* (${snapshot.workers.filter((w) => w.status !== "stopped").length} up)`));
  if (snapshot.workers.length === 0)
    blocks.push(context(["No worker has registered: runs stay queued until one starts (`npx opsroom worker`)."]));
  else {
    blocks.push(
      section(
        snapshot.workers
          .slice(0, 20)
          .map(
            (w) =>
              `${WORKER_MARK[w.status]} \`${escapeMrkdwn(w.id)}\` ${w.status} · heartbeat ${formatDuration(w.heartbeatAgeMs)} ago · ${w.concurrency} slot${w.concurrency === 1 ? "" : "s"}`,
          )
          .join("\n"),
      ),
    );
  }
  return { type: "home", blocks: blocks.slice(0, LIMITS.viewBlocks) };
}

function runLine(run: Run): string {
  return `${STATUS_MARK[run.status]} *${escapeMrkdwn(run.title)}*${run.service ? ` ${escapeMrkdwn(run.service)}` : ""}${run.env ? ` → ${escapeMrkdwn(run.env)}` : ""} \`${run.id.slice(0, 8)}\``;
}

function where(run: Run): string {
  return typeof run.origin.channel === "string" ? ` · in <#${run.origin.channel}>` : "";
}
