import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { ConfigError, type ConfigIssue } from "../errors.js";
import { cachedYaml, rememberYaml } from "./yaml-cache.js";

/** A parsed YAML file that can say on which line a field path sits, for error messages. */
export interface YamlSource {
  readonly file: string;
  readonly value: unknown;
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

/**
 * Parses YAML keeping positions; syntax errors become a ConfigError with file and line. A text parsed
 * before comes from the cache (yaml-cache.ts), and is parsed again only to locate a problem in it.
 */
export function parseYamlSource(text: string, file: string): YamlSource {
  const cached = cachedYaml(text);
  if (cached) {
    let parsed: YamlSource | undefined;
    return { file, value: cached.value, lineOf: (path) => (parsed ??= parseDocumentSource(text, file)).lineOf(path) };
  }
  const source = parseDocumentSource(text, file);
  rememberYaml(text, source.value);
  return source;
}

function parseDocumentSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((error) => ({
        file,
        line: error.linePos?.[0].line,
        field: "",
        message: `invalid YAML: ${error.message.split("\n")[0]}`,
      })),
    );
  }
  const lineAt = (node: unknown): number | undefined => (isNode(node) && node.range ? lineCounter.linePos(node.range[0]).line : undefined);
  // The line of the deepest part of the path that exists: a key's own line (where a block mapping's
  // value starts one line lower), an item's line; a missing field is reported at its parent's key.
  const lineOf = (path: readonly PropertyKey[]): number | undefined => {
    let node: unknown = doc.contents;
    let line = lineAt(node);
    for (const step of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(step));
        if (!pair) break;
        line = lineAt(pair.key) ?? lineAt(pair.value) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof step === "number" && node.items[step] !== undefined) {
        node = node.items[step];
        line = lineAt(node) ?? line;
      } else break;
    }
    return line;
  };
  return { file, value: doc.toJS(), lineOf };
}

/** Formats a zod path the way people read it: `services.api.environments.prod.healthUrl`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, index) => (typeof key === "number" ? `[${key}]` : `${index === 0 ? "" : "."}${String(key)}`)).join("");
}

/** Turns zod issues into located config issues; each unknown key is its own issue, at its own line. */
export function locateIssues(source: YamlSource, issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  return issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => {
        const path = [...issue.path, key];
        return { file: source.file, line: source.lineOf(path), field: formatPath(path), message: "unknown key" };
      });
    }
    return [{ file: source.file, line: source.lineOf(issue.path), field: formatPath(issue.path), message: issue.message }];
  });
}

/** Validates a YAML source against a schema, throwing every problem at once. */
export function validateYaml<S extends z.ZodType>(source: YamlSource, schema: S): z.output<S> {
  const result = schema.safeParse(source.value);
  if (!result.success) throw new ConfigError(locateIssues(source, result.error.issues));
  return result.data;
}
