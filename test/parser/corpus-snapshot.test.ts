import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config/load-config.js";
import { readCorpus, runCorpus } from "./corpus-report.js";

/**
 * Every labeled message's parse, kept per set in a reviewed snapshot (test/fixtures/parse/snapshots/):
 * a case that was right cannot break silently while a set's total holds. An intentional change updates
 * the snapshot in the same commit (`UPDATE_PARSE_SNAPSHOTS=1 npx vitest run test/parser/corpus-snapshot.test.ts`),
 * so its diff shows which messages changed and how. Confidence and alternatives are left out: they move
 * with any weight and say nothing a reviewer can check message by message.
 */
const FIXTURES = path.join(PROJECT_ROOT, "test/fixtures/parse");
const SNAPSHOTS = path.join(FIXTURES, "snapshots");
const UPDATE = process.env.UPDATE_PARSE_SNAPSHOTS === "1";

interface Snapshot {
  text: string;
  runbook: string | null;
  params: Record<string, unknown>;
  missing: string[];
  clarify: string | null;
}

const sets = readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".jsonl"))
  .map((f) => f.replace(/\.jsonl$/, ""))
  .sort();

function parsedNow(set: string): Snapshot[] {
  return runCorpus(readCorpus(path.join(FIXTURES, `${set}.jsonl`))).map((r) => ({
    text: r.case.text,
    runbook: r.intent.runbook,
    params: r.intent.params,
    missing: r.intent.missing,
    clarify: r.intent.clarify,
  }));
}

function readSnapshot(file: string): Snapshot[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Snapshot);
}

/** What changed for one message, in words: "runbook null → history; params.env: (none) → "prod"". */
function describeChange(before: Snapshot | undefined, after: Snapshot): string[] {
  if (!before) return ["not in the snapshot"];
  const out: string[] = [];
  const show = (v: unknown) => (v === undefined ? "(none)" : JSON.stringify(v));
  if (before.runbook !== after.runbook) out.push(`runbook ${show(before.runbook)} → ${show(after.runbook)}`);
  for (const key of new Set([...Object.keys(before.params), ...Object.keys(after.params)])) {
    const a = show(before.params[key]);
    const b = show(after.params[key]);
    if (a !== b) out.push(`params.${key}: ${a} → ${b}`);
  }
  if (show(before.missing) !== show(after.missing)) out.push(`missing ${show(before.missing)} → ${show(after.missing)}`);
  if (before.clarify !== after.clarify) out.push(`clarify ${show(before.clarify)} → ${show(after.clarify)}`);
  return out;
}

describe("per-message parse snapshots of every labeled set", () => {
  it("has a labeled set to guard", () => {
    expect(sets.length).toBeGreaterThanOrEqual(5);
  });

  for (const set of sets) {
    it(`${set}: every message parses as its reviewed snapshot says`, () => {
      const file = path.join(SNAPSHOTS, `${set}.jsonl`);
      const now = parsedNow(set);
      if (UPDATE) {
        writeFileSync(file, now.map((s) => JSON.stringify(s)).join("\n") + "\n");
        return;
      }
      const snapshot = readSnapshot(file);
      const changes: string[] = [];
      now.forEach((after, i) => {
        const before = snapshot[i]?.text === after.text ? snapshot[i] : snapshot.find((s) => s.text === after.text);
        const diff = describeChange(before, after);
        if (diff.length > 0) changes.push(`  ${set} line ${i + 1} ${JSON.stringify(after.text)}: ${diff.join("; ")}`);
      });
      const gone = snapshot.filter((s) => !now.some((n) => n.text === s.text));
      for (const s of gone) changes.push(`  ${set}: ${JSON.stringify(s.text)} is in the snapshot but no longer labeled`);
      if (changes.length > 0)
        console.log(
          `${set}: ${changes.length} message(s) parse differently from the snapshot (UPDATE_PARSE_SNAPSHOTS=1 to accept):\n${changes.join("\n")}`,
        );
      expect(changes).toEqual([]);
    });
  }
});
