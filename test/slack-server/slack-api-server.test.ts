/**
 * Proves the loopback Slack server is faithful enough for the real
 * @slack/bolt App and @slack/web-api WebClient.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { App, LogLevel, SocketModeReceiver, webApi } from "@slack/bolt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type SlackApiServer, startSlackApiServer } from "./slack-api-server.js";

const CHANNEL = "C0OPSROOM";
// web-api logs Slack's response_metadata `[ERROR]` messages; keep expected failures quiet.
const quiet = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => webApi.LogLevel.ERROR,
  setName() {},
};
const ALICE = "U0ALICE01";

const socketApp = (slack: SlackApiServer, receiver?: SocketModeReceiver): App =>
  new App({
    token: slack.botToken,
    appToken: slack.appToken,
    socketMode: true,
    logLevel: LogLevel.ERROR,
    // retries: 0 matters: SocketModeClient otherwise writes retries:100 into the shared clientOptions.
    clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } },
    ...(receiver ? { receiver } : {}),
  });

describe("Web API through the real WebClient", () => {
  let slack: SlackApiServer;
  let client: InstanceType<typeof webApi.WebClient>;
  beforeAll(async () => {
    slack = await startSlackApiServer();
    client = new webApi.WebClient(slack.botToken, {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
      logger: quiet,
    });
  });
  afterEach(() => slack.reset());
  afterAll(() => slack.close());

  it("posts, threads, updates, reacts and deletes", async () => {
    const auth = await client.auth.test();
    expect(auth).toMatchObject({ ok: true, user_id: slack.identity.botUserId, bot_id: slack.identity.botId });

    const parent = await client.chat.postMessage({
      channel: CHANNEL,
      text: "deploy api?",
      blocks: [{ type: "section", text: { type: "mrkdwn", text: "*deploy* api?" } }],
    });
    expect(parent.ts).toMatch(/^\d{10}\.\d{6}$/);
    const reply = await client.chat.postMessage({ channel: CHANNEL, text: "running", thread_ts: parent.ts as string });
    expect(reply.message?.thread_ts).toBe(parent.ts);
    await client.chat.update({ channel: CHANNEL, ts: reply.ts as string, text: "done ✅" });
    await client.reactions.add({ channel: CHANNEL, timestamp: parent.ts as string, name: "white_check_mark" });
    await expect(
      client.reactions.add({ channel: CHANNEL, timestamp: parent.ts as string, name: "white_check_mark" }),
    ).rejects.toMatchObject({ data: { error: "already_reacted" } });

    const [p, r] = slack.messages(CHANNEL);
    expect(p?.blocks?.[0]).toMatchObject({ type: "section", block_id: expect.any(String) });
    expect(p?.reactions[0]).toMatchObject({ name: "white_check_mark", count: 1 });
    expect(r).toMatchObject({ text: "done ✅", thread_ts: parent.ts, updateCount: 1 });
    expect(slack.messages({ threadTs: parent.ts as string })).toHaveLength(1);
    const call = slack.callsTo("chat.postMessage")[0];
    expect(call?.args.blocks).toEqual([{ type: "section", text: { type: "mrkdwn", text: "*deploy* api?" } }]);
    expect(call?.token).toBe(slack.botToken);

    await client.chat.delete({ channel: CHANNEL, ts: reply.ts as string });
    expect(slack.messages(CHANNEL)).toHaveLength(1);
    await expect(client.chat.update({ channel: CHANNEL, ts: "1.000001", text: "x" })).rejects.toMatchObject({
      data: { error: "message_not_found" },
    });
  });

  it("uploads a file with the three-step external flow into a thread", async () => {
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: "logs" });
    const res = await client.files.uploadV2({
      channel_id: CHANNEL,
      thread_ts: parent.ts as string,
      filename: "deploy.log",
      content: "line1\nline2\n",
      initial_comment: "here you go",
    });
    expect(res.ok).toBe(true);
    const [file] = slack.files();
    expect(file).toMatchObject({
      name: "deploy.log",
      uploaded: true,
      completed: true,
      channel: CHANNEL,
      thread_ts: parent.ts,
    });
    expect(file?.content?.toString()).toBe("line1\nline2\n");
    const shared = slack.messages({ threadTs: parent.ts as string })[0];
    expect(shared).toMatchObject({ text: "here you go", via: "files.completeUploadExternal" });
    expect(shared?.files?.[0]?.id).toBe(file?.id);
    expect(slack.calls.map((c) => c.method)).toEqual(["chat.postMessage", "files.getUploadURLExternal", "files.completeUploadExternal"]);
  });

  it("a 429 with Retry-After is retried by WebClient after the advertised delay", async () => {
    const retrying = new webApi.WebClient(slack.botToken, {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 1, factor: 1, minTimeout: 0, maxTimeout: 0 },
      logLevel: webApi.LogLevel.ERROR,
    });
    const seen: number[] = [];
    retrying.on(webApi.WebClientEvent.RATE_LIMITED, (sec: number) => seen.push(sec));
    slack.injectFault({ method: "chat.postMessage", status: 429, retryAfterSec: 1 });
    const started = Date.now();
    const res = await retrying.chat.postMessage({ channel: CHANNEL, text: "eventually" });
    expect(res.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(seen).toEqual([1]);
    expect(slack.callsTo("chat.postMessage").map((c) => [c.status, c.refusedBy])).toEqual([
      [429, "fault"],
      [200, undefined],
    ]);
    expect(slack.messages(CHANNEL)).toHaveLength(1);
  });
});

describe("Bolt App in Socket Mode", () => {
  let slack: SlackApiServer;
  let app: App;
  const retries: Array<number | undefined> = [];
  beforeAll(async () => {
    slack = await startSlackApiServer();
    slack.useSocketMode();
    app = socketApp(slack);
    app.event("app_mention", async ({ event, say, context }) => {
      retries.push(context.retryNum);
      await say({ text: `on it, <@${event.user}>`, thread_ts: event.ts });
    });
    app.command("/ops", async ({ command, ack, respond, client }) => {
      if (command.text === "modal") {
        await ack();
        await client.views.open({
          trigger_id: command.trigger_id,
          view: {
            type: "modal",
            callback_id: "deploy",
            title: { type: "plain_text", text: "Deploy" },
            submit: { type: "plain_text", text: "Go" },
            blocks: [
              {
                type: "input",
                block_id: "svc",
                label: { type: "plain_text", text: "Service" },
                element: { type: "plain_text_input", action_id: "name" },
              },
            ],
          },
        });
        return;
      }
      await ack({ text: `planning: ${command.text}` });
      await respond({
        response_type: "in_channel",
        text: "plan ready",
        blocks: [
          {
            type: "actions",
            elements: [{ type: "button", text: { type: "plain_text", text: "Approve" }, action_id: "approve", value: "run-1" }],
          },
        ],
      });
    });
    app.action("approve", async ({ ack, respond, body }) => {
      await ack();
      await respond({ replace_original: true, text: `approved by <@${body.user.id}>` });
    });
    app.view("deploy", async ({ ack, view }) => {
      const name = view.state.values.svc?.name?.value ?? "";
      if (name === "") await ack({ response_action: "errors", errors: { svc: "required" } });
      else await ack();
    });
    await app.start();
  });
  afterAll(async () => {
    await app.stop();
    await slack.close();
  });

  it("delivers app_mention over the socket and the reply lands in the thread", async () => {
    const res = await slack.sendEvent({
      type: "app_mention",
      user: ALICE,
      channel: CHANNEL,
      text: `<@${slack.identity.botUserId}> deploy api`,
    });
    expect(res).toMatchObject({ mode: "socket", acked: true, ackPayload: {} });
    const mentionTs = (res.payload.event as { ts: string }).ts;
    const reply = await slack.waitFor((s) => s.messages({ channel: CHANNEL, threadTs: mentionTs })[0]);
    expect(reply).toMatchObject({ text: `on it, <@${ALICE}>`, user: slack.identity.botUserId, fromBot: true });
    expect(slack.calls[0]?.method).toBe("auth.test");
    expect(slack.callsTo("apps.connections.open")[0]?.token).toBe(slack.appToken);
  });

  it("redelivers an event with retry_attempt and Bolt sees context.retryNum", async () => {
    retries.length = 0;
    const res = await slack.sendEvent({ type: "app_mention", user: ALICE, channel: CHANNEL, text: "again" }, { retries: 1 });
    expect(res.attempts.map((a) => [a.retryNum, a.acked])).toEqual([
      [0, true],
      [1, true],
    ]);
    await slack.waitFor(() => retries.length === 2);
    expect(retries).toEqual([undefined, 1]);
  });

  it("slash command ack, response_url message, button click and replace_original", async () => {
    const cmd = await slack.sendSlashCommand({
      command: "/ops",
      text: "deploy api",
      user_id: ALICE,
      channel_id: CHANNEL,
    });
    expect(cmd.ack).toEqual({ text: "planning: deploy api" });
    expect(slack.ephemeralMessages({ user: ALICE }).at(-1)).toMatchObject({ text: "planning: deploy api", via: "ack" });
    const plan = await slack.waitFor((s) => s.messages(CHANNEL).find((m) => m.text === "plan ready"));
    expect(slack.responses.at(-1)).toMatchObject({ source: "slash_command", status: 200 });

    const click = await slack.clickButton({ user: ALICE, channel: CHANNEL, messageTs: plan.ts, actionId: "approve" });
    expect(click.acked).toBe(true);
    expect(click.payload).toMatchObject({
      type: "block_actions",
      actions: [{ action_id: "approve", value: "run-1", type: "button" }],
      container: { message_ts: plan.ts },
    });
    await slack.waitFor(() => plan.text === `approved by <@${ALICE}>`);
    expect(plan.updateCount).toBe(1);
  });

  it("opens a modal from a trigger_id and honours response_action errors", async () => {
    const cmd = await slack.sendSlashCommand({ command: "/ops", text: "modal", user_id: ALICE, channel_id: CHANNEL });
    const view = await slack.waitFor((s) => s.views({ user: ALICE, openOnly: true })[0]);
    const rejected = await slack.submitView({ viewId: view.id, values: { svc: { name: "" } } });
    expect(rejected).toMatchObject({ responseAction: "errors", errors: { svc: "required" } });
    const accepted = await slack.submitView({ viewId: view.id, values: { svc: { name: "api" } } });
    expect(accepted.acked).toBe(true);
    expect(slack.views({ openOnly: true })).toHaveLength(0);
    await expect(
      new webApi.WebClient(slack.botToken, {
        slackApiUrl: slack.apiUrl,
        retryConfig: { retries: 0 },
        logger: quiet,
      }).views.open({
        trigger_id: cmd.triggerId as string,
        view: { type: "modal", title: { type: "plain_text", text: "x" }, blocks: [] },
      }),
    ).rejects.toMatchObject({
      data: { error: "exchanged_trigger_id" },
    });
  });
});

describe("Socket Mode reconnects", () => {
  it("reconnects after a refresh_requested disconnect and keeps receiving events", async () => {
    const slack = await startSlackApiServer();
    const receiver = new SocketModeReceiver({
      appToken: slack.appToken,
      clientPingTimeout: 300,
      logLevel: LogLevel.ERROR,
      installerOptions: { clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } } },
    });
    const app = socketApp(slack, receiver);
    const seen: string[] = [];
    app.event("app_mention", async ({ event }) => {
      seen.push(event.text);
    });
    try {
      await app.start();
      slack.disconnectSockets("refresh_requested");
      await slack.waitFor((s) => s.socketConnections.opened === 2 && s.socketConnections.open === 1, 3000);
      expect(slack.callsTo("apps.connections.open")).toHaveLength(2);
      await slack.sendEvent({ type: "app_mention", user: ALICE, channel: CHANNEL, text: "after reconnect" });
      await slack.waitFor(() => seen.includes("after reconnect"));
    } finally {
      await app.stop();
      await slack.close();
    }
  });
});

describe("Bolt App in HTTP mode", () => {
  let slack: SlackApiServer;
  let app: App;
  const seen: Array<{ text: string; retryNum: number | undefined; retryReason: string | undefined }> = [];
  beforeAll(async () => {
    slack = await startSlackApiServer();
    app = new App({
      token: slack.botToken,
      signingSecret: slack.signingSecret,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } },
    });
    app.event("app_mention", async ({ event, context }) => {
      seen.push({ text: event.text, retryNum: context.retryNum, retryReason: context.retryReason });
    });
    app.command("/ops", async ({ ack, command }) => ack({ text: `got ${command.text}` }));
    app.action("approve", async ({ ack, respond }) => {
      await ack();
      await respond({ replace_original: true, text: "approved over HTTP" });
    });
    const server = (await app.start({ port: 0, host: "127.0.0.1" })) as Server;
    slack.useHttp(`http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`);
  });
  afterAll(async () => {
    await app.stop();
    await slack.close();
  });

  it("accepts a signed event and rejects forged or stale signatures with 401", async () => {
    const ok = await slack.sendEvent({ type: "app_mention", user: ALICE, channel: CHANNEL, text: "signed" });
    expect(ok).toMatchObject({ mode: "http", status: 200, acked: true });
    const forged = await slack.sendEvent({ type: "app_mention", user: ALICE, channel: CHANNEL, text: "forged" }, { signature: "forged" });
    expect(forged).toMatchObject({ status: 401, acked: false });
    const stale = await slack.sendEvent({ type: "app_mention", user: ALICE, channel: CHANNEL, text: "stale" }, { signature: "stale" });
    expect(stale.status).toBe(401);
    await slack.waitFor(() => seen.some((s) => s.text === "signed"));
    expect(seen.map((s) => s.text)).toEqual(["signed"]);
  });

  it("sends x-slack-retry-num on redelivery, form-encoded commands and url_verification", async () => {
    seen.length = 0;
    const res = await slack.sendEvent({ type: "app_mention", user: ALICE, channel: CHANNEL, text: "retry me" }, { retries: 2 });
    expect(res.attempts.map((a) => a.status)).toEqual([200, 200, 200]);
    await slack.waitFor(() => seen.length === 3);
    expect(seen.map((s) => [s.retryNum, s.retryReason])).toEqual([
      [undefined, undefined],
      [1, "http_timeout"],
      [2, "http_timeout"],
    ]);

    const cmd = await slack.sendSlashCommand({ command: "/ops", text: "status", user_id: ALICE, channel_id: CHANNEL });
    expect(cmd).toMatchObject({ status: 200, ack: { text: "got status" } });
    const challenge = await slack.sendUrlVerification("abc123");
    expect(challenge).toMatchObject({ status: 200, ack: { challenge: "abc123" } });
  });

  it("delivers block_actions as a form-encoded payload and applies respond(replace_original)", async () => {
    const posted = await app.client.chat.postMessage({
      channel: CHANNEL,
      text: "approve?",
      blocks: [
        {
          type: "actions",
          elements: [{ type: "button", text: { type: "plain_text", text: "Approve" }, action_id: "approve", value: "run-2" }],
        },
      ],
    });
    const click = await slack.clickButton({
      user: ALICE,
      channel: CHANNEL,
      messageTs: posted.ts as string,
      actionId: "approve",
    });
    expect(click).toMatchObject({ status: 200, acked: true });
    const msg = await slack.waitFor((s) => s.messages(CHANNEL).find((m) => m.text === "approved over HTTP"));
    expect(msg.ts).toBe(posted.ts);
    expect(msg.blocks).toBeUndefined();
  });
});
