import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import nock from "nock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpAdapter } from "../../adapters/http/index.js";
import { expectAdapterError, fixture, makeCtx, useNock } from "./helpers.js";

const http = createHttpAdapter();
const check = http.actions.check!;
const resolveTargets = http.actions.resolveTargets!;

describe("http.check", () => {
  useNock({ allowLocalhost: true });

  it('reports "name: 200 OK in N ms" for a healthy URL', async () => {
    nock("https://api.example.com").get("/healthz").reply(200, fixture("http/healthz.json"));
    const result = await check.run({ name: "api", url: "https://api.example.com/healthz" }, makeCtx());
    expect(result.summary).toMatch(/^api: 200 OK in \d+ ms$/);
    expect(result.data).toMatchObject({ name: "api", status: 200, ok: true });
  });

  it("accepts args as a rendered template leaves them (empty strings, numbers as text)", async () => {
    nock("https://api.example.com").get("/healthz").reply(200, '{"status":"ok"}');
    const result = await check.run(
      { name: "api", url: "https://api.example.com/healthz", expectBody: "", latencyBudgetMs: "5000", expectStatus: "200" },
      makeCtx(),
    );
    expect(result.summary).toMatch(/^api: 200 OK in \d+ ms \(budget 5000 ms\)$/);
  });

  it("fails on a non-2xx status with the URL, status and a body excerpt, retryable for 5xx", async () => {
    nock("https://api.example.com").get("/healthz").reply(503, "upstream connect error");
    const err = await expectAdapterError(
      check.run({ name: "api", url: "https://api.example.com/healthz" }, makeCtx()),
      "HTTP_UNEXPECTED_STATUS",
    );
    expect(err.userMessage).toMatch(
      /^api: https:\/\/api\.example\.com\/healthz answered 503 Service Unavailable in \d+ ms; expected 2xx\. Body starts: upstream connect error$/,
    );
    expect(err.retryable).toBe(true);
    expect(err.status).toBe(503);
  });

  it("honours expectStatus", async () => {
    nock("https://api.example.com").get("/healthz").reply(200, "ok");
    const err = await expectAdapterError(
      check.run({ name: "api", url: "https://api.example.com/healthz", expectStatus: [204] }, makeCtx()),
      "HTTP_UNEXPECTED_STATUS",
    );
    expect(err.userMessage).toContain("expected 204");
    expect(err.retryable).toBe(false);
  });

  it("fails when the body lacks the expected text, quoting what it got", async () => {
    nock("https://api.example.com").get("/healthz").reply(200, '{"status":"degraded"}');
    const err = await expectAdapterError(
      check.run({ name: "api", url: "https://api.example.com/healthz", expectBody: '"status":"ok"' }, makeCtx()),
      "HTTP_BODY_MISMATCH",
    );
    expect(err.userMessage).toBe(
      'api: https://api.example.com/healthz answered 200 OK but the body does not contain "\\"status\\":\\"ok\\"". Body starts: {"status":"degraded"}',
    );
  });

  it("fails when slower than the latency budget", async () => {
    nock("https://api.example.com").get("/healthz").delay(60).reply(200, "ok");
    const err = await expectAdapterError(
      check.run({ name: "api", url: "https://api.example.com/healthz", latencyBudgetMs: 20 }, makeCtx()),
      "HTTP_OVER_BUDGET",
    );
    expect(err.userMessage).toMatch(/^api: https:\/\/api\.example\.com\/healthz answered 200 OK in \d+ ms, over its 20 ms budget\.$/);
    expect(err.retryable).toBe(true);
  });

  it("names the URL and ECONNREFUSED when nothing listens", async () => {
    const port = await closedPort();
    const err = await expectAdapterError(
      check.run({ name: "dev", url: `http://127.0.0.1:${port}/healthz` }, makeCtx()),
      "HTTP_UNREACHABLE",
    );
    expect(err.userMessage).toBe(`dev: cannot reach http://127.0.0.1:${port}/healthz (ECONNREFUSED).`);
    expect(err.hint).toMatch(/Nothing is listening/);
    expect(err.retryable).toBe(true);
  });

  it("names the error code for a failing host (ENOTFOUND)", async () => {
    nock("https://nope.example.com")
      .get("/healthz")
      .replyWithError(Object.assign(new Error("getaddrinfo ENOTFOUND nope.example.com"), { code: "ENOTFOUND" }));
    const err = await expectAdapterError(
      check.run({ name: "api", url: "https://nope.example.com/healthz" }, makeCtx()),
      "HTTP_UNREACHABLE",
    );
    expect(err.userMessage).toBe("api: cannot reach https://nope.example.com/healthz (ENOTFOUND).");
  });

  it("times out with ADAPTER_TIMEOUT against a real server that never answers", async () => {
    const server = createServer(() => undefined);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const { port } = server.address() as AddressInfo;
      const err = await expectAdapterError(
        check.run({ name: "slow", url: `http://127.0.0.1:${port}/`, timeoutMs: 50 }, makeCtx()),
        "ADAPTER_TIMEOUT",
      );
      expect(err.userMessage).toBe(`slow: http://127.0.0.1:${port}/ did not answer within 50 ms.`);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("rejects promptly when cancelled while the body is still streaming (real server)", async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("partial");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const { port } = server.address() as AddressInfo;
      const ctx = makeCtx();
      const started = Date.now();
      const pending = check.run({ name: "dev", url: `http://127.0.0.1:${port}/healthz` }, ctx);
      setTimeout(() => ctx.controller.abort(), 50);
      await expectAdapterError(pending, "ADAPTER_ABORTED");
      expect(Date.now() - started).toBeLessThan(10_000); // the body never ends: only the abort ends the call
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("sends credentials embedded in the URL as basic auth and never shows them", async () => {
    nock("https://api.example.com")
      .get("/healthz")
      .matchHeader("authorization", `Basic ${Buffer.from("user:s3cretpw").toString("base64")}`)
      .reply(500, "oops");
    const err = await expectAdapterError(check.run({ name: "api", url: "https://user:s3cretpw@api.example.com/healthz" }, makeCtx()));
    expect(err.userMessage).not.toContain("s3cretpw");
    expect(err.userMessage).toContain("https://api.example.com/healthz");
  });
});

describe("http.check against a real local server", () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.writeHead(req.url === "/healthz" ? 200 : 404, { "content-type": "application/json" });
      res.end('{"status":"ok"}');
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it("passes with the expected body", async () => {
    const result = await check.run({ name: "dev", url: `${base}/healthz`, expectBody: '"status":"ok"' }, makeCtx());
    expect(result.summary).toMatch(/^dev: 200 OK in \d+ ms$/);
  });
});

describe("http.resolveTargets", () => {
  it("lists the targets the planner found", async () => {
    const targets = [
      { name: "api", url: "https://api.staging.example.com/healthz" },
      { name: "web", url: "https://staging.example.com/", expect: "" },
    ];
    const result = await resolveTargets.run({ env: "staging", targets }, makeCtx());
    expect(result.summary).toBe("2 health URLs in staging: api, web");
  });

  it("says where to configure a health URL when there is none", async () => {
    const err = await expectAdapterError(resolveTargets.run({ env: "staging", targets: [] }, makeCtx()), "HTTP_NO_TARGETS");
    expect(err.userMessage).toBe("no health URL configured for staging; set services.<service>.environments.staging.healthUrl");
    const named = await expectAdapterError(resolveTargets.run({ env: "prod", service: "worker", targets: [] }, makeCtx()));
    expect(named.userMessage).toBe("no health URL configured for worker in prod; set services.worker.environments.prod.healthUrl");
  });

  it("accepts the list as rendered JSON text", async () => {
    const result = await resolveTargets.run(
      { env: "dev", targets: '[{"name":"opsroom","url":"http://127.0.0.1:8787/healthz"}]' },
      makeCtx(),
    );
    expect(result.summary).toBe("1 health URL in dev: opsroom");
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
