/** The statuses a watch follows, as the ops board names them. */
export type WatchStatus = "Healthy" | "Warning" | "Blocked";

/** One thing a watch follows, as one reading saw it. */
export interface WatchItem {
  key: string;
  name: string;
  status: WatchStatus;
  /** Who owns it (a flag's owner, the runbook's owner); the alert mentions them. */
  owner: string | null;
  reasons: string[];
}

/** What a watch remembers of one item between readings (stored as JSON in watch_states). */
export interface WatchItemMemory {
  /** The confirmed status. */
  status: WatchStatus;
  /** A different status seen `pendingCount` readings in a row, not yet confirmed. */
  pending: WatchStatus | null;
  pendingCount: number;
  /** The status the channel was last told about, and when. */
  alerted: WatchStatus;
  alertedAt: string | null;
}

/** A confirmed change to tell the channel about. */
export interface WatchAlert {
  itemKey: string;
  name: string;
  from: WatchStatus;
  to: WatchStatus;
  owner: string | null;
  reasons: string[];
}

export interface WatchPolicy {
  /** Consecutive readings with the new status before it counts (1: at once). */
  confirm: number;
  /** The least time between two alerts about one item: a flapping check posts once per interval. */
  quietMs: number;
  /** Alerts are held back until then (the state is still followed). */
  silencedUntil: Date | null;
}

/**
 * Takes one reading into a watch's memory. An item's status changes only after `confirm` readings in a
 * row agree; the channel hears about it when the confirmed status differs from what it was last told,
 * unless it was told something about that item less than `quietMs` ago or the watch is silenced. A
 * status that flaps back and forth inside the quiet interval therefore ends in at most one alert, and the
 * alert after the interval says where it settled. An item seen for the first time is assumed to have
 * been Healthy: a watch started on a broken check alerts once it is confirmed.
 */
export function observeReading(
  memory: ReadonlyMap<string, WatchItemMemory>,
  items: readonly WatchItem[],
  policy: WatchPolicy,
  now: Date,
): { memory: Map<string, WatchItemMemory>; alerts: WatchAlert[] } {
  const next = new Map<string, WatchItemMemory>();
  const alerts: WatchAlert[] = [];
  const silenced = policy.silencedUntil !== null && policy.silencedUntil.getTime() > now.getTime();
  for (const item of items) {
    const before = memory.get(item.key) ?? { status: "Healthy", pending: null, pendingCount: 0, alerted: "Healthy", alertedAt: null };
    let state: WatchItemMemory = { ...before };
    if (item.status === state.status) state = { ...state, pending: null, pendingCount: 0 };
    else {
      const count = state.pending === item.status ? state.pendingCount + 1 : 1;
      state =
        count >= policy.confirm
          ? { ...state, status: item.status, pending: null, pendingCount: 0 }
          : { ...state, pending: item.status, pendingCount: count };
    }
    const quiet = state.alertedAt !== null && now.getTime() - Date.parse(state.alertedAt) < policy.quietMs;
    if (state.status !== state.alerted && !quiet && !silenced) {
      alerts.push({ itemKey: item.key, name: item.name, from: state.alerted, to: state.status, owner: item.owner, reasons: item.reasons });
      state = { ...state, alerted: state.status, alertedAt: now.toISOString() };
    }
    next.set(item.key, state);
  }
  return { memory: next, alerts };
}
