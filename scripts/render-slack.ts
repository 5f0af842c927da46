/**
 * `npm run render:slack`: renders opsroom's Slack messages in their main states (scripts/slack-states.ts)
 * as Slack shows them — Block Kit through slack-blocks-to-jsx, screenshotted by headless Chromium — so
 * people can look at them before they ship. Writes one PNG per state to --out (default
 * .scratch-render/slack, next to the HTML); --only a,b picks states by name. Needs Chromium
 * (`apt-get install -y chromium`; CHROMIUM_PATH if it is not /usr/bin/chromium).
 *
 *   npm run render:slack
 *   npm run render:slack -- --out docs/screenshots --only plan-card-deploy,running-deploy,failed-rollback
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { createElement, type ReactElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { Message } from "slack-blocks-to-jsx";
import { SLACK_DIRECTORY, slackStates, type SlackState } from "./slack-states.js";

const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const WIDTH = 760;

const { values } = parseArgs({
  options: { out: { type: "string", default: ".scratch-render/slack" }, only: { type: "string" } },
});
const outDir = path.resolve(values.out);
// The HTML stays out of the repository whatever --out says.
const HTML_DIR = path.resolve(".scratch-render/slack");
const only = values.only ? new Set(values.only.split(",")) : undefined;
const css = readFileSync(path.join(path.dirname(createRequire(import.meta.url).resolve("slack-blocks-to-jsx")), "style.css"), "utf8");
// The app's avatar, inline: nothing is fetched.
const LOGO = `data:image/svg+xml;utf8,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36"><rect width="36" height="36" rx="8" fill="#2f6f4f"/><text x="18" y="24" font-family="sans-serif" font-size="15" font-weight="700" fill="#fff" text-anchor="middle">ops</text></svg>',
)}`;

function messageElement(blocks: unknown[], time: Date, options: { name?: string; key?: string; bare?: boolean } = {}): ReactElement {
  return createElement(Message, {
    key: options.key,
    blocks: blocks as never,
    name: options.name ?? "opsroom",
    logo: LOGO,
    time,
    theme: "light",
    data: SLACK_DIRECTORY,
    // A modal or the Home tab shows blocks only, without a sender line.
    withoutWrapper: options.bare === true,
  });
}

function body(state: SlackState): ReactElement {
  switch (state.surface) {
    case "thread":
      return createElement(
        "div",
        { className: "thread" },
        state.messages.map((m, i) =>
          createElement(
            "div",
            { key: i, className: m.inChannel ? "msg broadcast" : "msg" },
            m.inChannel ? createElement("div", { className: "note" }, "Also sent to the channel") : null,
            messageElement(m.blocks, m.at, { name: m.from, key: `m${i}` }),
          ),
        ),
      );
    case "modal":
      return createElement(
        "div",
        { className: "modal" },
        createElement("div", { className: "modal-title" }, state.title),
        createElement("div", { className: "bare" }, messageElement(state.blocks, state.at, { bare: true })),
      );
    case "home":
      return createElement("div", { className: "home bare" }, messageElement(state.blocks, state.at, { bare: true }));
  }
}

function page(state: SlackState): string {
  const html = renderToStaticMarkup(body(state));
  return `<!doctype html><html><head><meta charset="utf-8"><style>${css}
body { margin: 0; background: #fff; font-family: "Noto Sans", "DejaVu Sans", sans-serif; }
#shot { width: ${WIDTH}px; padding: 12px 8px; box-sizing: border-box; }
.thread .msg { border-bottom: 1px solid #eee; padding: 4px 0; }
.thread .broadcast { border-left: 3px solid #1d9bd1; padding-left: 6px; }
.thread .note { color: #616061; font-size: 12px; margin: 2px 0 0 8px; }
.modal { border: 1px solid #ddd; border-radius: 8px; box-shadow: 0 4px 12px rgba(0,0,0,.12); padding: 8px 0; }
.modal-title { font-weight: 900; font-size: 20px; padding: 8px 16px 4px; }
.bare { padding: 0 16px; }
</style></head><body><div id="shot">${html}</div></body></html>`;
}

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  mkdirSync(HTML_DIR, { recursive: true });
  const states = slackStates(new Date()).filter((s) => !only || only.has(s.name));
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_FLAGS });
  try {
    const context = await browser.newContext({ viewport: { width: WIDTH, height: 600 }, deviceScaleFactor: 1 });
    const tab = await context.newPage();
    // Everything is inline; nothing may leave the machine.
    await tab.route("**/*", (route) => (route.request().url().startsWith("data:") ? route.continue() : route.abort()));
    for (const state of states) {
      const html = page(state);
      writeFileSync(path.join(HTML_DIR, `${state.name}.html`), html);
      await tab.setContent(html, { waitUntil: "load" });
      await tab.locator("#shot").screenshot({ path: path.join(outDir, `${state.name}.png`) });
      process.stdout.write(`${path.relative(process.cwd(), path.join(outDir, `${state.name}.png`))}\n`);
    }
  } finally {
    await browser.close();
  }
}

await main();
