import { describe, expect, it } from "vitest";
import { intentOf } from "../../src/service/plan-words.js";
import { plan } from "../runbooks/harness.js";

describe("a plan's intent in words", () => {
  it("says a staged rollout's ladder and interval as people read them, not as ISO 8601", () => {
    const intent = intentOf(plan("rollout", { flag: "featureMatrix", env: "prod", stages: ["10", "50", "100"], every: "PT1H30M" }));
    expect([intent.title, intent.subject, ...intent.detail].join(" ")).toBe(
      "Staged rollout featureMatrix 10% → 50% → 100% every 1 h 30 min",
    );
  });
});
