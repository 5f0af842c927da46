import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import { hostname } from "node:os";
import path from "node:path";
import type { Logger } from "pino";
import type { AdapterOptions } from "../adapters/index.js";
import { loadConfig, type Config } from "./config/load-config.js";
import { releaseIssues } from "./runbook/check-releases.js";
import type { Worker } from "./executor/worker.js";
import type { HealthChecks } from "./health-server.js";
import { ConfigError, OpsError } from "./errors.js";
import { createLogger } from "./log.js";
import type { OpsMetrics } from "./metrics/prometheus.js";
import type { Scheduler, ScheduleNotifier } from "./schedules/scheduler.js";
import { createRedactor } from "./redact.js";
import { reportStartupError } from "./report-startup-error.js";
import type { Runboard } from "./runboard/create-runboard.js";
import { resolveRunboardSettings } from "./runboard/runboard-settings.js";
import type { OpsService } from "./service/ops-service.js";
import { startProcesses, type RunningProcesses } from "./processes/start-processes.js";
import type { SlackApp } from "./slack/create-slack-app.js";
import { lockDataDir } from "./store/data-dir-lock.js";
import { openStore } from "./store/open-store.js";
import type { RolloutDriver } from "./rollout/rollout-driver.js";
import { createRolloutScheduler } from "./rollout/rollout-scheduler.js";
import type { Store } from "./store/store.js";
import type { Run } from "./store/types.js";

export interface Io {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  env: Readonly<Record<string, string | undefined>>;
}

/** Everything a running opsroom process holds; main.ts is the only place that constructs it. */
export interface App {
  config: Config;
  log: Logger;
  store: Store;
  service: OpsService;
  worker: Worker | undefined;
  /** Drives staged rollouts (in processes with executors); front ends subscribe to what it does. */
  rollouts: RolloutDriver;
  health: Server | undefined;
  /** What /healthz, /readyz and /metrics answer from (Slack's HTTP mode serves them too). */
  checks: HealthChecks;
  metrics: OpsMetrics;
  /** The Runboard's pages (served beside /healthz) and its "View run" links. */
  runboard: Runboard;
  /** The Slack front end, once connected: /readyz reports its connection. */
  useSlack(slack: SlackApp): void;
  /**
   * Starts running the stored schedules and the config's watches, telling `notifier` what they do (a
   * front end: Slack posts, the console prints). Worker-only processes run none.
   */
  startSchedules(notifier: ScheduleNotifier): Promise<Scheduler>;
  close(): Promise<void>;
}

/**
 * Composition root: config → the config's processes (the dev environment, whose variables the config may
 * then read) → logger → store, and meanwhile adapters → runbooks → service; then the worker and the
 * health endpoint. Opening the embedded database takes longest (its WASM compiles off this thread), so
 * it starts first and everything else is loaded while it opens: the modules below are imported here
 * rather than at the top for that reason. The store is opened from the environment as given (processes'
 * variables are for adapters and runbooks, never DATABASE_URL or OPSROOM_DATA_DIR).
 */
export async function createApp(io: Io, options: { worker: boolean; health: boolean; consoleMode: boolean }): Promise<App> {
  const bootConfig = loadConfig(io.env);
  // In the console, logs would interleave with the transcript: only warnings unless asked.
  const level = io.env.LOG_LEVEL ? bootConfig.env.LOG_LEVEL : options.consoleMode ? "warn" : "info";
  // Before anything starts: a second opsroom on this data folder stops here, before its processes start.
  const unlockDataDir = bootConfig.env.DATABASE_URL ? () => {} : lockDataDir(bootConfig.env.OPSROOM_DATA_DIR);
  const opening = openStore({ databaseUrl: bootConfig.env.DATABASE_URL, dataDir: bootConfig.env.OPSROOM_DATA_DIR });
  opening.catch(() => {}); // awaited below, once the processes are up; a failure is reported there
  let processes: RunningProcesses | undefined;
  let config: Config;
  // Triage reads opsroom's own run history through the store, which is still opening while adapters are built.
  const opened: { history?: Store["incidents"]; rollouts?: Store["rollouts"]; board?: Store["board"]; migrations?: Store["migrations"] } =
    {};
  const history = {
    listRunHistory: (query: Parameters<Store["incidents"]["listRunHistory"]>[0]) => {
      if (!opened.history) throw new OpsError("STORE_NOT_OPEN", "opsroom's run history is not open yet.");
      return opened.history.listRunHistory(query);
    },
  };
  // Approved rollouts record their schedule through the store, likewise still opening.
  const rollouts = createRolloutScheduler(
    () => {
      if (!opened.rollouts) throw new OpsError("STORE_NOT_OPEN", "opsroom's rollout schedule is not open yet.");
      return opened.rollouts;
    },
    () => new Date(),
  );
  // The ops board's checklist, likewise (only used once runs execute, after the store is open).
  const boardStore = (): Store["board"] => {
    if (!opened.board) throw new OpsError("STORE_NOT_OPEN", "opsroom's store is not open yet.");
    return opened.board;
  };
  const checklist: AdapterOptions["checklist"] = {
    listChecklistStates: () => boardStore().listChecklistStates(),
    updateChecklistStep: (update) => boardStore().updateChecklistStep(update),
    listChecklistHistory: (stepId, limit) => boardStore().listChecklistHistory(stepId, limit),
    latestBoardData: (env) => boardStore().latestBoardData(env),
  };
  // Each migration file's runs per environment (promotion checks), likewise.
  const migrationStore = (): Store["migrations"] => {
    if (!opened.migrations) throw new OpsError("STORE_NOT_OPEN", "opsroom's store is not open yet.");
    return opened.migrations;
  };
  const migrationHistory: AdapterOptions["migrationHistory"] = {
    recordMigrationFiles: (rows) => migrationStore().recordMigrationFiles(rows),
    migrationFileRuns: (names) => migrationStore().migrationFileRuns(names),
    latestDryRun: (env) => migrationStore().latestDryRun(env),
  };
  let store: Store;
  let parts: Awaited<ReturnType<typeof loadParts>>;
  let runboardSettings: ReturnType<typeof resolveRunboardSettings>;
  try {
    processes = await startProcesses(bootConfig.processes, {
      log: createLogger({ level, redactor: createRedactor(bootConfig.secretValues), destination: io.stderr }),
      cwd: process.cwd(),
      env: bootConfig.shellEnv,
    });
    // The processes' variables (the dev environment's URLs) read like environment variables; set ones win.
    config = Object.keys(processes.variables).length ? loadConfig({ ...processes.variables, ...io.env }) : bootConfig;
    runboardSettings = resolveRunboardSettings(config);
    [parts, store] = await Promise.all([loadParts(config, { history, rollouts, checklist, migrationHistory }), opening]);
  } catch (error) {
    await opening.then((opened) => opened.close()).catch(() => {});
    await processes?.stop();
    unlockDataDir();
    throw error;
  }
  const running = processes;
  const redactor = createRedactor(config.secretValues);
  const log = createLogger({ level, redactor, destination: io.stderr });
  const { actions, runbooks, modules } = parts;
  const metrics = modules.metrics.createAppMetrics({ config, store, log });
  const stepDeps = { store: metrics.executorStore, actions, credentials: config.credentialSource, redactor, log };
  opened.history = store.incidents;
  opened.rollouts = store.rollouts;
  opened.board = store.board;
  opened.migrations = store.migrations;
  const worker = options.worker
    ? await modules.worker.startWorker({
        store,
        log,
        execute: (run, workerId, signal) => modules.executeRun.executeRun(run, workerId, stepDeps, signal),
        onLeaseLost: () => metrics.prometheus.leaseLost(),
      })
    : undefined;
  // Every process with executors drives the rollouts' schedule too (each stage is queued once, whoever sees it due).
  const rolloutDriver = modules.rollout.createRolloutDriver({ store, config, runbooks, clock: () => new Date(), log });
  const stopRollouts = options.worker ? rolloutDriver.start() : async () => {};
  let slack: SlackApp | undefined;
  const checks: HealthChecks = {
    check: async () => {
      await store.ping();
      return { database: store.kind, worker: worker ? "running" : "none" };
    },
    ready: async () => {
      const [database, workers] = await Promise.all([
        store.ping().then(
          () => true as const,
          (error: unknown) => `unreachable: ${(error as Error).message}`,
        ),
        store.listWorkerHealth().then(
          (all) => all.some((w) => w.status === "healthy") || "no worker is heartbeating",
          () => "unknown (database unreachable)",
        ),
      ]);
      return {
        database,
        slack: !config.env.SLACK_BOT_TOKEN || slack?.connected() === true || "not connected",
        workers,
      };
    },
    metrics: metrics.prometheus.registry,
  };
  const service = modules.wire.wireService({
    store,
    config,
    runbooks,
    actions,
    credentials: config.credentialSource,
    redactor,
    log,
    onParsed: (intent) => metrics.onParsed(intent),
  });
  let scheduler: Scheduler | undefined;
  const runboard = modules.runboard.createRunboard({
    service,
    config,
    settings: runboardSettings,
    redactor,
    log: log.child({ module: "runboard" }),
  });
  checks.runboard = runboard.listener;
  if (runboardSettings.ephemeralSecret && runboardSettings.access !== "open")
    log.warn("RUNBOARD_SECRET is not set: Runboard sessions and View run links last only until this process stops");
  const health = options.health ? await modules.health.startHealthServer({ port: config.env.PORT, log, ...checks }) : undefined;
  return {
    config,
    log,
    store,
    service,
    worker,
    rollouts: rolloutDriver,
    health,
    checks,
    metrics: metrics.prometheus,
    runboard,
    useSlack: (connected) => void (slack = connected),
    async startSchedules(notifier) {
      const { startScheduler } = await import("./schedules/scheduler.js");
      return (scheduler = await startScheduler({
        store,
        config,
        planRequest: (request) => service.planScheduledRequest(request),
        notifier,
        log,
        clock: () => new Date(),
        owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      }));
    },
    async close() {
      await scheduler?.stop();
      await stopRollouts();
      await worker?.stop({ graceMs: config.env.OPSROOM_SHUTDOWN_SECONDS * 1000 });
      await runboard.close();
      // Open Runboard streams would keep the server from closing.
      health?.closeAllConnections();
      await new Promise<void>((resolve) => (health ? health.close(() => resolve()) : resolve()));
      await metrics.close();
      await running.stop();
      await store.close();
      unlockDataDir();
    },
  };
}

/** What the config file's `adapters` section sets for the adapters (absent keys keep their defaults). */
export function adapterOptions(config: Config): AdapterOptions {
  const { github, vercel, digitalocean, supabase } = config.adapters;
  const baseUrls = {
    ...(github.apiUrl ? { github: github.apiUrl } : {}),
    ...(github.webUrl ? { githubWeb: github.webUrl } : {}),
    ...(vercel.apiUrl ? { vercel: vercel.apiUrl } : {}),
    ...(digitalocean.apiUrl ? { digitalocean: digitalocean.apiUrl } : {}),
  };
  return {
    ...(Object.keys(baseUrls).length > 0 ? { baseUrls } : {}),
    ...(vercel.team ? { vercelTeam: vercel.team } : {}),
    ...(supabase.environments ? { supabaseEnvironments: supabase.environments } : {}),
  };
}

/** Adapters, runbooks and the modules that run them, loaded and checked while the database opens. */
async function loadParts(config: Config, stores: Pick<AdapterOptions, "history" | "rollouts" | "checklist" | "migrationHistory">) {
  const [adapters, catalog, runbookLoader, wire, executeRun, worker, health, metrics, runboard, rollout] = await Promise.all([
    import("../adapters/index.js"),
    import("./executor/action-catalog.js"),
    import("./runbook/load-runbooks.js"),
    import("./wire-service.js"),
    import("./executor/execute-run.js"),
    import("./executor/worker.js"),
    import("./health-server.js"),
    import("./metrics/app-metrics.js"),
    import("./runboard/create-runboard.js"),
    import("./rollout/rollout-driver.js"),
  ]);
  const actions = catalog.createActionLookup(adapters.createAdapters({ ...adapterOptions(config), shellEnv: config.shellEnv, ...stores }));
  const runbooks = runbookLoader.loadRunbooks(config.runbooksDir, actions.catalog);
  const releaseProblems = releaseIssues(config, config.configPath, runbooks, actions.catalog);
  if (releaseProblems.length > 0) throw new ConfigError(releaseProblems);
  return { actions, runbooks, modules: { wire, executeRun, worker, health, metrics, runboard, rollout } };
}

/** `opsroom start` / `npm start`: Slack when tokens are set, otherwise the local console. */
export async function startBot(io: Io): Promise<number> {
  // Slack's HTTP mode listens on PORT and serves /healthz there itself, so no separate health server.
  const slackHttp = !!io.env.SLACK_BOT_TOKEN?.trim() && !io.env.SLACK_APP_TOKEN?.trim();
  return withApp(io, { worker: true, health: !slackHttp, consoleMode: !io.env.SLACK_BOT_TOKEN }, async (app) => {
    if (app.config.env.SLACK_BOT_TOKEN) return runSlack(app, io);
    const [{ runConsole }, { createConsoleNotifier, followRolloutsInConsole }] = await Promise.all([
      import("./console/console.js"),
      import("./console/console-notifier.js"),
    ]);
    const stop = watchStopSignals(app);
    const stopped = new AbortController();
    void stop.signalled.then((signal) => {
      io.stderr.write(
        `opsroom is stopping (${signal}): running steps get up to ${app.config.env.OPSROOM_SHUTDOWN_SECONDS} s to finish; what does not is handed back.\n`,
      );
      stopped.abort();
    });
    try {
      const { failedRuns } = await runConsole({
        service: app.service,
        input: io.stdin,
        output: io.stdout,
        historyFile: path.join(app.config.env.OPSROOM_DATA_DIR, "console_history"),
        color: io.stdout.isTTY === true && !app.config.env.NO_COLOR,
        timeZone: app.config.timeZone,
        signal: stopped.signal,
        // Schedules and rollouts report between commands: the console prints them around the line being typed.
        startNotices: async (notify) => {
          await app.startSchedules(createConsoleNotifier({ print: notify, timeZone: app.config.timeZone }));
          followRolloutsInConsole({
            subscribe: (listener) => app.rollouts.subscribe(listener),
            rolloutStatus: (id) => app.service.rolloutStatus(id),
            print: notify,
            timeZone: app.config.timeZone,
          });
        },
      });
      return failedRuns > 0 ? 1 : 0;
    } finally {
      stop.dispose();
    }
  });
}

/** The Slack front end until SIGINT/SIGTERM: Socket Mode with SLACK_APP_TOKEN, HTTP (signed requests) otherwise. */
async function runSlack(app: App, io: Io): Promise<number> {
  // Signals count from the start: SIGTERM while opsroom still waits for an unreachable Slack stops the wait.
  const stop = watchStopSignals(app);
  const stopping = new AbortController();
  void stop.signalled.then(() => stopping.abort(new Error("stopped by a signal")));
  let slack: SlackApp;
  try {
    // Imported here, not at the top: Bolt takes a third of a second to load, which the console never needs.
    const [{ startSlackApp }, { healthRoutes }] = await Promise.all([import("./slack/create-slack-app.js"), import("./health-server.js")]);
    slack = await startSlackApp({
      service: app.service,
      config: app.config,
      log: app.log,
      redactor: createRedactor(app.config.secretValues),
      signal: stopping.signal,
      httpRoutes: healthRoutes(app.checks),
      // Stable per run (valid linkHours from the run's creation), so re-rendering a card does not change it.
      ...(app.config.runboard.url ? { runLink: (run: Run) => app.runboard.runLink(run.id, run.createdAt) } : {}),
      observeCalls: (method, outcome) => app.metrics.slackCall(method, outcome),
      rollouts: app.rollouts,
    });
    app.useSlack(slack);
  } catch (error) {
    stop.dispose();
    if (!stopping.signal.aborted) return reportStartupError(error, io);
    app.log.info("stopped before Slack could be reached");
    return 0;
  }
  let schedules: Scheduler;
  try {
    schedules = await app.startSchedules(slack.scheduleNotifier);
  } catch (error) {
    await slack.stop();
    stop.dispose();
    return reportStartupError(error, io);
  }
  await stop.signalled;
  // Running steps finish (or are handed back) while the run reporter still shows them in Slack; then
  // the Slack connection closes. New requests meanwhile are planned and queued for another process.
  await schedules.stop();
  await app.worker?.stop({ graceMs: app.config.env.OPSROOM_SHUTDOWN_SECONDS * 1000 });
  await slack.stop();
  stop.dispose();
  return 0;
}

/**
 * The first SIGTERM or SIGINT: stop claiming, give running steps OPSROOM_SHUTDOWN_SECONDS to finish,
 * hand back the rest (see Worker.stop). A second signal exits at once; runs still going then are
 * reaped by other workers once their lease runs out (30 s).
 */
function watchStopSignals(app: Pick<App, "log" | "worker" | "config">): { signalled: Promise<NodeJS.Signals>; dispose(): void } {
  let first!: (signal: NodeJS.Signals) => void;
  const force = (signal: NodeJS.Signals) => {
    app.log.warn({ signal }, "second signal: exiting now; runs still going are reaped by other workers when their lease runs out");
    process.exit(1);
  };
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    first = (signal) => {
      process.off("SIGINT", first).off("SIGTERM", first);
      process.once("SIGINT", force).once("SIGTERM", force);
      app.log.info(
        { signal, running: app.worker?.held ?? 0, grace_s: app.config.env.OPSROOM_SHUTDOWN_SECONDS },
        "shutting down: no new runs claimed; running steps may finish within the grace period",
      );
      resolve(signal);
    };
  });
  process.on("SIGINT", first).on("SIGTERM", first);
  return {
    signalled,
    dispose: () => void process.off("SIGINT", first).off("SIGTERM", first).off("SIGINT", force).off("SIGTERM", force),
  };
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
    app.log.info({ worker_id: app.worker?.id, pid: process.pid }, "worker process ready; SIGTERM or SIGINT stops it");
    const stop = watchStopSignals(app);
    await stop.signalled;
    await app.worker?.stop({ graceMs: app.config.env.OPSROOM_SHUTDOWN_SECONDS * 1000 });
    stop.dispose();
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
