import { html } from "hono/html";
import type { Runbook } from "../../runbook/runbook-schema.js";
import { layout, type Html, type PageContext } from "./layout.js";

/** Every runbook: what it does, its params, risk, owner, escalation and example requests. */
export function renderCatalogPage(ctx: PageContext, runbooks: readonly Runbook[]): Html {
  return layout(
    ctx,
    "Runbooks",
    html`<h1>Runbooks</h1>
      ${runbooks.map(
        (r) =>
          html`<article class="runbook" id="runbook-${r.id}">
            <h2>
              ${r.title} <code>${r.id}</code>
              <span class="badge risk-${r.risk}">${r.risk === "write" ? "changes things" : "read-only"}</span>
            </h2>
            ${r.description ? html`<p>${r.description}</p>` : ""}
            <p class="muted">Owner ${r.owner} · escalation ${r.escalation}</p>
            ${
              Object.keys(r.params).length > 0
                ? html`<table class="params">
                    <thead>
                      <tr>
                        <th>Param</th>
                        <th>Type</th>
                        <th>Required</th>
                        <th>Meaning</th>
                      </tr>
                    </thead>
                    ${Object.entries(r.params).map(
                      ([name, p]) =>
                        html`<tr>
                          <th>${name}</th>
                          <td>${p.type}${p.enum ? html` (${p.enum.join(", ")})` : ""}</td>
                          <td>${p.required ? "yes" : p.default !== undefined ? `no, default ${String(p.default)}` : "no"}</td>
                          <td>${p.description}</td>
                        </tr>`,
                    )}
                  </table>`
                : ""
            }
            ${
              r.examples.length > 0
                ? html`<ul class="examples">
                    ${r.examples.map((e) => html`<li><a href="${ctx.base}/preview?q=${encodeURIComponent(e)}">${e}</a></li>`)}
                  </ul>`
                : ""
            }
          </article>`,
      )}`,
    { page: "catalog" },
  );
}
