import { describe, expect, it } from "vitest";
import { damerauLevenshtein, isTypoOf } from "../../src/parser/fuzzy-match.js";

describe("fuzzy matching", () => {
  it("counts a swap of neighbours as one edit", () => {
    expect(damerauLevenshtein("dpeloy", "deploy", 2)).toBe(1);
    expect(damerauLevenshtein("prodution", "production", 2)).toBe(1);
  });

  it.each([
    ["stagin", "staging", true],
    ["dpeloy", "deploy", true],
    ["lgos", "logs", true],
    ["prdo", "prod", true],
    ["lots", "logs", false],
    ["app", "api", false],
    ["deploys", "deploy", false],
    ["deployed", "deploy", false],
    ["employ", "deploy", false],
    ["xtaging", "staging", false],
  ])("%s as a typo of %s: %s", (typed, known, ok) => {
    expect(isTypoOf(typed, known)).toBe(ok);
  });
});
