import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Logger } from "pino";
import type { OpsService } from "../service/ops-service.js";
import { createRateLimiter } from "./rate-limiter.js";
import { messagePage, type Html, type PageContext } from "./render/layout.js";
import type { RunboardEnv } from "./runboard-env.js";
import { RUNBOARD_PATH, type RunboardSettings } from "./runboard-settings.js";
import { openValue, sealValue, type Session, type Signer } from "./signing.js";
import { authorizeUrl, completeSignIn, SignInError, type SlackSignInOptions } from "./slack-sign-in.js";

export const SESSION_COOKIE = "opsroom_runboard";
const SIGNIN_COOKIE = "opsroom_signin";

type Env = RunboardEnv;

export interface SignInRouteDeps {
  app: Hono<Env>;
  settings: RunboardSettings;
  signer: Signer;
  service: Pick<OpsService, "mayViewRunboard">;
  log: Logger;
  clock: () => Date;
  /** Sign-in starts per address per window (default 10 a minute). */
  signInLimit: { max: number; windowMs: number } | undefined;
  page: (c: Context<Env>, body: Html, status?: 200 | 400 | 403 | 404 | 429 | 502) => Promise<Response>;
  pageContext: (c: Context<Env>) => PageContext;
}

/**
 * Sign in with Slack (OpenID Connect, slack-sign-in.ts): /signin sends the browser to Slack with a state
 * and nonce kept in a short-lived signed cookie, /signin/callback checks them, asks Slack who it is,
 * checks the workspace and `runboard.allow`, and sets the session cookie; /signout clears it.
 */
export function registerSignInRoutes(deps: SignInRouteDeps): void {
  const { app, settings, signer, service, log, clock, page, pageContext } = deps;
  const base = RUNBOARD_PATH;
  const limiter = createRateLimiter({ ...(deps.signInLimit ?? { max: 10, windowMs: 60_000 }), clock });
  const signInOptions: SlackSignInOptions | undefined = settings.slack && {
    ...settings.slack,
    redirectUri: `${settings.url}/signin/callback`,
  };
  const cookieBase = { path: base, httpOnly: true, sameSite: "Lax" as const, secure: settings.secureCookies };

  const limited = (c: Context<Env>) => {
    const address = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress ?? "local";
    const wait = limiter.take(address);
    if (wait === 0) return undefined;
    c.header("retry-after", String(Math.ceil(wait / 1000)));
    return page(c, messagePage(pageContext(c), "Too many sign-in attempts", `Try again in ${Math.ceil(wait / 1000)} seconds.`), 429);
  };

  app.get("/signin", (c) => {
    if (!signInOptions) return page(c, messagePage(pageContext(c), "Sign-in is off", `This Runboard's access is ${settings.access}.`), 404);
    const slow = limited(c);
    if (slow) return slow;
    const state = randomBytes(16).toString("base64url");
    const nonce = randomBytes(16).toString("base64url");
    const next = safeNext(c.req.query("next"));
    setCookie(c, SIGNIN_COOKIE, sealValue(signer, "signin", { state, nonce, next, exp: Math.floor(clock().getTime() / 1000) + 600 }), {
      ...cookieBase,
      path: `${base}/signin`,
      maxAge: 600,
    });
    return c.redirect(authorizeUrl(signInOptions, state, nonce), 302);
  });

  app.get("/signin/callback", async (c) => {
    if (!signInOptions) return page(c, messagePage(pageContext(c), "Sign-in is off", `This Runboard's access is ${settings.access}.`), 404);
    const attempt = openValue<{ state: string; nonce: string; next: string; exp: number }>(
      signer,
      "signin",
      getCookie(c, SIGNIN_COOKIE),
      clock(),
    );
    deleteCookie(c, SIGNIN_COOKIE, { path: `${base}/signin` });
    if (c.req.query("error"))
      return page(c, messagePage(pageContext(c), "Sign-in was cancelled", `Slack said: ${c.req.query("error")}.`), 403);
    if (!attempt || attempt.state !== c.req.query("state"))
      return page(
        c,
        messagePage(
          pageContext(c),
          "Sign-in could not be finished",
          "This sign-in was started elsewhere or took longer than 10 minutes.",
          `Sign in again at ${base}/signin.`,
        ),
        400,
      );
    const code = c.req.query("code");
    if (!code) return page(c, messagePage(pageContext(c), "Sign-in could not be finished", "Slack sent no code back."), 400);
    try {
      const identity = await completeSignIn(signInOptions, code, attempt.nonce);
      if (!(await service.mayViewRunboard(identity.user))) {
        log.info({ slack_user: identity.user }, "runboard sign-in refused: not on runboard.allow");
        return page(
          c,
          messagePage(
            pageContext(c),
            "Not on this Runboard's list",
            `${identity.name} (${identity.user}) is not among the people runboard.allow names. Ask an opsroom admin.`,
          ),
          403,
        );
      }
      const session: Session = {
        user: identity.user,
        name: identity.name,
        exp: Math.floor(clock().getTime() / 1000) + settings.sessionHours * 3600,
      };
      setCookie(c, SESSION_COOKIE, sealValue(signer, "session", session), { ...cookieBase, maxAge: settings.sessionHours * 3600 });
      log.info({ slack_user: identity.user }, "runboard sign-in");
      return c.redirect(attempt.next, 302);
    } catch (error) {
      if (!(error instanceof SignInError)) throw error;
      log.warn({ err: error }, "runboard sign-in failed");
      return page(
        c,
        messagePage(pageContext(c), "Sign-in failed", error.userMessage, error.hint),
        error.code === "SIGNIN_UNREACHABLE" ? 502 : 403,
      );
    }
  });

  app.get("/signout", (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: base });
    c.set("viewer", undefined);
    return page(
      c,
      messagePage(
        pageContext(c),
        "Signed out",
        "You are signed out of the Runboard.",
        settings.access === "slack" ? `Sign in again at ${base}/signin.` : undefined,
      ),
    );
  });

  /** Only a Runboard path of this site (no open redirect). */
  function safeNext(next: string | undefined): string {
    return next && next.startsWith(`${base}/`) && !next.startsWith("//") && !next.includes("\\") ? next : `${base}/`;
  }
}
