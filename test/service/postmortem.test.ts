/** The postmortem draft, section by section, from what opsroom saw, ran and found in an incident channel. */
import { describe, expect, it } from "vitest";
import type { Plan } from "../../src/planner/plan.js";
import { isPostmortemRequest } from "../../src/service/incident-use-cases.js";
import { POSTMORTEM_SECTIONS, renderPostmortem, type PostmortemInput } from "../../src/service/postmortem.js";
import type { TriageOutcome } from "../../src/service/triage-results.js";
import type { Approval, Run } from "../../src/store/types.js";

const at = (hhmm: string) => new Date(`2026-01-07T${hhmm}:00Z`);

function run(over: Partial<Run> & { owner?: string; escalation?: string }): Run {
  const { owner = "sre", escalation = "#incident-response", ...rest } = over;
  return {
    id: "11111111-0000-4000-8000-000000000000",
    runbook: "incident-triage",
    title: "Incident triage",
    params: { service: "payments", env: "prod" },
    plan: { owner, escalation } as Plan,
    planHash: "h",
    env: "prod",
    service: "payments",
    mutating: false,
    status: "succeeded",
    requestedBy: "U0CAROL01",
    requesters: ["U0CAROL01"],
    source: "slack",
    origin: { channel: "C0INC0001" },
    idempotencyKey: null,
    lockKey: null,
    requiredApprovals: 0,
    selfApproval: true,
    runAt: at("10:05"),
    expiresAt: null,
    workerId: null,
    leaseExpiresAt: null,
    attempts: 1,
    mutationStarted: false,
    mutatingStep: null,
    outcomeUnknown: false,
    cancelRequestedAt: null,
    cancelRequestedBy: null,
    supersededBy: null,
    failedStep: null,
    error: null,
    summary: null,
    createdAt: at("10:05"),
    updatedAt: at("10:05"),
    startedAt: at("10:05"),
    finishedAt: at("10:06"),
    ...rest,
  };
}

const triageRun = run({});
const rollback = run({
  id: "22222222-0000-4000-8000-000000000000",
  runbook: "rollback",
  title: "Roll back",
  params: { service: "payments", env: "prod", ref: "a84d88e7554f" },
  owner: "platform",
  escalation: "@oncall-platform",
  mutating: true,
  requestedBy: "U0DAVE001",
  createdAt: at("10:08"),
  startedAt: at("10:10"),
  finishedAt: at("10:14"),
});
const approval: Approval = {
  runId: rollback.id,
  approver: "U0ALICE01",
  decision: "approve",
  planHash: "h",
  counts: true,
  overrideReason: null,
  createdAt: at("10:09"),
};

const triage: TriageOutcome = {
  run: triageRun,
  fix: {
    proposed: true,
    file: "src/payments/charge.ts",
    line: 41,
    sha: "b84d88e7554f",
    revert: {
      label: "Open a revert PR for b84d88e",
      text: "open a revert pr of payments b84d88e to a84d88e",
      runbook: "revert-pr",
      params: {},
    },
  },
  triage: {
    service: "payments",
    env: "prod",
    symptom: "throwing 500s",
    since: null,
    timeZone: "UTC",
    onset: "2026-01-07T09:42:00.000Z",
    suspects: [
      {
        rank: 1,
        kind: "deploy",
        service: "payments",
        at: "2026-01-07T09:40:00.000Z",
        summary: "deploy of acme/payments@b84d88e (v1.4.1) to prod by octocat: success",
        rule: "reached prod (success); ended 1 min before `TypeError` was first seen in payments at 09:42; same service (payments)",
        evidence: "deploy of acme/payments@b84d88e at 09:40; `TypeError` first seen 09:42, 312 times since",
        sources: ["GitHub deployments"],
        link: "https://github.com/acme/payments/commit/b84d88e",
      },
    ],
    noSuspect: null,
    ruledOut: [
      { summary: "flag homeDemoVariant changed (now on at 25%)", reason: "came after `TypeError` was first seen in payments at 09:42" },
    ],
    signatures: [],
    health: [],
    notChecked: [{ what: "Supabase logs", why: "set SUPABASE_ACCESS_TOKEN" }],
    wayBack: [
      {
        label: "Roll back payments in prod to a84d88e (v1.4.0)",
        text: "roll back payments in prod to a84d88e7554f",
        runbook: "rollback",
        params: { service: "payments", env: "prod", ref: "a84d88e7554f" },
      },
    ],
    timeline: [
      { at: "2026-01-07T09:40:00.000Z", kind: "change", text: "deploy of acme/payments@b84d88e (v1.4.1) [GitHub deployments]", link: null },
      { at: "2026-01-07T09:42:00.000Z", kind: "symptom", text: "new error in payments: `TypeError` — 312 times", link: null },
    ],
  },
};

const input = (over: Partial<PostmortemInput> = {}): PostmortemInput => ({
  place: "C0INC0001",
  now: at("10:30"),
  timeZone: "UTC",
  triage,
  runs: [
    { run: triageRun, approvals: [] },
    { run: rollback, approvals: [approval] },
  ],
  messages: [
    { channel: "C0INC0001", ts: "1767780180.000100", userId: "U0CAROL01", text: "payments is throwing 500s in prod", at: at("10:03") },
  ],
  owners: { services: { payments: "payments" }, flags: {} },
  summaryLink: "https://slack.com/archives/C0INC0001/p1767780300000100",
  ...over,
});

/** The lines of one `## Section`. */
function section(markdown: string, name: string): string[] {
  const body = markdown.split(`\n## ${name}\n\n`)[1] ?? "";
  return body.split("\n\n## ")[0]!.trimEnd().split("\n");
}

describe("the postmortem draft", () => {
  const draft = renderPostmortem(input());

  it("is a markdown file named for the service, env and day, with every section in order", () => {
    expect(draft.title).toBe("Postmortem draft: payments in prod (2026-01-07)");
    expect(draft.filename).toBe("postmortem-payments-in-prod-2026-01-07.md");
    const headings = draft.markdown
      .split("\n")
      .filter((l) => l.startsWith("## "))
      .map((l) => l.slice(3));
    expect(headings).toEqual([...POSTMORTEM_SECTIONS]);
  });

  it("Summary: the symptom, the likely cause with the rule that named it, and what mitigated it", () => {
    expect(section(draft.markdown, "Summary")).toEqual([
      "Throwing 500s in payments in prod.",
      "Likely cause: deploy of acme/payments@b84d88e (v1.4.1) to prod by octocat: success (reached prod (success); ended 1 min before `TypeError` was first seen in payments at 09:42; same service (payments)).",
      "Mitigated by Roll back of payments in prod (ref=a84d88e7554f).",
      "Root cause and impact on people: _fill in_.",
    ]);
  });

  it("Impact window: from the first new error to the rollback that succeeded", () => {
    expect(section(draft.markdown, "Impact window")).toEqual([
      "- Started: 09:42 (first new error or health drop in the evidence)",
      "- Detected: 10:03 (first message or run in <#C0INC0001>)",
      "- Mitigated: 10:14 — Roll back of payments succeeded",
      "- Duration: 32 min",
      "- Times are in UTC.",
    ]);
  });

  it("Timeline: the changes and symptoms, the channel's messages, the runs, their approvals and outcomes, in order", () => {
    expect(section(draft.markdown, "Timeline")).toEqual([
      "- 09:40 Change: deploy of acme/payments@b84d88e (v1.4.1) [GitHub deployments]",
      "- 09:42 Symptom: new error in payments: `TypeError` — 312 times",
      "- 10:03 U0CAROL01 wrote: “payments is throwing 500s in prod”",
      "- 10:05 U0CAROL01 asked for Incident triage of payments in prod",
      "- 10:06 Incident triage of payments succeeded",
      "- 10:08 U0DAVE001 asked for Roll back of payments in prod (ref=a84d88e7554f)",
      "- 10:09 U0ALICE01 approved Roll back",
      "- 10:14 Roll back of payments succeeded",
    ]);
  });

  it("Suspects: each with why it counts, its evidence and link; what was ruled out and the rule", () => {
    expect(section(draft.markdown, "Suspects")).toEqual([
      "1. deploy of acme/payments@b84d88e (v1.4.1) to prod by octocat: success",
      "   - Why: reached prod (success); ended 1 min before `TypeError` was first seen in payments at 09:42; same service (payments)",
      "   - Evidence: deploy of acme/payments@b84d88e at 09:40; `TypeError` first seen 09:42, 312 times since",
      "   - Link: https://github.com/acme/payments/commit/b84d88e",
      "",
      "Ruled out:",
      "- flag homeDemoVariant changed (now on at 25%): came after `TypeError` was first seen in payments at 09:42",
      "",
      "_Rule: a change counts only if it reached the environment, ended shortly before a new error signature or health drop, and touched the same service (triage run 11111111)._",
    ]);
  });

  it("Actions taken: every change run from the channel, who asked, who approved, how it ended", () => {
    expect(section(draft.markdown, "Actions taken")).toEqual([
      "- 10:08 Roll back of payments in prod (ref=a84d88e7554f) — asked by U0DAVE001, approved by U0ALICE01; succeeded",
    ]);
  });

  it("Owners and escalation: the service's owner from the config, each runbook's owner and escalation", () => {
    expect(section(draft.markdown, "Owners and escalation")).toEqual([
      "- Service payments: owner payments",
      "- Runbook incident-triage: owner sre, escalation #incident-response",
      "- Runbook rollback: owner platform, escalation @oncall-platform",
    ]);
  });

  it("Rollback: what was rolled back, and the ways back offered but not taken", () => {
    expect(section(draft.markdown, "Rollback")).toEqual([
      "- Roll back of payments in prod (ref=a84d88e7554f): succeeded (the mitigation)",
      "- Offered, not taken: Open a revert PR for b84d88e (`open a revert pr of payments b84d88e to a84d88e`)",
    ]);
  });

  it("Communication: the channel, the summary message, the escalation contacts, and what people fill in", () => {
    expect(section(draft.markdown, "Communication")).toEqual([
      "- Incident channel: <#C0INC0001>; 1 message seen by opsroom.",
      "- The triage summary, kept up to date as runs happen: https://slack.com/archives/C0INC0001/p1767780300000100",
      "- Escalation contacts of the runbooks used: #incident-response, @oncall-platform.",
      "- Who told customers and support, and when: _fill in_.",
    ]);
  });

  it("Open follow-ups: the code to fix, the sources triage could not read, the root cause", () => {
    expect(section(draft.markdown, "Open follow-ups")).toEqual([
      "- [ ] Fix the code: src/payments/charge.ts:41 changed in b84d88e (a revert PR was offered)",
      "- [ ] Let triage read Supabase logs: set SUPABASE_ACCESS_TOKEN",
      "- [ ] Write the root cause and what changes so it does not happen again",
    ]);
  });

  it("before any mitigation says so, and lists the way back, the plans waiting and the runs that failed as follow-ups", () => {
    const waiting = { ...rollback, status: "pending_approval" as const, startedAt: null, finishedAt: null };
    const failed = run({
      id: "33333333-0000-4000-8000-000000000000",
      runbook: "restart",
      title: "Restart",
      mutating: true,
      status: "failed",
      failedStep: "restart",
      createdAt: at("10:20"),
      finishedAt: at("10:21"),
      error: "DigitalOcean: 503",
    });
    const open = renderPostmortem(
      input({
        runs: [
          { run: triageRun, approvals: [] },
          { run: waiting, approvals: [] },
          { run: failed, approvals: [] },
        ],
      }),
    );
    expect(section(open.markdown, "Impact window")[2]).toBe("- Mitigated: not yet: no change that undoes it has succeeded");
    expect(section(open.markdown, "Open follow-ups").slice(0, 3)).toEqual([
      "- [ ] Take the way back, or decide not to: Roll back payments in prod to a84d88e (v1.4.0) (`roll back payments in prod to a84d88e7554f`)",
      "- [ ] Roll back of payments is waiting for approval (run 22222222)",
      "- [ ] Restart of payments failed at restart: retry it or fix the cause (run 33333333)",
    ]);
  });
});

describe("a request for the postmortem", () => {
  it.each([
    ["timeline", true],
    ["postmortem", true],
    ["write the postmortem", true],
    ["Write the post-mortem please", true],
    ["draft a write-up", true],
    ["give me the incident report", true],
    ["the timeline slipped again", false],
    ["I'll write the postmortem tomorrow", false],
    ["payments is down", false],
  ])("%s → %s", (text, expected) => {
    expect(isPostmortemRequest(text)).toBe(expected);
  });
});
