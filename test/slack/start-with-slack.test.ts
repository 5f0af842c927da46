/**
 * `opsroom start` exactly as a user runs it, with Slack tokens pointing SLACK_API_URL at the loopback
 * server: Socket Mode (the WebSocket URL comes from apps.connections.open on SLACK_API_URL) and HTTP
 * mode (signed requests, /healthz and the Runboard on PORT). `check dev status` checks opsroom's own /healthz, so
 * a real run goes through with the real adapters and no network.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACTION } from "../../src/slack/action-ids.js";
import { startSlackApiServer, type SlackApiServer } from "../slack-server/slack-api-server.js";
import { startOpsroom, until, type OpsroomProcess } from "../support/opsroom-process.js";
import { FIXTURES, findInThread, OPS_CHANNEL, textOf, USERS } from "./support/harness.js";

const start = (env: Record<string, string>) => startOpsroom({ OPSROOM_RUNBOOKS_DIR: path.join(FIXTURES, "main-runbooks"), ...env });

async function checkDevStatus(slack: SlackApiServer): Promise<void> {
  const delivery = await slack.sendEvent({
    type: "app_mention",
    user: USERS.carol,
    channel: OPS_CHANNEL,
    text: `<@${slack.identity.botUserId}> check dev status`,
  });
  expect(delivery.acked).toBe(true);
  const ts = (delivery.payload.event as { ts: string }).ts;
  const card = await slack.waitFor((s) => findInThread(s, OPS_CHANNEL, ts, "Requested by <@"), 15_000);
  expect(textOf(card)).not.toContain(ACTION.approve);
  const summary = await slack.waitFor(
    (s) => s.messages({ channel: OPS_CHANNEL, threadTs: ts }).find((m) => m.ts !== card.ts && /succeeded|failed/.test(m.text)),
    15_000,
  );
  expect(summary.text).toContain("succeeded");
  await slack.waitFor(() => textOf(card).includes("✅ *Succeeded*"), 10_000);
}

describe("npm start with Slack tokens", () => {
  let socketSlack: SlackApiServer;
  let httpSlack: SlackApiServer;
  let socketBot: OpsroomProcess;
  let httpBot: OpsroomProcess;

  beforeAll(async () => {
    [socketSlack, httpSlack] = await Promise.all([startSlackApiServer(), startSlackApiServer()]);
    // Both start at once: most of the wait is each opening its embedded database.
    [socketBot, httpBot] = await Promise.all([
      start({ SLACK_BOT_TOKEN: socketSlack.botToken, SLACK_APP_TOKEN: socketSlack.appToken, SLACK_API_URL: socketSlack.apiUrl }),
      start({ SLACK_BOT_TOKEN: httpSlack.botToken, SLACK_SIGNING_SECRET: httpSlack.signingSecret, SLACK_API_URL: httpSlack.apiUrl }),
    ]);
  });

  afterAll(async () => {
    for (const bot of [socketBot, httpBot]) if (bot && bot.child.exitCode === null) bot.child.kill("SIGKILL");
    await Promise.all([socketSlack?.close(), httpSlack?.close()]);
  });

  it("connects over Socket Mode through SLACK_API_URL, runs a request end to end, and stops cleanly on SIGTERM", async () => {
    // From the spawn: includes creating an embedded database, which two processes at once on a loaded machine take a while for.
    await until(() => socketSlack.socketConnections.open === 1, "the Socket Mode connection", socketBot, 75_000);
    expect(socketSlack.callsTo("apps.connections.open")[0]?.token).toBe(socketSlack.appToken);
    await checkDevStatus(socketSlack);
    socketBot.child.kill("SIGTERM");
    expect(await socketBot.exit).toBe(0);
    expect(socketBot.stderr()).not.toContain(socketSlack.botToken);
  }, 240_000);

  it("serves signed Slack requests and /healthz on PORT in HTTP mode, and refuses unsigned ones", async () => {
    const url = `http://127.0.0.1:${httpBot.port}`;
    await until(async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok === true, "HTTP mode to listen", httpBot);
    httpSlack.useHttp(`${url}/slack/events`);
    const forged = await httpSlack.sendEvent(
      { type: "app_mention", user: USERS.carol, channel: OPS_CHANNEL, text: "check dev status" },
      { signature: "forged" },
    );
    expect(forged.status).toBe(401);
    // The Runboard shares PORT with /slack/events; without sign-in configured it opens only View run links.
    const runboard = await fetch(`${url}/runboard/history`);
    expect(runboard.status).toBe(403);
    expect(runboard.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(await runboard.text()).toContain("open a run with the View run link on its Slack card");
    expect((await fetch(`${url}/runboard/assets/runboard.css`)).status).toBe(200);
    await checkDevStatus(httpSlack);
    httpBot.child.kill("SIGTERM");
    expect(await httpBot.exit).toBe(0);
  }, 240_000);
});
