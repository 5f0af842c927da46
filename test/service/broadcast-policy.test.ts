import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../src/config/load-config.js";
import { buildPlan } from "../../src/planner/build-plan.js";
import { loadRunbooks } from "../../src/runbook/load-runbooks.js";
import { broadcastsOf } from "../../src/service/broadcast-policy.js";
import { previewRunOf } from "../../src/slack/render-plan-card.js";

const FIXTURES = path.resolve(import.meta.dirname, "../fixtures/slack");
const config = loadConfigFile(path.join(FIXTURES, "opsroom.yml"), {});
const runbooks = loadRunbooks(path.join(FIXTURES, "runbooks"));
const runOf = (runbook: string, params: Record<string, string>) =>
  previewRunOf(buildPlan({ runbook: runbooks.find((r) => r.id === runbook)!, params }, config), "U1", new Date());
const ops = { id: "C0OPS0001", name: "ops" };

describe("which runs show in the channel", () => {
  it("by default: every plan waiting for approval, the outcome of protected envs only, and nothing of read-only runs", () => {
    expect(broadcastsOf(config, runOf("deploy", { service: "api", env: "staging" }), ops)).toEqual({
      waitingForApproval: true,
      outcome: false,
    });
    expect(broadcastsOf(config, runOf("deploy", { service: "api", env: "prod" }), ops)).toEqual({
      waitingForApproval: true,
      outcome: true,
    });
    expect(broadcastsOf(config, runOf("healthcheck", { env: "prod" }), ops)).toEqual({ waitingForApproval: false, outcome: false });
  });

  it("follows the config per env, and per channel by name or id", () => {
    const custom = {
      ...config,
      broadcast: {
        waitingForApproval: ["prod"],
        outcome: ["*"],
        channels: { ops: { waitingForApproval: [] }, C0QUIET01: { outcome: [] } },
      },
    };
    const staging = runOf("deploy", { service: "api", env: "staging" });
    const prod = runOf("deploy", { service: "api", env: "prod" });
    expect(broadcastsOf(custom, staging, { id: "C0OTHER01" })).toEqual({ waitingForApproval: false, outcome: true });
    expect(broadcastsOf(custom, prod, { id: "C0OTHER01" })).toEqual({ waitingForApproval: true, outcome: true });
    expect(broadcastsOf(custom, prod, ops)).toEqual({ waitingForApproval: false, outcome: true });
    expect(broadcastsOf(custom, prod, { id: "C0QUIET01" })).toEqual({ waitingForApproval: true, outcome: false });
  });
});
