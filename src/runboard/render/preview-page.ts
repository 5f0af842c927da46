import { html } from "hono/html";
import type { DryRunStep } from "../../executor/dry-run.js";
import type { Intent } from "../../parser/intent.js";
import type { Plan } from "../../planner/plan.js";
import { layout, type Html, type PageContext } from "./layout.js";

export type PreviewResult =
  | { kind: "dry-run"; intent: Intent; plan: Plan; steps: DryRunStep[] }
  | { kind: "clarify"; intent: Intent; question: string }
  | { kind: "not-command"; intent: Intent; reply: string }
  | { kind: "error"; intent: Intent; message: string };

/** The command bar's answer: how the text was understood and the plan a run would make. Nothing is created. */
export function renderPreviewPage(ctx: PageContext, text: string, result: PreviewResult | undefined): Html {
  const intent = result?.intent;
  return layout(
    ctx,
    "Preview",
    html`<h1>Preview a request</h1>
      <p class="muted">
        How opsroom would understand a message and the plan it would make. Nothing is created or run here: ask in Slack to run it.
      </p>
      <form class="preview" method="get" action="${ctx.base}/preview">
        <input name="q" value="${text}" placeholder="deploy api to staging" aria-label="Request" autofocus />
        <button type="submit">Preview</button>
      </form>
      ${
        intent
          ? html`<section class="parse">
              <h2>Understood as</h2>
              <dl>
                <dt>Runbook</dt>
                <dd>
                  ${intent.runbook ?? html`<span class="muted">none</span>`}
                  <span class="muted">confidence ${intent.confidence.toFixed(2)}</span>
                </dd>
                <dt>Params</dt>
                <dd><code>${JSON.stringify(intent.params)}</code></dd>
                ${
                  intent.missing.length
                    ? html`<dt>Missing</dt>
                        <dd>${intent.missing.join(", ")}</dd>`
                    : ""
                }
                ${
                  intent.alternatives.length
                    ? html`<dt>Alternatives</dt>
                        <dd>${intent.alternatives.map((a) => `${a.runbook} (${a.confidence.toFixed(2)})`).join(", ")}</dd>`
                    : ""
                }
              </dl>
            </section>`
          : ""
      }
      ${result ? renderResult(result) : ""}`,
    { page: "preview" },
  );
}

function renderResult(result: PreviewResult): Html {
  switch (result.kind) {
    case "clarify":
      return html`<p class="answer">opsroom would ask: ${result.question}</p>`;
    case "not-command":
      return html`<p class="answer">Not a command: ${result.reply}</p>`;
    case "error":
      return html`<p class="problem">${result.message}</p>`;
    case "dry-run": {
      const { plan } = result;
      return html`<section class="plan-card">
        <h2>Plan: ${plan.title}${plan.env ? ` → ${plan.env}` : ""}</h2>
        <p>
          ${plan.mutating ? html`<span class="badge risk-write">changes things</span>` : html`<span class="badge risk-read">read-only</span>`}
          ${plan.approval.required > 0 ? ` · needs ${plan.approval.required} approval(s)` : " · no approval needed"} · plan
          <code>${plan.hash.slice(0, 12)}</code>
        </p>
        <ol class="steps">
          ${result.steps.map(
            (s) =>
              html`<li>
                <span class="muted">${s.phase}</span> <code>${s.id}</code> ${s.uses}
                <span class="badge risk-${s.risk}">${s.risk}</span>
                ${s.requests.length ? html`<pre>${s.requests.join("\n")}</pre>` : ""}${s.note ? html`<div class="muted">${s.note}</div>` : ""}
              </li>`,
          )}
        </ol>
      </section>`;
    }
  }
}
