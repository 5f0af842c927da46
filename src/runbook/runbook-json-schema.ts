import { writeFileSync } from "node:fs";
import { z } from "zod";
import { RunbookSchema } from "./runbook-schema.js";

/**
 * The JSON Schema of a runbook file, generated from the zod schema (the one source of truth) so that
 * editors validate and complete runbooks/*.yml (`# yaml-language-server: $schema=./runbook.schema.json`).
 * `io: "input"`: it describes what a file may contain, so fields with defaults are optional.
 *
 * @example writeRunbookJsonSchema("runbooks/runbook.schema.json")
 */
export function buildRunbookJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(RunbookSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return {
    ...schema,
    title: "opsroom runbook",
    description: "A runbook file in runbooks/*.yml. Generated from src/runbook/runbook-schema.ts; do not edit by hand.",
  };
}

/** The file's exact text: two-space indented JSON with a final newline. */
export function runbookJsonSchemaText(): string {
  return `${JSON.stringify(buildRunbookJsonSchema(), null, 2)}\n`;
}

/** Writes the schema file; run after changing RunbookSchema (a test fails while the two differ). */
export function writeRunbookJsonSchema(path: string): void {
  writeFileSync(path, runbookJsonSchemaText());
}
