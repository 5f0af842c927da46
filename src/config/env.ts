import { z } from "zod";

/**
 * Every environment variable opsroom reads, in one place. `readEnv` is given the environment as a
 * plain object so tests never touch process.env.
 */
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

function isPostgresUrl(value: string): boolean {
  try {
    const url = new URL(value);
    // A Unix socket comes as ?host=/var/run/postgresql, with no host name before the path.
    return (url.protocol === "postgres:" || url.protocol === "postgresql:") && (url.hostname !== "" || url.searchParams.has("host"));
  } catch {
    return false;
  }
}

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export const EnvSchema = z.object({
  SLACK_BOT_TOKEN: optionalString.pipe(
    z.string().startsWith("xoxb-", "must start with xoxb- (OAuth & Permissions → Bot User OAuth Token)").optional(),
  ),
  SLACK_APP_TOKEN: optionalString.pipe(
    z.string().startsWith("xapp-", "must start with xapp- (Basic Information → App-Level Tokens, scope connections:write)").optional(),
  ),
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_API_URL: optionalString.pipe(z.url().optional()),
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .refine(isPostgresUrl, "must be a URL like postgres://user:password@host:5432/dbname (postgres:// or postgresql://)")
      .optional(),
  ),
  OPSROOM_CONFIG: optionalString,
  OPSROOM_RUNBOOKS_DIR: optionalString,
  OPSROOM_DATA_DIR: optionalString.transform((v) => v ?? "./.opsroom"),
  PORT: optionalString.transform((v) => Number(v ?? "8787")).pipe(z.number().int("must be a port number").min(0).max(65535)),
  OPSROOM_SHUTDOWN_SECONDS: optionalString
    .transform((v) => Number(v ?? "25"))
    .pipe(z.number().min(0, "must be 0 or more seconds").max(3600, "must be at most 3600 seconds")),
  LOG_LEVEL: optionalString.transform((v) => v ?? "info").pipe(z.enum(logLevels)),
  GITHUB_TOKEN: optionalString,
  VERCEL_TOKEN: optionalString,
  SUPABASE_URL: optionalString.pipe(z.url().optional()),
  SUPABASE_SERVICE_ROLE_KEY: optionalString,
  SUPABASE_ACCESS_TOKEN: optionalString,
  DIGITALOCEAN_TOKEN: optionalString,
  ENABLE_USAGE_METRICS: optionalString.transform((v) => v === "1" || v === "true"),
  METRICS_SOURCE: optionalString.transform((v) => v ?? "opsroom"),
  METRICS_SAMPLE_RATE: optionalString.transform((v) => Number(v ?? "100")).pipe(z.number().int("must be an integer 1-100").min(1).max(100)),
  METRICS_WEBHOOK_URL: optionalString.pipe(z.url().optional()),
  /** Runboard: the key that signs its session cookies and "View run" links (32+ characters; random per process when unset). */
  RUNBOARD_SECRET: optionalString.pipe(z.string().min(32, "must be at least 32 characters (e.g. `openssl rand -hex 32`)").optional()),
  /** Sign in with Slack (Basic Information → App Credentials → Client ID and Client Secret). */
  SLACK_CLIENT_ID: optionalString,
  SLACK_CLIENT_SECRET: optionalString,
  /** Base URL of Slack's OpenID Connect endpoints (https://slack.com); a loopback provider in tests. */
  SLACK_OPENID_URL: optionalString.pipe(z.url().optional()),
  /** The console's colours are off when set to anything (https://no-color.org). */
  NO_COLOR: optionalString.transform((v) => v !== undefined),
});

export type Env = z.output<typeof EnvSchema>;

/** The adapters' own credentials: validated here, granted to steps by name (see Config.credentialSource). */
export const ADAPTER_ENV_NAMES = [
  "GITHUB_TOKEN",
  "VERCEL_TOKEN",
  "SUPABASE_URL",
  "SUPABASE_SERVICE_ROLE_KEY",
  "DIGITALOCEAN_TOKEN",
] as const;

/** Variables whose values are secrets: never logged, stored or shown. */
export const SECRET_ENV_NAMES = [
  "SLACK_BOT_TOKEN",
  "SLACK_APP_TOKEN",
  "SLACK_SIGNING_SECRET",
  "DATABASE_URL",
  "GITHUB_TOKEN",
  "VERCEL_TOKEN",
  "SUPABASE_SERVICE_ROLE_KEY",
  "SUPABASE_ACCESS_TOKEN",
  "DIGITALOCEAN_TOKEN",
  "METRICS_WEBHOOK_URL",
  "RUNBOARD_SECRET",
  "SLACK_CLIENT_SECRET",
] as const;

/**
 * What every shell step's command starts from (adapters/shell): where programs are, a home, a user and
 * a locale, taken from opsroom's own environment; nothing secret. Anything else a command needs is
 * listed in the step's `env:` and granted as a credential.
 */
export const SHELL_BASE_ENV_NAMES = ["PATH", "HOME", "USER", "LANG", "LC_ALL", "TZ", "TMPDIR"] as const;

/** PATH for shell steps when opsroom itself was started without one. */
export const DEFAULT_SHELL_PATH = "/usr/local/bin:/usr/bin:/bin";
