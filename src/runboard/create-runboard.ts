import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { getCookie } from "hono/cookie";
import { secureHeaders } from "hono/secure-headers";
import { streamSSE } from "hono/streaming";
import type { Logger } from "pino";
import type { Config } from "../config/load-config.js";
import { OpsError } from "../errors.js";
import type { Redactor } from "../redact.js";
import type { OpsService } from "../service/ops-service.js";
import { parseRunFilter, type RunFilterText } from "../service/run-chain-export.js";
import { renderBoardLive, renderBoardPage } from "./render/board-page.js";
import { renderCatalogPage } from "./render/catalog-page.js";
import { renderHistoryPage } from "./render/history-page.js";
import { renderOpsBoardPage } from "./render/ops-board-page.js";
import { messagePage, type Html, type PageContext } from "./render/layout.js";
import { renderPreviewPage, type PreviewResult } from "./render/preview-page.js";
import { renderLogLine, renderRunLive, renderRunPage, type RunPageLinks } from "./render/run-page.js";
import { createRunEventHub } from "./run-event-hub.js";
import { RUNBOARD_PATH, type RunboardSettings } from "./runboard-settings.js";
import type { RunboardEnv } from "./runboard-env.js";
import { registerSignInRoutes, SESSION_COOKIE } from "./sign-in-routes.js";
import { checkRunLinkToken, createSigner, openValue, runLinkToken, type Session } from "./signing.js";

export interface RunboardDeps {
  service: OpsService;
  config: Config;
  settings: RunboardSettings;
  redactor: Redactor;
  log: Logger;
  clock?: () => Date;
  /** How often an open stream sends a comment so proxies keep it open (default 25 s). */
  keepAliveMs?: number;
  /** Sign-in attempts per address per window (default 10 a minute). */
  signInLimit?: { max: number; windowMs: number };
}

/**
 * The Runboard: read-only web pages over the service (board, run pages, history and export, runbooks,
 * a request preview), served under /runboard beside /healthz. Every route is a GET that changes
 * nothing but the viewer's own session: approving, running and cancelling stay in Slack and the console.
 */
export interface Runboard {
  app: Hono<Env>;
  /** The pages as a node:http handler, for the health server and Slack's HTTP mode. */
  listener: (req: IncomingMessage, res: ServerResponse) => void;
  /** A "View run" link for Slack cards: signed, scoped to that run, working `linkHours` from `issuedAt` (default now). */
  runLink(runId: string, issuedAt?: Date): string;
  close(): Promise<void>;
}

type Env = RunboardEnv;

const PAGE_SIZE = 50;
const ASSETS = {
  "runboard.css": { type: "text/css; charset=utf-8", body: readFileSync(new URL("./assets/runboard.css", import.meta.url), "utf8") },
  "runboard.js": { type: "text/javascript; charset=utf-8", body: readFileSync(new URL("./assets/runboard.js", import.meta.url), "utf8") },
} as const;

export function createRunboard(deps: RunboardDeps): Runboard {
  const { service, config, settings, redactor, log } = deps;
  const clock = deps.clock ?? (() => new Date());
  const signer = createSigner(settings.secret);
  const hub = createRunEventHub((listener) => service.onRunEvent(listener));
  const keepAliveMs = deps.keepAliveMs ?? 25_000;
  const base = RUNBOARD_PATH;

  const pageContext = (c: Context<Env>): PageContext => ({
    base,
    viewer: c.get("viewer") ?? { kind: "open" },
    signIn: settings.access === "slack",
    timeZone: config.timeZone,
  });
  const page = async (c: Context<Env>, body: Html, status: 200 | 400 | 403 | 404 | 429 | 502 = 200) => c.html(await body, status);
  const sessionOf = (c: Context<Env>) =>
    settings.access === "slack" ? openValue<Session>(signer, "session", getCookie(c, SESSION_COOKIE), clock()) : undefined;

  // Not strict: /runboard and /runboard/ are the same page.
  const app = new Hono<Env>({ strict: false }).basePath(base);

  // Strict headers everywhere: scripts only from our own file (no inline script), no framing, and no
  // Referer (a View run link carries its token in the URL).
  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
      },
      xFrameOptions: "DENY",
      referrerPolicy: "no-referrer",
      crossOriginEmbedderPolicy: false,
    }),
  );
  app.use(async (c, next) => {
    const session = sessionOf(c);
    c.set(
      "viewer",
      settings.access === "open" ? { kind: "open" } : session ? { kind: "user", user: session.user, name: session.name } : undefined,
    );
    await next();
    if (!c.res.headers.has("cache-control")) c.header("cache-control", "no-store");
  });

  app.get("/assets/:name", (c) => {
    const asset = ASSETS[c.req.param("name") as keyof typeof ASSETS];
    if (!asset) return c.text("not found", 404);
    return c.body(asset.body, 200, { "content-type": asset.type, "cache-control": "public, max-age=300" });
  });

  /** Pages for people: who may look, or the page that says how to get in. */
  const denied = async (c: Context<Env>, runId?: string): Promise<Response | undefined> => {
    if (c.get("viewer")) return undefined;
    const token = c.req.query("t");
    if (runId && token) {
      const check = checkRunLinkToken(signer, runId, token, clock());
      if (check.ok) {
        c.set("viewer", { kind: "link", runId, token });
        return undefined;
      }
      const ctx = pageContext(c);
      return page(
        c,
        check.reason === "expired"
          ? messagePage(
              ctx,
              "This link has expired",
              `This View run link stopped working at ${check.expiredAt!.toISOString()}.`,
              signInHint(),
            )
          : messagePage(
              ctx,
              "This link is not valid",
              "This View run link was not made by this opsroom, or is for another run.",
              signInHint(),
            ),
        403,
      );
    }
    if (settings.access === "slack")
      return c.redirect(`${base}/signin?next=${encodeURIComponent(c.req.path + (new URL(c.req.url).search || ""))}`, 302);
    return page(
      c,
      messagePage(
        pageContext(c),
        "Open a run from Slack",
        "This Runboard has no sign-in (runboard.access is links): open a run with the View run link on its Slack card.",
      ),
      403,
    );
  };
  const signInHint = () =>
    settings.access === "slack"
      ? `Sign in with Slack at ${base}/signin, or ask for a fresh link in Slack.`
      : "Open the run's card in Slack for a fresh link.";
  /** Board-wide pages are not for a View run link. */
  const deniedWide = async (c: Context<Env>) => {
    const no = await denied(c);
    if (no) return no;
    return undefined;
  };

  // Sign in with Slack: /signin, /signin/callback, /signout (sign-in-routes.ts).
  registerSignInRoutes({ app, settings, signer, service, log, clock, signInLimit: deps.signInLimit, page, pageContext });

  // ---- Board ----------------------------------------------------------------------------------------
  const boardHtml = async (ctx: PageContext) => String(await renderBoardLive(ctx, redactor.redact(await service.board())));
  /** One render per burst of run events for every open board, whatever the number of browsers. */
  const boards = new Set<(html: string) => void>();
  let rendering = false;
  let dirty = false;
  const pushBoard = async (ctx: PageContext) => {
    if (rendering) return void (dirty = true);
    rendering = true;
    try {
      do {
        dirty = false;
        const fragment = await boardHtml(ctx);
        for (const send of boards) send(fragment);
      } while (dirty && boards.size > 0);
    } catch (error) {
      log.warn({ err: error }, "runboard: board update failed");
    } finally {
      rendering = false;
    }
  };

  app.get("/", async (c) => (await deniedWide(c)) ?? page(c, renderBoardPage(pageContext(c), redactor.redact(await service.board()))));

  app.get("/board/stream", async (c) => {
    if (!c.get("viewer")) return c.text("sign in first", 401);
    const ctx = pageContext(c);
    return streamSSE(c, async (stream) => {
      const send = (data: string) => void stream.writeSSE({ event: "board", data }).catch(() => {});
      boards.add(send);
      const unlisten = await hub.listen(() => void pushBoard(ctx));
      const keepAlive = setInterval(() => void stream.write(": keep-alive\n\n").catch(() => {}), keepAliveMs);
      await stream.writeSSE({ event: "board", data: await boardHtml(ctx) });
      await new Promise<void>((resolve) => stream.onAbort(resolve));
      clearInterval(keepAlive);
      boards.delete(send);
      unlisten();
    });
  });

  // ---- Runs -----------------------------------------------------------------------------------------
  const runLinks = (c: Context<Env>, chain: { run: { origin: Record<string, unknown> } }): RunPageLinks => {
    const viewer = c.get("viewer");
    return {
      slack: slackLink(settings.slackUrl, chain.run.origin),
      tokenQuery: viewer?.kind === "link" ? `?t=${encodeURIComponent(viewer.token)}` : "",
    };
  };
  const chainOf = async (id: string) => {
    const chain = await service.runChain(id);
    return chain ? redactor.redact(chain) : undefined;
  };

  app.get("/runs/:id", async (c) => {
    const id = c.req.param("id");
    const no = await denied(c, id);
    if (no) return no;
    const chain = await chainOf(id);
    if (!chain || (c.get("viewer")?.kind === "link" && chain.run.id !== id))
      return page(
        c,
        messagePage(pageContext(c), "No such run", `There is no single run ${id} (none, or several start so: give more of the id).`),
        404,
      );
    return page(c, renderRunPage(pageContext(c), chain, runLinks(c, chain)));
  });

  app.get("/runs/:id/stream", async (c) => {
    const id = c.req.param("id");
    if (!c.get("viewer")) {
      const token = c.req.query("t");
      if (!token || !checkRunLinkToken(signer, id, token, clock()).ok) return c.text("sign in first, or open the run from Slack", 401);
      c.set("viewer", { kind: "link", runId: id, token });
    }
    const first = await chainOf(id);
    if (!first) return c.text("no such run", 404);
    const ctx = pageContext(c);
    const links = runLinks(c, first);
    let after = Number(c.req.header("last-event-id") ?? c.req.query("after") ?? 0) || 0;
    return streamSSE(c, async (stream) => {
      let busy = false;
      let again = false;
      // Sends what happened since the last event sent: new log lines, then the changed parts of the page.
      const update = async () => {
        if (busy) return void (again = true);
        busy = true;
        try {
          do {
            again = false;
            const chain = await chainOf(first.run.id);
            if (!chain) return;
            const fresh = chain.events.filter((e) => e.id > after);
            if (fresh.length > 0) {
              after = fresh.at(-1)!.id;
              const lines = await Promise.all(fresh.map((e) => renderLogLine(ctx, e)));
              await stream.writeSSE({ event: "log", id: String(after), data: lines.map(String).join("") });
            }
            await stream.writeSSE({ event: "run", data: String(await renderRunLive(ctx, chain, links)) });
          } while (again);
        } catch (error) {
          log.warn({ err: error, run_id: first.run.id }, "runboard: run update failed");
        } finally {
          busy = false;
        }
      };
      const unlisten = await hub.listen((runId) => runId === first.run.id && void update());
      const keepAlive = setInterval(() => void stream.write(": keep-alive\n\n").catch(() => {}), keepAliveMs);
      await update();
      await new Promise<void>((resolve) => stream.onAbort(resolve));
      clearInterval(keepAlive);
      unlisten();
    });
  });

  app.get("/runs/:id/artifacts/:artifact", async (c) => {
    const id = c.req.param("id");
    const no = await denied(c, id);
    if (no) return no;
    const chain = await chainOf(id);
    const artifact = chain?.artifacts.find((a) => String(a.id) === c.req.param("artifact"));
    if (!chain || !artifact || artifact.content === null) return c.text("no such artifact", 404);
    const name = (
      artifact.filename ?? `${artifact.title}.${artifact.kind === "json" ? "json" : artifact.kind === "diff" ? "diff" : "txt"}`
    ).replace(/[^\w.-]+/g, "_");
    return c.body(artifact.content, 200, {
      "content-type": "text/plain; charset=utf-8",
      "content-disposition": `attachment; filename="${name}"`,
    });
  });

  // ---- History and export ---------------------------------------------------------------------------
  const filterForm = (c: Context<Env>): RunFilterText => ({
    runbook: c.req.query("runbook"),
    env: c.req.query("env"),
    service: c.req.query("service"),
    requester: c.req.query("requester"),
    status: c.req.query("status"),
    since: c.req.query("since"),
    until: c.req.query("until"),
  });
  const filterQuery = (form: RunFilterText) =>
    new URLSearchParams(
      Object.entries(form).filter((e): e is [string, string] => typeof e[1] === "string" && e[1].trim() !== ""),
    ).toString();

  app.get("/history", async (c) => {
    const no = await deniedWide(c);
    if (no) return no;
    const form = filterForm(c);
    const { filter, problems } = parseRunFilter(form);
    const before = parseCursor(c.req.query("before"));
    const rows =
      problems.length > 0 ? [] : await service.listRuns({ ...filter, ...(before ? { olderThan: before } : {}), limit: PAGE_SIZE + 1 });
    // Only what the table shows is redacted (and rendered): a whole plan per row would cost more than the query.
    const runs = rows
      .slice(0, PAGE_SIZE)
      .map(({ id, createdAt, title, runbook, env, service, requestedBy, status }) =>
        redactor.redact({ id, createdAt, title, runbook, env, service, requestedBy, status }),
      );
    const last = rows[PAGE_SIZE - 1];
    return page(
      c,
      renderHistoryPage(pageContext(c), {
        form,
        problems,
        runs,
        filterQuery: filterQuery(form),
        older: rows.length > PAGE_SIZE && last ? `${last.createdAt.toISOString()}_${last.id}` : undefined,
        paged: before !== undefined,
        runbooks: service.runbooks.map((r) => r.id),
        envs: Object.keys(config.environments),
        services: Object.keys(config.services),
      }),
      problems.length > 0 ? 400 : 200,
    );
  });

  app.get("/history/export", async (c) => {
    const no = await deniedWide(c);
    if (no) return no;
    const format = c.req.query("format") ?? "jsonl";
    if (format !== "csv" && format !== "jsonl") return c.text(`format must be csv or jsonl (got "${format}")\n`, 400);
    const { filter, problems } = parseRunFilter(filterForm(c));
    if (problems.length > 0) return c.text(problems.map((p) => `${p.field} ${p.message}`).join("\n") + "\n", 400);
    const lines = service.exportRuns(filter, format);
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = await lines.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(`${next.value}\n`));
      },
      async cancel() {
        await lines.return(undefined);
      },
    });
    const stamp = clock().toISOString().slice(0, 19).replace(/:/g, "");
    return c.body(body, 200, {
      "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
      "content-disposition": `attachment; filename="opsroom-runs-${stamp}.${format}"`,
    });
  });

  // ---- The ops board: the latest ops-board run ------------------------------------------------------
  app.get("/ops-board", async (c) => {
    const no = await deniedWide(c);
    if (no) return no;
    const [latest] = await service.listRuns({ runbook: "ops-board", statuses: ["succeeded"], limit: 1 });
    return page(c, renderOpsBoardPage(pageContext(c), latest ? await chainOf(latest.id) : undefined));
  });

  // ---- Runbooks and the command bar -----------------------------------------------------------------
  app.get("/runbooks", async (c) => (await deniedWide(c)) ?? page(c, renderCatalogPage(pageContext(c), service.runbooks)));

  app.get("/preview", async (c) => {
    const no = await deniedWide(c);
    if (no) return no;
    const text = (c.req.query("q") ?? "").slice(0, 500);
    if (!text.trim()) return page(c, renderPreviewPage(pageContext(c), "", undefined));
    let result: PreviewResult;
    try {
      const answer = await service.dryRunText(text);
      result = answer.kind === "help" ? { kind: "not-command", intent: service.parse(text), reply: answer.text } : answer;
    } catch (error) {
      if (!(error instanceof OpsError)) throw error;
      result = { kind: "error", intent: service.parse(text), message: error.userMessage };
    }
    return page(c, renderPreviewPage(pageContext(c), text, redactor.redact(result)));
  });

  app.notFound((c) => page(c, messagePage(pageContext(c), "Not found", `There is no Runboard page at ${c.req.path}.`), 404));
  app.onError((error, c) => {
    log.error({ err: error, path: c.req.path }, "runboard page failed");
    return c.text("Something went wrong on this page; the error is in opsroom's log.", 500);
  });

  return {
    app,
    listener: getRequestListener(app.fetch),
    runLink(runId, issuedAt = clock()) {
      const expires = new Date(issuedAt.getTime() + settings.linkHours * 3600_000);
      return `${settings.url}/runs/${runId}?t=${encodeURIComponent(runLinkToken(signer, runId, expires))}`;
    },
    close: () => hub.close(),
  };
}

function parseCursor(cursor: string | undefined): { createdAt: Date; id: string } | undefined {
  if (!cursor) return undefined;
  const at = cursor.lastIndexOf("_");
  const createdAt = new Date(cursor.slice(0, at));
  const id = cursor.slice(at + 1);
  return at > 0 && !Number.isNaN(createdAt.getTime()) && /^[0-9a-f-]{36}$/i.test(id) ? { createdAt, id } : undefined;
}

/** The Slack thread a run was asked in: its permalink with the workspace URL, else Slack's redirect to the channel. */
function slackLink(slackUrl: string | undefined, origin: Record<string, unknown>): string | undefined {
  const channel = typeof origin.channel === "string" ? origin.channel : undefined;
  if (!channel || !/^[CDG][A-Z0-9]+$/.test(channel)) return undefined;
  const ts = typeof origin.threadTs === "string" ? origin.threadTs : typeof origin.messageTs === "string" ? origin.messageTs : undefined;
  if (slackUrl && ts) return `${slackUrl}/archives/${channel}/p${ts.replace(".", "")}`;
  return `https://slack.com/app_redirect?channel=${channel}`;
}
