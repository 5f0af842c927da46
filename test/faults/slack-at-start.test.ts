/**
 * Fault: Slack down or rejecting at start. Real `opsroom start` processes against the loopback Slack
 * server: a token Slack refuses ends the start with a one-line reason and exit 1 (no stack, no
 * "connected to Slack", no unhandled rejection: the processes run in Node's strict mode); a Slack that
 * cannot be reached is retried with back-off, said in the log, and a request sent once it is back is
 * answered once; SIGTERM while waiting stops cleanly.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSlackApiServer, type SlackApiServer } from "../slack-server/slack-api-server.js";
import { FIXTURES, findInThread, OPS_CHANNEL, USERS } from "../slack/support/harness.js";
import { exitWithin, startOpsroom, until } from "../support/opsroom-process.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { recordFaultTally } from "./support/fault-tally.js";

/** Generous: each process transpiles its sources and opens its own embedded database on a shared machine. */
const EXIT_BOUND_MS = 120_000;
const TEST_TIMEOUT_MS = 300_000;
const CONNECTED = "connected to Slack";

const start = (env: Record<string, string>) => startOpsroom({ OPSROOM_RUNBOOKS_DIR: path.join(FIXTURES, "main-runbooks"), ...env });
const count = (text: string, needle: string) => text.split(needle).length - 1;
const stackLines = (text: string) => text.split("\n").filter((line) => /^\s+at /.test(line)).length;

let slack: SlackApiServer;
beforeAll(async () => {
  slack = await startSlackApiServer();
});
afterAll(() => slack?.close());

describe("Slack rejecting a token at start", () => {
  it.for([
    { mode: "socket", variable: "SLACK_BOT_TOKEN", env: () => ({ SLACK_BOT_TOKEN: "xoxb-revoked", SLACK_APP_TOKEN: slack.appToken }) },
    {
      mode: "http",
      variable: "SLACK_BOT_TOKEN",
      env: () => ({ SLACK_BOT_TOKEN: "xoxb-revoked", SLACK_SIGNING_SECRET: slack.signingSecret }),
    },
    { mode: "socket", variable: "SLACK_APP_TOKEN", env: () => ({ SLACK_BOT_TOKEN: slack.botToken, SLACK_APP_TOKEN: "xapp-1-revoked" }) },
  ])(
    "$mode mode, $variable refused: exits 1 with what Slack said and where a good token comes from",
    { timeout: TEST_TIMEOUT_MS },
    async ({ variable, env }, ctx) => {
      const bot = await start({ ...env(), SLACK_API_URL: slack.apiUrl });
      const code = await exitWithin(bot, EXIT_BOUND_MS);
      const stderr = bot.stderr();

      expect(code).toBe(1);
      expect(stderr).toContain(`opsroom cannot start: Slack rejected ${variable} (invalid_auth) — `);
      expect(stderr).toContain(`into ${variable}.`);
      expect(stderr).not.toMatch(/Unhandled|ERR_UNHANDLED_REJECTION/);
      recordFaultTally(ctx, {
        // A log that says it connected, or a stack trace instead of the reason, tells the operator something untrue.
        falseRecords: count(stderr, CONNECTED) + stackLines(stderr),
        orphans: code === undefined ? 1 : 0,
      });
    },
  );
});

describe("Slack unreachable at start", () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(slack.apiUrl).port) });
    await proxy.stop();
  });
  afterAll(() => proxy?.stop());

  const viaProxy = () => `http://127.0.0.1:${proxy.port}/api/`;

  it(
    "retries with back-off, saying so, connects once Slack is back, answers a request once, and stops cleanly",
    async (ctx) => {
      const bot = await start({ SLACK_BOT_TOKEN: slack.botToken, SLACK_APP_TOKEN: slack.appToken, SLACK_API_URL: viaProxy() });
      try {
        await until(() => count(bot.stderr(), "Slack is unreachable") >= 2, "two logged retries", bot, EXIT_BOUND_MS);
        expect(bot.stderr()).toMatch(/Slack is unreachable \(ECONNREFUSED\); retrying in 2 s/);
        const beforeUp = bot.stderr();
        await proxy.start();
        await until(() => slack.socketConnections.open === 1, "the Socket Mode connection", bot, EXIT_BOUND_MS);

        const delivery = await slack.sendEvent({
          type: "app_mention",
          user: USERS.carol,
          channel: OPS_CHANNEL,
          text: `<@${slack.identity.botUserId}> check dev status`,
        });
        const ts = (delivery.payload.event as { ts: string }).ts;
        const card = await slack.waitFor((s) => findInThread(s, OPS_CHANNEL, ts, "Requested by <@"), 30_000);
        const summaries = () =>
          slack.messages({ channel: OPS_CHANNEL, threadTs: ts }).filter((m) => m.ts !== card.ts && /succeeded|failed/.test(m.text));
        await slack.waitFor(() => summaries().length > 0, 30_000).catch(() => undefined);

        bot.child.kill("SIGTERM");
        const code = await exitWithin(bot, EXIT_BOUND_MS);
        expect(code).toBe(0);
        expect(summaries()[0]?.text).toContain("succeeded");
        recordFaultTally(ctx, {
          lost: summaries().length === 0 ? 1 : 0,
          duplicated: Math.max(0, summaries().length - 1),
          falseRecords: count(beforeUp, CONNECTED) + stackLines(bot.stderr()),
          orphans: code === undefined ? 1 : 0,
        });
      } finally {
        await proxy.stop();
        if (bot.child.exitCode === null) bot.child.kill("SIGKILL");
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "HTTP mode: claims no connection before Slack answers, and SIGTERM while waiting exits 0",
    async (ctx) => {
      const bot = await start({ SLACK_BOT_TOKEN: slack.botToken, SLACK_SIGNING_SECRET: slack.signingSecret, SLACK_API_URL: viaProxy() });
      await until(() => bot.stderr().includes("Slack is unreachable"), "a logged retry", bot, EXIT_BOUND_MS);
      bot.child.kill("SIGTERM");
      const code = await exitWithin(bot, EXIT_BOUND_MS);
      const stderr = bot.stderr();
      expect(code).toBe(0);
      expect(stderr).toContain("stopped before Slack could be reached");
      recordFaultTally(ctx, {
        falseRecords: count(stderr, CONNECTED) + stackLines(stderr),
        orphans: code === undefined ? 1 : 0,
      });
    },
    TEST_TIMEOUT_MS,
  );
});
