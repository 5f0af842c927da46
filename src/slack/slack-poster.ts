import type { webApi } from "@slack/bolt";
import type { Redactor } from "../redact.js";
import type { SlackMessage } from "./block-kit.js";
import { retryAfterSeconds, type SlackOutbox } from "./slack-outbox.js";

type WebClient = InstanceType<typeof webApi.WebClient>;

/**
 * Every message opsroom sends to Slack goes through here: redacted (no token, key or connection
 * string ever reaches a channel, even from free text a person typed), and queued per rate-limit lane.
 */
export interface SlackPoster {
  /** A message, or a thread reply; `broadcast` also shows the reply in the channel (reply_broadcast). */
  post(
    channel: string,
    message: SlackMessage,
    options?: { threadTs?: string; broadcast?: boolean },
  ): Promise<{ ts: string; channel: string }>;
  /**
   * chat.update. Given a function, the message is rendered when the call is actually made (again
   * after a 429), so a wait never sends a stale state.
   */
  update(
    channel: string,
    ts: string,
    message: SlackMessage | (() => Promise<SlackMessage>),
    options?: { final?: boolean; urgent?: boolean },
  ): Promise<void>;
  ephemeral(channel: string, user: string, message: SlackMessage, options?: { threadTs?: string }): Promise<void>;
  /** chat.delete of one of our own messages. */
  remove(channel: string, ts: string): Promise<void>;
  /** A thread reply with the full content attached (files.uploadV2: get URL, upload, complete). */
  uploadFile(input: {
    channel: string;
    threadTs: string;
    filename: string;
    title: string;
    content: string;
    message: SlackMessage;
  }): Promise<void>;
  publishHome(user: string, view: Record<string, unknown>): Promise<void>;
  /** Not queued: a trigger_id expires 3 s after the click. */
  openView(triggerId: string, view: Record<string, unknown>): Promise<void>;
}

/** Told about every Web API call the poster makes (metrics): the method and how it went. */
export type SlackCallObserver = (method: string, outcome: "ok" | "rate_limited" | "error") => void;

export function createSlackPoster(client: WebClient, outbox: SlackOutbox, redactor: Redactor, observe?: SlackCallObserver): SlackPoster {
  const counted = <T>(method: string, call: () => Promise<T>): Promise<T> =>
    call().then(
      (value) => {
        observe?.(method, "ok");
        return value;
      },
      (error: unknown) => {
        observe?.(method, retryAfterSeconds(error) === undefined ? "error" : "rate_limited");
        throw error;
      },
    );
  const clean = (message: SlackMessage) => redactor.redact({ text: message.text, blocks: message.blocks });
  return {
    async post(channel, message, options = {}) {
      const body = clean(message);
      const args = { channel, text: body.text, blocks: body.blocks, unfurl_links: false, unfurl_media: false };
      const result = await outbox.run(`post:${channel}`, () =>
        counted("chat.postMessage", () =>
          options.threadTs
            ? client.chat.postMessage({ ...args, thread_ts: options.threadTs, reply_broadcast: options.broadcast === true })
            : client.chat.postMessage(args),
        ),
      );
      return { ts: String(result.ts), channel: String(result.channel ?? channel) };
    },

    async update(channel, ts, message, options = {}) {
      // The final state of a run must arrive: it may wait out many more 429s than an intermediate one.
      await outbox.run(
        "update",
        async () => {
          const body = clean(typeof message === "function" ? await message() : message);
          await counted("chat.update", () => client.chat.update({ channel, ts, text: body.text, blocks: body.blocks }));
        },
        { maxRateLimited: options.final ? 60 : 10, urgent: options.urgent === true },
      );
    },

    async remove(channel, ts) {
      await outbox.run("update", () => counted("chat.delete", () => client.chat.delete({ channel, ts })));
    },

    async ephemeral(channel, user, message, options = {}) {
      const body = clean(message);
      await outbox.run("ephemeral", () =>
        counted("chat.postEphemeral", () =>
          client.chat.postEphemeral({
            channel,
            user,
            text: body.text,
            blocks: body.blocks,
            ...(options.threadTs ? { thread_ts: options.threadTs } : {}),
          }),
        ),
      );
    },

    async uploadFile(input) {
      const body = clean(input.message);
      const content = redactor.redactText(input.content);
      await outbox.run(`post:${input.channel}`, () =>
        counted("files.uploadV2", () =>
          client.files.uploadV2({
            channel_id: input.channel,
            thread_ts: input.threadTs,
            filename: input.filename,
            title: redactor.redactText(input.title),
            content,
            blocks: body.blocks as never,
          }),
        ),
      );
    },

    async publishHome(user, view) {
      const body = redactor.redact(view);
      await outbox.run("views", () => counted("views.publish", () => client.views.publish({ user_id: user, view: body as never })));
    },

    async openView(triggerId, view) {
      await counted("views.open", () => client.views.open({ trigger_id: triggerId, view: redactor.redact(view) as never }));
    },
  };
}
