import { z } from "zod";
import { SchedulerSchema, WatchSchema } from "./schedules-schema.js";
import { BoardSchema } from "./board-schema.js";
import { StepSchema } from "../runbook/runbook-schema.js";

/** A name people type: lowercase letters, digits, dashes and underscores. */
const Name = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "must be a word of letters, digits, - or _");

const EnvName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, "must be an environment variable name");
/** A program and its arguments (argv): never a shell line. */
const Argv = z
  .array(z.string().min(1, "must not be empty"), { error: "must be a list like [node, deploy.js]" })
  .min(1, "must name the program");

/**
 * The commands of the `deployVia: shell` path, as argv. Each prints one step result as JSON on standard
 * output ({ summary, data, artifacts }) and exits 0, or exits non-zero with the reason on standard error;
 * opsroom appends the arguments named below. dev/devctl.ts implements them for the dev environment.
 */
export const ShellCommandsSchema = z
  .object({
    deploy: Argv.optional().describe("+ <ref>: deploy the branch, tag or SHA"),
    changes: Argv.optional().describe("+ <ref>: the commits a deploy of <ref> would ship (read-only)"),
    deployments: Argv.optional().describe("deployments newest first, as data.deployments [{id, ref, sha, state, createdAt, creator}]"),
    status: Argv.optional().describe("what runs now, as data {ref, sha, version, replicas}"),
    restart: Argv.optional().describe("replace the running instances"),
    scale: Argv.optional().describe("+ <count>: run that many instances"),
    logs: Argv.optional().describe("+ --since=ISO --until=ISO --level=error|warn|info: data {lines, errorLines}"),
  })
  .strict();

/**
 * A generic log source for triage: an HTTP endpoint or a file with the service's log lines (plain text,
 * newline-delimited JSON or a JSON array), for services whose logs are not on Vercel or DigitalOcean.
 */
export const LogSourceSchema = z
  .object({
    url: z.string().min(1).describe("http(s) URL answering with log lines, or a file path (relative to where opsroom runs)"),
    format: z.enum(["auto", "ndjson", "json", "text"]).default("auto"),
    tokenEnv: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]*$/, "must be an environment variable name")
      .optional()
      .describe("variable holding a bearer token for the URL"),
    sinceParam: z.string().optional().describe("query parameter that tells the source where the window starts (ISO time)"),
    timeField: z.string().optional(),
    messageField: z.string().optional(),
    levelField: z.string().optional(),
  })
  .strict();

/**
 * Where and how a service runs. Set at the service level as defaults and per environment as
 * overrides; the planner merges them into one `target`.
 */
export const TargetSettingsSchema = z
  .object({
    healthUrl: z.url().optional().describe("URL the healthcheck requests; 2xx means healthy"),
    healthExpect: z.string().optional().describe("text the health response body must contain"),
    latencyBudgetMs: z.number().int().positive().optional(),
    url: z.url().optional().describe("public URL of the service"),
    repository: z
      .string()
      .regex(/^[\w.-]+\/[\w.-]+$/, "must be owner/name")
      .optional(),
    branch: z.string().optional().describe("default ref to deploy"),
    deployVia: z.enum(["workflow_dispatch", "deployments", "vercel", "digitalocean", "shell"]).optional(),
    commands: ShellCommandsSchema.optional().describe("the commands of deployVia shell"),
    commandEnv: z.array(EnvName).optional().describe("environment variables passed to those commands"),
    workflow: z.string().optional().describe("GitHub Actions workflow file for workflow_dispatch"),
    vercelProject: z.string().optional(),
    vercelTeam: z.string().optional(),
    digitaloceanApp: z.string().optional(),
    digitaloceanComponent: z.string().optional(),
    databaseUrlEnv: EnvName.optional().describe("name of the environment variable holding this environment's database URL"),
    migrationsDir: z.string().optional(),
    /**
     * The environment whose migrations come first (prod: staging): a migration plan here shows, per pending
     * file, whether that exact file succeeded there, and one that never did needs an approver's override reason.
     */
    promotesFrom: z.string().min(1).optional().describe("environment whose successful migrations this one's must follow, e.g. staging"),
    /** Where the feature_flags table is read: Supabase's REST API (SUPABASE_URL), or databaseUrlEnv's database. */
    flagsVia: z.enum(["supabase", "database"]).optional(),
    logSource: LogSourceSchema.optional(),
    /** Ops board blocks (migrations, flags, …) whose latest verdict a deploy here shows in its preflight. */
    boardBlocks: z.array(z.string().min(1)).optional(),
  })
  .strict();

export const EnvironmentSchema = z
  .object({
    aliases: z.array(z.string().min(1)).default([]),
    description: z.string().optional(),
    /** Protected environments need an approval from someone other than the requester. */
    protected: z.boolean().default(false),
    settings: TargetSettingsSchema.default({}),
  })
  .strict();

export const ServiceSchema = TargetSettingsSchema.extend({
  aliases: z.array(z.string().min(1)).default([]),
  description: z.string().optional(),
  owner: z.string().optional(),
  environments: z.record(z.string(), TargetSettingsSchema).default({}),
}).strict();

const GateName = z.string().regex(/^[a-z][a-z0-9-]*$/, "must be lowercase letters, digits and dashes");

/**
 * A custom gate of a staged run (a flag rollout's `gates`, a release stage's `gates`), one of two kinds:
 * an HTTP endpoint that answers 2xx (and contains `expectBody`, when given) when it is safe to go on, or a
 * SQL query over the environment's database (its `databaseUrlEnv`, unless the gate names another) that
 * **passes when it returns no rows**: each row it returns is something wrong, shown as the evidence. The
 * query runs in a READ ONLY transaction with a statement timeout; `{{ stage.startedAt }}` (and
 * `{{ rollout.startedAt }}`) are bound as parameters.
 */
export const GateSchema = z.union(
  [
    z
      .object({
        name: GateName,
        url: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }),
        expectBody: z.string().optional(),
      })
      .strict(),
    z
      .object({
        name: GateName,
        sql: z.string().min(1, "must be a SELECT returning the rows that are wrong"),
        databaseUrlEnv: EnvName.optional().describe("the database to ask; the environment's databaseUrlEnv when not given"),
        timeoutSeconds: z.number().int().min(1).max(300).default(15),
      })
      .strict(),
  ],
  { error: "must be an HTTP gate { name, url, expectBody? } or a SQL gate { name, sql, databaseUrlEnv?, timeoutSeconds? }" },
);
export type GateConfig = z.output<typeof GateSchema>;

export const FlagSchema = z
  .object({
    description: z.string().optional(),
    owner: z.string().optional(),
    cohorts: z.array(z.string()).default([]),
    dependsOn: z.array(z.string()).default([]),
    /** Services that read the flag: triage counts a change of it as touching those only (every service when empty). */
    services: z.array(z.string()).default([]),
    /** Custom gates of a staged rollout, checked before each stage beside health and errors (see GateSchema). */
    gates: z.array(GateSchema).default([]),
    /** Ops board blocks whose latest verdict a change of this flag shows in its preflight. */
    boardBlocks: z.array(z.string().min(1)).optional(),
  })
  .strict();

/** An ISO 8601 duration like PT30M, PT2H, P1D. */
const Duration = z.string().regex(/^P(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?$/i, "must be an ISO 8601 duration like PT30M");

/**
 * One stage of a release plan: its action — an existing runbook with params (`runbook: flag`, `runbook:
 * deploy`, …) or steps of its own (any adapter action, as in a runbook) — then its gates, checked after the
 * action; `wait` before the next stage (whose run re-checks these gates before it changes anything).
 */
export const ReleaseStageSchema = z
  .object({
    name: GateName,
    title: z.string().min(1).optional(),
    env: z.string().min(1).describe("the environment the stage changes (its target settings, its databaseUrlEnv for SQL gates)"),
    runbook: z.string().min(1).optional().describe("an existing runbook the stage runs, with `params`"),
    params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())])).default({}),
    steps: z.array(StepSchema).default([]).describe("the stage's own steps (action phase), instead of a runbook"),
    rollback: z.array(StepSchema).default([]).describe("what undoes `steps` when the stage fails"),
    gates: z.array(GateSchema).default([]),
    wait: Duration.optional().describe("time before the next stage; none by default"),
  })
  .strict()
  .refine((s) => (s.runbook === undefined) !== (s.steps.length === 0), {
    message: "a stage runs either a `runbook` (with `params`) or its own `steps`, not both",
  });

/** A release plan: stages across environments, approved once, driven like a staged flag rollout. */
export const ReleaseSchema = z
  .object({
    title: z.string().min(1).optional(),
    description: z.string().optional(),
    owner: z.string().optional().describe("paged when a stage fails"),
    aliases: z.array(z.string().min(1)).default([]),
    stages: z.array(ReleaseStageSchema).min(1, "needs at least one stage"),
  })
  .strict();
export type ReleaseConfig = z.output<typeof ReleaseSchema>;
export type ReleaseStageConfig = z.output<typeof ReleaseStageSchema>;

/** A program opsroom starts with itself and stops with itself (see processes in the example config). */
export const ProcessSchema = z
  .object({
    description: z.string().optional(),
    command: Argv,
    readyTimeoutSeconds: z.number().int().min(1).max(600).default(120),
  })
  .strict();

const ApproverSetSchema = z
  .object({
    users: z.array(z.string().regex(/^[UW][A-Z0-9]+$/, "must be a Slack user id like U0123ABC")).default([]),
    groups: z.array(z.string().regex(/^S[A-Z0-9]+$/, "must be a Slack user group id like S0123ABC")).default([]),
  })
  .strict();

export const ApprovalRuleSchema = z
  .object({
    env: z.string().optional(),
    runbook: z.string().optional(),
    /** Matches only plans whose params have these values (a list: any of them), e.g. { status: [healthy, done] }. */
    params: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
    approvers: ApproverSetSchema.optional(),
    required: z.number().int().min(0).max(10).optional(),
    selfApproval: z.boolean().optional(),
    expiresInMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .optional(),
  })
  .strict();

export const ApprovalPolicySchema = z
  .object({
    approvers: ApproverSetSchema.default({ users: [], groups: [] }),
    required: z.number().int().min(0).max(10).default(1),
    selfApproval: z.boolean().default(true),
    expiresInMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(30),
    rules: z.array(ApprovalRuleSchema).default([]),
  })
  .strict();

/** Which envs' runs also show in the channel, beyond their thread; "*" is every env. */
const BroadcastRuleSchema = z
  .object({
    /** Plans waiting for approval (default: every env). */
    waitingForApproval: z.array(z.string()).optional(),
    /** A run's final outcome (default: the protected envs). */
    outcome: z.array(z.string()).optional(),
  })
  .strict();

const BroadcastSchema = BroadcastRuleSchema.extend({
  /** Per channel, by name (without #) or id: the fields it sets replace the defaults above. */
  channels: z.record(z.string(), BroadcastRuleSchema).default({}),
}).strict();

const ApiUrl = z.url().refine((u) => /^https?:/.test(u), "must be an http(s) URL");

/**
 * Provider endpoints and adapter defaults: GitHub Enterprise Server, proxies, a default Vercel team,
 * and which `feature_flags.environment` value each opsroom environment reads and writes.
 */
export const AdaptersSchema = z
  .object({
    github: z
      .object({
        apiUrl: ApiUrl.optional().describe("REST API base, e.g. https://github.example.com/api/v3 (GitHub Enterprise Server)"),
        webUrl: ApiUrl.optional().describe("web base for links, e.g. https://github.example.com"),
      })
      .strict()
      .default({}),
    vercel: z
      .object({
        apiUrl: ApiUrl.optional(),
        team: z.string().optional().describe("team id (team_...) or slug for services that set no vercelTeam"),
      })
      .strict()
      .default({}),
    digitalocean: z.object({ apiUrl: ApiUrl.optional() }).strict().default({}),
    supabase: z
      .object({
        environments: z
          .record(z.string(), z.string().min(1))
          .optional()
          .describe("opsroom environment → feature_flags.environment value (default: prod → production)"),
      })
      .strict()
      .default({}),
  })
  .strict();

/**
 * The Runboard (web pages beside /healthz): who may see it and where it lives. `access`: `slack` signs in
 * with Slack (SLACK_CLIENT_ID/SECRET, `teamId`); `links` serves only signed per-run links from Slack
 * cards; `open` serves everyone who reaches the port (local use). Default: `slack` when SLACK_CLIENT_ID is
 * set, `open` without Slack (the console, on 127.0.0.1), `links` otherwise.
 */
export const RunboardSchema = z
  .object({
    access: z.enum(["slack", "links", "open"]).optional(),
    url: ApiUrl.optional().describe("public URL of the Runboard, e.g. https://ops.example.com/runboard (sign-in redirect, View run links)"),
    teamId: z
      .string()
      .regex(/^T[A-Z0-9]+$/, "must be a Slack workspace id like T0123ABC")
      .optional()
      .describe("the only workspace whose people may sign in"),
    allow: ApproverSetSchema.default({ users: [], groups: [] }).describe(
      "who may sign in (users, user groups); empty: the whole workspace",
    ),
    sessionHours: z
      .number()
      .min(1)
      .max(24 * 30)
      .default(12),
    linkHours: z
      .number()
      .min(1)
      .max(24 * 30)
      .default(72)
      .describe("how long a View run link from a Slack card works"),
    slackUrl: ApiUrl.optional().describe("workspace URL for links back to Slack threads, e.g. https://acme.slack.com"),
  })
  .strict();

export const ConfigFileSchema = z
  .object({
    timeZone: z
      .string()
      .refine((tz) => isTimeZone(tz), "must be an IANA time zone like Europe/Berlin or UTC")
      .default("UTC"),
    environments: z.record(Name, EnvironmentSchema).refine((e) => Object.keys(e).length > 0, "needs at least one environment"),
    services: z.record(Name, ServiceSchema).default({}),
    flags: z.record(Name, FlagSchema).default({}),
    /** Release plans: multi-stage runs with gates (runbooks/release.yml; see README, Release plans). */
    releases: z.record(Name, ReleaseSchema).default({}),
    /**
     * The people a flag request may name ("enable X for <@U0123ABC>", "add @dana to X"): a Slack user id, a
     * name or an email → the app user id (a UUID) put in feature_flags.target_user_ids. A UUID needs no entry.
     */
    flagUsers: z
      .record(z.string().min(1), z.uuid("must be an app user id (a UUID)"))
      .default({})
      .describe("Slack user ids (U0123ABC), names (dana) and emails → app user ids for a flag's targeted users"),
    approvals: ApprovalPolicySchema.default({
      approvers: { users: [], groups: [] },
      required: 1,
      selfApproval: true,
      expiresInMinutes: 30,
      rules: [],
    }),
    /** opsroom admins: may cancel any run (users and user groups, like approvers). */
    admins: ApproverSetSchema.default({ users: [], groups: [] }),
    incidentChannels: z.array(z.string()).default(["inc-*", "incident-*"]),
    /** What Slack shows in the channel besides the thread (read-only runs never): see README, Connect to Slack. */
    broadcast: BroadcastSchema.default({ channels: {} }),
    processes: z.record(Name, ProcessSchema).default({}),
    /** Extra environment variables whose values must be redacted everywhere. */
    secretEnv: z.array(z.string().regex(/^[A-Z][A-Z0-9_]*$/)).default([]),
    adapters: AdaptersSchema.default({ github: {}, vercel: {}, digitalocean: {}, supabase: {} }),
    /** Recurring schedules: how often they are looked at, how late one may run (see README, Schedules and watches). */
    schedules: SchedulerSchema.default({ checkEverySeconds: 15, graceSeconds: 120, silenceMinutes: 60 }),
    /** Watches: read-only checks on a cadence that post to a channel when a state changes. */
    watches: z.record(Name, WatchSchema).default({}),
    runboard: RunboardSchema.default({ allow: { users: [], groups: [] }, sessionHours: 12, linkHours: 72 }),
    /** The ops board's cut-over checklist and telemetry feeds. */
    board: BoardSchema.default({ checklist: [], feeds: {} }),
  })
  .strict()
  .superRefine((config, ctx) => {
    const envNames = new Set(Object.keys(config.environments));
    for (const [service, def] of Object.entries(config.services)) {
      for (const env of Object.keys(def.environments)) {
        if (!envNames.has(env)) {
          ctx.addIssue({
            code: "custom",
            path: ["services", service, "environments", env],
            message: `unknown environment "${env}" (known: ${[...envNames].join(", ")})`,
          });
        }
      }
    }
    // A misspelt promotesFrom would ask for an override on every prod migration: named at start instead.
    for (const [env, def] of Object.entries(config.environments)) {
      const from = def.settings.promotesFrom;
      if (from !== undefined && (!envNames.has(from) || from === env))
        ctx.addIssue({
          code: "custom",
          path: ["environments", env, "settings", "promotesFrom"],
          message:
            from === env
              ? `an environment cannot promote from itself`
              : `unknown environment "${from}" (known: ${[...envNames].join(", ")})`,
        });
    }
    (config.board.envs ?? []).forEach((env, i) => {
      if (!envNames.has(env)) ctx.addIssue({ code: "custom", path: ["board", "envs", i], message: `unknown environment "${env}"` });
    });
    for (const [id, feed] of Object.entries(config.board.feeds)) {
      if (feed.kind !== "deploy") continue;
      if (!(feed.service in config.services))
        ctx.addIssue({ code: "custom", path: ["board", "feeds", id, "service"], message: `unknown service "${feed.service}"` });
      if (!envNames.has(feed.env))
        ctx.addIssue({ code: "custom", path: ["board", "feeds", id, "env"], message: `unknown environment "${feed.env}"` });
    }
    for (const [release, def] of Object.entries(config.releases)) {
      def.stages.forEach((stage, i) => {
        if (!envNames.has(stage.env))
          ctx.addIssue({ code: "custom", path: ["releases", release, "stages", i, "env"], message: `unknown environment "${stage.env}"` });
      });
    }
    for (const [flag, def] of Object.entries(config.flags)) {
      def.services.forEach((service, i) => {
        if (!(service in config.services)) {
          ctx.addIssue({ code: "custom", path: ["flags", flag, "services", i], message: `unknown service "${service}"` });
        }
      });
      def.dependsOn.forEach((dep, i) => {
        if (!(dep in config.flags)) {
          ctx.addIssue({ code: "custom", path: ["flags", flag, "dependsOn", i], message: `unknown flag "${dep}"` });
        }
      });
    }
  });

export type ConfigFile = z.output<typeof ConfigFileSchema>;
export type TargetSettings = z.output<typeof TargetSettingsSchema>;
export type ServiceConfig = z.output<typeof ServiceSchema>;
export type EnvironmentConfig = z.output<typeof EnvironmentSchema>;
export type ApprovalPolicyConfig = z.output<typeof ApprovalPolicySchema>;
export type ApprovalRuleConfig = z.output<typeof ApprovalRuleSchema>;
/** Slack users and user groups (approvers, admins). */
export type PeopleConfig = z.output<typeof ApproverSetSchema>;
export type BroadcastConfig = z.output<typeof BroadcastSchema>;
export type ProcessConfig = z.output<typeof ProcessSchema>;
export type RunboardConfig = z.output<typeof RunboardSchema>;

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
