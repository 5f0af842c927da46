import { readFileSync } from "node:fs";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import nock from "nock";
import { pino } from "pino";
import { afterEach, beforeEach, expect } from "vitest";
import type { Clock } from "../../adapters/shared/clock.js";
import type { StepContext } from "../../adapters/types.js";
import { AdapterError } from "../../src/errors.js";

/** Planted secrets: every one contains CANARY, and nothing else in fixtures does. */
export const CANARY = {
  GITHUB_TOKEN: "ghp_CANARY0000000000000000000000000001",
  VERCEL_TOKEN: "vercel_CANARY_token_0123456789",
  DIGITALOCEAN_TOKEN: "dop_v1_CANARY_do_token_0123456789abcdef",
  SUPABASE_SERVICE_ROLE_KEY: "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.CANARYsignature0123456789",
  SUPABASE_ACCESS_TOKEN: "sbp_CANARY_access_token_0123456789",
  SHELL_SECRET: "shell_CANARY_secret_value",
  /** Credential-shaped strings a provider might echo: must be scrubbed even though we never sent them. */
  inResponse: {
    githubToken: "ghp_CANARYRESPONSE000000000000000000002",
    bearer: "Bearer CANARYbearer0123456789",
    jwt: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJDQU5BUlkifQ.CANARYjwtsig0123456789",
    password: "password=CANARYpass123",
    doToken: "dop_v1_ca4a4ca4a4ca4a4ca4a4ca4a4ca4a4ca",
  },
} as const;

export const ALL_CREDENTIALS: Record<string, string> = {
  GITHUB_TOKEN: CANARY.GITHUB_TOKEN,
  VERCEL_TOKEN: CANARY.VERCEL_TOKEN,
  DIGITALOCEAN_TOKEN: CANARY.DIGITALOCEAN_TOKEN,
  SUPABASE_URL: "https://abcd1234.supabase.co",
  SUPABASE_SERVICE_ROLE_KEY: CANARY.SUPABASE_SERVICE_ROLE_KEY,
  SUPABASE_ACCESS_TOKEN: CANARY.SUPABASE_ACCESS_TOKEN,
  SHELL_SECRET: CANARY.SHELL_SECRET,
};

/** Anything that must never show a planted secret. */
export function assertNoCanary(...values: unknown[]): void {
  for (const value of values) {
    const text = typeof value === "string" ? value : JSON.stringify(value, errorReplacer);
    expect(text ?? "").not.toMatch(/CANARY|ca4a4ca4a4ca4a4ca4/);
  }
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { ...value, name: value.name, message: value.message, stack: value.stack, cause: value.cause };
  }
  return value;
}

export interface TestContext extends StepContext {
  readonly logs: string[];
  readonly controller: AbortController;
}

export function makeCtx(overrides: { credentials?: Record<string, string>; dryRun?: boolean; signal?: AbortSignal } = {}): TestContext {
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const controller = new AbortController();
  return {
    log: pino({ level: "trace" }, stream),
    signal: overrides.signal ?? controller.signal,
    runId: "run-1",
    stepId: "step-1",
    dryRun: overrides.dryRun ?? false,
    credentials: overrides.credentials ?? ALL_CREDENTIALS,
    logs,
    controller,
  };
}

/** A clock whose sleep returns at once and moves time forward: polling tests never wait. */
export function fakeClock(start = Date.parse("2026-01-07T10:00:00Z")): Clock & { sleeps: number[] } {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    async sleep(ms, signal) {
      if (signal.aborted) throw signal.reason;
      sleeps.push(ms);
      now += ms;
    },
  };
}

const fixturesDir = fileURLToPath(new URL("../fixtures/", import.meta.url));

export function fixture<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(`${fixturesDir}${path}`, "utf8")) as T;
}

export function fixturePath(path: string): string {
  return `${fixturesDir}${path}`;
}

/** Network off for the whole file; every interceptor must be used by the test that set it up. */
export function useNock(options: { allowLocalhost?: boolean } = {}): void {
  beforeEach(() => {
    nock.disableNetConnect();
    if (options.allowLocalhost) nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
  });
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    nock.enableNetConnect();
    expect(pending, "every nock interceptor is used").toEqual([]);
  });
}

/**
 * A reply that never comes until the request is aborted: headers are never sent. (nock 15's `.delay()`
 * only delays the end of the body; aborting while that body is pending trips an assertion inside
 * undici, through @mswjs/interceptors' mock socket, that crashes the process.)
 */
export function hangingReply(): () => Promise<[number, string]> {
  return () => new Promise(() => undefined);
}

/** Runs `fn`, expects an AdapterError, returns it. */
export async function expectAdapterError(promise: Promise<unknown>, code?: string): Promise<AdapterError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(AdapterError);
    const e = err as AdapterError;
    if (code) expect(e.code, e.userMessage).toBe(code);
    return e;
  }
  throw new Error(`expected an AdapterError${code ? ` ${code}` : ""}, but the call succeeded`);
}
