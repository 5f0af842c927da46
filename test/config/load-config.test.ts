import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { INSTANCE_ID } from "../../src/config/instance.js";
import { loadConfig } from "../../src/config/load-config.js";
import { ConfigError } from "../../src/errors.js";

function writeConfig(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "opsroom-config-")), "opsroom.yml");
  writeFileSync(file, text);
  return file;
}

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("loads the example config by default, with the dev health URL on the bot's own port", () => {
    const config = loadConfig({ PORT: "9911" });
    expect(Object.keys(config.environments)).toEqual(["dev", "staging", "prod"]);
    expect(config.environments.dev?.settings.healthUrl).toBe("http://127.0.0.1:9911/healthz");
    expect(config.environments.dev?.settings.healthExpect).toBe(`"instance":"${INSTANCE_ID}"`);
    expect(config.services.payments?.aliases).toContain("payment service");
    expect(Object.keys(config.flags)).toContain("FSYNC_USE_RPC");
    expect(Object.isFrozen(config.services)).toBe(true);
  });

  it("names the file, line, field path and reason of every problem", () => {
    const file = writeConfig(
      [
        "environments:",
        "  dev: {}",
        "services:",
        "  api:",
        "    healthUrl: not-a-url",
        "    environments:",
        "      qa: { healthUrl: https://qa.example.com }",
        "approvals:",
        "  required: many",
      ].join("\n"),
    );
    const error = configErrorOf(() => loadConfig({ OPSROOM_CONFIG: file }));
    const byField = Object.fromEntries(error.issues.map((i) => [i.field, i]));
    expect(byField["services.api.healthUrl"]).toMatchObject({ file, line: 5, message: expect.stringMatching(/url/i) });
    expect(byField["approvals.required"]).toMatchObject({ line: 9 });
  });

  it("points a misspelt key at its own line, not its parent's", () => {
    const file = writeConfig(
      ["environments:", "  dev: {}", "services:", "  api:", "    owner: platform", "    healthUrll: https://api.example.com/healthz"].join(
        "\n",
      ),
    );
    const error = configErrorOf(() => loadConfig({ OPSROOM_CONFIG: file }));
    expect(error.issues).toEqual([{ file, line: 6, field: "services.api.healthUrll", message: "unknown key" }]);
  });

  it("checks references between sections once the fields themselves are valid", () => {
    const file = writeConfig(
      ["environments:", "  dev: {}", "services:", "  api:", "    environments:", "      qa: { healthUrl: https://qa.example.com }"].join(
        "\n",
      ),
    );
    const error = configErrorOf(() => loadConfig({ OPSROOM_CONFIG: file }));
    expect(error.issues).toEqual([
      expect.objectContaining({
        field: "services.api.environments.qa",
        line: 6,
        message: expect.stringContaining('unknown environment "qa" (known: dev)'),
      }),
    ]);
  });

  it("names a promotesFrom that is not a configured environment, so prod migrations never wait on a typo", () => {
    const file = writeConfig(["environments:", "  staging: {}", "  prod:", "    settings:", "      promotesFrom: stagign"].join("\n"));
    const error = configErrorOf(() => loadConfig({ OPSROOM_CONFIG: file }));
    expect(error.issues).toEqual([
      expect.objectContaining({
        field: "environments.prod.settings.promotesFrom",
        line: 5,
        message: 'unknown environment "stagign" (known: staging, prod)',
      }),
    ]);
  });

  it("reports a YAML syntax error with its line", () => {
    const file = writeConfig("environments:\n  dev: {\n  staging: [\n");
    const error = configErrorOf(() => loadConfig({ OPSROOM_CONFIG: file }));
    expect(error.issues[0]).toMatchObject({ file, message: expect.stringContaining("invalid YAML") });
    expect(error.issues[0]?.line).toBeGreaterThan(0);
  });

  it("says which file it could not read", () => {
    const error = configErrorOf(() => loadConfig({ OPSROOM_CONFIG: "/nonexistent/opsroom.yml" }));
    expect(error.message).toContain("/nonexistent/opsroom.yml");
    expect(error.message).toContain("cannot read config file");
  });

  it("rejects a malformed environment variable by name", () => {
    const error = configErrorOf(() => loadConfig({ SLACK_BOT_TOKEN: "xoxp-user-token", PORT: "http" }));
    expect(error.issues.map((i) => i.field).sort()).toEqual(["PORT", "SLACK_BOT_TOKEN"]);
    expect(error.message).toContain("xoxb-");
  });

  it("collects secret values for redaction, including per-environment database URLs", () => {
    const config = loadConfig({ GITHUB_TOKEN: "ghp_secretvalue123", STAGING_DATABASE_URL: "postgres://u:pw@db/x" });
    expect(config.secretValues).toEqual(expect.arrayContaining(["ghp_secretvalue123", "postgres://u:pw@db/x"]));
  });

  it("gives shell steps PATH, HOME, USER, the locale, TZ and TMPDIR of its own environment, and nothing else", () => {
    const config = loadConfig({ PATH: "/opt/bin:/usr/bin", HOME: "/srv", LANG: "C.UTF-8", GITHUB_TOKEN: "ghp_secretvalue123", PWD: "/x" });
    expect(config.shellEnv).toEqual({ PATH: "/opt/bin:/usr/bin", HOME: "/srv", LANG: "C.UTF-8" });
    expect(loadConfig({}).shellEnv).toEqual({ PATH: "/usr/local/bin:/usr/bin:/bin" });
  });
});
