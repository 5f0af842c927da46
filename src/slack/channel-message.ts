import type { Logger } from "pino";
import type { SlackMessage } from "./block-kit.js";
import type { SlackPoster } from "./slack-poster.js";

/** Where a channel's one message is kept: claimed, recorded and released in the database. */
export interface ChannelMessageRecord {
  /** Whether there is anything to show in the channel yet. */
  hasContent(channel: string): Promise<boolean>;
  render(channel: string): Promise<SlackMessage>;
  /** Where the message is: undefined before anyone claimed it, messageTs null while it is being posted. */
  where(channel: string): Promise<{ messageTs: string | null } | undefined>;
  claim(channel: string): Promise<boolean>;
  release(channel: string): Promise<void>;
  record(channel: string, ts: string): Promise<void>;
}

/**
 * One message per channel, across processes (the ops board message, an incident's summary): the first poster
 * claims the channel in the database, posts and records where the message is; everyone after updates that
 * message. chat.update renders when the call is made, so an update delayed by a rate limit never shows an
 * older state. In this process, one refresh per channel at a time; a request meanwhile runs once more after it.
 */
export function createChannelMessage(
  deps: { poster: SlackPoster; log: Logger; what: string },
  record: ChannelMessageRecord,
): (channel: string) => Promise<void> {
  const { poster } = deps;
  const running = new Map<string, Promise<void>>();
  const pending = new Set<string>();
  const render = (channel: string) => record.render(channel);

  const refreshNow = async (channel: string): Promise<void> => {
    if (!(await record.hasContent(channel))) return;
    const where = await record.where(channel);
    if (where?.messageTs) {
      await poster.update(channel, where.messageTs, () => render(channel));
      return;
    }
    // Another process is posting it: it records the message, then updates it to the latest state.
    if (where || !(await record.claim(channel))) return;
    let ts: string;
    try {
      ts = (await poster.post(channel, await render(channel))).ts;
    } catch (error) {
      await record.release(channel);
      throw error;
    }
    await record.record(channel, ts);
    // What changed while it was being posted saw no message to update.
    await poster.update(channel, ts, () => render(channel));
  };

  const refresh = (channel: string): Promise<void> => {
    const current = running.get(channel);
    if (current) {
      pending.add(channel);
      return current;
    }
    const work = refreshNow(channel)
      .catch((error: unknown) => deps.log.warn({ err: error, slack_channel: channel }, `updating the ${deps.what} failed`))
      .finally(() => {
        running.delete(channel);
        if (pending.delete(channel)) void refresh(channel);
      });
    running.set(channel, work);
    return work;
  };
  return refresh;
}
