import { describe, expect, it } from "vitest";
import { createRedactor } from "../../src/redact.js";

describe("createRedactor", () => {
  const redactor = createRedactor(["config-secret-value", undefined, "tiny"]);

  it.each([
    ["a Slack bot token", "xoxb-1234567890-abcdefghij"],
    ["a Slack app token", "xapp-1-A0123-456789-abcdef"],
    ["a GitHub classic token", "ghp_abcdefghijklmnopqrstuvwxyz0123"],
    ["a GitHub fine-grained token", "github_pat_11ABCDEFG0123456789_abcdefghijklmnop"],
    ["a Supabase secret key", "sb_secret_abcdefghij0123456789"],
    ["a JWT (Supabase service role)", "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"],
    ["a DigitalOcean token", "dop_v1_0123456789abcdef0123456789abcdef"],
  ])("removes %s found in text it was not told about", (_, secret) => {
    const out = redactor.redactText(`deploy failed: ${secret} rejected`);
    expect(out).toBe("deploy failed: [REDACTED] rejected");
  });

  it("removes configured secrets, also URL-encoded, but not values too short to be secrets", () => {
    expect(redactor.redactText("q=config-secret-value&tiny=1")).toBe("q=[REDACTED]&tiny=1");
    expect(createRedactor(["p@ss/word+1"]).redactText("url?key=p%40ss%2Fword%2B1")).toBe("url?key=[REDACTED]");
  });

  it("removes bearer tokens, URL passwords and key=value secrets", () => {
    expect(redactor.redactText("Authorization: Bearer abc.def-ghi_123")).toBe("Authorization: Bearer [REDACTED]");
    expect(redactor.redactText("postgres://app:hunter22@db:5432/x")).toBe("postgres://app:[REDACTED]@db:5432/x");
    expect(redactor.redactText('{"api_key": "k-123456"} password=swordfish')).toBe('{"api_key": "[REDACTED]"} password=[REDACTED]');
  });

  it("copies objects, arrays and errors deeply with every string redacted, leaving the original alone", () => {
    const error = new Error("login with xoxb-1234567890-abcdefghij failed");
    const input: Record<string, unknown> = { nested: { list: ["config-secret-value", 3, null] }, at: new Date(0), error };
    input.self = input;
    const out = redactor.redact(input);
    expect(out.nested).toEqual({ list: ["[REDACTED]", 3, null] });
    expect(out.at).toEqual(new Date(0));
    expect((out.error as Error).message).toBe("login with [REDACTED] failed");
    expect((out.error as Error).stack).not.toContain("xoxb-");
    expect(out.self).toBe(out);
    expect(error.message).toContain("xoxb-1234567890");
  });
});
