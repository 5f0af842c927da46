/**
 * In-memory workspace state of the loopback Slack server: users, channels,
 * messages (after updates), ephemerals, views, files, triggers, response URLs
 * and the Web API call log.
 */
import { randomBytes } from "node:crypto";
import type {
  ApiCall,
  ChannelSpec,
  JsonObject,
  ResponseUrlPost,
  StoredEphemeral,
  StoredFile,
  StoredMessage,
  StoredView,
  UserSpec,
} from "./types.js";

export interface Identity {
  teamId: string;
  teamDomain: string;
  appId: string;
  botUserId: string;
  botId: string;
  botName: string;
}

export interface TriggerRecord {
  id: string;
  user: string;
  expiresAt: number;
  used: boolean;
}

export interface ResponseUrlRecord {
  id: string;
  source: string;
  user: string;
  channel?: string;
  messageTs?: string;
  isEphemeral?: boolean;
  threadTs?: string;
  uses: number;
  expiresAt: number;
}

const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

export function slackId(prefix: string, length = 10): string {
  const bytes = randomBytes(length);
  let out = prefix;
  for (const b of bytes) out += ID_ALPHABET[b % ID_ALPHABET.length];
  return out;
}

export class SlackState {
  readonly users = new Map<string, UserSpec>();
  readonly usergroups = new Map<string, { id: string; users: string[]; disabled: boolean; handle?: string }>();
  readonly channels = new Map<string, ChannelSpec>();
  readonly messages: StoredMessage[] = [];
  readonly ephemerals: StoredEphemeral[] = [];
  readonly views = new Map<string, StoredView>();
  readonly files = new Map<string, StoredFile>();
  readonly triggers = new Map<string, TriggerRecord>();
  readonly responseUrls = new Map<string, ResponseUrlRecord>();
  readonly responses: ResponseUrlPost[] = [];
  readonly calls: ApiCall[] = [];
  private lastTsMicros = 0;
  private readonly listeners = new Set<() => void>();

  constructor(readonly identity: Identity) {}

  /** Message timestamps: `seconds.micros`, strictly increasing, like Slack's. */
  nextTs(): string {
    let micros = Date.now() * 1000;
    if (micros <= this.lastTsMicros) micros = this.lastTsMicros + 1;
    this.lastTsMicros = micros;
    const s = Math.floor(micros / 1_000_000);
    const frac = String(micros % 1_000_000).padStart(6, "0");
    return `${s}.${frac}`;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(): void {
    for (const l of [...this.listeners]) l();
  }

  reset(): void {
    this.messages.length = 0;
    this.ephemerals.length = 0;
    this.views.clear();
    this.files.clear();
    this.triggers.clear();
    this.responseUrls.clear();
    this.responses.length = 0;
    this.calls.length = 0;
    this.changed();
  }

  // ---- users / channels -------------------------------------------------

  addUser(user: UserSpec): void {
    this.users.set(user.id, { ...user });
  }

  addUsergroup(id: string, userIds: string[], disabled = false, handle?: string): void {
    this.usergroups.set(id, { id, users: [...userIds], disabled, ...(handle ? { handle } : {}) });
  }

  addChannel(channel: ChannelSpec): void {
    this.channels.set(channel.id, { ...channel });
  }

  /**
   * Resolve a `channel` argument the way Slack does: C/G/D ids are
   * conversations; a user id (U/W) means "the DM with that user".
   * Returns undefined when the channel is unknown and strict mode is on.
   */
  resolveChannel(raw: string, strict: boolean): ChannelSpec | undefined {
    const known = this.channels.get(raw);
    if (known) return known;
    if (/^[UW][A-Z0-9]+$/.test(raw)) {
      const existing = [...this.channels.values()].find((c) => c.is_im && c.user === raw);
      if (existing) return existing;
      const dm: ChannelSpec = { id: `D${raw.slice(1)}`, is_im: true, user: raw };
      this.channels.set(dm.id, dm);
      return dm;
    }
    if (strict || !/^[CGD][A-Z0-9]+$/.test(raw)) return undefined;
    const auto: ChannelSpec = { id: raw, name: raw.toLowerCase(), is_im: raw.startsWith("D") };
    this.channels.set(raw, auto);
    return auto;
  }

  // ---- messages ---------------------------------------------------------

  findMessage(channel: string, ts: string): StoredMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts && !m.deleted);
  }

  addMessage(msg: Omit<StoredMessage, "reactions" | "updateCount" | "deleted">): StoredMessage {
    const stored: StoredMessage = { ...msg, reactions: [], updateCount: 0, deleted: false };
    this.messages.push(stored);
    this.changed();
    return stored;
  }

  addEphemeral(msg: StoredEphemeral): void {
    this.ephemerals.push(msg);
    this.changed();
  }

  /** Serialize a stored message the way Slack's Web API returns it. */
  messageJson(m: StoredMessage): JsonObject {
    const out: JsonObject = {
      type: "message",
      text: m.text,
      user: m.user,
      ts: m.ts,
      team: this.identity.teamId,
    };
    if (m.bot_id) {
      out.bot_id = m.bot_id;
      out.app_id = this.identity.appId;
      out.bot_profile = {
        id: m.bot_id,
        app_id: this.identity.appId,
        name: this.identity.botName,
        team_id: this.identity.teamId,
        deleted: false,
      };
    }
    if (m.blocks) out.blocks = m.blocks;
    if (m.attachments) out.attachments = m.attachments;
    if (m.metadata !== undefined) out.metadata = m.metadata;
    if (m.thread_ts) {
      out.thread_ts = m.thread_ts;
      const parent = this.findMessage(m.channel, m.thread_ts);
      if (parent) out.parent_user_id = parent.user;
    }
    if (m.edited) out.edited = m.edited;
    if (m.files) out.files = m.files.map((f) => this.fileJson(f));
    if (m.reactions.length > 0) out.reactions = m.reactions;
    return out;
  }

  // ---- files ------------------------------------------------------------

  fileJson(f: StoredFile): JsonObject {
    const ext = f.name.includes(".") ? (f.name.split(".").pop() ?? "") : "";
    return {
      id: f.id,
      created: f.created,
      timestamp: f.created,
      name: f.name,
      title: f.title,
      mimetype: ext === "txt" ? "text/plain" : "application/octet-stream",
      filetype: ext || "binary",
      user: this.identity.botUserId,
      size: f.content?.length ?? f.length,
      url_private: `https://files.slack.com/files-pri/${this.identity.teamId}-${f.id}/${f.name}`,
      permalink: `https://${this.identity.teamDomain}.slack.com/files/${this.identity.botUserId}/${f.id}/${f.name}`,
      channels: f.channel ? [f.channel] : [],
    };
  }

  // ---- triggers / response urls ----------------------------------------

  issueTrigger(user: string, ttlMs: number): string {
    const id = `${Math.floor(Date.now() / 1000)}.${randomBytes(5).readUIntBE(0, 5)}.${randomBytes(16).toString("hex")}`;
    this.triggers.set(id, { id, user, expiresAt: Date.now() + ttlMs, used: false });
    return id;
  }

  /** Exchange a trigger_id: null when fine, else the Slack error code. */
  exchangeTrigger(id: string): null | "invalid_trigger" | "expired_trigger_id" | "exchanged_trigger_id" {
    const t = this.triggers.get(id);
    if (!t) return "invalid_trigger";
    if (t.used) return "exchanged_trigger_id";
    if (Date.now() > t.expiresAt) return "expired_trigger_id";
    t.used = true;
    return null;
  }

  issueResponseUrl(rec: Omit<ResponseUrlRecord, "id" | "uses" | "expiresAt">): ResponseUrlRecord {
    const id = `${this.identity.teamId}/${Date.now()}/${randomBytes(12).toString("hex")}`;
    const full: ResponseUrlRecord = { ...rec, id, uses: 0, expiresAt: Date.now() + 30 * 60_000 };
    this.responseUrls.set(id, full);
    return full;
  }
}
