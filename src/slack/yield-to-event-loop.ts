/**
 * Lets pending I/O run before the next database statement. PGlite (the embedded database) runs in
 * this thread and a chain of its statements resolves through microtasks, so without a yield a burst of
 * bookkeeping would keep Slack's next event (and its ack) waiting until the whole chain is done.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
