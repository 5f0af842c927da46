import type { Adapter, AdapterAction } from "../../adapters/types.js";
import type { ActionCatalog } from "../runbook/load-runbooks.js";

/** Finds `adapter.action` among the adapters main.ts constructed. */
export interface ActionLookup {
  find(uses: string): AdapterAction | undefined;
  catalog: ActionCatalog;
}

export function createActionLookup(adapters: readonly Adapter[]): ActionLookup {
  const byId = new Map(adapters.map((a) => [a.id, a]));
  // Own properties only: "github.toString" names no action.
  const find = (uses: string) => {
    const [adapterId = "", actionName = ""] = uses.split(".");
    const adapter = byId.get(adapterId);
    return adapter && Object.hasOwn(adapter.actions, actionName) ? adapter.actions[actionName] : undefined;
  };
  return {
    find,
    catalog: (uses) => {
      const [adapterId = "", actionName = ""] = uses.split(".");
      const adapter = byId.get(adapterId);
      if (!adapter) return { known: false, reason: `unknown adapter "${adapterId}" (known: ${[...byId.keys()].join(", ")})` };
      const action = find(uses);
      if (!action) {
        return {
          known: false,
          reason: `adapter "${adapterId}" has no action "${actionName}" (known: ${Object.keys(adapter.actions).join(", ")})`,
        };
      }
      return { known: true, args: action.args };
    },
  };
}
