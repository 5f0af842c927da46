import type { webApi } from "@slack/bolt";
import type { Logger } from "pino";
import { OpsError } from "../errors.js";
import type { ApproverDirectory } from "../service/ops-service.js";
import type { SlackOutbox } from "./slack-outbox.js";

type WebClient = InstanceType<typeof webApi.WebClient>;

/**
 * What opsroom asks Slack about the workspace, cached: members of approver user groups
 * (usergroups.users.list, Tier 2: ~20 a minute, so never once per click), channel names (for the
 * incident channel patterns), user group handles (to mention a runbook's escalation contact) and the
 * workspace's URL (auth.test, for links to a run's card).
 */
export interface SlackDirectory extends ApproverDirectory {
  /** The channel's name, or undefined for a DM or a channel Slack will not describe. */
  channelName(channelId: string): Promise<string | undefined>;
  /** "@oncall-platform" → "<!subteam^S…>" (Slack shows the handle) when a group has that handle; other text unchanged. */
  mention(contact: string): Promise<string>;
  /** A link to a message (a thread reply opens in its thread), from the workspace's URL; undefined when unknown. */
  permalink(channel: string, ts: string, threadTs?: string): Promise<string | undefined>;
}

// Five minutes: a person added to the on-call group can approve within minutes, and a busy
// workspace still makes at most one usergroups.users.list call per group per five minutes.
const DEFAULT_TTL_MS = 5 * 60_000;

export function createSlackDirectory(client: WebClient, outbox: SlackOutbox, options: { log: Logger; ttlMs?: number }): SlackDirectory {
  const ttl = options.ttlMs ?? DEFAULT_TTL_MS;
  const cache = new Map<string, { at: number; value: Promise<unknown> }>();
  const cached = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < ttl) return hit.value as Promise<T>;
    const value = load();
    cache.set(key, { at: Date.now(), value });
    // A failed lookup is not remembered: the next click asks again.
    value.catch(() => cache.delete(key));
    return value;
  };

  return {
    groupMembers(groupId) {
      return cached(`group:${groupId}`, async () => {
        try {
          const result = await outbox.run("directory", () => client.usergroups.users.list({ usergroup: groupId }));
          return (result.users ?? []) as string[];
        } catch (error) {
          options.log.warn({ err: error, usergroup: groupId }, "usergroups.users.list failed");
          throw new OpsError(
            "SLACK_GROUP_LOOKUP_FAILED",
            `I couldn't check who is in the approver group <!subteam^${groupId}> right now.`,
            {
              hint: "Try again in a minute.",
              retryable: true,
              cause: error,
            },
          );
        }
      });
    },

    channelName(channelId) {
      if (channelId.startsWith("D")) return Promise.resolve(undefined);
      return cached(`channel:${channelId}`, async () => {
        try {
          const result = await outbox.run("directory", () => client.conversations.info({ channel: channelId }));
          const channel = result.channel as { name?: string; is_im?: boolean } | undefined;
          return channel?.is_im ? undefined : channel?.name;
        } catch (error) {
          options.log.warn({ err: error, slack_channel: channelId }, "conversations.info failed");
          return undefined;
        }
      });
    },

    async permalink(channel, ts, threadTs) {
      const base = await cached("team-url", async () => {
        try {
          const result = await outbox.run("directory", () => client.auth.test());
          return typeof result.url === "string" ? result.url.replace(/\/?$/, "/") : undefined;
        } catch (error) {
          options.log.debug({ err: error }, "auth.test failed; no message links");
          return undefined;
        }
      });
      if (!base) return undefined;
      // Slack's permalink format: archives/<channel>/p<ts without the dot>, the thread named for replies.
      const link = `${base}archives/${channel}/p${ts.replace(".", "")}`;
      return threadTs && threadTs !== ts ? `${link}?thread_ts=${threadTs}&cid=${channel}` : link;
    },

    async mention(contact) {
      const handle = /^@([a-z0-9._-]+)$/i.exec(contact.trim())?.[1];
      if (!handle) return contact;
      const groups = await cached("usergroups", async () => {
        try {
          const result = await outbox.run("directory", () => client.usergroups.list({}));
          return ((result.usergroups ?? []) as { id?: string; handle?: string }[]).flatMap((g) =>
            g.id && g.handle ? [{ id: g.id, handle: g.handle }] : [],
          );
        } catch (error) {
          options.log.debug({ err: error }, "usergroups.list failed; escalation shown as text");
          return [];
        }
      });
      const group = groups.find((g) => g.handle.toLowerCase() === handle.toLowerCase());
      return group ? `<!subteam^${group.id}>` : contact;
    },
  };
}
