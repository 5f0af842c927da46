/**
 * Settings reach the adapters from the validated config and environment: the config file's
 * `adapters` section (API bases, the Supabase environment mapping) and the adapters' tokens as the
 * environment schema validated them (trimmed; blank means unset).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSupabaseAdapter } from "../../adapters/index.js";
import { loadConfig } from "../../src/config/load-config.js";
import { ConfigError } from "../../src/errors.js";
import { adapterOptions, createApp, type App } from "../../src/main.js";
import { fixture, makeCtx } from "../adapters/helpers.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const GHE_CONFIG = path.join(ROOT, "test/fixtures/config/adapters-ghe.yml");

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe("adapter settings", () => {
  let app: App | undefined;
  const dataDir = mkdtempSync(path.join(tmpdir(), "opsroom-adapters-"));
  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("sends GitHub calls to the API base the config names, with the token as validated (trimmed)", async () => {
    const ghe = nock("https://github.example.com", { reqheaders: { authorization: "Bearer ghp_trimmed0000000000000000000000000001" } })
      .get("/api/v3/repos/acme/api")
      .reply(200, fixture("github/repository.json"));
    app = await createApp(
      {
        stdin: process.stdin,
        stdout: process.stdout,
        stderr: process.stderr,
        env: { OPSROOM_CONFIG: GHE_CONFIG, OPSROOM_DATA_DIR: dataDir, GITHUB_TOKEN: "  ghp_trimmed0000000000000000000000000001\n" },
      },
      { worker: false, health: false, consoleMode: true },
    );
    await app.service.submitText("deploy api to staging", { user: "console", source: "console" });
    expect(ghe.isDone()).toBe(true);
  });

  it("treats a blank token as unset", async () => {
    const config = loadConfig({ OPSROOM_CONFIG: GHE_CONFIG, GITHUB_TOKEN: "   " });
    expect(config.credentialSource.GITHUB_TOKEN).toBeUndefined();
  });

  it("reads and writes the feature_flags environment the config maps an opsroom environment to", async () => {
    const config = loadConfig({ OPSROOM_CONFIG: GHE_CONFIG });
    const supabase = createSupabaseAdapter({ environments: adapterOptions(config).supabaseEnvironments! });
    const rows = fixture<Record<string, unknown>[]>("supabase/feature-flags.json").slice(0, 1);
    const scope = nock("https://abcd1234.supabase.co")
      .get("/rest/v1/feature_flags")
      .query((q) => q.environment === "eq.stage-eu")
      .reply(
        200,
        rows.map((r) => ({ ...r, environment: "stage-eu" })),
      );
    await supabase.actions.listFlags!.run({ env: "staging" }, makeCtx());
    expect(scope.isDone()).toBe(true);
  });

  it("refuses an adapters section with a bad URL, naming the field and its line", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "opsroom-adapters-")), "bad.yml");
    const text = "environments:\n  dev: {}\nadapters:\n  github:\n    apiUrl: not a url\n";
    writeFileSync(file, text);
    try {
      loadConfig({ OPSROOM_CONFIG: file });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues[0]).toMatchObject({ line: 5, field: "adapters.github.apiUrl" });
    }
  });
});
