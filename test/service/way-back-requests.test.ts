/**
 * Every way back triage offers is one request two ways: a button (runbook + params) and words to type in
 * the console or Slack. Both must plan the same thing.
 */
import { describe, expect, it } from "vitest";
import { createReportAdapter } from "../../adapters/report/index.js";
import type { ChangeEvidence, SymptomEvidence } from "../../adapters/shared/evidence.js";
import { parseText } from "../../src/parser/parse-text.js";
import { fakeClock, makeCtx } from "../adapters/helpers.js";
import { makeContext } from "../parser/parse-context.js";

const report = createReportAdapter({ clock: fakeClock(Date.parse("2026-01-07T10:00:00Z")) });
const T = (hhmm: string) => `2026-01-07T${hhmm}:00.000Z`;

const change = (over: Partial<ChangeEvidence>): ChangeEvidence => ({
  type: "change",
  kind: "deploy",
  service: "payments",
  env: "prod",
  at: T("09:40"),
  endedAt: T("09:41"),
  summary: "a change",
  source: "GitHub deployments",
  provider: "github",
  reached: true,
  state: "success",
  ...over,
});
const errorsIn = (service: string): SymptomEvidence => ({
  type: "symptom",
  kind: "errors",
  service,
  env: "prod",
  at: T("09:42"),
  summary: "errors",
  source: "logs",
  provider: "http",
  windowStart: T("09:00"),
  signature: { signature: "TypeError: x", count: 9, firstSeen: T("09:42"), lastSeen: T("09:50"), samples: ["TypeError: x"] },
});
const unhealthy = (service: string): SymptomEvidence => ({
  ...errorsIn(service),
  kind: "health",
  signature: null,
  healthy: false,
  detail: "500",
});

const cases: Array<[string, { service: string; restartable?: string[]; changes: ChangeEvidence[]; symptoms: SymptomEvidence[] }]> = [
  [
    "a GitHub deploy, rolled back to the commit before it",
    {
      service: "payments",
      changes: [
        change({ sha: "b84d88e7554fc1fa21bcbc4efae3c782a70d2b9e", ref: "v1.4.1" }),
        change({ at: T("08:00"), endedAt: null, sha: "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d", ref: "v1.4.0", state: "inactive" }),
      ],
      symptoms: [errorsIn("payments")],
    },
  ],
  [
    "an App Platform deploy rolled back, and the unhealthy app restarted",
    {
      service: "worker",
      restartable: ["worker"],
      changes: [change({ service: "worker", provider: "digitalocean", state: "ACTIVE" })],
      symptoms: [errorsIn("worker"), unhealthy("worker")],
    },
  ],
  [
    "a flag turned off",
    {
      service: "payments",
      changes: [
        change({
          kind: "flag",
          service: null,
          provider: "supabase",
          flag: { key: "homeDemoVariant", enabled: true, rolloutPercentage: 25, previous: null },
        }),
      ],
      symptoms: [errorsIn("payments")],
    },
  ],
  [
    "a flag put back to its previous percentage",
    {
      service: "payments",
      changes: [
        change({
          kind: "flag",
          service: null,
          provider: "opsroom",
          flag: { key: "homeDemoVariant", enabled: true, rolloutPercentage: 50, previous: { enabled: true, rolloutPercentage: 10 } },
        }),
      ],
      symptoms: [errorsIn("payments")],
    },
  ],
];

describe("the way back", () => {
  it.each(cases)("%s: the words plan what the button plans", async (_name, scenario) => {
    const result = await report.actions.triage!.run(
      {
        service: scenario.service,
        env: "prod",
        restartable: scenario.restartable ?? [],
        evidence: {
          changes: { uses: "history.listChanges", data: { evidence: scenario.changes } },
          symptoms: { uses: "http.fetchLogs", data: { evidence: scenario.symptoms } },
        },
      },
      makeCtx(),
    );
    const ways = (result.data as { wayBack: Array<{ text: string; runbook: string; params: Record<string, unknown> }> }).wayBack;
    expect(ways.length).toBeGreaterThan(0);
    for (const way of ways) {
      const intent = parseText(way.text, makeContext("2026-01-07T10:00:00Z"));
      expect({ runbook: intent.runbook, params: intent.params, missing: intent.missing }, way.text).toEqual({
        runbook: way.runbook,
        params: way.params,
        missing: [],
      });
    }
  });

  it("offers the revert pull request in words that plan it too", () => {
    const intent = parseText("open a revert pr of payments b84d88e to a84d88e", makeContext("2026-01-07T10:00:00Z"));
    expect(intent).toMatchObject({
      runbook: "revert-pr",
      params: { service: "payments", env: "prod", badSha: "b84d88e", goodSha: "a84d88e" },
      missing: [],
    });
  });
});
