import { AdapterError } from "../../src/errors.js";
import type { ActionContext } from "./action.js";
import { abortable } from "./clock.js";
import { abortError, networkErrorCode } from "./errors.js";

export type FetchLike = typeof fetch;

/** Fetch resolved at call time, so test interceptors installed after construction still apply. */
export const globalFetch: FetchLike = (input, init) => globalThis.fetch(input, init);

export interface ProviderClientConfig {
  /** Adapter id, for errors: "github". */
  readonly adapter: string;
  /** Provider name for messages: "GitHub". */
  readonly provider: string;
  /** Error code prefix: "GITHUB" → GITHUB_NOT_FOUND. */
  readonly codePrefix: string;
  readonly baseUrl: string;
  /** The credential holding the API token, e.g. GITHUB_TOKEN. */
  readonly tokenName: string;
  readonly fetch?: FetchLike;
  /** Per-request limit on top of the step's signal; default 30 s. */
  readonly requestTimeoutMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Pulls the provider's own error text out of an error body. */
  readonly errorText?: (body: unknown) => string | undefined;
  /** True when a response is a rate limit even though its status is not 429 (GitHub answers 403). */
  readonly isRateLimited?: (status: number, headers: Headers) => boolean;
  /** Hints per status for this provider ("GITHUB_TOKEN needs the repo scope"). */
  readonly hints?: Partial<Record<"401" | "403" | "404" | "422", string>>;
}

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface RequestSpec {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Path below the base URL, already encoded: use `path` below. */
  readonly path: string;
  readonly query?: Query;
  readonly body?: unknown;
  /** What this call is, for messages: "get repository acme/api". */
  readonly what: string;
  /** Statuses that are not errors (default: any 2xx). */
  readonly accept?: readonly number[];
  /**
   * For endpoints that stream until the client leaves (live logs): read the body for at most this
   * long, then stop and keep what arrived. The body is then text, never parsed as JSON.
   */
  readonly readForMs?: number;
}

export interface ProviderResponse<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Encodes each value as one URL path segment: path`/repos/${owner}/${repo}`. */
export function path(strings: TemplateStringsArray, ...values: Array<string | number>): string {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? encodeURIComponent(String(values[i])) : ""), "");
}

/** Encodes a git ref or file path for a URL path, keeping its slashes: feature/x stays feature/x. */
export function slashPath(value: string): string {
  return value.split("/").map(encodeURIComponent).join("/");
}

/**
 * A small JSON client for one provider's REST API: bearer auth from the step's credentials, the step's
 * signal plus a per-request timeout on every call, and every failure turned into an AdapterError with a
 * stable code (`<PREFIX>_UNAUTHORIZED`, `_FORBIDDEN`, `_NOT_FOUND`, `_CONFLICT`, `_INVALID`,
 * `_RATE_LIMITED`, `_UNAVAILABLE`, `_HTTP_ERROR`, `_UNREACHABLE`, `_BAD_RESPONSE`, or ADAPTER_TIMEOUT /
 * ADAPTER_ABORTED). Provider error text is included only after scrubbing; bodies are never logged.
 */
export class ProviderClient {
  constructor(private readonly config: ProviderClientConfig) {}

  get baseUrl(): string {
    return this.config.baseUrl.replace(/\/+$/, "");
  }

  url(pathname: string, query?: Query): string {
    const url = new URL(this.baseUrl + pathname);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  async request<T = unknown>(ctx: ActionContext, spec: RequestSpec): Promise<ProviderResponse<T>> {
    const { adapter, provider, codePrefix } = this.config;
    const token = ctx.credentials[this.config.tokenName] ?? "";
    const url = this.url(spec.path, spec.query);
    const timeout = AbortSignal.timeout(this.config.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS);
    const signal = AbortSignal.any([ctx.signal, timeout]);
    const headers: Record<string, string> = {
      accept: "application/json",
      "user-agent": "opsroom",
      ...this.config.headers,
      authorization: `Bearer ${token}`,
    };
    if (spec.body !== undefined) headers["content-type"] = "application/json";
    const started = performance.now();
    const fetchImpl = this.config.fetch ?? globalFetch;
    let response: Response;
    let text: string;
    try {
      response = await abortable(
        fetchImpl(url, {
          method: spec.method,
          headers,
          signal,
          ...(spec.body !== undefined ? { body: JSON.stringify(spec.body) } : {}),
        }),
        signal,
      );
      text = await abortable(spec.readForMs !== undefined ? readFor(response, spec.readForMs) : response.text(), signal);
    } catch (err) {
      if (signal.aborted) {
        const reason = ctx.signal.aborted ? ctx.signal.reason : timeout.reason;
        throw abortError(adapter, ctx.action, `${provider}: ${spec.what} (${spec.method} ${spec.path})`, reason);
      }
      const code = networkErrorCode(err) ?? "network error";
      throw new AdapterError(
        adapter,
        ctx.action,
        `${codePrefix}_UNREACHABLE`,
        `${provider}: could not ${spec.what}: ${spec.method} ${this.baseUrl}${spec.path} failed (${code}).`,
        { retryable: true, cause: err, hint: `Check that ${this.baseUrl} is reachable from the bot.` },
      );
    }
    const ms = Math.round(performance.now() - started);
    ctx.log.debug({ method: spec.method, path: spec.path, status: response.status, duration_ms: ms }, "provider request");

    const body = spec.readForMs !== undefined && response.ok ? text : parseBody(text, response.headers);
    const accepted = spec.accept ? spec.accept.includes(response.status) : response.status >= 200 && response.status < 300;
    if (!accepted) throw this.httpError(ctx, spec, response, body);
    if (body === INVALID_JSON) {
      throw new AdapterError(
        adapter,
        ctx.action,
        `${codePrefix}_BAD_RESPONSE`,
        `${provider}: ${spec.what} answered ${response.status} with a body that is not JSON.`,
        { retryable: true, status: response.status },
      );
    }
    return { status: response.status, headers: response.headers, body: body as T };
  }

  private httpError(ctx: ActionContext, spec: RequestSpec, response: Response, body: unknown): AdapterError {
    const { adapter, provider, codePrefix, hints = {}, tokenName } = this.config;
    const status = response.status;
    const rateLimited = status === 429 || (this.config.isRateLimited?.(status, response.headers) ?? false);
    const providerText = body === INVALID_JSON || body === undefined ? undefined : this.config.errorText?.(body);
    const detail = providerText ? `: ${ctx.scrub.text(truncate(providerText, 300)).replace(/[.\s]+$/, "")}` : "";
    const statusText = response.statusText ? ` ${response.statusText}` : "";
    const message = `${provider}: could not ${spec.what} (${spec.method} ${spec.path} → ${status}${statusText})${detail}.`;
    const retryAfter = retryAfterSeconds(response.headers);
    let code: string;
    let hint: string | undefined;
    let retryable = false;
    if (rateLimited) {
      code = `${codePrefix}_RATE_LIMITED`;
      retryable = true;
      hint = retryAfter !== undefined ? `Rate limited; retry after ${retryAfter} s.` : "Rate limited; retry in a minute.";
    } else if (status === 401) {
      code = `${codePrefix}_UNAUTHORIZED`;
      hint = hints["401"] ?? `${tokenName} was rejected: check it is set, valid and not expired.`;
    } else if (status === 403) {
      code = `${codePrefix}_FORBIDDEN`;
      hint = hints["403"] ?? `${tokenName} is valid but lacks permission for this.`;
    } else if (status === 404) {
      code = `${codePrefix}_NOT_FOUND`;
      hint = hints["404"] ?? `Check the name; ${provider} also answers 404 when ${tokenName} cannot see it.`;
    } else if (status === 409) {
      code = `${codePrefix}_CONFLICT`;
    } else if (status === 400 || status === 422) {
      code = `${codePrefix}_INVALID`;
      hint = hints["422"];
    } else if (status >= 500) {
      code = `${codePrefix}_UNAVAILABLE`;
      retryable = true;
      hint = `${provider} had a server error; retry shortly.`;
    } else {
      code = `${codePrefix}_HTTP_ERROR`;
    }
    return new AdapterError(adapter, ctx.action, code, message, { status, retryable, ...(hint ? { hint } : {}) });
  }
}

const INVALID_JSON = Symbol("invalid json");

/** A body read until it ends or `ms` have passed, whichever is first. */
async function readFor(response: Response, ms: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const decoder = new TextDecoder();
  let text = "";
  let timer: NodeJS.Timeout | undefined;
  const stop = new Promise<"stop">((resolve) => (timer = setTimeout(() => resolve("stop"), ms)));
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), stop]);
      if (next === "stop" || next.done) break;
      text += decoder.decode(next.value, { stream: true });
    }
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => undefined);
  }
  return text + decoder.decode();
}

function parseBody(text: string, headers: Headers): unknown {
  if (text.trim() === "") return undefined;
  const type = headers.get("content-type") ?? "";
  if (type.includes("ndjson") || type.includes("jsonl")) return text;
  if (!type.includes("json") && !/^\s*[[{]/.test(text)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return INVALID_JSON;
  }
}

function retryAfterSeconds(headers: Headers): number | undefined {
  const value = headers.get("retry-after");
  if (value && /^\d+$/.test(value)) return Number(value);
  const reset = headers.get("x-ratelimit-reset");
  if (reset && /^\d+$/.test(reset)) {
    const seconds = Number(reset) - Math.floor(Date.now() / 1000);
    return seconds > 0 && seconds < 86_400 ? seconds : undefined;
  }
  return undefined;
}

export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Reads `message` or `error.message` from common error body shapes. */
export function messageOf(body: unknown): string | undefined {
  if (typeof body === "string") return /<[a-z!]/i.test(body) ? undefined : body;
  if (typeof body !== "object" || body === null) return undefined;
  const record = body as Record<string, unknown>;
  if (typeof record.message === "string") return record.message;
  const error = record.error;
  if (typeof error === "string") return error;
  if (typeof error === "object" && error !== null && typeof (error as Record<string, unknown>).message === "string") {
    return (error as Record<string, string>).message;
  }
  return undefined;
}
