import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config/load-config.js";
import { readCorpus, runCorpus, summarize, type CaseResult } from "./corpus-report.js";

const FIXTURES = path.join(PROJECT_ROOT, "test/fixtures/parse");
const EVERY_RUNBOOK_AND_NULL = [
  "deploy",
  "rollback",
  "healthcheck",
  "incident-triage",
  "logs",
  "schema-sync",
  "spec",
  "flag",
  "migrate",
  "ops-board",
  "restart",
  "scale",
  "help",
  null,
];

/** Runs a labeled set: never a wrong mutating runbook, and at least `minAccuracy` right. */
function expectHoldsUp(name: string, cases: Parameters<typeof runCorpus>[0], minAccuracy: number): void {
  const s = report(name, runCorpus(cases));
  expect(s.wrongMutating.map((r) => r.case.text)).toEqual([]);
  expect(s.accuracy).toBeGreaterThanOrEqual(minAccuracy);
}

function report(name: string, results: readonly CaseResult[]): ReturnType<typeof summarize> {
  const s = summarize(results);
  const lines = s.failures.map(
    (r) =>
      `  line ${r.line}: ${JSON.stringify(r.case.text)} expected ${r.case.expect.runbook} got ${r.intent.runbook}${r.wrongMutating ? " (WRONG MUTATING)" : ""} ${r.paramProblems.join("; ")}`,
  );
  console.log(
    `${name}: runbook accuracy ${(s.accuracy * 100).toFixed(1)}% (${results.length} messages), params ${(s.paramAccuracy * 100).toFixed(1)}%, wrong mutating ${s.wrongMutating.length}${lines.length ? `\n${lines.join("\n")}` : ""}`,
  );
  return s;
}

describe("labeled Slack corpus", () => {
  const cases = readCorpus(path.join(FIXTURES, "corpus.jsonl"));

  it("has at least 300 messages covering every runbook and the null cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(300);
    const runbooks = new Set(cases.map((c) => c.expect.runbook));
    for (const id of EVERY_RUNBOOK_AND_NULL) expect(runbooks.has(id)).toBe(true);
  });

  it("picks the right runbook for at least 97% and never a wrong mutating one", () => {
    expectHoldsUp("corpus", cases, 0.97);
  });

  it("reads the expected params where the runbook is right", () => {
    const s = summarize(runCorpus(cases));
    expect(s.paramAccuracy).toBeGreaterThanOrEqual(0.95);
  });
});

describe("second set of phrasings, written after the parser", () => {
  const cases = readCorpus(path.join(FIXTURES, "holdout.jsonl"));

  it("keeps 97% and no wrong mutating runbook", () => {
    expectHoldsUp("holdout", cases, 0.97);
  });
});

describe("third set: 190 phrasings written before looking at the parser's answers", () => {
  const cases = readCorpus(path.join(FIXTURES, "probe-2.jsonl"));

  it("covers every runbook, missing params and the null cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(150);
    const runbooks = new Set(cases.map((c) => c.expect.runbook));
    for (const id of EVERY_RUNBOOK_AND_NULL) expect(runbooks.has(id)).toBe(true);
  });

  it("keeps 95% and no wrong mutating runbook", () => {
    expectHoldsUp("probe-2", cases, 0.95);
  });
});

// Written in session 2 before running them: 180 phrasings, 97% right on the first run, with one wrong
// mutating runbook ("put checkout back to the previous release" read as a deploy) that was then fixed
// in the runbook's triggers. Three stay wrong on purpose (labels say what a person meant): "need payments
// on staging asap", "what happened to payments around 3pm yesterday", "add 2 more replicas to checkout".
describe("fourth set: 180 phrasings written before looking at the parser's answers", () => {
  const cases = readCorpus(path.join(FIXTURES, "probe-3.jsonl"));

  it("keeps 95% and no wrong mutating runbook", () => {
    expectHoldsUp("probe-3", cases, 0.95);
  });
});

// Written for issue 15 before changing the parser (negations and hedges, health questions vs trouble,
// terse commands, adjusting verbs, refs as paths, comparisons, questions about the past, staged rollouts,
// the checklist, flag users): 50.2% right on the first run with 9 wrong mutating runbooks.
describe("fifth set: 215 phrasings of issue 15's families, written before changing the parser", () => {
  const cases = readCorpus(path.join(FIXTURES, "probe-4.jsonl"));

  it("covers the contract's new runbooks and the null cases", () => {
    const runbooks = new Set(cases.map((c) => c.expect.runbook));
    for (const id of ["history", "rollout", "checklist", "schema-sync", "migrate", "flag", null]) expect(runbooks.has(id)).toBe(true);
  });

  it("never picks a wrong mutating runbook, and keeps 90%", () => {
    expectHoldsUp("probe-4", cases, 0.9);
  });
});

// Written for issue 15's remaining families before changing the parser (flag users by id, email, @name and
// Slack mention, added and removed; relative scaling that must ask for the count; "all good in prod?"):
// 41.4% right on the first run (params 57.1%), no wrong mutating runbook; 79.3% (params 100%) after. Still
// wrong: "take @lee off X", "let … try X", "give X two extra instances", "we need 2 more api pods", "drop
// one replica from web" (read as no command: "give" and "drop" as verbs broke chatter like "give me 10 min").
describe("sixth set: flag users, relative scaling, 'all good?' questions, written before changing the parser", () => {
  const cases = readCorpus(path.join(FIXTURES, "probe-5.jsonl"));

  it("never picks a wrong mutating runbook, and keeps 75%", () => {
    expectHoldsUp("probe-5", cases, 0.75);
  });
});

// Written after issue 15's families were in, from phrasings of each family not seen before (health questions
// naming problems or issues, queues "backing up", CLI-style flag values, users taken off a flag, refs as
// paths, history questions) and chatter that must stay null: 83.7% right on the first run (params 93.1%), no
// wrong mutating runbook; 100% after. "jobs are backed up" stays an idiom ("I backed up the db" is no trouble).
describe("seventh set: each family's phrasings not seen before, written before changing the parser", () => {
  const cases = readCorpus(path.join(FIXTURES, "probe-6.jsonl"));

  it("never picks a wrong mutating runbook, and keeps 95%", () => {
    expectHoldsUp("probe-6", cases, 0.95);
  });
});

// Written by a helper who had not read the parser or the other sets (87 phrasings across every runbook,
// Slack style, polite and indirect requests, relative scale, 18% hard chatter): 79.3% right on the first
// run (params 96.2%), no wrong mutating runbook.
describe("eighth set: an unseen writer's phrasings across every runbook, written before changing the parser", () => {
  const cases = readCorpus(path.join(FIXTURES, "probe-7.jsonl"));

  it("never picks a wrong mutating runbook, and keeps 90%", () => {
    expectHoldsUp("probe-7", cases, 0.9);
  });
});

// The issue's seven families again, by the same kind of writer after this session's fixes (100 phrasings):
// 95% right on the first run (params 93.4%); its one wrong mutating pick (a flag status for "pls don't touch
// FSYNC_USE_RPC in prod") is null now.
describe("ninth set: the seven families in phrasings not seen before, written after the probe-7 fixes", () => {
  const cases = readCorpus(path.join(FIXTURES, "probe-8.jsonl"));

  it("never picks a wrong mutating runbook, and keeps 95%", () => {
    expectHoldsUp("probe-8", cases, 0.95);
  });
});
