import { randomBytes } from "node:crypto";
import type { Config } from "../config/load-config.js";
import { ConfigError, type ConfigIssue } from "../errors.js";

/** Where Slack's OpenID Connect endpoints are (https://api.slack.com/authentication/sign-in-with-slack). */
export const DEFAULT_SLACK_OPENID_URL = "https://slack.com";
/** The Runboard's pages are served under this path, beside /healthz on the same port. */
export const RUNBOARD_PATH = "/runboard";

/**
 * The Runboard's settings, resolved once from the config: how people get in, the signing key, and
 * the public URL that sign-in redirects and "View run" links use.
 *
 * @example { access: "slack", url: "https://ops.example.com/runboard", secret: "…", slack: { clientId, clientSecret, teamId, openIdUrl } }
 */
export interface RunboardSettings {
  access: "slack" | "links" | "open";
  url: string;
  secret: string;
  /** True when RUNBOARD_SECRET was unset: sessions and links last only as long as this process. */
  ephemeralSecret: boolean;
  slack: { clientId: string; clientSecret: string; teamId: string; openIdUrl: string } | undefined;
  sessionHours: number;
  linkHours: number;
  slackUrl: string | undefined;
  /** Cookies are marked Secure when the Runboard is served over https. */
  secureCookies: boolean;
}

/** Throws ConfigError naming every missing piece for the chosen access. */
export function resolveRunboardSettings(config: Config): RunboardSettings {
  const { env, runboard } = config;
  const access = runboard.access ?? (env.SLACK_CLIENT_ID ? "slack" : env.SLACK_BOT_TOKEN ? "links" : "open");
  const issues: ConfigIssue[] = [];
  const need = (ok: unknown, field: string, message: string, file = config.configPath) =>
    ok ? undefined : issues.push({ file, line: undefined, field, message });
  if (access === "slack") {
    need(
      env.SLACK_CLIENT_ID,
      "SLACK_CLIENT_ID",
      "is needed for runboard.access slack (Basic Information → App Credentials → Client ID)",
      "environment",
    );
    need(
      env.SLACK_CLIENT_SECRET,
      "SLACK_CLIENT_SECRET",
      "is needed for runboard.access slack (Basic Information → App Credentials → Client Secret)",
      "environment",
    );
    need(runboard.teamId, "runboard.teamId", "is needed for runboard.access slack: the workspace id (T…) whose people may sign in");
    need(runboard.url, "runboard.url", "is needed for runboard.access slack: the public URL Slack redirects back to after sign-in");
  }
  if (issues.length > 0) throw new ConfigError(issues);
  const url = (runboard.url ?? `http://127.0.0.1:${env.PORT}${RUNBOARD_PATH}`).replace(/\/+$/, "");
  return {
    access,
    url,
    secret: env.RUNBOARD_SECRET ?? randomBytes(32).toString("hex"),
    ephemeralSecret: !env.RUNBOARD_SECRET,
    slack:
      access === "slack"
        ? {
            clientId: env.SLACK_CLIENT_ID!,
            clientSecret: env.SLACK_CLIENT_SECRET!,
            teamId: runboard.teamId!,
            openIdUrl: (env.SLACK_OPENID_URL ?? DEFAULT_SLACK_OPENID_URL).replace(/\/+$/, ""),
          }
        : undefined,
    sessionHours: runboard.sessionHours,
    linkHours: runboard.linkHours,
    slackUrl: runboard.slackUrl?.replace(/\/+$/, ""),
    secureCookies: url.startsWith("https:"),
  };
}
