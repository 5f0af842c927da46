/**
 * One subscription to the run-event notifications (the store's LISTEN on opsroom_run_events, the one
 * the Slack reporter uses) shared by every open Runboard page: each page registers a listener here
 * instead of opening a connection or polling. Subscribed while at least one page listens.
 */
export interface RunEventHub {
  /** Calls `listener` with the run id of every run event; returns the unsubscribe. */
  listen(listener: (runId: string) => void): Promise<() => void>;
  close(): Promise<void>;
}

export function createRunEventHub(subscribe: (listener: (runId: string) => void) => Promise<() => Promise<void>>): RunEventHub {
  const listeners = new Set<(runId: string) => void>();
  let subscription: Promise<() => Promise<void>> | undefined;
  const dispatch = (runId: string) => {
    for (const listener of listeners) listener(runId);
  };
  const stop = async () => {
    const unsubscribe = subscription;
    subscription = undefined;
    if (unsubscribe) await (await unsubscribe)();
  };
  return {
    async listen(listener) {
      listeners.add(listener);
      subscription ??= subscribe(dispatch);
      try {
        await subscription;
      } catch (error) {
        listeners.delete(listener);
        subscription = undefined;
        throw error;
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) void stop().catch(() => {});
      };
    },
    close: async () => {
      listeners.clear();
      await stop();
    },
  };
}
