import { readFileSync } from "node:fs";
import { stripSlackMarkup } from "../../src/slack/strip-slack-markup.js";
import { parseText } from "../../src/parser/parse-text.js";
import type { Intent, ParamValue } from "../../src/parser/intent.js";
import { makeContext, MUTATING } from "./parse-context.js";

export interface CorpusCase {
  text: string;
  now?: string;
  tz?: string;
  expect: { runbook: string | null; params?: Record<string, ParamValue>; missing?: string[] };
}

export interface CaseResult {
  line: number;
  case: CorpusCase;
  intent: Intent;
  runbookOk: boolean;
  paramProblems: string[];
  wrongMutating: boolean;
}

export function readCorpus(file: string): CorpusCase[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as CorpusCase);
}

/** Runs every case through stripSlackMarkup + parseText, as the CLI and the console do. */
export function runCorpus(cases: readonly CorpusCase[]): CaseResult[] {
  return cases.map((c, i) => {
    const intent = parseText(stripSlackMarkup(c.text), makeContext(c.now, c.tz));
    const runbookOk = intent.runbook === c.expect.runbook;
    const paramProblems: string[] = [];
    if (runbookOk && c.expect.runbook !== null) {
      for (const [name, want] of Object.entries(c.expect.params ?? {})) {
        const got = intent.params[name];
        if (!sameValue(got, want)) paramProblems.push(`${name}: want ${JSON.stringify(want)} got ${JSON.stringify(got)}`);
      }
      if (c.expect.missing && JSON.stringify([...intent.missing].sort()) !== JSON.stringify([...c.expect.missing].sort())) {
        paramProblems.push(`missing: want ${JSON.stringify(c.expect.missing)} got ${JSON.stringify(intent.missing)}`);
      }
    }
    const wrongMutating = intent.runbook !== null && MUTATING.has(intent.runbook) && intent.runbook !== c.expect.runbook;
    return { line: i + 1, case: c, intent, runbookOk, paramProblems, wrongMutating };
  });
}

function sameValue(got: ParamValue | undefined, want: ParamValue): boolean {
  if (got === undefined) return false;
  if (typeof want === "string" && typeof got === "string" && /^\d{4}-\d\d-\d\dT/.test(want)) return got === want;
  return JSON.stringify(got) === JSON.stringify(want);
}

export function summarize(results: readonly CaseResult[]): {
  accuracy: number;
  paramAccuracy: number;
  wrongMutating: CaseResult[];
  failures: CaseResult[];
} {
  const ok = results.filter((r) => r.runbookOk).length;
  const withParams = results.filter((r) => r.runbookOk && r.case.expect.runbook !== null);
  const paramOk = withParams.filter((r) => r.paramProblems.length === 0).length;
  return {
    accuracy: ok / results.length,
    paramAccuracy: withParams.length ? paramOk / withParams.length : 1,
    wrongMutating: results.filter((r) => r.wrongMutating),
    failures: results.filter((r) => !r.runbookOk || r.paramProblems.length > 0),
  };
}
