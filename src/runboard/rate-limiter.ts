/**
 * A fixed-window limit per key (the Runboard's sign-in, per client address): `take` answers 0 when
 * allowed, else how many milliseconds until the window resets. Old windows are dropped as they pass.
 */
export function createRateLimiter(options: { max: number; windowMs: number; clock: () => Date }) {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    take(key: string): number {
      const now = options.clock().getTime();
      if (windows.size > 10_000) for (const [k, w] of windows) if (now - w.start >= options.windowMs) windows.delete(k);
      const current = windows.get(key);
      if (!current || now - current.start >= options.windowMs) {
        windows.set(key, { start: now, count: 1 });
        return 0;
      }
      if (current.count < options.max) {
        current.count++;
        return 0;
      }
      return current.start + options.windowMs - now;
    },
  };
}
