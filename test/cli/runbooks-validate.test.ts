import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/cli.js";

async function validate(args: string[], env: Record<string, string>) {
  let stdout = "";
  let stderr = "";
  const out = new PassThrough().on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const err = new PassThrough().on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await runCli(["runbooks", "validate", ...args], { stdin: new PassThrough(), stdout: out, stderr: err, env });
  return { code, stdout, stderr };
}

describe("opsroom runbooks validate", () => {
  it("reports a bad config file by file, line and field instead of crashing", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "opsroom-config-")), "opsroom.yml");
    writeFileSync(file, "environments:\n  dev: {}\nservices:\n  api:\n    healthUrl: not-a-url\n");
    const { code, stderr } = await validate([], { OPSROOM_CONFIG: file });
    expect(code).toBe(1);
    expect(stderr).toBe(`${file}:5: services.api.healthUrl: Invalid URL\n1 problem found\n`);
  });

  it("says what a gate may be when one is neither an HTTP nor a SQL gate", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "opsroom-config-")), "opsroom.yml");
    writeFileSync(file, 'environments: { staging: {} }\nflags:\n  X:\n    gates: [{ name: g1, query: "SELECT 1" }]\n');
    const { code, stderr } = await validate([], { OPSROOM_CONFIG: file });
    expect(code).toBe(1);
    expect(stderr).toBe(
      `${file}:4: flags.X.gates[0]: must be an HTTP gate { name, url, expectBody? } or a SQL gate { name, sql, databaseUrlEnv?, timeoutSeconds? }\n1 problem found\n`,
    );
  });

  it("checks the config's release plans against the runbooks and actions that exist", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "opsroom-config-")), "opsroom.yml");
    writeFileSync(
      file,
      [
        "environments: { staging: {}, prod: {} }",
        "releases:",
        "  api-release:",
        "    stages:",
        "      - { name: staging, env: staging, runbook: deplyo, params: { service: api } }",
        "      - name: smoke",
        "        env: prod",
        "        steps: [{ id: smoke, uses: http.check, with: { ur1: 'https://example.com' } }]",
        "        gates: [{ name: no-failed, sql: SELECT 1 WHERE false }]",
      ].join("\n"),
    );
    const { code, stderr } = await validate([], { OPSROOM_CONFIG: file });
    expect(code).toBe(1);
    expect(stderr).toContain(`${file}: releases.api-release.stages.0.runbook: unknown runbook "deplyo" (known: checklist, deploy,`);
    expect(stderr).toContain(`${file}: releases.api-release.stages.1.steps.0.with.ur1: unknown argument of http.check`);
  });

  it("names the misspelt argument of a step by file, line and field", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "opsroom-runbooks-"));
    writeFileSync(
      path.join(dir, "ping.yml"),
      [
        "id: ping",
        "title: Ping",
        "owner: platform",
        'escalation: "@oncall"',
        "risk: read",
        "triggers: { verbs: [ping] }",
        "phases:",
        "  action:",
        "    - id: ping",
        "      uses: http.check",
        "      with:",
        "        name: ping",
        "        ur1: https://example.com/healthz",
      ].join("\n"),
    );
    const { code, stderr } = await validate([dir], {});
    expect(code).toBe(1);
    expect(stderr).toContain(`${path.join(dir, "ping.yml")}:13: phases.action[0].with.ur1: unknown argument of http.check`);
    expect(stderr).toContain(`${path.join(dir, "ping.yml")}:11: phases.action[0].with.url: required by http.check`);
  });
});
