import { Liquid } from "liquidjs";

/**
 * Runbook `with:`, `if:` and `forEach:` values are Liquid templates (`{{ }}`, `{% %}`). A string that is one
 * whole expression renders to the expression's typed value (a list stays a list, a number a number);
 * a string with text around expressions renders to a string. Liquid is logic-light and cannot run code,
 * which matters because params come from chat messages.
 *
 * @example renderValue("{{ params.ref | default: target.branch | default: 'main' }}", scope) // "main"
 */
const liquid = new Liquid({ strictVariables: false, strictFilters: true });
const WHOLE_EXPRESSION = /^\{\{\s*([^{}]*?)\s*\}\}$/;

export type TemplateScope = Record<string, unknown>;

export function renderValue(value: unknown, scope: TemplateScope): unknown {
  if (typeof value === "string") return renderString(value, scope);
  if (Array.isArray(value)) return value.map((item) => renderValue(item, scope));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renderValue(item, scope)]));
  }
  return value;
}

function renderString(text: string, scope: TemplateScope): unknown {
  if (!text.includes("{{") && !text.includes("{%")) return text;
  const whole = WHOLE_EXPRESSION.exec(text);
  if (whole) {
    const result = liquid.evalValueSync(whole[1] ?? "", scope) as unknown;
    return result === null ? undefined : result;
  }
  return liquid.parseAndRenderSync(text, scope) as string;
}

/** True when the template references step outputs, which exist only while a run executes. */
export function referencesStepOutputs(value: unknown): boolean {
  // `steps.<id>...`, and `{{ steps }}` itself (every output so far, for report steps that read them all),
  // in an output `{{ … }}` or a tag `{% if steps.… %}`.
  return /\{[{%][^}]*\bsteps\b/.test(JSON.stringify(value ?? null));
}

/** Liquid truthiness, plus: empty strings and empty lists are false. */
export function isTruthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === "") return false;
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

/** Drops keys whose rendered value is undefined, so optional args can be left out by a template. */
export function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, item]) => item !== undefined && item !== "")
        .map(([key, item]) => [key, withoutUndefined(item)]),
    );
  }
  return value;
}
