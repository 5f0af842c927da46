import { z } from "zod";
import { withoutUndefined } from "./render-template.js";

/** One problem in a step's `with:`, at a path below `with`. */
export interface ArgIssue {
  path: PropertyKey[];
  message: string;
}

/**
 * Checks a step's `with:` against its action's argument schema, at load, as far as the values are known
 * then: unknown arguments (`ur1:` for `url:`), missing required ones, and literal values the action
 * refuses. A templated value (`{{ … }}`, `{% … %}`) is known only after rendering, so problems inside
 * one are left to the run, which checks the rendered args against the same schema.
 *
 * @example staticArgIssues({ ur1: "https://x" }, "http.check", checkArgs) // [{ path: ["ur1"], … }, { path: ["url"], … }]
 */
export function staticArgIssues(args: Record<string, unknown>, uses: string, schema: z.ZodType): ArgIssue[] {
  // As the planner does: a value that renders empty is left out, so a literal "" counts as not given.
  const value = withoutUndefined(args);
  const result = schema.safeParse(value);
  if (result.success) return [];
  return result.error.issues.flatMap((issue): ArgIssue[] => {
    if (issue.code === "unrecognized_keys") {
      const known = issue.path.length === 0 && schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
      const takes = known.length > 0 ? ` (it takes ${known.join(", ")})` : "";
      return issue.keys.map((key) => ({ path: [...issue.path, key], message: `unknown argument of ${uses}${takes}` }));
    }
    const at = valueAt(value, issue.path);
    if (at.templated) return [];
    if (!at.found) return [{ path: issue.path, message: `required by ${uses}` }];
    return [{ path: issue.path, message: `${issue.message} (got ${preview(at.value)})` }];
  });
}

/** The value at `path`, and whether it (or a value above or inside it) is a template. */
function valueAt(root: unknown, path: readonly PropertyKey[]): { found: boolean; templated: boolean; value?: unknown } {
  let node = root;
  for (const key of path) {
    if (isTemplate(node)) return { found: true, templated: true };
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, key)) return { found: false, templated: false };
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, templated: containsTemplate(node), value: node };
}

function isTemplate(value: unknown): boolean {
  return typeof value === "string" && (value.includes("{{") || value.includes("{%"));
}

function containsTemplate(value: unknown): boolean {
  if (isTemplate(value)) return true;
  if (value !== null && typeof value === "object") return Object.values(value).some(containsTemplate);
  return false;
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
