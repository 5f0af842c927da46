/**
 * Wire-level checks of the loopback Slack server with raw clients (ws, fetch,
 * node:http): Socket Mode frames, HTTP delivery headers and bodies, signing,
 * response_url rules, views and misc Web API behaviour.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { webApi } from "@slack/bolt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { computeSignature, type SlackApiServer, startSlackApiServer } from "./slack-api-server.js";

const CHANNEL = "C0PROTO01";
const ALICE = "U0ALICE01";
const quiet = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => webApi.LogLevel.ERROR,
  setName() {},
};

let slack: SlackApiServer;
let client: InstanceType<typeof webApi.WebClient>;
beforeAll(async () => {
  slack = await startSlackApiServer({ ackTimeoutMs: 500 });
  client = new webApi.WebClient(slack.botToken, {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
    logger: quiet,
  });
});
afterEach(() => slack.reset());
afterAll(() => slack.close());

const form = (token: string, body: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { authorization: `Bearer ${token}`, "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(body).toString(),
});

it("signs exactly like Slack’s documented example", () => {
  const body =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
  expect(computeSignature("8f742231b10e8888abcd99yyyzzz85a5", 1531420618, body)).toBe(
    "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
  );
});

describe("Socket Mode frames", () => {
  it("hello, envelope, ack, unacked timeout, single-use tickets and disconnect", async () => {
    expect(await (await fetch(`${slack.apiUrl}apps.connections.open`, form(slack.botToken))).json()).toEqual({
      ok: false,
      error: "not_allowed_token_type",
    });
    const opened = (await (await fetch(`${slack.apiUrl}apps.connections.open`, form(slack.appToken))).json()) as {
      ok: boolean;
      url: string;
    };
    expect(opened.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=/);
    const ws = new WebSocket(opened.url);
    const frames: Array<Record<string, unknown>> = [];
    const next = (): Promise<Record<string, unknown>> =>
      new Promise((resolve) => ws.once("message", (d) => resolve(JSON.parse(d.toString()) as Record<string, unknown>)));
    const hello = await next();
    expect(hello).toMatchObject({
      type: "hello",
      num_connections: 1,
      connection_info: { app_id: slack.identity.appId },
    });
    ws.on("message", (d) => frames.push(JSON.parse(d.toString()) as Record<string, unknown>));

    const pending = slack.sendEvent(
      { type: "app_mention", user: ALICE, channel: CHANNEL, text: "hi" },
      { retries: 1, retryReason: "timeout" },
    );
    await slack.waitFor(() => frames.length === 1);
    const env = frames[0] as { envelope_id: string; payload: Record<string, unknown> };
    expect(env).toMatchObject({
      type: "events_api",
      accepts_response_payload: false,
      payload: { type: "event_callback", api_app_id: slack.identity.appId, event: { type: "app_mention", text: "hi" } },
    });
    expect(env).not.toHaveProperty("retry_attempt");
    ws.send(JSON.stringify({ envelope_id: env.envelope_id, payload: {} }));
    await slack.waitFor(() => frames.length === 2);
    const retry = frames[1] as { envelope_id: string; payload: Record<string, unknown> };
    expect(retry).toMatchObject({
      retry_attempt: 1,
      retry_reason: "timeout",
      payload: { event_id: env.payload.event_id },
    });
    ws.send(JSON.stringify({ envelope_id: retry.envelope_id, payload: {} }));
    expect((await pending).attempts.map((a) => a.acked)).toEqual([true, true]);

    const unacked = await slack.sendSlashCommand({ command: "/ops", user_id: ALICE, channel_id: CHANNEL }, { ackTimeoutMs: 100 });
    expect(unacked).toMatchObject({ acked: false, ack: undefined });
    expect(frames[2]).toMatchObject({
      type: "slash_commands",
      accepts_response_payload: true,
      payload: { command: "/ops", trigger_id: expect.any(String) },
    });

    const reuse = new WebSocket(opened.url);
    reuse.on("error", () => undefined);
    const status = await new Promise<number | undefined>((resolve) =>
      reuse.on("unexpected-response", (req, res) => {
        req.destroy();
        resolve(res.statusCode);
      }),
    );
    expect(status).toBe(401);

    const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
    slack.disconnectSockets("refresh_requested");
    await slack.waitFor(() => frames.length === 4);
    expect(frames[3]).toMatchObject({ type: "disconnect", reason: "refresh_requested" });
    ws.close(1000);
    await closed;
  });
});

describe("HTTP deliveries", () => {
  let app: Server;
  const got: Array<{ headers: IncomingMessage["headers"]; body: string }> = [];
  beforeAll(async () => {
    app = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        got.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.writeHead(got.length === 1 ? 500 : 200).end();
      });
    });
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", () => r()));
    slack.useHttp(`http://127.0.0.1:${(app.address() as AddressInfo).port}/slack/events`);
  });
  afterAll(async () => {
    slack.useSocketMode();
    await new Promise((r) => app.close(r));
  });

  it("uses Slack’s content types, signature headers and retry headers", async () => {
    const ev = await slack.sendEvent({ type: "message", user: ALICE, channel: CHANNEL, text: "x" }, { autoRetry: true });
    expect(ev.attempts.map((a) => [a.status, a.retryReason])).toEqual([
      [500, undefined],
      [200, "http_error"],
    ]);
    const [first, second] = got;
    expect(first?.headers["content-type"]).toBe("application/json");
    expect(first?.headers["x-slack-retry-num"]).toBeUndefined();
    expect(second?.headers).toMatchObject({ "x-slack-retry-num": "1", "x-slack-retry-reason": "http_error" });
    const ts = first?.headers["x-slack-request-timestamp"] as string;
    expect(first?.headers["x-slack-signature"]).toBe(computeSignature(slack.signingSecret, ts, first?.body ?? ""));
    expect(JSON.parse(first?.body ?? "{}")).toMatchObject({
      type: "event_callback",
      event: { channel_type: "channel" },
    });

    await slack.sendSlashCommand({ command: "/ops", text: "deploy api prod", user_id: ALICE, channel_id: CHANNEL });
    const cmd = got[2];
    expect(cmd?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    const fields = new URLSearchParams(cmd?.body);
    expect(fields.get("text")).toBe("deploy api prod");
    expect(fields.get("response_url")).toMatch(new RegExp(`^${slack.baseUrl}/response/`));

    const posted = await client.chat.postMessage({
      channel: CHANNEL,
      text: "btn",
      blocks: [{ type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: "Go" }, value: "v1" }] }],
    });
    const actionId = (
      (slack.messages(CHANNEL)[0]?.blocks?.[0] as { elements: Array<{ action_id: string }> }).elements[0] as {
        action_id: string;
      }
    ).action_id;
    await slack.clickButton({ user: ALICE, channel: CHANNEL, messageTs: posted.ts as string, actionId });
    const payload = JSON.parse(new URLSearchParams(got[3]?.body).get("payload") ?? "{}") as Record<string, unknown>;
    expect(payload).toMatchObject({
      type: "block_actions",
      trigger_id: expect.any(String),
      response_url: expect.any(String),
      actions: [{ action_id: actionId, value: "v1", text: { text: "Go" } }],
      message: { ts: posted.ts },
    });

    const none = await slack.sendEvent({ type: "app_mention", user: ALICE, channel: CHANNEL, text: "y" }, { signature: "none" });
    expect(got[4]?.headers["x-slack-signature"]).toBeUndefined();
    expect(none.status).toBe(200);
  });
});

describe("response_url", () => {
  it("ephemeral by default, in_channel, replace_original, 5-use limit, invalid blocks", async () => {
    const posted = await client.chat.postMessage({ channel: CHANNEL, text: "plan" });
    const rec = slack.state.issueResponseUrl({
      source: "block_actions",
      user: ALICE,
      channel: CHANNEL,
      messageTs: posted.ts as string,
    });
    const url = `${slack.baseUrl}/response/${rec.id}`;
    const post = (body: unknown) =>
      fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await post({ text: "only you" })).status).toBe(200);
    expect(slack.ephemeralMessages({ user: ALICE })[0]).toMatchObject({ text: "only you", via: "response_url" });
    await post({ response_type: "in_channel", text: "everyone" });
    await post({ replace_original: true, text: "plan (approved)" });
    expect(slack.messages(CHANNEL).map((m) => m.text)).toEqual(["plan (approved)", "everyone"]);
    const bad = await post({
      text: "x",
      blocks: [{ type: "header", text: { type: "plain_text", text: "h".repeat(151) } }],
    });
    expect([bad.status, await bad.text()]).toEqual([400, "invalid_blocks"]);
    await post({ text: "4" });
    await post({ text: "5" });
    const sixth = await post({ text: "6" });
    expect([sixth.status, await sixth.text()]).toEqual([404, "used_url"]);
    expect(slack.responses.map((r) => r.status)).toEqual([200, 200, 200, 400, 200, 200, 404]);
  });
});

describe("views and other methods", () => {
  const modal = (title: string) => ({
    type: "modal" as const,
    title: { type: "plain_text" as const, text: title },
    blocks: [],
  });

  it("push, update with hash, trigger expiry and publish", async () => {
    const root = await client.views.open({ trigger_id: slack.issueTriggerId(ALICE), view: modal("Root") });
    const pushed = await client.views.push({ trigger_id: slack.issueTriggerId(ALICE), view: modal("Child") });
    expect(pushed.view).toMatchObject({ root_view_id: root.view?.id, previous_view_id: root.view?.id });
    await expect(client.views.update({ view_id: root.view?.id as string, hash: "stale", view: modal("x") })).rejects.toMatchObject({
      data: { error: "hash_conflict" },
    });
    const updated = await client.views.update({
      view_id: root.view?.id as string,
      hash: root.view?.hash as string,
      view: modal("Root v2"),
    });
    expect(updated.view?.title).toMatchObject({ text: "Root v2" });
    await expect(client.views.open({ trigger_id: "nope", view: modal("x") })).rejects.toMatchObject({
      data: { error: "invalid_arguments" },
    });
    const home = await client.views.publish({ user_id: ALICE, view: { type: "home", blocks: [{ type: "divider" }] } });
    expect(home.view?.type).toBe("home");

    const short = await startSlackApiServer({ triggerTtlMs: 10 });
    try {
      const c = new webApi.WebClient(short.botToken, {
        slackApiUrl: short.apiUrl,
        retryConfig: { retries: 0 },
        logger: quiet,
      });
      const trigger = short.issueTriggerId(ALICE);
      await new Promise((r) => setTimeout(r, 30));
      await expect(c.views.open({ trigger_id: trigger, view: modal("late") })).rejects.toMatchObject({
        data: { error: "expired_trigger_id" },
      });
    } finally {
      await short.close();
    }
  });

  it("ephemeral posts, DMs by user id, conversations.info, strict channels", async () => {
    const eph = await client.chat.postEphemeral({ channel: CHANNEL, user: ALICE, text: "psst" });
    expect(slack.ephemeralMessages({ channel: CHANNEL })[0]).toMatchObject({
      ts: eph.message_ts,
      user: ALICE,
      text: "psst",
    });
    const dm = await client.chat.postMessage({ channel: ALICE, text: "hello" });
    expect(dm.channel).toBe("D0ALICE01");
    expect((await client.conversations.info({ channel: "D0ALICE01" })).channel).toMatchObject({
      is_im: true,
      user: ALICE,
    });
    slack.addChannel({ id: "G0SECRET1", name: "secret", is_private: true });
    expect((await client.conversations.info({ channel: "G0SECRET1" })).channel).toMatchObject({
      name: "secret",
      is_private: true,
      is_group: true,
    });
    await expect(client.apiCall("chat.postMessage", { channel: CHANNEL })).rejects.toMatchObject({
      data: { error: "no_text" },
    });

    const strict = await startSlackApiServer({ strictChannels: true });
    try {
      const c = new webApi.WebClient(strict.botToken, {
        slackApiUrl: strict.apiUrl,
        retryConfig: { retries: 0 },
        logger: quiet,
      });
      await expect(c.chat.postMessage({ channel: "C0UNKNOWN", text: "x" })).rejects.toMatchObject({
        data: { error: "channel_not_found" },
      });
    } finally {
      await strict.close();
    }
  });
});
