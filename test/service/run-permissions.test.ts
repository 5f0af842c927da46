import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../src/config/load-config.js";
import { buildCatalog } from "../../src/parser/intent.js";
import { createOpsService, type OpsService } from "../../src/service/ops-service.js";
import type { Run } from "../../src/store/types.js";
import { exampleRunbooks } from "../support/fixtures.js";
import { openTestStore, type TestStore } from "../support/test-stores.js";

/**
 * Who may approve, edit and cancel a plan, through the service every front end calls. Prod's approvers
 * are U_BOB and the group S_ONCALL (U_CAROL); U_ADMIN is an admin; U_MALLORY is nobody in particular.
 */
describe("who may act on a plan", () => {
  let t: TestStore;
  let service: OpsService;
  let openProd: OpsService;
  const groups: Record<string, string[]> = { S_ONCALL: ["U_CAROL"] };

  const serviceWith = (config: Config) =>
    createOpsService({
      store: t.store,
      config,
      runbooks: exampleRunbooks,
      parseContext: { runbooks: exampleRunbooks, catalog: buildCatalog(config), timeZone: "UTC" },
      clock: () => new Date(),
      log: pino({ level: "silent" }),
      directory: { groupMembers: async (id) => groups[id] ?? [] },
    });

  beforeAll(async () => {
    t = await openTestStore("pglite");
    const example = loadConfig({});
    service = serviceWith({
      ...example,
      admins: { users: ["U_ADMIN"], groups: [] },
      approvals: {
        ...example.approvals,
        rules: [...example.approvals.rules, { env: "prod", approvers: { users: ["U_BOB"], groups: ["S_ONCALL"] } }],
      },
    });
    // The example config as shipped: nobody named as approver, prod protected.
    openProd = serviceWith(example);
  });
  afterAll(() => t.dispose());
  beforeEach(async () => {
    await t.db.query("TRUNCATE runs CASCADE");
  });

  const plan = async (text: string, user: string, using = service): Promise<Run> => {
    const result = await using.submitText(text, { user, source: "test" });
    if (result.kind !== "planned") throw new Error(result.kind);
    return result.run;
  };
  const edit = (using: OpsService, run: Run, user: string, ref = "v2.0.0") =>
    using.editPlan(run.id, { ...run.params, ref }, { user, source: "test" });

  it("refuses an edit by someone who neither requested nor may approve the plan, naming who may, and changes nothing", async () => {
    const run = await plan("deploy api to prod", "U_ALICE");
    await expect(edit(service, run, "U_MALLORY")).rejects.toMatchObject({
      code: "POLICY_NOT_ALLOWED",
      userMessage: "You can't edit Deploy in prod: only its requester (<@U_ALICE>) or its approvers (<@U_BOB>, <!subteam^S_ONCALL>) may.",
    });
    await expect(service.runToEdit(run.id, "U_MALLORY")).rejects.toMatchObject({ code: "POLICY_NOT_ALLOWED" });
    expect(await service.listRuns()).toMatchObject([{ id: run.id, status: "pending_approval", requesters: ["U_ALICE"] }]);
  });

  it("lets the requester and an approver (through a group too) edit", async () => {
    const run = await plan("deploy api to prod", "U_ALICE");
    const byRequester = await edit(service, run, "U_ALICE");
    const byGroupMember = await edit(service, byRequester.run, "U_CAROL", "v3.0.0");
    expect(byGroupMember.run).toMatchObject({ status: "pending_approval", requestedBy: "U_CAROL", requesters: ["U_ALICE", "U_CAROL"] });
    expect(await service.getRun(run.id)).toMatchObject({ status: "cancelled", supersededBy: byRequester.run.id });
  });

  it("counts everyone who requested or edited a plan as its requester: an edit click never stands in for the second person", async () => {
    const run = await plan("deploy api to prod", "U_BOB");
    const edited = await edit(service, run, "U_CAROL");
    await expect(service.approve(edited.run.id, "U_BOB")).rejects.toMatchObject({
      code: "POLICY_SELF_APPROVAL",
      userMessage: "You requested this prod plan, so someone else has to approve it.",
    });
    await expect(service.approve(edited.run.id, "U_CAROL")).rejects.toMatchObject({
      code: "POLICY_SELF_APPROVAL",
      userMessage: "You edited this prod plan, so someone else has to approve it.",
    });
    expect(await service.listApprovals(edited.run.id)).toEqual([]);
    expect(await service.getRun(edited.run.id)).toMatchObject({ status: "pending_approval" });
    expect(await service.listPendingApprovalsFor("U_CAROL")).toEqual([]);
  });

  it("reads which approvals count from the database: an editor's approval written past the store counts for nothing", async () => {
    const run = await plan("deploy api to prod", "U_BOB");
    const edited = await edit(service, run, "U_CAROL");
    await t.db.query("INSERT INTO approvals (run_id, approver, decision, plan_hash) VALUES ($1, 'U_CAROL', 'approve', $2)", [
      edited.run.id,
      edited.run.planHash,
    ]);
    expect(await service.describeRun(edited.run.id)).toMatchObject({
      approvalsCounted: 0,
      approvals: [{ approver: "U_CAROL", counts: false }],
    });
    await expect(t.db.query("UPDATE runs SET status = 'queued' WHERE id = $1", [edited.run.id])).rejects.toThrow(/has 0 of 1 approvals/);
  });

  it("refuses a cancel by someone who is not a requester, an approver or an admin, and lets each of those cancel", async () => {
    const runs = await Promise.all(["api", "web", "payments", "auth"].map((svc) => plan(`deploy ${svc} to prod`, "U_ALICE")));
    const [byRequester, byApprover, byAdmin, refused] = runs as [Run, Run, Run, Run];
    await expect(service.cancel(refused.id, "U_MALLORY")).rejects.toMatchObject({
      code: "POLICY_NOT_ALLOWED",
      userMessage:
        "You can't cancel Deploy in prod: only its requester (<@U_ALICE>), its approvers (<@U_BOB>, <!subteam^S_ONCALL>) or an admin (<@U_ADMIN>) may.",
    });
    expect(await service.getRun(refused.id)).toMatchObject({ status: "pending_approval", cancelRequestedBy: null });
    expect(await service.cancel(byRequester.id, "U_ALICE")).toMatchObject({ status: "cancelled", cancelRequestedBy: "U_ALICE" });
    expect(await service.cancel(byApprover.id, "U_CAROL")).toMatchObject({ status: "cancelled", cancelRequestedBy: "U_CAROL" });
    expect(await service.cancel(byAdmin.id, "U_ADMIN")).toMatchObject({ status: "cancelled", cancelRequestedBy: "U_ADMIN" });
  });

  it("refuses every prod approval while no approvers are configured, naming the config key to set", async () => {
    const run = await plan("deploy api to prod", "U_ALICE", openProd);
    await expect(openProd.approve(run.id, "U_BOB")).rejects.toMatchObject({
      code: "POLICY_NO_APPROVERS",
      userMessage: "Nobody may approve Deploy in prod yet: prod is protected and no approvers are set.",
      hint: "Set `approvals.approvers.users` (Slack user ids) or `approvals.approvers.groups` (user group ids) in the config file.",
    });
    expect(await openProd.listPendingApprovalsFor("U_BOB")).toEqual([]);
    // Unprotected environments keep the example's "no approvers named means anyone".
    const staging = await plan("deploy api to staging", "U_ALICE", openProd);
    expect(await openProd.approve(staging.id, "U_BOB")).toMatchObject({ outcome: "queued" });
  });

  it("names the matching rule's key when a rule emptied the approvers", async () => {
    const example = loadConfig({});
    const emptied = serviceWith({
      ...example,
      approvals: {
        ...example.approvals,
        approvers: { users: ["U_BOB"], groups: [] },
        rules: [...example.approvals.rules, { env: "prod", approvers: { users: [], groups: [] } }],
      },
    });
    const run = await plan("deploy api to prod", "U_ALICE", emptied);
    const index = example.approvals.rules.length;
    await expect(emptied.approve(run.id, "U_BOB")).rejects.toMatchObject({
      code: "POLICY_NO_APPROVERS",
      hint: expect.stringContaining(`\`approvals.rules[${index}].approvers.users\``),
    });
  });
});
