import { PassThrough, Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { runParseCommand } from "../../src/cli/parse-command.js";

async function run(argv: string[], stdinText = "", env: Record<string, string | undefined> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d: Buffer) => (out += d.toString()));
  stderr.on("data", (d: Buffer) => (err += d.toString()));
  const code = await runParseCommand(argv, { stdin: Readable.from([stdinText]), stdout, stderr, env });
  return { code, out, err };
}

describe("opsroom parse", () => {
  it("prints one JSON object per stdin line, in order, with the documented fields", async () => {
    const { code, out } = await run(
      ["--json", "--now", "2026-03-10T12:00:00Z", "--tz", "Europe/Berlin"],
      "deploy api to stg at 5pm\nlol\n<@U1> rollback web prod\n",
    );
    expect(code).toBe(0);
    const lines = out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.runbook)).toEqual(["deploy", null, "rollback"]);
    expect(Object.keys(lines[0]!)).toEqual(["text", "runbook", "params", "confidence", "missing", "clarify", "alternatives"]);
    expect(lines[0]!.params).toEqual({ service: "api", env: "staging", at: "2026-03-10T17:00:00+01:00" });
    expect(lines[2]!.text).toBe("<@U1> rollback web prod");
  });

  it("prints a relative scale with the documented fields only, replicas missing", async () => {
    const { out } = await run(["--json", "add 2 more replicas to api in prod"]);
    const line = JSON.parse(out) as Record<string, unknown>;
    expect(Object.keys(line)).toEqual(["text", "runbook", "params", "confidence", "missing", "clarify", "alternatives"]);
    expect(line).toMatchObject({ runbook: "scale", params: { service: "api", env: "prod" }, missing: ["replicas"] });
    expect((await run(["add 2 more replicas to api in prod"])).out).not.toMatch(/relative/);
  });

  it("parses TEXT given as arguments and explains it without --json", async () => {
    const { code, out } = await run(["restart", "payments"]);
    expect(code).toBe(0);
    expect(out).toContain("→ restart");
    expect(out).toContain("missing: env");
    expect(out).toContain("dev, staging or prod");
  });

  it("rejects a bad --now, --tz or option with exit code 2", async () => {
    expect((await run(["--now", "yesterday-ish", "x"])).code).toBe(2);
    expect((await run(["--tz", "Mars/Base", "x"])).code).toBe(2);
    expect((await run(["--frobnicate"])).code).toBe(2);
  });

  it("reports a config that cannot be read with exit code 1", async () => {
    const { code, err } = await run(["--config", "/nonexistent/opsroom.yml", "deploy api"]);
    expect(code).toBe(1);
    expect(err).toContain("/nonexistent/opsroom.yml");
  });

  it("reads the config from OPSROOM_CONFIG", async () => {
    const { code } = await run(["--json", "deploy api to prod"], "", { OPSROOM_CONFIG: "/nonexistent/from-env.yml" });
    expect(code).toBe(1);
  });
});
