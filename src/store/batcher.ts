/**
 * Coalesces concurrent calls into one statement, with no timer: the first call flushes at once (on
 * the next microtask); calls made while that statement is in flight wait for it and go together in
 * the next. At low load every call is its own statement (no added latency); under load a batch holds
 * whatever arrived during one round trip, which is what lets eight executors share one commit.
 *
 * If a batch fails, its items are retried one by one through `single`, so one bad item (a run that
 * was deleted) fails only its own caller and the others still get their result.
 */
export interface Batcher<I, O> {
  add(item: I): Promise<O>;
  /** Resolves when nothing is queued or in flight. */
  drain(): Promise<void>;
}

export function createBatcher<I, O>(options: {
  many: (items: I[]) => Promise<O[]>;
  single: (item: I) => Promise<O>;
  maxBatch?: number;
}): Batcher<I, O> {
  const maxBatch = options.maxBatch ?? 500;
  let queue: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  let inFlight: Promise<void> | undefined;
  let scheduled = false;

  const flush = async (): Promise<void> => {
    scheduled = false;
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      if (batch.length === 1) {
        const [only] = batch;
        await options.single(only!.item).then(only!.resolve, only!.reject);
        continue;
      }
      try {
        const results = await options.many(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(results[i]!));
      } catch {
        for (const b of batch) await options.single(b.item).then(b.resolve, b.reject);
      }
    }
  };

  const start = () => {
    if (inFlight || scheduled) return;
    scheduled = true;
    queueMicrotask(() => {
      inFlight = flush().finally(() => {
        inFlight = undefined;
        if (queue.length > 0) start();
      });
    });
  };

  return {
    add(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        start();
      });
    },
    async drain() {
      while (inFlight || scheduled || queue.length > 0) {
        if (inFlight) await inFlight;
        else await new Promise<void>((r) => setImmediate(r));
      }
    },
  };
}
