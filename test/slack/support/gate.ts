import type { StepResult } from "../../../adapters/types.js";
import type { FakeBehaviour } from "./harness.js";

/**
 * A fake action that holds until the test opens the gate (or the run is cancelled), so a scenario
 * can look at a run mid-phase without sleeping.
 */
export function gate(result: StepResult = { summary: "ok" }): { behaviour: FakeBehaviour; open(): void; entered: Promise<void> } {
  let release!: () => void;
  let markEntered!: () => void;
  const opened = new Promise<void>((resolve) => (release = resolve));
  const entered = new Promise<void>((resolve) => (markEntered = resolve));
  return {
    entered,
    open: () => release(),
    behaviour: async (_args, ctx) => {
      markEntered();
      await new Promise<void>((resolve, reject) => {
        opened.then(resolve, reject);
        ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error("aborted")), {
          once: true,
        });
      });
      return result;
    },
  };
}
