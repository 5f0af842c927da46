import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import { buildCatalog } from "../../src/parser/intent.js";
import { createOpsService, type OpsService } from "../../src/service/ops-service.js";
import { exampleRunbooks } from "../support/fixtures.js";
import { openTestStore, type TestStore } from "../support/test-stores.js";

describe("ops service", () => {
  let t: TestStore;
  let service: OpsService;
  let preflights = 0;
  const groups: Record<string, string[]> = { S_ONCALL: ["U_CAROL"] };

  beforeAll(async () => {
    t = await openTestStore("pglite");
    const config = loadConfig({});
    const policy = {
      ...config,
      approvals: {
        ...config.approvals,
        rules: [...config.approvals.rules, { env: "prod", approvers: { users: ["U_BOB"], groups: ["S_ONCALL"] } }],
      },
    };
    service = createOpsService({
      store: t.store,
      config: policy,
      runbooks: exampleRunbooks,
      parseContext: { runbooks: exampleRunbooks, catalog: buildCatalog(config), timeZone: "UTC" },
      clock: () => new Date(),
      log: pino({ level: "silent" }),
      directory: { groupMembers: async (id) => groups[id] ?? [] },
      preflight: async () => {
        preflights++;
        return { ok: true, summaries: ["3 commits to ship"] };
      },
    });
  });
  afterAll(() => t.dispose());
  beforeEach(async () => {
    preflights = 0;
    await t.db.query("TRUNCATE runs CASCADE");
  });

  const alice = { user: "U_ALICE", source: "test" };

  it("queues a read-only request at once", async () => {
    const result = await service.submitText("check dev status", alice);
    expect(result).toMatchObject({ kind: "planned", run: { status: "queued", runbook: "healthcheck" } });
    expect(preflights).toBe(0);
  });

  it("holds a mutating request for approval after its preflight", async () => {
    const result = await service.submitText("deploy api to staging", alice);
    expect(result).toMatchObject({ kind: "planned", run: { status: "pending_approval" }, preflight: { ok: true } });
    expect(preflights).toBe(1);
  });

  it("returns the same run, without a second preflight, for a repeated delivery", async () => {
    const first = await service.submitText("deploy api to staging", { ...alice, idempotencyKey: "Ev1" });
    const again = await service.submitText("deploy api to staging", { ...alice, idempotencyKey: "Ev1" });
    expect(first.kind === "planned" && again.kind === "planned" && again.run.id === first.run.id).toBe(true);
    expect(again).toMatchObject({ created: false });
    expect(preflights).toBe(1);
  });

  it("lets only configured approvers approve prod, and never the requester", async () => {
    const result = await service.submitText("deploy api to prod", alice);
    if (result.kind !== "planned") throw new Error(result.kind);
    await expect(service.approve(result.run.id, "U_MALLORY")).rejects.toMatchObject({ code: "POLICY_NOT_APPROVER" });
    await expect(service.approve(result.run.id, "U_ALICE")).rejects.toMatchObject({ code: "POLICY_NOT_APPROVER" });
    expect(await service.approve(result.run.id, "U_CAROL")).toMatchObject({ outcome: "queued" });
  });

  it("refuses self-approval in prod even for an approver", async () => {
    const result = await service.submitText("deploy api to prod", { user: "U_BOB", source: "test" });
    if (result.kind !== "planned") throw new Error(result.kind);
    await expect(service.approve(result.run.id, "U_BOB")).rejects.toMatchObject({ code: "POLICY_SELF_APPROVAL" });
  });

  it("answers a non-command with what it can do, and creates nothing", async () => {
    const result = await service.submitText("thanks, that was quick!", alice);
    expect(result.kind).toBe("not-command");
    expect(await service.listRuns()).toHaveLength(0);
  });

  it("asks for a missing required param instead of guessing", async () => {
    const result = await service.submitText("deploy api", alice);
    expect(result.kind).toBe("clarify");
    expect(result.kind === "clarify" && result.question).toMatch(/dev|staging|prod/);
    expect(await service.listRuns()).toHaveLength(0);
  });

  it("refuses a plan for an unknown service with the known ones listed", async () => {
    await expect(service.submitPlan("deploy", { service: "mainframe", env: "staging" }, alice)).rejects.toMatchObject({
      code: "PLAN_UNKNOWN_SERVICE",
      userMessage: expect.stringContaining("known: api, web"),
    });
  });
});
