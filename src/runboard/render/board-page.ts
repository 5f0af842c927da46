import { html } from "hono/html";
import type { Board, BoardRun } from "../../service/run-board.js";
import { BOARD_LIMIT } from "../../service/run-board.js";
import { duration, layout, statusBadge, time, type Html, type PageContext } from "./layout.js";

const STATE_LABEL = { running: "running", queued: "queued", scheduled: "scheduled", waiting: "waiting for approval" } as const;

/** The board: runs now by lane, and the workers; its live part is replaced as run events arrive. */
export function renderBoardPage(ctx: PageContext, board: Board): Html {
  return layout(
    ctx,
    "Board",
    html`<h1>Runs now <span class="live" id="live-state" aria-live="polite">connecting…</span></h1>
      <div id="board-live">${renderBoardLive(ctx, board)}</div>`,
    { page: "board" },
  );
}

/** The part of the board that changes: lanes and workers. Pushed to open boards over server-sent events. */
export function renderBoardLive(ctx: PageContext, board: Board): Html {
  const count = board.lanes.reduce((n, lane) => n + lane.runs.length, 0);
  const lanes =
    board.lanes.length === 0
      ? html`<p class="empty">Nothing is running, queued, scheduled or waiting for approval.</p>`
      : html`<div class="lanes">
          ${board.lanes.map(
            (lane) =>
              html`<section class="lane" data-lane="${lane.key}">
                <h2>${lane.key}</h2>
                <ol>
                  ${lane.runs.map((entry) => renderBoardRun(ctx, entry, board.at))}
                </ol>
              </section>`,
          )}
        </div>`;
  const workers =
    board.workers.length === 0
      ? html`<p class="empty">
          No worker has registered in the last day: runs stay queued until one starts (<code>npm start</code> or
          <code>opsroom worker</code>).
        </p>`
      : html`<table class="workers">
          <thead>
            <tr>
              <th>Worker</th>
              <th>Status</th>
              <th>Running</th>
              <th>Last heartbeat</th>
              <th>Started</th>
            </tr>
          </thead>
          <tbody>
            ${board.workers.map(
              (w) =>
                html`<tr class="worker-${w.status}">
                  <td><code>${w.id}</code></td>
                  <td><span class="badge worker-${w.status}">${w.status}</span></td>
                  <td>${w.runningRuns} of ${w.concurrency}</td>
                  <td>${duration(w.heartbeatAgeMs)} ago</td>
                  <td>${time(ctx, w.startedAt)}</td>
                </tr>`,
            )}
          </tbody>
        </table>`;
  return html`${lanes}${count >= BOARD_LIMIT ? html`<p class="muted">Showing the newest ${BOARD_LIMIT} open runs.</p>` : ""}
    <h2>Workers</h2>
    ${workers}
    <p class="muted updated">Updated ${time(ctx, board.at)}</p>`;
}

function renderBoardRun(ctx: PageContext, entry: BoardRun, now: Date): Html {
  const { run } = entry;
  const detail = (() => {
    switch (entry.state) {
      case "running":
        return html`started
        ${time(ctx, run.startedAt)}${run.startedAt ? html` · ${duration(now.getTime() - run.startedAt.getTime())}` : ""}${run.workerId ? html` · on <code>${run.workerId}</code>` : ""}`;
      case "queued":
        return entry.position && entry.position.ahead > 0
          ? html`#${entry.position.ahead + 1} in lane <code>${entry.position.lockKey ?? ""}</code>: ${entry.position.ahead} ahead`
          : html`next: waiting for a free worker`;
      case "scheduled":
        return html`starts ${time(ctx, run.runAt)}`;
      case "waiting": {
        const a = entry.approval!;
        const who = a.anyone
          ? "anyone but the requester"
          : a.approvers.users.length + a.approvers.groups.length === 0
            ? "nobody yet: no approvers are set for this protected env"
            : [...a.approvers.users, ...a.approvers.groups.map((g) => `group ${g}`)].join(", ");
        return html`${a.have} of ${a.need} approvals · may approve: ${who} · expires ${time(ctx, a.expiresAt)}`;
      }
    }
  })();
  return html`<li class="board-run state-${entry.state}" data-run="${run.id}">
    <a href="${ctx.base}/runs/${run.id}"><strong>${run.title}</strong></a>
    ${statusBadge(entry.state === "scheduled" ? "scheduled" : run.status)}
    <span class="muted">${run.id.slice(0, 8)} · asked by ${run.requestedBy}</span>
    <div class="detail">${STATE_LABEL[entry.state]}: ${detail}</div>
  </li>`;
}
