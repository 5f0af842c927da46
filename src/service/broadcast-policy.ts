import type { Config } from "../config/load-config.js";
import type { Run } from "../store/types.js";

/** What of a run is shown in its channel as well as in its thread. */
export interface Broadcasts {
  /** The plan card, while it waits for approval. */
  waitingForApproval: boolean;
  /** The final outcome (the summary). */
  outcome: boolean;
}

/**
 * Whether a run's card and outcome are broadcast to the channel (`broadcast` in the config, per
 * channel and env). Defaults: plans waiting for approval everywhere, outcomes of protected envs.
 * Read-only runs never are: nobody needs to decide on them, and they would only add noise.
 */
export function broadcastsOf(
  config: Pick<Config, "broadcast" | "environments">,
  run: Run,
  channel: { id: string; name?: string },
): Broadcasts {
  if (!run.mutating) return { waitingForApproval: false, outcome: false };
  const rules = config.broadcast;
  const channelRule = (channel.name !== undefined ? rules.channels[channel.name] : undefined) ?? rules.channels[channel.id];
  const protectedEnvs = Object.entries(config.environments)
    .filter(([, e]) => e.protected)
    .map(([name]) => name);
  const matches = (envs: readonly string[]) => envs.includes("*") || (run.env !== null && envs.includes(run.env));
  return {
    waitingForApproval: matches(channelRule?.waitingForApproval ?? rules.waitingForApproval ?? ["*"]),
    outcome: matches(channelRule?.outcome ?? rules.outcome ?? protectedEnvs),
  };
}

/** Whether any broadcast rule names a channel (only then is a channel's name worth looking up). */
export function hasChannelRules(config: Pick<Config, "broadcast">): boolean {
  return Object.keys(config.broadcast.channels).length > 0;
}
