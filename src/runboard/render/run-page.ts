import { html } from "hono/html";
import type { PlannedStep } from "../../planner/plan.js";
import type { RunChain } from "../../service/run-chain.js";
import type { RunEvent, StoredArtifact } from "../../store/types.js";
import { duration, layout, statusBadge, time, type Html, type PageContext } from "./layout.js";

const PHASES = ["validate", "preflight", "action", "verify", "summarize", "rollback"] as const;

/** Links a run page needs besides its own: back to Slack, and the query that carries a View run token. */
export interface RunPageLinks {
  slack: string | undefined;
  /** `?t=…` for a link viewer (their artifact downloads and stream need it), else "". */
  tokenQuery: string;
}

/** The run page: plan card, timeline, live log, artifacts, who asked and approved, outcome. */
export function renderRunPage(ctx: PageContext, chain: RunChain, links: RunPageLinks): Html {
  const { run } = chain;
  const lastEvent = chain.events.at(-1)?.id ?? 0;
  return layout(
    ctx,
    `${run.title}${run.env ? ` → ${run.env}` : ""}`,
    html`<h1>
        ${run.title}${run.env ? html` <span class="muted">→ ${run.env}</span>` : ""}
        <span class="live" id="live-state" aria-live="polite"></span>
      </h1>
      <p class="muted">
        Run <code>${run.id}</code>${links.slack ? html` · <a href="${links.slack}" rel="noreferrer">Open in Slack</a>` : ""}
      </p>
      <div id="run-live">${renderRunLive(ctx, chain, links)}</div>
      <section class="log-panel">
        <h2>Log</h2>
        <div class="log-tools">
          <label><input type="checkbox" id="log-follow" checked /> Follow</label>
          <input type="search" id="log-search" placeholder="Search the log" aria-label="Search the log" />
          <span id="log-count" class="muted"></span>
        </div>
        <ol id="log" class="log">
          ${chain.events.map((e) => renderLogLine(ctx, e))}
        </ol>
      </section>
      ${renderPlanCard(chain)}`,
    { page: "run", data: { run: run.id, "last-event": String(lastEvent), token: links.tokenQuery } },
  );
}

/** What changes while a run goes: status, who asked and approved, the timeline, outcome and artifacts. */
export function renderRunLive(ctx: PageContext, chain: RunChain, links: RunPageLinks): Html {
  const { run, outcome } = chain;
  const rollback = chain.events.filter((e) => e.kind === "rollback_started" || e.kind === "rollback_finished");
  return html`<section class="facts">
      <div>${statusBadge(run.status)}${run.outcomeUnknown ? html` <span class="badge status-failed">outcome unknown</span>` : ""}</div>
      <dl>
        <dt>Asked by</dt>
        <dd>
          ${run.requestedBy} via ${run.source} at ${time(ctx, run.createdAt)}
          ${chain.request ? html`<blockquote>${chain.request.text}</blockquote>` : ""}
          ${links.slack ? html`<a href="${links.slack}" rel="noreferrer">the message in Slack</a>` : ""}
        </dd>
        <dt>Approvals</dt>
        <dd>
          ${
            chain.approvals.length === 0
              ? html`<span class="muted">none${run.requiredApprovals > 0 ? ` (needs ${run.requiredApprovals})` : " needed"}</span>`
              : html`<ul>
                  ${chain.approvals.map(
                    (a) =>
                      html`<li>
                        ${a.decision === "approve" ? "approved" : "rejected"} by ${a.approver} at ${time(ctx, a.createdAt)}
                        ${a.counts ? "" : html`<span class="muted">(does not count)</span>`}
                        <span class="muted">plan ${a.planHash.slice(0, 12)}</span>
                        ${a.overrideReason ? html`<br />override: “${a.overrideReason}”` : ""}
                      </li>`,
                  )}
                </ul>`
          }
        </dd>
        <dt>Outcome</dt>
        <dd>
          ${outcome.status}${outcome.failedStep ? html` at <code>${outcome.failedStep}</code>` : ""}${outcome.finishedAt ? html` at ${time(ctx, outcome.finishedAt)}` : ""}
          ${outcome.error ? html`<pre class="error">${outcome.error}</pre>` : ""}
          ${outcome.summary ? html`<pre class="summary">${outcome.summary}</pre>` : ""}
        </dd>
        ${
          rollback.length > 0
            ? html`<dt>Rollback</dt>
                <dd>
                  ${rollback.map((e) => html`<div>${e.kind === "rollback_started" ? "started" : "finished"} at ${time(ctx, e.at)}${e.message ? ` — ${e.message}` : ""}</div>`)}
                </dd>`
            : ""
        }
      </dl>
    </section>
    ${renderTimeline(ctx, chain.events)} ${renderArtifacts(chain.artifacts, chain.run.id, ctx.base, links.tokenQuery)}`;
}

function renderPlanCard(chain: RunChain): Html {
  const { plan } = chain;
  const byPhase = PHASES.map((phase) => ({
    phase,
    steps: phase === "rollback" ? plan.rollback : plan.steps.filter((s) => s.phase === phase),
  })).filter((p) => p.steps.length > 0);
  const approvers = [...plan.approval.approvers.users, ...plan.approval.approvers.groups.map((g) => `group ${g}`)];
  return html`<section class="plan-card">
    <h2>Plan</h2>
    <dl>
      <dt>Runbook</dt>
      <dd><code>${plan.runbook}</code> · owner ${plan.owner} · escalation ${plan.escalation}</dd>
      <dt>Risk</dt>
      <dd>
        ${plan.mutating ? html`<span class="badge risk-write">changes things</span>` : html`<span class="badge risk-read">read-only</span>`}
        ${plan.lockKey ? html` · lane <code>${plan.lockKey}</code>` : ""}${plan.runAt ? html` · scheduled for ${plan.runAt}` : ""}
      </dd>
      <dt>Approval</dt>
      <dd>
        ${
          plan.approval.required === 0
            ? "none needed"
            : html`${plan.approval.required} from
              ${approvers.length ? approvers.join(", ") : "anyone"}${plan.approval.selfApproval ? "" : ", not the requester"}, within
              ${plan.approval.expiresInMinutes} min`
        }
      </dd>
      <dt>Plan hash</dt>
      <dd><code>${chain.planHash}</code></dd>
      <dt>Params</dt>
      <dd>
        ${
          Object.keys(plan.params).length === 0
            ? html`<span class="muted">none</span>`
            : html`<table class="params">
                ${Object.entries(plan.params).map(
                  ([k, v]) =>
                    html`<tr>
                      <th>${k}</th>
                      <td>${Array.isArray(v) ? v.join(", ") : String(v)}</td>
                    </tr>`,
                )}
              </table>`
        }
      </dd>
    </dl>
    ${byPhase.map(
      (p) =>
        html`<h3>${p.phase}</h3>
          <ol class="steps">
            ${p.steps.map((s) => renderStep(s))}
          </ol>`,
    )}
  </section>`;
}

function renderStep(step: PlannedStep): Html {
  return html`<li>
    <code>${step.id}</code> <span class="uses">${step.uses}</span> ${step.description}
    ${
      Object.keys(step.args).length > 0
        ? html`<details>
            <summary>args</summary>
            <pre>${JSON.stringify(step.args, null, 2)}</pre>
          </details>`
        : ""
    }
  </li>`;
}

/** Phases in the order they ran, each with its duration (still going: so far). */
function renderTimeline(ctx: PageContext, events: RunEvent[]): Html {
  const phases: { phase: string; start: Date; end: Date | undefined; failed: boolean }[] = [];
  for (const e of events) {
    if (e.kind === "phase_started" && e.phase) phases.push({ phase: e.phase, start: e.at, end: undefined, failed: false });
    const open = phases.findLast((p) => p.phase === e.phase && !p.end);
    if (!open) continue;
    if (e.kind === "step_failed") open.failed = true;
    if (e.kind === "phase_finished") open.end = e.at;
  }
  const rollback = events.find((e) => e.kind === "rollback_started");
  if (rollback) {
    const done = events.find((e) => e.kind === "rollback_finished");
    phases.push({ phase: "rollback", start: rollback.at, end: done?.at, failed: false });
  }
  if (phases.length === 0)
    return html`<section class="timeline">
      <h2>Timeline</h2>
      <p class="muted">Not started.</p>
    </section>`;
  const now = events.at(-1)?.at ?? new Date();
  return html`<section class="timeline">
    <h2>Timeline</h2>
    <ol class="phases">
      ${phases.map(
        (p) =>
          html`<li class="phase ${p.end ? (p.failed ? "phase-failed" : "phase-done") : "phase-running"}">
            <strong>${p.phase}</strong> <span class="muted">${time(ctx, p.start)}</span>
            <span class="dur"
              >${p.end ? duration(p.end.getTime() - p.start.getTime()) : `running ${duration(now.getTime() - p.start.getTime())}`}</span
            >
          </li>`,
      )}
    </ol>
  </section>`;
}

export function renderLogLine(ctx: PageContext, e: RunEvent): Html {
  const where = [e.phase, e.stepId].filter(Boolean).join("/");
  return html`<li data-id="${String(e.id)}" class="kind-${e.kind}">
    ${time(ctx, e.at)}
    <span class="kind">${e.kind}</span>${where ? html` <code>${where}</code>` : ""}${e.message ? html` — ${e.message}` : ""}
  </li>`;
}

export function renderArtifacts(artifacts: StoredArtifact[], runId: string, base: string, tokenQuery: string): Html {
  if (artifacts.length === 0)
    return html`<section class="artifacts">
      <h2>Artifacts</h2>
      <p class="muted">None yet.</p>
    </section>`;
  return html`<section class="artifacts">
    <h2>Artifacts</h2>
    ${artifacts.map((a) => {
      const download = html`<a class="download" href="${base}/runs/${runId}/artifacts/${String(a.id)}${tokenQuery}">download</a>`;
      const body = (() => {
        switch (a.kind) {
          case "link":
            return a.url ? html`<a href="${a.url}" rel="noreferrer">${a.url}</a>` : html`<span class="muted">(no URL)</span>`;
          case "diff":
            return html`<pre class="diff">
${(a.content ?? "").split("\n").map((line) => html`<span class="${diffClass(line)}">${line}</span> `)}</pre>
              ${download}`;
          case "file":
            return html`${a.filename ?? a.title} ${download}`;
          case "json":
            return html`<pre>${prettyJson(a.content ?? "")}</pre>
              ${download}`;
          default:
            return html`<pre>${a.content ?? ""}</pre>
              ${a.url ? html`<a href="${a.url}" rel="noreferrer">${a.url}</a>` : ""}`;
        }
      })();
      return html`<article class="artifact kind-${a.kind}">
        <h3>${a.title} <span class="muted">${a.kind}${a.stepId ? ` · ${a.stepId}` : ""}</span></h3>
        ${body}
      </article>`;
    })}
  </section>`;
}

function diffClass(line: string): string {
  if (line.startsWith("+++") || line.startsWith("---")) return "diff-file";
  if (line.startsWith("+")) return "diff-add";
  if (line.startsWith("-")) return "diff-del";
  if (line.startsWith("@@")) return "diff-hunk";
  return "";
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
