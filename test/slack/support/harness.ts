/**
 * Everything a Slack scenario needs, wired the way main.ts wires it, against the loopback Slack API
 * server: config and runbooks from test/fixtures/slack, a migrated store, a worker running the real
 * executor over fake adapters (no network), the ops service, and one or more opsroom Slack apps.
 */
import path from "node:path";
import { Writable } from "node:stream";
import pino, { type Logger } from "pino";
import { z } from "zod";
import type { StepContext, StepResult } from "../../../adapters/types.js";
import { loadConfig, type Config } from "../../../src/config/load-config.js";
import type { ActionLookup } from "../../../src/executor/action-catalog.js";
import { executeRun } from "../../../src/executor/execute-run.js";
import { startWorker, type Worker } from "../../../src/executor/worker.js";
import { createLogger } from "../../../src/log.js";
import { createRedactor } from "../../../src/redact.js";
import { loadRunbooks } from "../../../src/runbook/load-runbooks.js";
import type { OpsService } from "../../../src/service/ops-service.js";
import { wireService } from "../../../src/wire-service.js";
import { startSlackApp, type SlackApp } from "../../../src/slack/create-slack-app.js";
import type { RolloutEvents } from "../../../src/slack/rollout-messages.js";
import { openPglite, openPostgres, type Db } from "../../../src/store/db.js";
import { migrate } from "../../../src/store/migrate.js";
import { createStore, type Store } from "../../../src/store/store.js";
import {
  startSlackApiServer,
  type SlackApiServer,
  type SlackApiServerOptions,
  type StoredMessage,
} from "../../slack-server/slack-api-server.js";
import { createScratchDatabase } from "../../support/test-stores.js";

export const FIXTURES = path.resolve(import.meta.dirname, "../../fixtures/slack");

export const USERS = {
  /** Named in the config's approvers.users. */
  alice: "U0ALICE01",
  /** Member of the approver group S0ONCALL1. */
  bob: "U0BOB0001",
  /** Not an approver. */
  carol: "U0CAROL01",
  /** Asks for things; not an approver. */
  dave: "U0DAVE001",
  /** An opsroom admin (config `admins`): may cancel any run, approves nothing. */
  erin: "U0ERIN001",
} as const;
export const APPROVER_GROUP = "S0ONCALL1";
export const OPS_CHANNEL = "C0OPS0001";
export const INCIDENT_CHANNEL = "C0INC0001";

export type FakeBehaviour = (args: Record<string, unknown>, ctx: StepContext) => Promise<StepResult>;

const WRITE_ACTIONS = new Set(["github.dispatchWorkflow"]);

/** The default fake results: what the real adapters return, minus the network. */
export function defaultBehaviours(): Map<string, FakeBehaviour> {
  return new Map<string, FakeBehaviour>([
    ["github.getRepository", async (args) => ({ summary: `${String(args.repository)} (default branch main)` })],
    [
      "github.compareRefs",
      async (args) => ({
        summary: `3 commits to ship from ${String(args.base)} to ${String(args.head)}`,
        artifacts: [
          {
            kind: "diff",
            title: "Commits about to ship",
            content: "a1b2c3d Fix retry budget\n9f8e7d6 Bump pg to 8.23\n1234abc Log slow claims",
          },
        ],
      }),
    ],
    [
      "github.dispatchWorkflow",
      async (args) => ({
        summary: `workflow ${String(args.workflow)} dispatched on ${String(args.ref)}`,
        artifacts: [
          { kind: "link", title: "Workflow run", url: "https://github.com/acme/api/actions/runs/42" },
          {
            kind: "text",
            title: "Workflow log",
            filename: "deploy.log",
            content: Array.from({ length: 60 }, (_, i) => `step ${i + 1}: ok`).join("\n"),
          },
        ],
      }),
    ],
    ["http.check", async (args) => ({ summary: `${String(args.url ?? args.name)} answered 200 in 12 ms` })],
    ["http.resolveTargets", async () => ({ summary: "1 health URL" })],
  ]);
}

/** An ActionLookup answering every `adapter.action` with a fake: the behaviour registered for it, or "ok". */
export function fakeActions(behaviours: Map<string, FakeBehaviour>): ActionLookup {
  const find = (uses: string) => ({
    description: `fake ${uses}`,
    args: z.record(z.string(), z.unknown()),
    risk: WRITE_ACTIONS.has(uses) ? ("write" as const) : ("read" as const),
    credentials: [],
    async run(args: unknown, ctx: StepContext): Promise<StepResult> {
      if (ctx.dryRun)
        return { summary: `would call ${uses}`, data: { calls: [{ method: "POST", url: `https://fake.example/${uses}`, body: args }] } };
      const behaviour = behaviours.get(uses);
      return behaviour ? behaviour(args as Record<string, unknown>, ctx) : { summary: `${uses} ok` };
    },
  });
  return { find, catalog: () => ({ known: true }) };
}

/** A writable that keeps every log line, for tests that read the logs (the secrets test). */
function lineCollector(lines: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
}

// Opening PGlite takes 1.5–5 s on these machines: one per test file, emptied for each harness.
let shared: Promise<Db> | undefined;

/** The test file's PGlite, migrated once. */
export function sharedPglite(): Promise<Db> {
  shared ??= openPglite(undefined).then(async (db) => {
    await migrate(db);
    return db;
  });
  return shared;
}

/** Call from a file's top-level afterAll. */
export async function closeSharedPglite(): Promise<void> {
  const db = await shared;
  shared = undefined;
  await db?.close();
}

export interface HarnessOptions {
  mode: "socket" | "http";
  backend?: "pglite" | "postgres";
  bots?: number;
  server?: SlackApiServerOptions;
  /** Collect opsroom's logs here (debug level, through the same redacting logger main.ts builds). */
  logLines?: string[];
  reporter?: { minUpdateIntervalMs?: number; leaseMs?: number; pollMs?: number };
  workerConcurrency?: number;
  /** Runbooks other than test/fixtures/slack/runbooks. */
  runbooksDir?: string;
  /** A rollout driver (or a stand-in) the first bot's Slack app follows. */
  rollouts?: RolloutEvents;
  /** Postgres only: the URL the bots use for the scratch database (e.g. through a proxy the test can cut). */
  connectThrough?: { url: (scratchUrl: string) => string; connectRetryMs: number };
}

export interface Bot {
  app: SlackApp;
  service: OpsService;
  store: Store;
}

export interface Harness {
  slack: SlackApiServer;
  config: Config;
  bots: Bot[];
  /** The first bot's service (all bots share the database). */
  service: OpsService;
  store: Store;
  db: Db;
  worker: Worker;
  behaviours: Map<string, FakeBehaviour>;
  /** Shifts the services' clock (plans created while shifted back are already expired). */
  setClockOffset(ms: number): void;
  /** Points HTTP deliveries at bot `index`. */
  deliverTo(index: number): void;
  close(): Promise<void>;
}

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const slack = await startSlackApiServer(options.server ?? {});
  slack
    .addUser({ id: USERS.alice, name: "alice" })
    .addUser({ id: USERS.bob, name: "bob" })
    .addUser({ id: USERS.carol, name: "carol" })
    .addUser({ id: USERS.dave, name: "dave" })
    .addUser({ id: USERS.erin, name: "erin" })
    .addUsergroup(APPROVER_GROUP, [USERS.bob], { handle: "oncall-platform" })
    .addChannel({ id: OPS_CHANNEL, name: "ops" })
    .addChannel({ id: INCIDENT_CHANNEL, name: "inc-payments" });
  const env: Record<string, string> = {
    OPSROOM_CONFIG: path.join(FIXTURES, "opsroom.yml"),
    OPSROOM_RUNBOOKS_DIR: options.runbooksDir ?? path.join(FIXTURES, "runbooks"),
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_API_URL: slack.apiUrl,
    PORT: "0",
    ...(options.mode === "socket" ? { SLACK_APP_TOKEN: slack.appToken } : { SLACK_SIGNING_SECRET: slack.signingSecret }),
  };
  const config = loadConfig(env);
  const redactor = createRedactor(config.secretValues);
  const log: Logger = options.logLines
    ? createLogger({ level: "debug", redactor, destination: lineCollector(options.logLines) })
    : pino({ level: "silent" });
  const behaviours = defaultBehaviours();
  const actions = fakeActions(behaviours);
  const runbooks = loadRunbooks(config.runbooksDir, actions.catalog);

  const backend = options.backend ?? "pglite";
  const scratch = backend === "postgres" ? await createScratchDatabase() : undefined;
  const through = options.connectThrough;
  const firstDb = !scratch
    ? await sharedPglite()
    : through
      ? openPostgres(through.url(scratch.url), { connectRetryMs: through.connectRetryMs })
      : openPostgres(scratch.url);
  if (scratch) await migrate(firstDb);
  else
    await firstDb.exec(
      "TRUNCATE rollouts, runs, slack_deliveries, slack_run_reporters, workers, incident_messages, incident_summaries, checklist_steps, checklist_history, board_messages CASCADE",
    );
  let offset = 0;
  const clock = () => new Date(Date.now() + offset);
  // The shared PGlite stays open for the next harness of the file; Postgres pools close with the harness.
  const dbs: Db[] = scratch ? [firstDb] : [];
  const bots: Bot[] = [];
  let worker: Worker | undefined;
  const count = options.bots ?? 1;
  for (let i = 0; i < count; i++) {
    // PGlite is one in-process session: "two processes" share it. On Postgres each gets its own pool.
    const db = i === 0 || !scratch ? firstDb : openPostgres(scratch.url);
    if (i > 0 && scratch) dbs.push(db);
    const store = createStore(db);
    const stepDeps = { store, actions, credentials: {}, redactor, log };
    if (i === 0) {
      worker = await startWorker({
        store,
        log,
        execute: (run, workerId) => executeRun(run, workerId, { ...stepDeps, cancelPollMs: 50 }),
        pollMs: 200,
        concurrency: options.workerConcurrency ?? 4,
      });
    }
    const service = wireService({ store, config, runbooks, actions, credentials: {}, redactor, log, clock });
    const app = await startSlackApp({
      service,
      config,
      log,
      redactor,
      retries: 0,
      port: 0,
      host: "127.0.0.1",
      clientPingTimeoutMs: 1000,
      reporter: { pollMs: 500, leaseMs: 5_000, ...options.reporter },
      pacedWindowMs: 1000,
      ...(i === 0 && options.rollouts ? { rollouts: options.rollouts } : {}),
    });
    bots.push({ app, service, store });
  }
  const harness: Harness = {
    slack,
    config,
    bots,
    service: bots[0]!.service,
    store: bots[0]!.store,
    db: firstDb,
    worker: worker!,
    behaviours,
    setClockOffset: (ms) => {
      offset = ms;
    },
    deliverTo(index) {
      const url = bots[index]?.app.requestUrl;
      if (!url) throw new Error(`bot ${index} has no request URL (socket mode?)`);
      slack.useHttp(url);
    },
    async close() {
      // Bolt first (its socket would otherwise try to reconnect to a closed server), then the rest.
      for (const bot of bots) await bot.app.stop();
      await worker?.stop();
      await slack.close();
      for (const db of dbs) await db.close();
      await scratch?.drop();
    },
  };
  if (options.mode === "http") harness.deliverTo(0);
  return harness;
}

/** The first bot message in a thread whose text or blocks contain `needle`. */
export function findInThread(slack: SlackApiServer, channel: string, threadTs: string, needle: string): StoredMessage | undefined {
  return slack.messages({ channel, threadTs }).find((m) => JSON.stringify(m.blocks ?? []).includes(needle) || m.text.includes(needle));
}

/** All text of a message (its fallback text and every block), for assertions. */
export function textOf(message: StoredMessage | undefined): string {
  return message ? `${message.text}\n${JSON.stringify(message.blocks ?? [])}` : "";
}

/** Polls `probe` (every 25 ms) until it returns something truthy; for state only the database shows. */
export async function eventually<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`eventually: nothing after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
