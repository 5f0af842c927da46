import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_RUNBOOKS_DIR } from "../../src/config/load-config.js";
import { runbookJsonSchemaText } from "../../src/runbook/runbook-json-schema.js";

describe("runbooks/runbook.schema.json", () => {
  it("equals the schema generated from RunbookSchema (regenerate with writeRunbookJsonSchema)", () => {
    const committed = readFileSync(path.join(DEFAULT_RUNBOOKS_DIR, "runbook.schema.json"), "utf8");
    expect(committed).toBe(runbookJsonSchemaText());
  });

  it("describes the input shape: fields with defaults are optional", () => {
    const schema = JSON.parse(runbookJsonSchemaText()) as { required: string[] };
    expect(schema.required).toEqual(expect.arrayContaining(["id", "title", "owner", "escalation", "risk", "triggers", "phases"]));
    expect(schema.required).not.toContain("params");
  });

  it("documents the params that drive approvals, protected environments, locks and scheduling", () => {
    const schema = JSON.parse(runbookJsonSchemaText()) as { properties: Record<string, { description?: string }> };
    const params = schema.properties.params?.description ?? "";
    for (const name of ["`env`", "`service`", "`flag`", "`at`", "protected", "lockKey", "schedules"]) expect(params).toContain(name);
    expect(schema.properties.lockKey?.description).toContain("one at a time");
  });
});
