/**
 * Rate-limit tiers (SLACK.md §3) as sliding windows, plus fault injection.
 */
import type { FaultSpec, RateLimitRule } from "./types.js";

const MIN = 60_000;
const tier = (limit: number): RateLimitRule => ({ limit, windowMs: MIN, per: "workspace" });
const TIER2 = tier(20);
const TIER3 = tier(50);
const TIER4 = tier(100);

/**
 * Defaults. `chat.postMessage` is "1 per second per channel, short bursts
 * allowed": modelled as at most 3 in any 3-second window per channel, so a
 * burst of 3 passes and a 4th immediate post to the same channel gets 429.
 * `apps.connections.open` (Tier 1) and `auth.test` (special) are not limited
 * so that reconnect tests and Bolt start-up are unaffected.
 */
export const DEFAULT_RATE_LIMITS: Record<string, RateLimitRule> = {
  "chat.postMessage": { limit: 3, windowMs: 3000, per: "channel" },
  "chat.update": TIER3,
  "chat.delete": TIER3,
  "chat.postEphemeral": TIER4,
  "reactions.add": TIER3,
  "views.open": TIER4,
  "views.update": TIER4,
  "views.push": TIER4,
  "views.publish": TIER4,
  "files.getUploadURLExternal": TIER4,
  "files.completeUploadExternal": TIER4,
  "users.info": TIER4,
  "usergroups.users.list": TIER2,
  "usergroups.list": TIER2,
  "conversations.info": TIER3,
};

export interface RateDecision {
  limited: boolean;
  retryAfterSec: number;
}

export class RateLimiter {
  enabled: boolean;
  private readonly rules: Record<string, RateLimitRule>;
  private readonly hits = new Map<string, number[]>();

  constructor(enabled: boolean, overrides: Record<string, Partial<RateLimitRule> | null> = {}) {
    this.enabled = enabled;
    this.rules = { ...DEFAULT_RATE_LIMITS };
    for (const [method, rule] of Object.entries(overrides)) this.setRule(method, rule);
  }

  setRule(method: string, rule: Partial<RateLimitRule> | null): void {
    if (rule === null) {
      delete this.rules[method];
      return;
    }
    const base = this.rules[method] ?? TIER3;
    this.rules[method] = { ...base, ...rule };
  }

  rule(method: string): RateLimitRule | undefined {
    return this.rules[method];
  }

  reset(): void {
    this.hits.clear();
  }

  /** Record a call; answers whether it must be refused and for how long. */
  check(method: string, args: Record<string, unknown>, now = Date.now()): RateDecision {
    const rule = this.rules[method];
    if (!this.enabled || !rule) return { limited: false, retryAfterSec: 0 };
    const key = rule.per === "channel" ? `${method}:${String(args.channel ?? "")}` : method;
    const log = (this.hits.get(key) ?? []).filter((t) => t > now - rule.windowMs);
    this.hits.set(key, log);
    if (log.length >= rule.limit) {
      const oldest = log[0] ?? now;
      const waitMs = oldest + rule.windowMs - now;
      return { limited: true, retryAfterSec: Math.max(1, Math.ceil(waitMs / 1000)) };
    }
    log.push(now);
    return { limited: false, retryAfterSec: 0 };
  }
}

interface ActiveFault extends FaultSpec {
  remaining: number;
}

export class FaultInjector {
  private faults: ActiveFault[] = [];

  add(spec: FaultSpec): void {
    this.faults.push({ ...spec, remaining: spec.times ?? 1 });
  }

  clear(): void {
    this.faults = [];
  }

  /** Consume the first matching fault, if any. */
  take(method: string): FaultSpec | undefined {
    const f = this.faults.find((x) => x.remaining > 0 && (x.method === method || x.method === "*"));
    if (!f) return undefined;
    f.remaining -= 1;
    if (f.remaining <= 0) this.faults = this.faults.filter((x) => x !== f);
    return f;
  }

  get pending(): number {
    return this.faults.length;
  }
}
