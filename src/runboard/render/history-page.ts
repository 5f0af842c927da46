import { html } from "hono/html";
import type { RunFilterText } from "../../service/run-chain-export.js";
import { RUN_STATUSES } from "../../service/run-chain-export.js";
import type { Run } from "../../store/types.js";
import { layout, statusBadge, time, type Html, type PageContext } from "./layout.js";

export interface HistoryView {
  form: RunFilterText;
  problems: { field: keyof RunFilterText; message: string }[];
  runs: Pick<Run, "id" | "createdAt" | "title" | "runbook" | "env" | "service" | "requestedBy" | "status">[];
  /** The query string of the same filter (for export and paging links), without `?`. */
  filterQuery: string;
  /** The cursor of the next (older) page, when there is one. */
  older: string | undefined;
  /** Whether this is a later page (a link back to the newest). */
  paged: boolean;
  runbooks: string[];
  envs: string[];
  services: string[];
}

/** Every run, filtered and paged on the server; export of the filtered set. */
export function renderHistoryPage(ctx: PageContext, view: HistoryView): Html {
  const { form } = view;
  const problem = (field: keyof RunFilterText) => view.problems.find((p) => p.field === field);
  const field = (name: keyof RunFilterText, label: string, input: Html) => {
    const p = problem(name);
    return html`<label class="${p ? "invalid" : ""}"
      >${label} ${input}${p ? html`<span class="problem">${label} ${p.message}</span>` : ""}</label
    >`;
  };
  const select = (name: keyof RunFilterText, options: string[]) =>
    html`<select name="${name}">
      <option value="">any</option>
      ${options.map((o) => html`<option ${form[name] === o ? "selected" : ""}>${o}</option>`)}
    </select>`;
  const q = view.filterQuery ? `&${view.filterQuery}` : "";
  return layout(
    ctx,
    "History",
    html`<h1>History</h1>
      <form class="filters" method="get" action="${ctx.base}/history" id="history-filters">
        ${field("runbook", "Runbook", select("runbook", view.runbooks))} ${field("env", "Env", select("env", view.envs))}
        ${field("service", "Service", select("service", view.services))}
        ${field("requester", "Requester", html`<input name="requester" value="${form.requester ?? ""}" placeholder="U0123ABC" />`)}
        ${field("status", "Status", select("status", [...RUN_STATUSES]))}
        ${field("since", "Since", html`<input name="since" value="${form.since ?? ""}" placeholder="2026-01-07" />`)}
        ${field("until", "Until", html`<input name="until" value="${form.until ?? ""}" placeholder="2026-01-08T12:00Z" />`)}
        <button type="submit">Filter</button>
        <a href="${ctx.base}/history">clear</a>
      </form>
      <p class="exports">
        Export these runs (every match, the whole audit chain):
        <a id="export-csv" href="${ctx.base}/history/export?format=csv${q}">CSV</a> ·
        <a id="export-jsonl" href="${ctx.base}/history/export?format=jsonl${q}">JSON lines</a>
      </p>
      ${
        view.problems.length > 0
          ? html`<p class="problem">Fix the marked filter to see runs.</p>`
          : view.runs.length === 0
            ? html`<p class="empty">No run matches.</p>`
            : html`<table class="history">
                <thead>
                  <tr>
                    <th>Created</th>
                    <th>Run</th>
                    <th>Runbook</th>
                    <th>Env</th>
                    <th>Service</th>
                    <th>Requester</th>
                    <th>Status</th>
                  </tr>
                </thead>
                <tbody>
                  ${view.runs.map(
                    (run) =>
                      html`<tr data-run="${run.id}">
                        <td>${time(ctx, run.createdAt)}</td>
                        <td><a href="${ctx.base}/runs/${run.id}">${run.id.slice(0, 8)}</a> ${run.title}</td>
                        <td>${run.runbook}</td>
                        <td>${run.env ?? ""}</td>
                        <td>${run.service ?? ""}</td>
                        <td>${run.requestedBy}</td>
                        <td>${statusBadge(run.status)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
      }
      <nav class="pages">
        ${view.paged ? html`<a href="${ctx.base}/history${view.filterQuery ? `?${view.filterQuery}` : ""}">← Newest</a>` : ""}
        ${view.older ? html`<a id="older" href="${ctx.base}/history?before=${view.older}${q}">Older runs →</a>` : ""}
      </nav>`,
    { page: "history" },
  );
}
