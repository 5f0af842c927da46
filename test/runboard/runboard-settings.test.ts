import { describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../src/config/load-config.js";
import { ConfigError } from "../../src/errors.js";
import { resolveRunboardSettings } from "../../src/runboard/runboard-settings.js";

const withRunboard = (env: Record<string, string>, runboard: Partial<Config["runboard"]> = {}): Config => {
  const config = loadConfig(env);
  return { ...config, runboard: { ...config.runboard, ...runboard } };
};

describe("Runboard settings", () => {
  it("is open without Slack, links with Slack tokens, and Sign in with Slack once a client id is set", () => {
    expect(resolveRunboardSettings(withRunboard({})).access).toBe("open");
    expect(resolveRunboardSettings(withRunboard({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_APP_TOKEN: "xapp-1" })).access).toBe("links");
    const slack = resolveRunboardSettings(
      withRunboard({ SLACK_CLIENT_ID: "1.2", SLACK_CLIENT_SECRET: "s" }, { teamId: "T0ACME", url: "https://ops.example.com/runboard/" }),
    );
    expect(slack).toMatchObject({
      access: "slack",
      url: "https://ops.example.com/runboard",
      secureCookies: true,
      slack: { clientId: "1.2", teamId: "T0ACME", openIdUrl: "https://slack.com" },
    });
  });

  it("names every missing piece of Sign in with Slack at start", () => {
    let error: unknown;
    try {
      resolveRunboardSettings(withRunboard({}, { access: "slack" }));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.field)).toEqual([
      "SLACK_CLIENT_ID",
      "SLACK_CLIENT_SECRET",
      "runboard.teamId",
      "runboard.url",
    ]);
  });

  it("refuses a RUNBOARD_SECRET shorter than 32 characters", () => {
    expect(() => loadConfig({ RUNBOARD_SECRET: "short" })).toThrow(/RUNBOARD_SECRET: must be at least 32 characters/);
    expect(() => resolveRunboardSettings(withRunboard({ RUNBOARD_SECRET: "x".repeat(32) }))).not.toThrow();
  });

  it("keeps the secret out of logs and pages: RUNBOARD_SECRET and SLACK_CLIENT_SECRET are secrets", () => {
    const config = loadConfig({ RUNBOARD_SECRET: "r".repeat(40), SLACK_CLIENT_SECRET: "client-secret-value" });
    expect(config.secretValues).toEqual(expect.arrayContaining(["r".repeat(40), "client-secret-value"]));
  });
});
