import type { RunbookParam } from "../runbook/runbook-schema.js";
import type { ParamValue } from "./intent.js";
import type { Lexicon, RunbookInfo } from "./lexicon.js";

const NAMES: Record<string, string> = { env: "environment", service: "service", flag: "flag", ref: "ref", time: "time" };

/** One question for everything still missing, listing the choices from the catalog or the param's enum. */
export function askForMissing(
  info: RunbookInfo,
  missing: readonly string[],
  params: Record<string, ParamValue>,
  lexicon: Lexicon,
): string | null {
  if (missing.length === 0) return null;
  const title = info.runbook.title;
  const parts = missing.map((name) => {
    const def = info.runbook.params[name] as RunbookParam | undefined;
    if (!def) return `What is ${name}?`;
    const choices = choicesFor(def, lexicon);
    const label =
      def.type === "enum" || def.type === "string" || def.type === "integer" || def.type === "percent" ? name : (NAMES[def.type] ?? name);
    if (def.type === "enum" && params.flag !== undefined && name === "action")
      return `What should I do with ${String(params.flag)}: ${orList(choices)}?`;
    if (choices.length > 0) return `Which ${label}${label === name || name === def.type ? "" : ` (${name})`}: ${orList(choices)}?`;
    if (def.type === "integer")
      return `How many ${name}${def.min !== undefined && def.max !== undefined ? ` (${def.min}–${def.max})` : ""}?`;
    if (def.type === "percent") return `What percentage (0–100)?`;
    if (def.type === "string") return `What ${name}? ${def.description}`.trim();
    return `Which ${name}?`;
  });
  return `${title}: ${parts.join(" ")}`;
}

/** "Which environment: staging or prod?" when the message named two for one slot. */
export function askToChoose(info: RunbookInfo, param: string, choices: readonly string[]): string {
  const def = info.runbook.params[param] as RunbookParam | undefined;
  const label = def ? (NAMES[def.type] ?? param) : param;
  return `${info.runbook.title}: one ${label} at a time — ${orList(choices)}?`;
}

/** The ref typed is not a valid ref name: say so, quote it (shortened), and ask for one. */
export function askForValidRef(info: RunbookInfo, typed: string, problem: string): string {
  const shown = typed.length > 40 ? `${typed.slice(0, 40)}…` : typed;
  return `${info.runbook.title}: "${shown}" is not a valid git ref name (${problem}), so I won't use it. Which branch, tag or commit?`;
}

/** "Did you mean deploy or rollback?" */
export function askWhichRunbook(ids: readonly string[], lexicon: Lexicon): string {
  const titles = ids.map((id) => `${id} (${lexicon.byId.get(id)?.runbook.title ?? id})`);
  return `Did you mean ${orList(titles)}?`;
}

export function choicesFor(def: RunbookParam, lexicon: Lexicon): string[] {
  switch (def.type) {
    case "env":
      return [...lexicon.envNames];
    case "service":
      return [...lexicon.serviceNames];
    case "flag":
      return [...lexicon.catalog.flags];
    case "enum":
      return [...(def.enum ?? [])];
    case "boolean":
      return ["yes", "no"];
    default:
      return def.enum ? [...def.enum] : [];
  }
}

function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}
