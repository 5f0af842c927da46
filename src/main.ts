import type { Server } from "node:http";
import type { Logger } from "pino";
import { createAdapters } from "../adapters/index.js";
import { loadConfig, type Config } from "./config/load-config.js";
import { runConsole } from "./console/console.js";
import { ConfigError, formatConfigIssue, OpsError } from "./errors.js";
import { createActionLookup, type ActionLookup } from "./executor/action-catalog.js";
import { executeRun } from "./executor/execute-run.js";
import { dryRunPlan } from "./executor/dry-run.js";
import { runPreflight } from "./executor/run-preflight.js";
import { startWorker, type Worker } from "./executor/worker.js";
import { startHealthServer } from "./health-server.js";
import { createLogger } from "./log.js";
import { buildCatalog } from "./parser/intent.js";
import { createRedactor, type Redactor } from "./redact.js";
import { loadRunbooks } from "./runbook/load-runbooks.js";
import type { Runbook } from "./runbook/runbook-schema.js";
import { startProcesses, type RunningProcesses } from "./processes/start-processes.js";
import { createOpsService } from "./service/ops-service.js";
import { startSlackApp, type SlackApp } from "./slack/create-slack-app.js";
import { lockDataDir } from "./store/data-dir-lock.js";
import { openStore } from "./store/open-store.js";
import type { Store } from "./store/store.js";

export interface Io {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Readonly<Record<string, string | undefined>>;
}

/** Everything a running opsroom process holds; main.ts is the only place that constructs it. */
export interface App {
  config: Config;
  log: Logger;
  store: Store;
  service: ReturnType<typeof createOpsService>;
  worker: Worker | undefined;
  health: Server | undefined;
  close(): Promise<void>;
}

/** What commands and processes start from: nothing else of opsroom's environment reaches them. */
const CHILD_ENV = ["PATH", "HOME", "LANG", "TZ"] as const;

/**
 * Composition root: config → adapters → runbooks → processes (whose variables the config may then read) →
 * store → worker → service.
 */
export async function createApp(io: Io, options: { worker: boolean; health: boolean; consoleMode: boolean }): Promise<App> {
  const bootConfig = loadConfig(io.env);
  // In the console, logs would interleave with the transcript: only warnings unless asked.
  const level = io.env.LOG_LEVEL ? bootConfig.env.LOG_LEVEL : options.consoleMode ? "warn" : "info";
  const childEnv = Object.fromEntries(CHILD_ENV.map((name) => [name, io.env[name]]));
  const adapters = createAdapters({ shellEnv: childEnv });
  const actions = createActionLookup(adapters);
  const runbooks = loadRunbooks(bootConfig.runbooksDir, actions.catalog);
  // Before anything starts: a second opsroom on this data folder stops here, before its processes start.
  const unlockDataDir = bootConfig.env.DATABASE_URL ? () => {} : lockDataDir(bootConfig.env.OPSROOM_DATA_DIR);
  let processes: RunningProcesses | undefined;
  let config: Config;
  let store: Store;
  try {
    processes = await startProcesses(bootConfig.processes, {
      log: createLogger({ level, redactor: createRedactor(bootConfig.secretValues), destination: io.stderr }),
      cwd: process.cwd(),
      env: childEnv,
    });
    // The processes' variables (the dev environment's URLs) read like environment variables; set ones win.
    config = Object.keys(processes.variables).length ? loadConfig({ ...processes.variables, ...io.env }) : bootConfig;
    store = await openStore({ databaseUrl: config.env.DATABASE_URL, dataDir: config.env.OPSROOM_DATA_DIR });
  } catch (error) {
    await processes?.stop();
    unlockDataDir();
    throw error;
  }
  const running = processes;
  const redactor = createRedactor(config.secretValues);
  const log = createLogger({ level, redactor, destination: io.stderr });
  const stepDeps = { store, actions, credentials: config.credentialSource, redactor, log };
  const worker = options.worker
    ? await startWorker({ store, log, execute: (run, workerId, signal) => executeRun(run, workerId, stepDeps, signal) })
    : undefined;
  const health = options.health
    ? await startHealthServer({
        port: config.env.PORT,
        log,
        check: async () => {
          await store.ping();
          return { database: store.kind, worker: worker ? "running" : "none" };
        },
      })
    : undefined;
  const service = wireService({ store, config, runbooks, actions, credentials: config.credentialSource, redactor, log });
  return {
    config,
    log,
    store,
    service,
    worker,
    health,
    async close() {
      await worker?.stop();
      await new Promise<void>((resolve) => (health ? health.close(() => resolve()) : resolve()));
      await running.stop();
      await store.close();
      unlockDataDir();
    },
  };
}

/**
 * The service over a store, with the executor's plan-time preflight and dry run. Shared by the app,
 * the Slack test harness and the Slack benchmark, so they run what production runs.
 */
export function wireService(parts: {
  store: Store;
  config: Config;
  runbooks: Runbook[];
  actions: ActionLookup;
  credentials: Readonly<Record<string, string | undefined>>;
  redactor: Redactor;
  log: Logger;
  clock?: () => Date;
}) {
  const { store, config, runbooks, actions, log } = parts;
  const stepDeps = { store, actions, credentials: parts.credentials, redactor: parts.redactor, log };
  return createOpsService({
    store,
    config,
    runbooks,
    parseContext: { runbooks, catalog: buildCatalog(config), timeZone: config.timeZone },
    clock: parts.clock ?? (() => new Date()),
    log,
    preflight: (run) => runPreflight(run, stepDeps),
    describeCalls: (plan) => dryRunPlan(plan, { actions, log }),
  });
}

/** `opsroom start` / `npm start`: Slack when tokens are set, otherwise the local console. */
export async function startBot(io: Io): Promise<number> {
  // Slack's HTTP mode listens on PORT and serves /healthz there itself, so no separate health server.
  const slackHttp = !!io.env.SLACK_BOT_TOKEN?.trim() && !io.env.SLACK_APP_TOKEN?.trim();
  return withApp(io, { worker: true, health: !slackHttp, consoleMode: !io.env.SLACK_BOT_TOKEN }, async (app) => {
    if (app.config.env.SLACK_BOT_TOKEN) return runSlack(app, io);
    const { failedRuns } = await runConsole({ service: app.service, input: io.stdin, output: io.stdout });
    return failedRuns > 0 ? 1 : 0;
  });
}

/** The Slack front end until SIGINT/SIGTERM: Socket Mode with SLACK_APP_TOKEN, HTTP (signed requests) otherwise. */
async function runSlack(app: App, io: Io): Promise<number> {
  let slack: SlackApp;
  try {
    slack = await startSlackApp({
      service: app.service,
      config: app.config,
      log: app.log,
      redactor: createRedactor(app.config.secretValues),
      health: async () => {
        await app.store.ping();
        return { database: app.store.kind, worker: app.worker ? "running" : "none" };
      },
    });
  } catch (error) {
    return reportStartupError(error, io);
  }
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  app.log.info("shutting down");
  await slack.stop();
  return 0;
}

/** `opsroom worker`: executors only, for scaling out against a shared database. */
export async function startWorkerOnly(io: Io): Promise<number> {
  // The embedded database lives inside one process: a second process opening the same data folder
  // would corrupt it. Workers scale out only against a shared Postgres; `npm start` already runs
  // executors next to the console.
  try {
    if (!loadConfig(io.env).env.DATABASE_URL) {
      io.stderr.write(
        "opsroom worker needs DATABASE_URL: the embedded database cannot be shared between processes.\n" +
          "  Set DATABASE_URL to a Postgres (or Supabase) connection string, or use `npm start`, which runs executors too.\n",
      );
      return 1;
    }
  } catch (error) {
    return reportStartupError(error, io);
  }
  return withApp(io, { worker: true, health: false, consoleMode: false }, async (app) => {
    app.log.info(
      { worker_id: app.worker?.id, pid: process.pid },
      "worker process ready; SIGTERM or SIGINT stops it after its running runs finish",
    );
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    // First signal: stop claiming and let running runs finish (app.close waits for them). A second
    // signal gives up on them: other workers reap them once their lease runs out (30 s).
    const force = () => {
      app.log.warn("second signal: exiting now; running runs will be reaped by other workers when their lease expires");
      process.exit(1);
    };
    process.once("SIGINT", force);
    process.once("SIGTERM", force);
    app.log.info({ running: app.worker?.held ?? 0 }, "shutting down: waiting for running runs to finish");
    return 0;
  });
}

async function withApp(io: Io, options: Parameters<typeof createApp>[1], body: (app: App) => Promise<number>): Promise<number> {
  let app: App;
  try {
    app = await createApp(io, options);
  } catch (error) {
    return reportStartupError(error, io);
  }
  try {
    return await body(app);
  } finally {
    await app.close();
  }
}

export function reportStartupError(error: unknown, io: Pick<Io, "stderr">): number {
  if (error instanceof ConfigError) {
    io.stderr.write(`opsroom cannot start: ${error.issues.length} problem${error.issues.length === 1 ? "" : "s"} found\n`);
    for (const issue of error.issues) io.stderr.write(`  ${formatConfigIssue(issue)}\n`);
  } else if (isConnectionError(error)) {
    const { code, address, port } = error as NodeJS.ErrnoException & { address?: string; port?: number };
    io.stderr.write(
      `opsroom cannot start: the database at DATABASE_URL is unreachable (${code}${address ? ` ${address}:${port}` : ""}).\n  Check DATABASE_URL, or unset it to use the embedded database.\n`,
    );
  } else if (error instanceof OpsError) {
    io.stderr.write(`opsroom cannot start: ${error.userMessage}${error.hint ? `\n  ${error.hint}` : ""}\n`);
  } else {
    io.stderr.write(`opsroom cannot start: ${(error as Error).message}\n`);
  }
  return 1;
}

function isConnectionError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return (
    code === "ECONNREFUSED" ||
    code === "ENOTFOUND" ||
    code === "ETIMEDOUT" ||
    code === "EHOSTUNREACH" ||
    code === "28P01" ||
    code === "3D000"
  );
}
