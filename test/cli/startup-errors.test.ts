import { randomBytes } from "node:crypto";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/cli.js";
import { describeDatabaseError, reportStartupError } from "../../src/report-startup-error.js";
import { freePort } from "../support/opsroom-process.js";
import { NEEDS_POSTGRES } from "../support/skip-unless.js";

/** `opsroom migrate` with this DATABASE_URL: what a person starting opsroom reads. */
async function migrateWith(databaseUrl: string) {
  let stderr = "";
  const err = new PassThrough().on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await runCli(["migrate"], {
    stdin: new PassThrough(),
    stdout: new PassThrough(),
    stderr: err,
    env: { DATABASE_URL: databaseUrl },
  });
  return { code, stderr };
}

const scratchName = (what: string) => `opsroom_${what}_${randomBytes(4).toString("hex")}`;

describe("database errors at start say what they mean", () => {
  it("nothing listening at the host and port", async () => {
    const port = await freePort();
    const { code, stderr } = await migrateWith(`postgres://opsroom:pw@127.0.0.1:${port}/opsroom`);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `opsroom cannot start: nothing is listening at 127.0.0.1:${port} (ECONNREFUSED) — is PostgreSQL running there? Check the host and port in DATABASE_URL.\n` +
        "  Or unset DATABASE_URL to use the embedded database.\n",
    );
  });

  it("a DATABASE_URL that is not a postgres:// URL is named as such, without echoing it", async () => {
    for (const value of ["notaurl", "mysql://app:hunter2@db.example.com/app"]) {
      const { code, stderr } = await migrateWith(value);
      expect(code).toBe(1);
      expect(stderr).toContain("environment: DATABASE_URL: must be a URL like postgres://user:password@host:5432/dbname");
      expect(stderr).not.toContain("hunter2");
    }
  });

  it("a wrong password or an unknown host, from the codes the server and resolver give", () => {
    const url = "postgres://app:hunter2@db.example.com:6543/ops";
    const password = Object.assign(new Error('password authentication failed for user "app"'), { code: "28P01" });
    const host = Object.assign(new Error("getaddrinfo ENOTFOUND db.example.com"), { code: "ENOTFOUND" });
    expect(describeDatabaseError(password, url)).toBe(
      'password authentication failed for user "app" on db.example.com:6543 — fix the password in DATABASE_URL.',
    );
    expect(describeDatabaseError(host, url)).toBe('the host "db.example.com" was not found (ENOTFOUND) — check the host in DATABASE_URL.');
  });

  describe("on a real server", NEEDS_POSTGRES, () => {
    const server = () => new URL(process.env.TEST_DATABASE_URL!);

    it("a database that does not exist", async () => {
      const name = scratchName("nosuchdb");
      const url = Object.assign(server(), { pathname: `/${name}` });
      const { code, stderr } = await migrateWith(url.toString());
      expect(code).toBe(1);
      expect(stderr).toContain(
        `opsroom cannot start: database "${name}" does not exist on ${url.hostname}:${url.port || 5432} — create it`,
      );
    });

    it("a user the server does not know", async () => {
      const user = scratchName("nobody");
      const url = Object.assign(server(), { username: user });
      const { code, stderr } = await migrateWith(url.toString());
      expect(code).toBe(1);
      expect(stderr).toContain(`opsroom cannot start: the server at ${url.hostname}:${url.port || 5432} refused user "${user}": `);
      expect(stderr).toContain("fix the user in DATABASE_URL");
    });
  });
});

describe("other errors at start", () => {
  it("PORT taken in Slack HTTP mode, where opsroom must listen: names the port and how to change it", () => {
    let stderr = "";
    const err = new PassThrough().on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const taken = Object.assign(new Error("listen EADDRINUSE: address already in use 0.0.0.0:8787"), { code: "EADDRINUSE", port: 8787 });
    expect(reportStartupError(taken, { stderr: err })).toBe(1);
    expect(stderr).toBe("opsroom cannot start: port 8787 is in use by another process — stop it, or set PORT to a free port.\n");
  });
});
