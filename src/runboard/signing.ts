import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * HMAC-SHA256 signatures for what the Runboard hands out: session cookies and per-run links. A value
 * signed for one purpose never verifies for another (the purpose is part of what is signed).
 */
export interface Signer {
  sign(purpose: string, payload: string): string;
  verify(purpose: string, payload: string, signature: string): boolean;
}

export function createSigner(secret: string): Signer {
  const mac = (purpose: string, payload: string) => createHmac("sha256", secret).update(`${purpose}\n${payload}`).digest("base64url");
  return {
    sign: mac,
    verify(purpose, payload, signature) {
      const want = Buffer.from(mac(purpose, payload));
      const got = Buffer.from(signature);
      return want.length === got.length && timingSafeEqual(want, got);
    },
  };
}

/** Who a session cookie says is signed in, and until when (seconds since the epoch). */
export interface Session {
  user: string;
  name: string;
  exp: number;
}

/** A signed, self-contained value for a cookie: base64url(JSON).signature. */
export function sealValue(signer: Signer, purpose: string, value: unknown): string {
  const payload = Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${payload}.${signer.sign(purpose, payload)}`;
}

/** The value sealed by `sealValue`, or undefined when it was not signed by us for `purpose`, or expired. */
export function openValue<T extends { exp: number }>(
  signer: Signer,
  purpose: string,
  sealed: string | undefined,
  now: Date,
): T | undefined {
  if (!sealed) return undefined;
  const dot = sealed.lastIndexOf(".");
  if (dot < 1) return undefined;
  const payload = sealed.slice(0, dot);
  if (!signer.verify(purpose, payload, sealed.slice(dot + 1))) return undefined;
  try {
    const value = JSON.parse(Buffer.from(payload, "base64url").toString()) as T;
    return typeof value.exp === "number" && value.exp * 1000 > now.getTime() ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The token of a "View run" link: `<expiry>.<signature>`, valid for that one run until the expiry
 * (seconds since the epoch).
 */
export function runLinkToken(signer: Signer, runId: string, expiresAt: Date): string {
  const exp = Math.floor(expiresAt.getTime() / 1000);
  return `${exp}.${signer.sign("run-link", `${runId}:${exp}`)}`;
}

export type RunLinkCheck = { ok: true; expiresAt: Date } | { ok: false; reason: "invalid" | "expired"; expiredAt?: Date };

export function checkRunLinkToken(signer: Signer, runId: string, token: string, now: Date): RunLinkCheck {
  const [expText, signature] = token.split(".");
  const exp = Number(expText);
  if (!signature || !Number.isInteger(exp) || !signer.verify("run-link", `${runId}:${exp}`, signature))
    return { ok: false, reason: "invalid" };
  const expiresAt = new Date(exp * 1000);
  return expiresAt.getTime() > now.getTime() ? { ok: true, expiresAt } : { ok: false, reason: "expired", expiredAt: expiresAt };
}
