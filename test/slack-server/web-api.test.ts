/**
 * Web API fidelity through the real WebClient: Block Kit limits, auth errors,
 * directory methods, rate-limit enforcement.
 */
import { webApi } from "@slack/bolt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type SlackApiServer, startSlackApiServer } from "./slack-api-server.js";

const CHANNEL = "C0OPSROOM";
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

describe("Web API validation and limits", () => {
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

  it("validates Block Kit limits and auth like Slack", async () => {
    const section = (text: string) => ({ type: "section", text: { type: "mrkdwn", text } });
    await expect(
      client.chat.postMessage({ channel: CHANNEL, text: "x", blocks: Array.from({ length: 51 }, () => section("a")) }),
    ).rejects.toMatchObject({
      data: { error: "invalid_blocks", errors: ["must be less than 51 items [json-pointer:/blocks]"] },
    });
    const bad = [
      section("a".repeat(3001)),
      { type: "header", text: { type: "plain_text", text: "h".repeat(151) } },
      {
        type: "actions",
        elements: [
          {
            type: "button",
            text: { type: "plain_text", text: "b".repeat(76) },
            value: "v".repeat(2001),
            action_id: "go",
          },
        ],
      },
    ];
    await expect(client.chat.postMessage({ channel: CHANNEL, text: "x", blocks: bad })).rejects.toMatchObject({
      data: {
        error: "invalid_blocks",
        errors: [
          "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
          "must be less than 151 characters [json-pointer:/blocks/1/text/text]",
          "must be less than 76 characters [json-pointer:/blocks/2/elements/0/text/text]",
          "must be less than 2001 characters [json-pointer:/blocks/2/elements/0/value]",
        ],
      },
    });
    const modal = {
      type: "modal" as const,
      title: { type: "plain_text" as const, text: "Deploy" },
      blocks: Array.from({ length: 101 }, () => section("a")),
    };
    await expect(client.views.open({ trigger_id: slack.issueTriggerId(ALICE), view: modal })).rejects.toMatchObject({
      data: { error: "invalid_arguments" },
    });
    await expect(client.apiCall("chat.teleport")).rejects.toMatchObject({ data: { error: "unknown_method" } });
    const stranger = new webApi.WebClient("xoxb-wrong", { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    await expect(stranger.auth.test()).rejects.toMatchObject({ data: { error: "invalid_auth" } });
    expect(slack.messages()).toHaveLength(0);
  });

  it("serves users.info and usergroups.users.list", async () => {
    slack.addUser({ id: ALICE, name: "alice", tz: "Europe/Berlin" }).addUser({ id: "U0GONE001", name: "bob", deleted: true });
    slack.addUsergroup("S0ONCALL1", [ALICE]);
    expect((await client.users.info({ user: ALICE })).user).toMatchObject({
      id: ALICE,
      name: "alice",
      tz: "Europe/Berlin",
      deleted: false,
      is_bot: false,
    });
    expect((await client.users.info({ user: "U0GONE001" })).user?.deleted).toBe(true);
    expect((await client.usergroups.users.list({ usergroup: "S0ONCALL1" })).users).toEqual([ALICE]);
    await expect(client.usergroups.users.list({ usergroup: "S0NOPE001" })).rejects.toMatchObject({
      data: { error: "no_such_subteam" },
    });
  });

  it("enforces per-channel posting and Tier 3 update limits when asked", async () => {
    const strict = await startSlackApiServer({
      enforceRateLimits: true,
      rateLimits: { "chat.update": { limit: 2, windowMs: 60_000 } },
    });
    try {
      const c = new webApi.WebClient(strict.botToken, {
        slackApiUrl: strict.apiUrl,
        rejectRateLimitedCalls: true,
        retryConfig: { retries: 0 },
        logLevel: webApi.LogLevel.ERROR,
      });
      const posted = [];
      for (let i = 0; i < 3; i++) posted.push(await c.chat.postMessage({ channel: "C0BURST01", text: `m${i}` }));
      await expect(c.chat.postMessage({ channel: "C0BURST01", text: "one too many" })).rejects.toMatchObject({
        code: webApi.ErrorCode.RateLimitedError,
        retryAfter: expect.any(Number),
      });
      await c.chat.postMessage({ channel: "C0OTHER01", text: "other channel is fine" });
      const ts = posted[0]?.ts as string;
      await c.chat.update({ channel: "C0BURST01", ts, text: "u1" });
      await c.chat.update({ channel: "C0BURST01", ts, text: "u2" });
      await expect(c.chat.update({ channel: "C0BURST01", ts, text: "u3" })).rejects.toMatchObject({
        code: webApi.ErrorCode.RateLimitedError,
      });
      expect(strict.callsTo("chat.update").at(-1)?.response).toEqual({ ok: false, error: "ratelimited" });
    } finally {
      await strict.close();
    }
  });
});
