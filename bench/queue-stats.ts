/** Small statistics for the queue benchmark. */

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100) of unsorted values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export interface LatencyStats {
  p50: number;
  p95: number;
  p99: number;
}

export function latencyStats(samples: readonly number[]): LatencyStats {
  return { p50: percentile(samples, 50), p95: percentile(samples, 95), p99: percentile(samples, 99) };
}

/** The median of each field over repetitions. */
export function medianLatency(reps: readonly LatencyStats[]): LatencyStats {
  return { p50: median(reps.map((r) => r.p50)), p95: median(reps.map((r) => r.p95)), p99: median(reps.map((r) => r.p99)) };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * `RESULT <metric> ours=<n> peer=<n> ratio=<n> goal=<cmp> met=<yes|no>`. ratio = ours/peer; for a
 * lower-is-better metric the goal reads `<=1.0`.
 */
export function resultLine(metric: string, ours: number, peer: number, goal: { op: ">=" | "<="; value: number }): string {
  const ratio = ours / peer;
  const met = Number.isFinite(ratio) && (goal.op === ">=" ? ratio >= goal.value : ratio <= goal.value);
  return `RESULT ${metric} ours=${round(ours)} peer=${round(peer)} ratio=${round(ratio, 3)} goal=${goal.op}${goal.value.toFixed(1)} met=${met ? "yes" : "no"}`;
}
