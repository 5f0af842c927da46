import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
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
});
