/**
 * One app under test for `npm run bench:slack`, in a process of its own so that its work never
 * delays the loopback Slack server that measures it (as Slack's own servers are not in our process).
 *
 * BENCH_APP=opsroom: opsroom wired as main.ts wires it (embedded PGlite, worker, service, Slack app
 * in Socket Mode), with the fake adapters of the Slack test suites (no network).
 * BENCH_APP=bare: a bare Bolt app that acks and posts one fixed reply in the thread.
 * Both read SLACK_BOT_TOKEN, SLACK_APP_TOKEN and SLACK_API_URL, print "ready" when connected and
 * stop on SIGTERM.
 */
import path from "node:path";
import { App, LogLevel } from "@slack/bolt";
import pino from "pino";
import { loadConfig } from "../src/config/load-config.js";
import { executeRun } from "../src/executor/execute-run.js";
import { startWorker } from "../src/executor/worker.js";
import { createRedactor } from "../src/redact.js";
import { loadRunbooks } from "../src/runbook/load-runbooks.js";
import { wireService } from "../src/wire-service.js";
import { startSlackApp } from "../src/slack/create-slack-app.js";
import { openPglite } from "../src/store/db.js";
import { migrate } from "../src/store/migrate.js";
import { createStore } from "../src/store/store.js";
import { defaultBehaviours, fakeActions, FIXTURES } from "../test/slack/support/harness.js";

const env = process.env;
const stops: (() => Promise<void>)[] = [];

if (env.BENCH_APP === "bare") {
  const app = new App({
    token: env.SLACK_BOT_TOKEN!,
    appToken: env.SLACK_APP_TOKEN!,
    socketMode: true,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: env.SLACK_API_URL!, retryConfig: { retries: 0 } },
  });
  app.event("app_mention", async ({ event, client }) => {
    await client.chat.postMessage({ channel: event.channel, thread_ts: event.ts, text: "On it." });
  });
  await app.start();
  stops.push(async () => void (await app.stop()));
} else {
  const config = loadConfig({
    ...env,
    OPSROOM_CONFIG: path.join(FIXTURES, "opsroom.yml"),
    OPSROOM_RUNBOOKS_DIR: path.join(FIXTURES, "runbooks"),
    PORT: "0",
  });
  const redactor = createRedactor(config.secretValues);
  const log = pino({ level: "silent" });
  const actions = fakeActions(defaultBehaviours());
  const runbooks = loadRunbooks(config.runbooksDir, actions.catalog);
  const db = await openPglite(undefined);
  await migrate(db);
  const store = createStore(db);
  const stepDeps = { store, actions, credentials: {}, redactor, log };
  const worker = await startWorker({ store, log, execute: (run, workerId) => executeRun(run, workerId, stepDeps) });
  const service = wireService({ store, config, runbooks, actions, credentials: {}, redactor, log });
  const slack = await startSlackApp({ service, config, log, redactor, retries: 0 });
  stops.push(
    () => slack.stop(),
    () => worker.stop(),
    () => db.close(),
  );
}

process.stdout.write("ready\n");
process.once("SIGTERM", () => {
  void (async () => {
    for (const stop of stops) await stop().catch(() => {});
    process.exit(0);
  })();
});
