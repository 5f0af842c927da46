import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { INSTANCE_ID } from "../../src/config/instance.js";
import { startHealthServer } from "../../src/health-server.js";
import { exitWithin, startOpsroom } from "../support/opsroom-process.js";

/** Another process on a port, answering /healthz the way a healthy service would. */
async function anotherProcess(): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}'));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

describe("opsroom's health endpoint", () => {
  it("says which opsroom answered", async () => {
    const server = await startHealthServer({
      port: 0,
      log: pino({ level: "silent" }),
      check: async () => ({ database: "pglite" }),
      ready: async () => ({}),
    });
    servers.push(server!);
    const response = await fetch(`http://127.0.0.1:${(server!.address() as AddressInfo).port}/healthz`);
    expect(await response.json()).toEqual({ status: "ok", service: "opsroom", instance: INSTANCE_ID, database: "pglite" });
  });

  it("with PORT taken, warns in one line naming the port and how to change it", async () => {
    const other = await anotherProcess();
    servers.push(other.server);
    const lines: string[] = [];
    const log = pino(
      { level: "info", base: undefined },
      new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(...chunk.toString().trimEnd().split("\n")), done()) }),
    );
    const server = await startHealthServer({ port: other.port, log, check: async () => ({}), ready: async () => ({}) });
    expect(server).toBeUndefined();
    expect(lines).toHaveLength(1);
    const warning = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(warning.msg).toBe(
      `health endpoint not started: port ${other.port} is in use by another process, so this opsroom serves no /healthz (and \`check dev status\` fails rather than check that process); set PORT to a free port`,
    );
    expect(warning).not.toHaveProperty("err");
  });

  it("`check dev status` fails instead of checking another process that holds PORT", async () => {
    const other = await anotherProcess();
    servers.push(other.server);
    const bot = await startOpsroom({ PORT: String(other.port), LOG_LEVEL: "warn" }, { input: "check dev status\n" });
    const code = await exitWithin(bot, 120_000);
    expect(code).toBe(1);
    expect(bot.stdout()).toContain(`✗ dev: http://127.0.0.1:${other.port}/healthz answered 200 OK but the body does not contain`);
    // The check expects this opsroom's own instance id, which the other process does not report.
    expect(bot.stdout()).toContain('does not contain "\\"instance\\":\\"');
    expect(bot.stderr()).toContain(`port ${other.port} is in use by another process`);
  }, 300_000);
});
