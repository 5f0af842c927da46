/**
 * HTTP routes of the loopback server: `/api/<method>` (Web API transport:
 * body parsing, tokens, faults, rate limits, call log), `/upload/v1/<file>`
 * (external upload URL) and `/response/<id>` (response_url).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { normalizeBlocks, validateBlocks } from "./blocks.js";
import type { FaultInjector, RateLimiter } from "./rate-limits.js";
import type { SlackState } from "./state.js";
import type { ApiCall, JsonObject } from "./types.js";
import { acceptsToken, type ApiContext, decodeArgs, fail, handleApiMethod, isKnownMethod, type TokenKind } from "./web-api.js";

export interface RouteDeps {
  ctx: ApiContext;
  state: SlackState;
  limiter: RateLimiter;
  faults: FaultInjector;
  botToken: string;
  appToken: string;
}

const BOT_SCOPES =
  "chat:write,commands,app_mentions:read,channels:history,groups:history,im:history,reactions:write,files:write,users:read,usergroups:read";

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** multipart/form-data via the WHATWG Request parser built into Node. */
async function parseMultipart(contentType: string, body: Buffer): Promise<FormData> {
  return new Request("http://127.0.0.1/", {
    method: "POST",
    headers: { "content-type": contentType },
    body: new Uint8Array(body),
  }).formData();
}

async function parseArgs(req: IncomingMessage, url: URL, body: Buffer): Promise<Record<string, unknown>> {
  const args: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const ct = (req.headers["content-type"] ?? "").toLowerCase();
  if (body.length === 0) return args;
  if (ct.startsWith("application/json")) {
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    if (typeof parsed === "object" && parsed !== null) Object.assign(args, parsed);
  } else if (ct.startsWith("multipart/form-data")) {
    for (const [k, v] of await parseMultipart(ct, body)) if (typeof v === "string") args[k] = v;
  } else {
    for (const [k, v] of new URLSearchParams(body.toString("utf8"))) args[k] = v;
  }
  return args;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function handleApi(deps: RouteDeps, method: string, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const time = Date.now();
  const body = await readBody(req);
  let raw: Record<string, unknown>;
  try {
    raw = await parseArgs(req, url, body);
  } catch {
    sendJson(res, 200, fail("invalid_form_data"));
    return;
  }
  const auth = req.headers.authorization;
  const token = auth?.startsWith("Bearer ") ? auth.slice(7) : typeof raw.token === "string" ? raw.token : undefined;
  delete raw.token;
  const { args, badJson } = decodeArgs(raw);
  const record = (status: number, response: JsonObject, refusedBy?: ApiCall["refusedBy"]): void => {
    const call: ApiCall = { method, args, token, time, status, ok: response.ok === true, response };
    if (typeof response.error === "string") call.error = response.error;
    if (refusedBy) call.refusedBy = refusedBy;
    deps.state.calls.push(call);
    deps.state.changed();
  };
  const answer = (status: number, response: JsonObject, headers: Record<string, string> = {}, refusedBy?: ApiCall["refusedBy"]): void => {
    record(status, response, refusedBy);
    sendJson(res, status, response, headers);
  };

  if (!isKnownMethod(method)) return answer(200, fail("unknown_method", { req_method: method }));
  let kind: TokenKind | undefined;
  if (!token) return answer(200, fail("not_authed"));
  if (token === deps.botToken) kind = "bot";
  else if (token === deps.appToken) kind = "app";
  else return answer(200, fail("invalid_auth"));
  if (!acceptsToken(method, kind)) return answer(200, fail("not_allowed_token_type"));

  const fault = deps.faults.take(method);
  if (fault) {
    if (fault.delayMs) await sleep(fault.delayMs);
    if (fault.status === 429) {
      const retryAfter = String(fault.retryAfterSec ?? 1);
      return answer(429, fail("ratelimited"), { "retry-after": retryAfter }, "fault");
    }
    if (fault.status !== undefined) {
      const response = fail("internal_error");
      record(fault.status, response, "fault");
      sendText(res, fault.status, "Internal Server Error");
      return;
    }
    if (fault.error) return answer(200, fail(fault.error), {}, "fault");
  }
  const limit = deps.limiter.check(method, args);
  if (limit.limited) {
    return answer(429, fail("ratelimited"), { "retry-after": String(limit.retryAfterSec) }, "rate_limit");
  }
  const response = handleApiMethod(deps.ctx, method, args, badJson);
  answer(200, response, kind === "bot" ? { "x-oauth-scopes": BOT_SCOPES } : {});
}

export async function handleUpload(deps: RouteDeps, fileId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const file = deps.state.files.get(fileId);
  if (!file) return sendText(res, 404, "file_not_found");
  const ct = req.headers["content-type"] ?? "";
  let content = body;
  if (ct.toLowerCase().startsWith("multipart/form-data")) {
    const form = await parseMultipart(ct, body);
    const entry = [...form.values()].find((v) => typeof v !== "string") ?? form.get("body") ?? form.get("file");
    if (entry === null || entry === undefined) return sendText(res, 400, "no_file_data");
    content = typeof entry === "string" ? Buffer.from(entry) : Buffer.from(await entry.arrayBuffer());
  }
  file.content = content;
  file.uploaded = true;
  deps.state.changed();
  sendText(res, 200, `OK - ${content.length}`);
}

export async function handleResponseUrl(deps: RouteDeps, id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const bodyBuf = await readBody(req);
  const { state } = deps;
  const rec = state.responseUrls.get(id);
  let body: JsonObject = {};
  try {
    const text = bodyBuf.toString("utf8");
    const ct = req.headers["content-type"] ?? "";
    const parsed: unknown = ct.includes("x-www-form-urlencoded")
      ? JSON.parse(new URLSearchParams(text).get("payload") ?? "{}")
      : JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null) body = parsed as JsonObject;
  } catch {
    return sendText(res, 400, "invalid_payload");
  }
  const log = (status: number): void => {
    state.responses.push({
      id,
      source: rec?.source ?? "unknown",
      user: rec?.user ?? "",
      ...(rec?.channel ? { channel: rec.channel } : {}),
      ...(rec?.messageTs ? { messageTs: rec.messageTs } : {}),
      body,
      time: Date.now(),
      status,
    });
    state.changed();
  };
  if (!rec) {
    log(404);
    return sendText(res, 404, "no_service");
  }
  if (Date.now() > rec.expiresAt) {
    log(404);
    return sendText(res, 404, "expired_url");
  }
  if (rec.uses >= 5) {
    log(404);
    return sendText(res, 404, "used_url");
  }
  if (body.blocks !== undefined && validateBlocks(body.blocks, "message").length > 0) {
    log(400);
    return sendText(res, 400, "invalid_blocks");
  }
  const text = typeof body.text === "string" ? body.text : "";
  const blocks = Array.isArray(body.blocks) ? normalizeBlocks(body.blocks) : undefined;
  if (!text && !blocks && body.delete_original !== true) {
    log(400);
    return sendText(res, 400, "no_text");
  }
  rec.uses += 1;
  applyResponse(deps, rec, body, text, blocks);
  log(200);
  sendJson(res, 200, { ok: true });
}

function applyResponse(
  deps: RouteDeps,
  rec: NonNullable<ReturnType<SlackState["responseUrls"]["get"]>>,
  body: JsonObject,
  text: string,
  blocks: unknown[] | undefined,
): void {
  const { state } = deps;
  const { botUserId, botId } = state.identity;
  const original = rec.channel && rec.messageTs ? state.findMessage(rec.channel, rec.messageTs) : undefined;
  const originalEph = rec.isEphemeral ? state.ephemerals.find((e) => e.channel === rec.channel && e.ts === rec.messageTs) : undefined;
  if (body.delete_original === true) {
    if (original) original.deleted = true;
    if (originalEph) state.ephemerals.splice(state.ephemerals.indexOf(originalEph), 1);
    return;
  }
  if (body.replace_original === true && (original || originalEph)) {
    const target = original ?? originalEph;
    if (!target) return;
    target.text = text;
    if (blocks) target.blocks = blocks;
    else delete target.blocks;
    if (original) {
      original.updateCount += 1;
      original.edited = { user: botUserId, ts: state.nextTs() };
    }
    return;
  }
  const channel = rec.channel ?? "";
  const threadTs = typeof body.thread_ts === "string" ? body.thread_ts : undefined;
  if (body.response_type === "in_channel") {
    state.addMessage({
      channel,
      ts: state.nextTs(),
      text,
      ...(threadTs ? { thread_ts: threadTs } : {}),
      ...(blocks ? { blocks } : {}),
      user: botUserId,
      bot_id: botId,
      fromBot: true,
      via: "response_url",
    });
  } else {
    state.addEphemeral({
      channel,
      user: rec.user,
      ts: state.nextTs(),
      text,
      ...(threadTs ? { thread_ts: threadTs } : {}),
      ...(blocks ? { blocks } : {}),
      via: "response_url",
    });
  }
}
