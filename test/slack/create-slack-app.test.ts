import pino from "pino";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import { ConfigError } from "../../src/errors.js";
import { createRedactor } from "../../src/redact.js";
import type { OpsService } from "../../src/service/ops-service.js";
import { startSlackApp } from "../../src/slack/create-slack-app.js";

describe("starting the Slack front end", () => {
  it("refuses to start without SLACK_APP_TOKEN or SLACK_SIGNING_SECRET, saying where each comes from", async () => {
    const config = loadConfig({ SLACK_BOT_TOKEN: "xoxb-123456789-abcdef" });
    const started = startSlackApp({ service: {} as OpsService, config, log: pino({ level: "silent" }), redactor: createRedactor([]) });
    await expect(started).rejects.toBeInstanceOf(ConfigError);
    await expect(started).rejects.toMatchObject({
      issues: [{ field: "SLACK_APP_TOKEN", message: expect.stringContaining("SLACK_SIGNING_SECRET") }],
    });
  });
});
