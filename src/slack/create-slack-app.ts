import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { App, HTTPReceiver, SocketModeReceiver, webApi } from "@slack/bolt";
import type { Logger } from "pino";
import type { Config } from "../config/load-config.js";
import { ConfigError, OpsError } from "../errors.js";
import type { healthRoutes } from "../health-server.js";
import type { Redactor } from "../redact.js";
import type { Run } from "../store/types.js";
import type { OpsService } from "../service/ops-service.js";
import { createBoltLogger } from "./bolt-logger.js";
import { createRolloutMessages, type RolloutEvents } from "./rollout-messages.js";
import { registerActionHandlers } from "./handlers/actions.js";
import { registerAppHome } from "./handlers/app-home.js";
import { registerMessageHandlers } from "./handlers/messages.js";
import type { SlackContext } from "./handlers/slack-context.js";
import { registerSlashCommand } from "./handlers/slash-command.js";
import { registerViewHandlers } from "./handlers/views.js";
import { BOARD_RUNBOOK, CHECKLIST_RUNBOOK } from "../service/board-use-cases.js";
import { createBoardMessages } from "./board-message.js";
import { followBoardChanges } from "./board-refresh.js";
import { createIncidentSummaries } from "./incident-summary.js";
import { startRunReporter, type RunReporter } from "./run-reporter.js";
import { createSlackDirectory } from "./slack-directory.js";
import { createSlackOutbox } from "./slack-outbox.js";
import { createSlackPoster, type SlackCallObserver } from "./slack-poster.js";
import { createSlackScheduleNotifier } from "./schedule-notifier.js";
import type { ScheduleNotifier } from "../schedules/scheduler.js";
import { observeReconnects } from "./observe-reconnects.js";
import { DEFAULT_BACKOFF, slackRefusal, tokenRejected, unreachableReason, verifyBotToken, type Backoff } from "./verify-slack-token.js";

export const DEFAULT_SLACK_API_URL = "https://slack.com/api/";
/** Bolt's default request path for events, commands and interactivity (HTTP mode). */
export const SLACK_EVENTS_PATH = "/slack/events";

/** How long stop() waits for listeners that are still working. */
const STOP_GRACE_MS = 10_000;
/** How long stop() waits for the runs' last card updates (sent at once, not at their paced turn). */
const FINAL_UPDATES_MS = 5_000;

export interface SlackAppOptions {
  service: OpsService;
  config: Pick<Config, "env" | "timeZone"> & { schedules?: Pick<Config["schedules"], "silenceMinutes"> };
  log: Logger;
  redactor: Redactor;
  /** HTTP mode: where to listen. Defaults: PORT, all interfaces. 0 picks a free port. */
  port?: number;
  host?: string;
  /** HTTP mode serves these (GET /healthz, /readyz, /metrics) itself, since it owns PORT. */
  httpRoutes?: ReturnType<typeof healthRoutes>;
  /** A run's View run link on the Runboard (cards show it), when the Runboard has a public URL. */
  runLink?: (run: Run) => string;
  /** Told about every Web API call the app makes (metrics). */
  observeCalls?: SlackCallObserver;
  /**
   * Retries of a Web API call that failed with a 5xx or a network error (429s are waited out by the
   * outbox, not retried here). Tests pass 0: the SDK's Socket Mode client would otherwise write
   * 100 retries into the shared client options.
   */
  retries?: number;
  /** Socket Mode: how long without a pong before reconnecting (Bolt's default is 5,000 ms). */
  clientPingTimeoutMs?: number;
  reporter?: { minUpdateIntervalMs?: number; leaseMs?: number; pollMs?: number };
  /** How long a rate-limited lane keeps pacing itself after its last 429 (default 10 s). */
  pacedWindowMs?: number;
  /** The slash command this app answers (the manifest declares `/ops`). */
  command?: string;
  now?: () => Date;
  /** App Home: how long an opening waits for the ops board to be read when none is on record (default 10 s). */
  homeBoardReadMs?: number;
  /** Backstop poll for ops board changes made by other processes (default 30 s; run events wake it sooner). */
  boardPollMs?: number;
  /** Stops the wait for an unreachable Slack at start (SIGTERM while retrying). */
  signal?: AbortSignal;
  /** Waits between start attempts while Slack is unreachable. */
  connectBackoff?: Backoff;
  /** The rollout driver of this process: its stages' cards and the rollouts' status messages go in their threads. */
  rollouts?: RolloutEvents;
}

export interface SlackApp {
  mode: "socket" | "http";
  /** HTTP mode: the URL Slack must send events, commands and interactivity to. */
  requestUrl?: string;
  reporter: RunReporter;
  /** Where schedules' runs, skip notices and watch alerts are posted (main.ts hands it to the scheduler). */
  scheduleNotifier: ScheduleNotifier;
  /** Socket Mode: the WebSocket is open; HTTP mode: listening. False once stopped. */
  connected(): boolean;
  /** Looks for ops board changes now (run events and a slow poll do it anyway); resolves once the messages are updated. */
  followBoard(): Promise<void>;
  /** Stops once; later calls wait for the same stop. */
  stop(): Promise<void>;
}

/**
 * Connects opsroom to Slack: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP with signed
 * requests (SLACK_SIGNING_SECRET). Every Slack call the app makes, the Socket Mode connection
 * included, goes to SLACK_API_URL.
 */
export async function startSlackApp(options: SlackAppOptions): Promise<SlackApp> {
  const { env } = options.config;
  const problems = [];
  if (!env.SLACK_BOT_TOKEN)
    problems.push({ field: "SLACK_BOT_TOKEN", message: "is required for Slack (OAuth & Permissions → Bot User OAuth Token, xoxb-…)" });
  if (!env.SLACK_APP_TOKEN && !env.SLACK_SIGNING_SECRET) {
    problems.push({
      field: "SLACK_APP_TOKEN",
      message:
        "or SLACK_SIGNING_SECRET is required: the app-level token (xapp-…, connections:write) for Socket Mode, or the signing secret (Basic Information → App Credentials) for HTTP mode",
    });
  }
  if (problems.length > 0) throw new ConfigError(problems.map((p) => ({ file: "environment", line: undefined, ...p })));
  const token = env.SLACK_BOT_TOKEN!;
  const slackApiUrl = env.SLACK_API_URL ?? DEFAULT_SLACK_API_URL;
  const log = options.log.child({ component: "slack" });
  const logger = createBoltLogger(log);
  // Our own auth.test first: a refused token stops the start with a clear reason, an unreachable Slack
  // is retried, and Bolt, given the bot's ids, starts no auth.test of its own that nobody awaits.
  const identity = await verifyBotToken({
    token,
    slackApiUrl,
    log,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.connectBackoff ? { backoff: options.connectBackoff } : {}),
  });
  // Each SDK object gets its own copy: the Socket Mode client mutates the options it is given.
  const retryConfig =
    options.retries === 0
      ? { retries: 0 }
      : { retries: options.retries ?? 5, factor: 2, minTimeout: 500, maxTimeout: 30_000, randomize: true };
  const clientOptions = () => ({ slackApiUrl, retryConfig: { ...retryConfig } });
  const mode = env.SLACK_APP_TOKEN ? "socket" : "http";

  const socketReceiver =
    mode === "socket"
      ? new SocketModeReceiver({
          appToken: env.SLACK_APP_TOKEN!,
          logger,
          // The Socket Mode client keeps its own long retry policy for apps.connections.open (it writes
          // it into these options, a copy of their own) unless retries are switched off (tests).
          installerOptions: { clientOptions: options.retries === 0 ? clientOptions() : { slackApiUrl } },
          ...(options.clientPingTimeoutMs ? { clientPingTimeout: options.clientPingTimeoutMs } : {}),
        })
      : undefined;
  const receiver =
    socketReceiver ??
    new HTTPReceiver({
      signingSecret: env.SLACK_SIGNING_SECRET!,
      endpoints: SLACK_EVENTS_PATH,
      logger,
      // Ack first, work after: the HTTP response goes out as soon as a listener acks.
      processBeforeResponse: false,
      customRoutes: options.httpRoutes ?? [],
    });
  const reconnects = socketReceiver
    ? observeReconnects(socketReceiver, { log, backoff: options.connectBackoff ?? DEFAULT_BACKOFF })
    : undefined;
  const app = new App({ token, ...identity, receiver, logger, clientOptions: clientOptions(), ignoreSelf: true });

  const client = new webApi.WebClient(token, { ...clientOptions(), logger, rejectRateLimitedCalls: true });
  const outbox = createSlackOutbox({
    log,
    // chat.update is Tier 3 (50+ a minute): once limited, space updates 1.2 s apart; posts 1 s per channel.
    paceMs: (lane) => (lane === "update" ? 1200 : 1000),
    concurrency: (lane) => (lane === "update" || lane === "ephemeral" || lane === "views" || lane === "directory" ? 4 : 1),
    ...(options.pacedWindowMs !== undefined ? { pacedWindowMs: options.pacedWindowMs } : {}),
  });
  const poster = createSlackPoster(client, outbox, options.redactor, options.observeCalls);
  const directory = createSlackDirectory(client, outbox, { log });
  options.service.useDirectory(directory);
  const now = options.now ?? (() => new Date());
  const incidents = createIncidentSummaries({ service: options.service, poster, directory, log, timeZone: options.config.timeZone, now });
  const boards = createBoardMessages({ service: options.service, poster, log, timeZone: options.config.timeZone, now });
  // Every channel's board message follows a new reading or a checklist change (once, across processes).
  const boardFollower = await followBoardChanges({
    service: options.service,
    boards,
    log,
    ...(options.boardPollMs !== undefined ? { pollMs: options.boardPollMs } : {}),
  });
  const reporter = await startRunReporter({
    service: options.service,
    poster,
    directory,
    log,
    owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    timeZone: options.config.timeZone,
    now,
    ...(options.runLink ? { runLink: options.runLink } : {}),
    onRunFinished: (run) => {
      if (typeof run.origin.channel === "string") void incidents.refresh(run.origin.channel);
      if (run.runbook === BOARD_RUNBOOK && typeof run.origin.channel === "string") void boards.refresh(run.origin.channel);
      if (run.runbook === BOARD_RUNBOOK || run.runbook === CHECKLIST_RUNBOOK) void boardFollower.check();
    },
    ...options.reporter,
  }).catch(async (error: unknown) => {
    await boardFollower.stop();
    throw error;
  });
  // Listeners still working when the app stops (a card posted but not yet handed to the reporter)
  // are waited for, up to a bound, so a clean shutdown never leaves a card nobody updates.
  const inflight = new Set<Promise<unknown>>();
  app.use(async ({ next }) => {
    const work = next();
    inflight.add(work);
    try {
      await work;
    } finally {
      inflight.delete(work);
    }
  });
  const ctx: SlackContext = {
    service: options.service,
    redactor: options.redactor,
    poster,
    reporter,
    incidents,
    directory,
    log,
    timeZone: options.config.timeZone,
    now,
    ...(options.runLink ? { runLink: options.runLink } : {}),
    ...(options.homeBoardReadMs !== undefined ? { homeBoardReadMs: options.homeBoardReadMs } : {}),
  };
  registerMessageHandlers(app, ctx);
  registerSlashCommand(app, ctx, options.redactor, options.command ?? "/ops");
  registerActionHandlers(app, ctx, options.redactor);
  registerViewHandlers(app, ctx);
  registerAppHome(app, ctx);
  const unfollowRollouts = options.rollouts ? createRolloutMessages(ctx).follow(options.rollouts) : () => {};
  app.error(async (error) => {
    log.error({ err: error }, "unhandled error in a Slack listener");
  });

  let requestUrl: string | undefined;
  let connected = false;
  if (receiver instanceof SocketModeReceiver) {
    receiver.client.on("connected", () => (connected = true));
    for (const state of ["disconnected", "reconnecting"]) receiver.client.on(state, () => (connected = false));
  }
  try {
    if (mode === "socket") {
      await app.start();
    } else {
      const server = (await app.start({ port: options.port ?? env.PORT, host: options.host ?? "0.0.0.0" })) as Server;
      const address = server.address() as AddressInfo;
      requestUrl = `http://${options.host ?? "127.0.0.1"}:${address.port}${SLACK_EVENTS_PATH}`;
    }
  } catch (error) {
    reconnects?.stop();
    await boardFollower.stop();
    outbox.close();
    await reporter.stop();
    throw mode === "socket" ? socketStartError(error, slackApiUrl) : error;
  }
  connected = true;
  log.info({ mode, slack_api_url: slackApiUrl, ...(requestUrl ? { request_url: requestUrl } : {}) }, "connected to Slack");

  const stopOnce = async (): Promise<void> => {
    connected = false;
    unfollowRollouts();
    reconnects?.stop();
    await app.stop().catch((error: unknown) => log.warn({ err: error }, "stopping the Slack receiver failed"));
    await Promise.race([Promise.allSettled([...inflight]), new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref())]);
    await boardFollower.stop();
    // Cards whose update waits for its paced turn get their last state now, once, within a bound.
    await reporter.flushPending(FINAL_UPDATES_MS);
    // Queued calls fail fast, so the reporter's last flushes end; unfinished runs are released to other processes.
    outbox.close();
    await reporter.stop();
  };
  let stopping: Promise<void> | undefined;

  return {
    mode,
    ...(requestUrl ? { requestUrl } : {}),
    reporter,
    scheduleNotifier: createSlackScheduleNotifier({
      poster,
      reporter,
      directory,
      log,
      timeZone: options.config.timeZone,
      now,
      silenceMinutes: options.config.schedules?.silenceMinutes ?? 60,
    }),
    connected: () => connected,
    followBoard: () => boardFollower.check(),
    stop: () => (stopping ??= stopOnce()),
  };
}

/** Socket Mode could not open its connection (apps.connections.open with SLACK_APP_TOKEN): say which and why. */
function socketStartError(error: unknown, slackApiUrl: string): unknown {
  const refused = slackRefusal(error);
  if (refused) return tokenRejected("SLACK_APP_TOKEN", refused, error);
  const code = (error as { code?: string }).code;
  if (code === webApi.ErrorCode.RequestError || code === webApi.ErrorCode.HTTPError) {
    return new OpsError(
      "SLACK_UNREACHABLE",
      `Slack's Socket Mode endpoint at ${slackApiUrl} is unreachable (${unreachableReason(error)}).`,
      {
        hint: "Check the network path to Slack (and SLACK_API_URL, if set), then start again.",
        cause: error,
      },
    );
  }
  return error;
}
