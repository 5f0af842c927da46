/** chat.* and reactions.add handlers. */
import { normalizeBlocks } from "./blocks.js";
import type { JsonObject } from "./types.js";
import { type ApiContext, type Args, fail, invalidArguments, ok, str } from "./web-api-common.js";

const MAX_TEXT = 40_000;

interface Content {
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  warnings?: JsonObject;
}

/** Pull text/blocks/attachments out of args; `no_text` when there is nothing to show. */
function content(args: Args): Content | JsonObject {
  const text = str(args.text);
  const blocks = Array.isArray(args.blocks) ? args.blocks : undefined;
  const attachments = Array.isArray(args.attachments) ? args.attachments : undefined;
  if (!text && !(blocks && blocks.length > 0) && !(attachments && attachments.length > 0)) return fail("no_text");
  const out: Content = { text: text ?? "" };
  if (blocks) out.blocks = normalizeBlocks(blocks);
  if (attachments) out.attachments = attachments;
  if (out.text.length > MAX_TEXT) {
    out.text = out.text.slice(0, MAX_TEXT);
    out.warnings = {
      warnings: ["message_truncated"],
      messages: ["[WARN] Your message was truncated but still posted. The `text` field accepts up to 40,000 characters."],
    };
  }
  return out;
}

const isContent = (c: Content | JsonObject): c is Content => !("ok" in c);

function channelOf(ctx: ApiContext, args: Args): string | undefined {
  const raw = str(args.channel);
  return raw ? ctx.state.resolveChannel(raw, ctx.strictChannels)?.id : undefined;
}

export function chatPostMessage(ctx: ApiContext, args: Args): JsonObject {
  const channel = channelOf(ctx, args);
  if (!channel) return fail("channel_not_found");
  const c = content(args);
  if (!isContent(c)) return c;
  const threadTs = str(args.thread_ts);
  const { botUserId, botId } = ctx.state.identity;
  const msg = ctx.state.addMessage({
    channel,
    ts: ctx.state.nextTs(),
    text: c.text,
    ...(threadTs ? { thread_ts: threadTs } : {}),
    ...(c.blocks ? { blocks: c.blocks } : {}),
    ...(c.attachments ? { attachments: c.attachments } : {}),
    ...(args.metadata !== undefined ? { metadata: args.metadata } : {}),
    ...(str(args.reply_broadcast) === "true" ? { reply_broadcast: true } : {}),
    user: botUserId,
    bot_id: botId,
    fromBot: true,
    via: "chat.postMessage",
  });
  return ok({
    channel,
    ts: msg.ts,
    message: ctx.state.messageJson(msg),
    ...(c.warnings ? { response_metadata: c.warnings } : {}),
  });
}

export function chatUpdate(ctx: ApiContext, args: Args): JsonObject {
  const channel = channelOf(ctx, args);
  if (!channel) return fail("channel_not_found");
  const ts = str(args.ts);
  if (!ts) return invalidArguments(["missing required field: ts"]);
  const msg = ctx.state.findMessage(channel, ts);
  if (!msg) return fail("message_not_found");
  if (!msg.fromBot) return fail("cant_update_message");
  const c = content(args);
  if (!isContent(c)) return c;
  // Slack keeps blocks/attachments/metadata that are not passed; an empty array removes them.
  msg.text = c.text;
  if (c.blocks) {
    if (c.blocks.length > 0) msg.blocks = c.blocks;
    else delete msg.blocks;
  }
  if (c.attachments) {
    if (c.attachments.length > 0) msg.attachments = c.attachments;
    else delete msg.attachments;
  }
  if (args.metadata !== undefined) msg.metadata = args.metadata;
  msg.edited = { user: ctx.state.identity.botUserId, ts: ctx.state.nextTs() };
  msg.updateCount += 1;
  ctx.state.changed();
  const message = ctx.state.messageJson(msg);
  delete message.ts;
  return ok({
    channel,
    ts,
    text: msg.text,
    message,
    ...(c.warnings ? { response_metadata: c.warnings } : {}),
  });
}

export function chatPostEphemeral(ctx: ApiContext, args: Args): JsonObject {
  const channel = channelOf(ctx, args);
  if (!channel) return fail("channel_not_found");
  const user = str(args.user);
  if (!user) return invalidArguments(["missing required field: user"]);
  const known = ctx.state.users.get(user);
  if (known?.deleted) return fail("user_not_in_channel");
  const c = content(args);
  if (!isContent(c)) return c;
  const threadTs = str(args.thread_ts);
  const ts = ctx.state.nextTs();
  ctx.state.addEphemeral({
    channel,
    user,
    ts,
    text: c.text,
    ...(threadTs ? { thread_ts: threadTs } : {}),
    ...(c.blocks ? { blocks: c.blocks } : {}),
    via: "chat.postEphemeral",
  });
  return ok({ message_ts: ts });
}

export function chatDelete(ctx: ApiContext, args: Args): JsonObject {
  const channel = channelOf(ctx, args);
  if (!channel) return fail("channel_not_found");
  const ts = str(args.ts) ?? "";
  const msg = ctx.state.findMessage(channel, ts);
  if (!msg) return fail("message_not_found");
  if (!msg.fromBot) return fail("cant_delete_message");
  msg.deleted = true;
  ctx.state.changed();
  return ok({ channel, ts });
}

export function reactionsAdd(ctx: ApiContext, args: Args): JsonObject {
  const channel = channelOf(ctx, args);
  if (!channel) return fail("channel_not_found");
  const name = str(args.name);
  if (!name) return invalidArguments(["missing required field: name"]);
  if (!/^[a-z0-9_+'-]+(::skin-tone-[2-6])?$/.test(name)) return fail("invalid_name");
  const msg = ctx.state.findMessage(channel, str(args.timestamp) ?? "");
  if (!msg) return fail("message_not_found");
  const me = ctx.state.identity.botUserId;
  let r = msg.reactions.find((x) => x.name === name);
  if (r?.users.includes(me)) return fail("already_reacted");
  if (!r) {
    r = { name, users: [], count: 0 };
    msg.reactions.push(r);
  }
  r.users.push(me);
  r.count += 1;
  ctx.state.changed();
  return ok();
}
