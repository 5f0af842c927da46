/**
 * HTTP-mode delivery to the app's request URL (SLACK.md §2): v0 HMAC-SHA256
 * signatures over `v0:timestamp:body`, events as application/json, commands and
 * interactivity as application/x-www-form-urlencoded (exact string, no charset,
 * because Bolt compares the content type verbatim), retry headers.
 */
import { createHmac } from "node:crypto";
import { request } from "node:http";
import type { DeliveryAttempt, SignatureMode } from "./types.js";

export function computeSignature(signingSecret: string, timestamp: number | string, body: string): string {
  return `v0=${createHmac("sha256", signingSecret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

export interface HttpTarget {
  url: string;
  signingSecret: string;
  signature: SignatureMode;
}

export interface HttpSendOptions {
  timeoutMs: number;
  retryNum?: number;
  retryReason?: string;
}

export type BodyKind = "json" | "form";

export function encodeBody(kind: "json", body: unknown): string;
export function encodeBody(kind: "form", body: Record<string, string>): string;
export function encodeBody(kind: BodyKind, body: unknown): string {
  if (kind === "json") return JSON.stringify(body);
  return new URLSearchParams(body as Record<string, string>).toString();
}

function signatureHeaders(target: HttpTarget, body: string): Record<string, string> {
  const now = Math.floor(Date.now() / 1000);
  switch (target.signature) {
    case "none":
      return {};
    case "forged":
      return {
        "x-slack-request-timestamp": String(now),
        "x-slack-signature": computeSignature(`${target.signingSecret}-forged`, now, body),
      };
    case "stale": {
      const ts = now - 60 * 10;
      return {
        "x-slack-request-timestamp": String(ts),
        "x-slack-signature": computeSignature(target.signingSecret, ts, body),
      };
    }
    default:
      return {
        "x-slack-request-timestamp": String(now),
        "x-slack-signature": computeSignature(target.signingSecret, now, body),
      };
  }
}

/** POST one signed delivery; resolves with the app's answer (never rejects). */
export function postToApp(target: HttpTarget, kind: BodyKind, body: string, opts: HttpSendOptions): Promise<DeliveryAttempt> {
  const started = Date.now();
  const retryNum = opts.retryNum ?? 0;
  const headers: Record<string, string> = {
    "content-type": kind === "json" ? "application/json" : "application/x-www-form-urlencoded",
    "content-length": String(Buffer.byteLength(body)),
    "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    accept: "*/*",
    ...signatureHeaders(target, body),
  };
  if (retryNum > 0) {
    headers["x-slack-retry-num"] = String(retryNum);
    headers["x-slack-retry-reason"] = opts.retryReason ?? "http_timeout";
  }
  const base: DeliveryAttempt = { mode: "http", retryNum, acked: false, durationMs: 0 };
  if (retryNum > 0) base.retryReason = opts.retryReason ?? "http_timeout";

  return new Promise((resolve) => {
    let settled = false;
    const finish = (extra: Partial<DeliveryAttempt>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...base, ...extra, durationMs: Date.now() - started });
    };
    const req = request(target.url, { method: "POST", headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", () => finish({}));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const status = res.statusCode ?? 0;
        let parsed: unknown = text;
        if (text.length > 0) {
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = text;
          }
        }
        const out: Partial<DeliveryAttempt> = {
          status,
          acked: status >= 200 && status < 300,
          headers: res.headers,
          body: text,
        };
        if (text.length > 0) out.ackPayload = parsed;
        finish(out);
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish({});
    }, opts.timeoutMs);
    req.on("error", () => finish({}));
    req.end(body);
  });
}
