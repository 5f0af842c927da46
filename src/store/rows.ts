import type { Run } from "./types.js";

/** Converts snake_case rows to camelCase objects at the store's edge. */
export function camelRow<T>(row: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    out[key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  }
  return out as T;
}

/** A runs row as a Run; the queue's internal order (`seq`) is left out. */
export function toRun(row: Record<string, unknown>): Run {
  const { seq: _queueOrder, ...rest } = row;
  return camelRow<Run>(rest);
}

/** Postgres bigint ids come back as strings from node-postgres and as numbers from PGlite. */
export function toNumber(value: unknown): number {
  return typeof value === "number" ? value : Number(value);
}

/** A statement refused by our transition trigger carries one of these hints. */
export function triggerHint(error: unknown): string | undefined {
  const e = error as { code?: string; hint?: string } | undefined;
  return e?.code === "P0001" ? e.hint : undefined;
}

export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | undefined)?.code === "23505";
}
