import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** Who is looking: a signed-in Slack user, a "View run" link for one run, or anyone (access: open). */
export type Viewer = { kind: "user"; user: string; name: string } | { kind: "link"; runId: string; token: string } | { kind: "open" };

export interface PageContext {
  /** Path prefix of every Runboard URL (`/runboard`). */
  base: string;
  viewer: Viewer;
  signIn: boolean;
  timeZone: string;
}

/** The page shell: navigation with the command bar, the stylesheet and the one script (no inline script: CSP). */
export function layout(
  ctx: PageContext,
  title: string,
  body: Html,
  options: { page: string; data?: Record<string, string> } = { page: "" },
): Html {
  const { base, viewer } = ctx;
  const data = Object.entries(options.data ?? {}).map(([k, v]) => html` data-${raw(k)}="${v}"`);
  const nav =
    viewer.kind === "link"
      ? html`<span class="muted">Viewing one run through a link from Slack</span>`
      : html`<a href="${base}/">Board</a><a href="${base}/history">History</a><a href="${base}/runbooks">Runbooks</a
          ><a href="${base}/ops-board">Ops board</a>
          <form class="command-bar" method="get" action="${base}/preview" role="search">
            <input name="q" placeholder="Preview a request: deploy api to staging" aria-label="Preview a request" />
            <button type="submit">Preview</button>
          </form>`;
  const who =
    viewer.kind === "user"
      ? html`<span class="who">${viewer.name} · <a href="${base}/signout">sign out</a></span>`
      : viewer.kind === "link" && ctx.signIn
        ? html`<a class="who" href="${base}/signin">Sign in with Slack</a>`
        : "";
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · opsroom Runboard</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="${base}/assets/runboard.css" />
        <script type="module" src="${base}/assets/runboard.js"></script>
      </head>
      <body data-page="${options.page}" data-base="${base}" ${data}>
        <header><strong class="brand">opsroom</strong>${nav}${who}</header>
        <main>${body}</main>
      </body>
    </html>`;
}

const formats = new Map<string, Intl.DateTimeFormat>();
/** One formatter per time zone: making one costs more than rendering a whole table row. */
function formatIn(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      year: "numeric",
      month: "short",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formats.set(timeZone, format);
  }
  return format;
}

/** A time as people read it, in the config's time zone, with the exact ISO time on hover. */
export function time(ctx: Pick<PageContext, "timeZone">, at: Date | string | null | undefined): Html {
  if (!at) return html`<span class="muted">—</span>`;
  const date = new Date(at);
  return html`<time datetime="${date.toISOString()}">${formatIn(ctx.timeZone).format(date)}</time>`;
}

/** "1m 12s", "850 ms". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m ${s % 60}s` : `${Math.floor(m / 60)}h ${m % 60}m`;
}

export function statusBadge(status: string): Html {
  return html`<span class="badge status-${status}">${status.replace("_", " ")}</span>`;
}

/** A page that says what is wrong and what to do, with the right HTTP status. */
export function messagePage(ctx: PageContext, title: string, message: string, hint?: Html | string): Html {
  return layout(
    ctx,
    title,
    html`<section class="message">
      <h1>${title}</h1>
      <p>${message}</p>
      ${hint ? html`<p class="muted">${hint}</p>` : ""}
    </section>`,
  );
}
