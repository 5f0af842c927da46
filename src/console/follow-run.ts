import { isForPeople } from "../service/artifact-kinds.js";
import type { OpsService } from "../service/ops-service.js";
import { TERMINAL_STATUSES, type RunEvent, type RunStatus } from "../store/types.js";
import { renderArtifactText, renderEventText, renderOutcomeText } from "./render-text.js";

/**
 * Prints a run's events as they arrive until it reaches a final state, and returns that state;
 * undefined when `signal` stopped the watching first (the run goes on without the console).
 */
export async function followRun(
  service: OpsService,
  runId: string,
  print: (text: string) => void,
  options: { pollMs: number; afterEventId: number; signal?: AbortSignal },
): Promise<RunStatus | undefined> {
  let lastId = options.afterEventId;
  const shownArtifacts = new Set<number>();
  const seen: RunEvent[] = [];
  const printEvents = async () => {
    for (const event of await service.listEvents(runId, lastId)) {
      lastId = event.id;
      seen.push(event);
      const line = renderEventText(event);
      if (line) print(line);
      if ((event.kind === "step_succeeded" || event.kind === "step_failed") && Number(event.data.artifacts) > 0) {
        // The step's own artifacts are the last ones stored for it before its event: a preflight step
        // that also ran when the plan was made has earlier ones, already shown on the plan.
        const ofStep = (await service.listArtifacts(runId)).filter((a) => a.stepId === event.stepId);
        for (const artifact of ofStep.slice(-Number(event.data.artifacts))) {
          if (shownArtifacts.has(artifact.id) || !isForPeople(artifact)) continue;
          shownArtifacts.add(artifact.id);
          print(renderArtifactText(artifact).replace(/^/gm, "    "));
        }
      }
    }
  };
  let wake: (() => void) | undefined;
  const onAbort = () => wake?.();
  options.signal?.addEventListener("abort", onAbort);
  const unlisten = await service.onRunEvent((id) => id === runId && wake?.());
  try {
    for (;;) {
      if (options.signal?.aborted) return undefined;
      await printEvents();
      const run = await service.getRun(runId);
      if (run && TERMINAL_STATUSES.includes(run.status) && run.finishedAt) {
        await printEvents();
        print(renderOutcomeText(run, seen));
        return run.status;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    await unlisten();
  }
}
