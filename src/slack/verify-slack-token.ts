import { webApi } from "@slack/bolt";
import type { Logger } from "pino";
import { OpsError } from "../errors.js";
import { createBoltLogger } from "./bolt-logger.js";

/** Who SLACK_BOT_TOKEN belongs to, from auth.test; given to Bolt so it makes no auth.test call of its own. */
export interface BotIdentity {
  botUserId: string;
  botId: string;
}

/** Waits between attempts while Slack cannot be reached: 1 s, 2 s, 4 s … then every 30 s. */
export interface Backoff {
  firstMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { firstMs: 1_000, maxMs: 30_000 };
/** One attempt's bound: a Slack that accepts connections but never answers is unreachable too. */
const ATTEMPT_TIMEOUT_MS = 10_000;

/**
 * Asks Slack whose bot token this is (auth.test) before anything listens. A token Slack refuses ends
 * the start with what Slack said and where a good token comes from. While Slack cannot be reached
 * (network errors, 5xx, 429) it retries with back-off and says so in the log, until `signal` aborts.
 */
export async function verifyBotToken(options: {
  token: string;
  slackApiUrl: string;
  log: Logger;
  signal?: AbortSignal;
  backoff?: Backoff;
}): Promise<BotIdentity> {
  const { log, signal } = options;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const client = new webApi.WebClient(options.token, {
    slackApiUrl: options.slackApiUrl,
    // Each failed attempt is logged once, below, rather than also by the SDK.
    logger: createBoltLogger(log.child({}, { level: "error" })),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: ATTEMPT_TIMEOUT_MS,
  });
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      const result = await client.auth.test();
      return { botUserId: result.user_id ?? "", botId: result.bot_id ?? "" };
    } catch (error) {
      const refused = slackRefusal(error);
      if (refused) throw tokenRejected("SLACK_BOT_TOKEN", refused, error);
      const waitMs = Math.max(retryAfterMs(error), Math.min(backoff.firstMs * 2 ** (attempt - 1), backoff.maxMs));
      log.warn(
        { attempt, retry_in_ms: waitMs, slack_api_url: options.slackApiUrl, reason: unreachableReason(error) },
        `Slack is unreachable (${unreachableReason(error)}); retrying in ${formatSeconds(waitMs)}`,
      );
      await sleep(waitMs, signal);
    }
  }
}

/** The platform error code when Slack answered and refused (`invalid_auth`, `token_revoked`…), else undefined. */
export function slackRefusal(error: unknown): string | undefined {
  const { code, data } = error as { code?: string; data?: { error?: string } };
  return code === webApi.ErrorCode.PlatformError ? (data?.error ?? "unknown_error") : undefined;
}

/** Where each token comes from in the Slack app's settings (https://api.slack.com/apps). */
const WHERE = {
  SLACK_BOT_TOKEN: "the Bot User OAuth Token (xoxb-…) from OAuth & Permissions",
  SLACK_APP_TOKEN: "an app-level token (xapp-…, scope connections:write) from Basic Information → App-Level Tokens",
} as const;

/** What Slack's auth error codes mean for someone starting opsroom, and what to do. */
const MEANINGS: Record<string, { meaning: string; fix: string }> = {
  invalid_auth: { meaning: "the token is mistyped, belongs to another app, or was regenerated", fix: "Copy" },
  not_authed: { meaning: "no token reached Slack", fix: "Copy" },
  token_revoked: {
    meaning: "the token was revoked (the app was uninstalled or its tokens regenerated)",
    fix: "Reinstall the app, then copy",
  },
  token_expired: { meaning: "the token expired (token rotation is on for this app)", fix: "Turn token rotation off, reinstall, then copy" },
  account_inactive: { meaning: "the app's bot user or the workspace was deactivated", fix: "Reinstall the app, then copy" },
  team_disabled: { meaning: "the workspace was disabled", fix: "Install the app in an active workspace, then copy" },
  user_removed_from_team: { meaning: "the app's bot user was removed from the workspace", fix: "Reinstall the app, then copy" },
  missing_scope: { meaning: "the token lacks a scope this call needs", fix: "Add the scope, reinstall, then copy" },
};

/** "Slack rejected SLACK_BOT_TOKEN (invalid_auth) — …" with what to do as the hint. */
export function tokenRejected(variable: keyof typeof WHERE, code: string, cause: unknown): OpsError {
  const known = MEANINGS[code];
  const meaning = known?.meaning ?? "Slack refused it";
  return new OpsError("SLACK_TOKEN_REJECTED", `Slack rejected ${variable} (${code}) — ${meaning}.`, {
    hint: `${known?.fix ?? "Copy"} ${WHERE[variable]} in your app's settings (https://api.slack.com/apps) into ${variable}.`,
    cause,
  });
}

/** Why a call did not reach Slack: `ECONNREFUSED`, `HTTP 503`, `rate limited`, `timeout`. */
export function unreachableReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const e = error as { code?: string; statusCode?: number; original?: Error & { cause?: { code?: string } } };
  if (e.code === webApi.ErrorCode.HTTPError) return `HTTP ${e.statusCode}`;
  if (e.code === webApi.ErrorCode.RateLimitedError) return "rate limited";
  if (e.code === webApi.ErrorCode.RequestError) {
    const original = e.original as (Error & { code?: string; cause?: { code?: string; message?: string } }) | undefined;
    return original?.cause?.code ?? original?.code ?? original?.cause?.message ?? original?.message ?? "request failed";
  }
  return error.message;
}

function retryAfterMs(error: unknown): number {
  const { code, retryAfter } = error as { code?: string; retryAfter?: number };
  return code === webApi.ErrorCode.RateLimitedError && retryAfter ? retryAfter * 1000 : 0;
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
