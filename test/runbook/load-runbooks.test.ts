import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createAdapters } from "../../adapters/index.js";
import { ConfigError } from "../../src/errors.js";
import { createActionLookup } from "../../src/executor/action-catalog.js";
import { loadRunbooks } from "../../src/runbook/load-runbooks.js";

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "opsroom-runbooks-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const valid = `id: ping
title: Ping
owner: platform
escalation: "@oncall"
risk: read
triggers: { verbs: [ping] }
phases:
  action:
    - id: ping
      uses: http.check
      with: { url: "https://example.com" }
`;

describe("loadRunbooks", () => {
  it("loads a valid runbook with defaults filled in", () => {
    const [runbook] = loadRunbooks(dirWith({ "ping.yml": valid }));
    expect(runbook).toMatchObject({
      id: "ping",
      risk: "read",
      timeoutSeconds: 900,
      rollback: [],
      phases: { validate: [], action: [{ id: "ping" }] },
    });
  });

  it("names file, line and field for each problem in a broken runbook", () => {
    const broken = valid.replace("risk: read", "risk: maybe").replace("uses: http.check", "uses: http-check");
    const dir = dirWith({ "broken.yml": broken });
    let error: ConfigError | undefined;
    try {
      loadRunbooks(dir);
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const file = path.join(dir, "broken.yml");
    expect(error?.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ file, line: 5, field: "risk" }),
        expect.objectContaining({ file, line: 10, field: "phases.action[0].uses", message: expect.stringContaining("adapter.action") }),
      ]),
    );
  });

  it("rejects steps that call an action no adapter has", () => {
    const dir = dirWith({ "ping.yml": valid });
    expect(() =>
      loadRunbooks(dir, (uses) =>
        uses === "http.check" ? { known: false, reason: 'adapter "http" has no action "check"' } : { known: true },
      ),
    ).toThrow(/ping\.yml:10: phases\.action\[0\]\.uses: adapter "http" has no action "check"/);
  });

  it("reports duplicate runbook ids across files", () => {
    expect(() => loadRunbooks(dirWith({ "a.yml": valid, "b.yml": valid }))).toThrow(/duplicate runbook id "ping"/);
  });

  describe("checks static step arguments against the action's schema", () => {
    const catalog = createActionLookup(createAdapters()).catalog;
    const issuesOf = (text: string) => {
      const dir = dirWith({ "ping.yml": text });
      try {
        loadRunbooks(dir, catalog);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return error.issues.map((i) => ({ ...i, file: path.basename(i.file) }));
      }
      return [];
    };

    it("names a misspelt argument at its own line, with the arguments the action takes", () => {
      const typo = valid.replace('with: { url: "https://example.com" }', 'with:\n        name: ping\n        ur1: "https://example.com"');
      expect(issuesOf(typo)).toEqual([
        { file: "ping.yml", line: 11, field: "phases.action[0].with.url", message: "required by http.check" },
        {
          file: "ping.yml",
          line: 13,
          field: "phases.action[0].with.ur1",
          message: expect.stringMatching(/^unknown argument of http\.check \(it takes name, url, /),
        },
      ]);
    });

    it("refuses a literal value the action refuses, quoting it", () => {
      const bad = valid.replace('with: { url: "https://example.com" }', 'with: { name: ping, url: "ftp://example.com", timeoutMs: 0 }');
      expect(issuesOf(bad)).toEqual([
        expect.objectContaining({
          line: 11,
          field: "phases.action[0].with.url",
          message: 'must be an http:// or https:// URL (got "ftp://example.com")',
        }),
        expect.objectContaining({ line: 11, field: "phases.action[0].with.timeoutMs", message: "must be at least 1 (got 0)" }),
      ]);
    });

    it("leaves templated values to the run, where they are checked after rendering", () => {
      const templated = valid.replace(
        'with: { url: "https://example.com" }',
        'with: { name: "{{ params.env }}", url: "{{ target.healthUrl }}", timeoutMs: "{{ params.t }}" }',
      );
      expect(issuesOf(templated)).toEqual([]);
    });

    it("finds nothing to report in the shipped runbooks", () => {
      expect(loadRunbooks(path.resolve(import.meta.dirname, "../../runbooks"), catalog).length).toBeGreaterThan(10);
    });
  });
});
