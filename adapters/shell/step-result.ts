import { z } from "zod";
import type { StepResult } from "../types.js";

/**
 * What a command run with `stepResult: true` prints on standard output: one JSON object, the step's result.
 * `data` is what later steps read as `steps.<id>.data`; `summary` the line people see.
 *
 * @example {"summary":"api in dev: v1.3.0 is live","data":{"sha":"7f7ea10…"},"artifacts":[{"kind":"text","title":"Commits shipped","content":"…"}]}
 */
const stepResultSchema = z.object({
  summary: z.string().min(1),
  data: z.unknown().optional(),
  artifacts: z
    .array(
      z.object({
        kind: z.enum(["link", "text", "diff", "file", "json"]),
        title: z.string().min(1),
        content: z.string().optional(),
        url: z.string().optional(),
        filename: z.string().optional(),
      }),
    )
    .optional(),
});

/** The step result a command printed, or a reason it is not one. */
export function parseStepResult(stdout: string): StepResult | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    return { problem: "its standard output is not JSON" };
  }
  const parsed = stepResultSchema.safeParse(value);
  if (!parsed.success)
    return {
      problem: `its output is not a step result: ${parsed.error.issues.map((i) => `${i.path.join(".") || "result"} ${i.message}`).join("; ")}`,
    };
  const { summary, data, artifacts } = parsed.data;
  return { summary, ...(data === undefined ? {} : { data }), ...(artifacts ? { artifacts } : {}) };
}
