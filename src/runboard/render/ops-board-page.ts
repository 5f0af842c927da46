import { html } from "hono/html";
import type { RunChain } from "../../service/run-chain.js";
import { layout, time, type Html, type PageContext } from "./layout.js";
import { renderArtifacts } from "./run-page.js";

/**
 * The ops & telemetry board (the `ops-board` runbook: flag health, the dual-write checklist, stale
 * feeds) as its latest successful run left it. Read-only: a fresh one is asked for in Slack.
 */
export function renderOpsBoardPage(ctx: PageContext, chain: RunChain | undefined): Html {
  const body = chain
    ? html`<p class="muted">
          As of ${time(ctx, chain.outcome.finishedAt)} · <a href="${ctx.base}/runs/${chain.run.id}">run ${chain.run.id.slice(0, 8)}</a>
          asked by ${chain.run.requestedBy}. Ask opsroom "ops board" in Slack for a fresh one.
        </p>
        ${chain.outcome.summary ? html`<pre class="summary">${chain.outcome.summary}</pre>` : ""}
        ${renderArtifacts(chain.artifacts, chain.run.id, ctx.base, "")}`
    : html`<p class="empty">No ops board run has finished yet. Ask opsroom "ops board" in Slack (or the console).</p>`;
  return layout(
    ctx,
    "Ops board",
    html`<h1>Ops board</h1>
      ${body}`,
    { page: "ops-board" },
  );
}
