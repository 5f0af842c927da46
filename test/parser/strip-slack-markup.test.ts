import { describe, expect, it } from "vitest";
import { stripSlackMarkup } from "../../src/slack/strip-slack-markup.js";

describe("stripSlackMarkup", () => {
  it.each([
    ["<@U0123ABC> deploy api", "deploy api"],
    ["<@U0123ABC|alice> ping", "ping"],
    ["post in <#C123|ops> pls", "post in pls"],
    ["<!here> prod is down", "prod is down"],
    ["<!subteam^S0123|@oncall> look", "look"],
    ["see <https://example.com/pr/12|PR 12>", "see PR 12"],
    ["see <https://example.com/x>", "see"],
    ["*deploy* _api_ to ~prod~ staging", "deploy api to staging"],
    ["enable `featureMatrix`", 'enable "featureMatrix"'],
    ["```\nstack trace\n``` logs api", "logs api"],
    [":rocket: ship it :+1::skin-tone-2:", "ship it"],
    ["at 10:30 today", "at 10:30 today"],
    ["FSYNC_USE_RPC on", "FSYNC_USE_RPC on"],
    ["a &amp; b &lt;3", "a & b <3"],
    ["&gt; deploy api to prod\nlol no", "lol no"],
  ])("%j → %j", (input, output) => {
    expect(stripSlackMarkup(input)).toBe(output);
  });

  it("handles 100 KB of markup quickly", () => {
    const text = "*a* _b_ `c` <@U1> :x: ~d~ ".repeat(4000);
    const start = performance.now();
    stripSlackMarkup(text);
    expect(performance.now() - start).toBeLessThan(2_000); // linear work takes ~1 ms; quadratic would take seconds
  });
});

describe("user mentions that name someone", () => {
  it("keeps a mention inside a request as @id, and drops one that addresses someone", () => {
    expect(stripSlackMarkup("add <@U0123ABC> to featureMatrix")).toBe("add @U0123ABC to featureMatrix");
    expect(stripSlackMarkup("turn on X for <@U1AAA> and <@U2BBB|dana>")).toBe("turn on X for @U1AAA and @U2BBB");
    expect(stripSlackMarkup("<@U0BOT123> rollback api in prod")).toBe("rollback api in prod");
    expect(stripSlackMarkup("hey <@U0BOT123> can you deploy api")).toBe("hey can you deploy api");
    expect(stripSlackMarkup("thanks <@U0BOT123>, that worked")).toBe("thanks , that worked");
  });
});
