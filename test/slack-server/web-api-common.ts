/** Helpers shared by the Web API handler modules. */
import type { SlackState } from "./state.js";
import type { JsonObject } from "./types.js";

export type TokenKind = "bot" | "app";

export interface ApiContext {
  state: SlackState;
  strictChannels: boolean;
  baseUrl: string;
  /** Issues a Socket Mode ticket URL (apps.connections.open). */
  openConnection: () => string;
}

export type Args = Record<string, unknown>;
export type Handler = (ctx: ApiContext, args: Args) => JsonObject;

/** Fields Slack expects as JSON-encoded strings; decoded for handlers and the call log. */
export const JSON_FIELDS = ["blocks", "attachments", "view", "files", "metadata", "user_auth_blocks", "file_ids"];

export const ok = (data: JsonObject = {}): JsonObject => ({ ok: true, ...data });
export const fail = (error: string, extra: JsonObject = {}): JsonObject => ({ ok: false, error, ...extra });

export function invalidArguments(messages: string[]): JsonObject {
  return fail("invalid_arguments", { response_metadata: { messages: messages.map((m) => `[ERROR] ${m}`) } });
}

export const str = (v: unknown): string | undefined =>
  typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;
