/**
 * A relative scale ("add 2 more replicas to api in prod") through the real service, runbooks, adapters and
 * console: the count is read from DigitalOcean's app spec (nock, the documented GET /v2/apps/{id} shape),
 * the plan says where its number came from, a count below zero is refused, and an unreadable count is asked for.
 */
import { randomBytes } from "node:crypto";
import nock from "nock";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAdapters } from "../../adapters/index.js";
import { DEFAULT_RUNBOOKS_DIR, loadConfig, type Config } from "../../src/config/load-config.js";
import { createConsoleCommands } from "../../src/console/console-commands.js";
import { createActionLookup } from "../../src/executor/action-catalog.js";
import { createRedactor } from "../../src/redact.js";
import { loadRunbooks } from "../../src/runbook/load-runbooks.js";
import type { OpsService } from "../../src/service/ops-service.js";
import { wireService } from "../../src/wire-service.js";
import { CANARY, fixture, useNock } from "../adapters/helpers.js";
import { openTestStore, type TestStore } from "../support/test-stores.js";

const APP = "4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf";
const log = pino({ level: "silent" });
const api = () => nock("https://api.digitalocean.com", { reqheaders: { authorization: `Bearer ${CANARY.DIGITALOCEAN_TOKEN}` } });

/** DigitalOcean's documented app (test/fixtures/digitalocean/app.json) with `web` and `worker` running these counts. */
function appWith(counts: { web: number; worker: number }) {
  const app = fixture<{ app: { spec: { services: { instance_count: number }[]; workers: { instance_count: number }[] } } }>(
    "digitalocean/app.json",
  );
  app.app.spec.services[0]!.instance_count = counts.web;
  app.app.spec.workers[0]!.instance_count = counts.worker;
  return app;
}

/** The example config with api and worker in prod on the fixture's App Platform app (the loaded config is frozen). */
function onAppPlatform(): Config {
  const config = loadConfig({});
  const api = config.services.api!;
  return {
    ...config,
    services: {
      ...config.services,
      api: {
        ...api,
        environments: {
          ...api.environments,
          prod: { ...api.environments?.prod, deployVia: "digitalocean", digitaloceanApp: APP, digitaloceanComponent: "web" },
        },
      },
      worker: { ...config.services.worker!, digitaloceanApp: APP },
    },
  };
}

describe("a relative scale is planned from the count running now", () => {
  useNock();
  let t: TestStore;
  const runbooks = loadRunbooks(DEFAULT_RUNBOOKS_DIR);
  const actions = createActionLookup(createAdapters());
  const serviceWith = (credentials: Record<string, string>, config = onAppPlatform()): OpsService =>
    wireService({ store: t.store, config, runbooks, actions, credentials, redactor: createRedactor(Object.values(credentials)), log });
  const consoleOf = (service: OpsService) => {
    const printed: string[] = [];
    const run = createConsoleCommands({
      service,
      user: "U0ALICE01",
      print: (text) => printed.push(text),
      follow: async () => {},
      timeZone: "UTC",
      sessionId: randomBytes(3).toString("hex"),
    });
    return { run, last: () => printed.at(-1) ?? "" };
  };

  beforeAll(async () => {
    t = await openTestStore("pglite");
  });
  afterAll(() => t.dispose());
  beforeEach(async () => {
    await t.db.query("TRUNCATE runs CASCADE");
  });

  it("adds 2 to the 3 instances api runs in prod: a plan for 5, saying so on the console's plan", async () => {
    // Once to read the count, once for the plan's preflight.
    api()
      .get(`/v2/apps/${APP}`)
      .times(2)
      .reply(200, appWith({ web: 3, worker: 1 }));
    const service = serviceWith({ DIGITALOCEAN_TOKEN: CANARY.DIGITALOCEAN_TOKEN });
    const console = consoleOf(service);
    await console.run("add 2 more replicas to api in prod");
    expect(console.last()).toContain("│ replicas: 5 (3 now + 2)");
    const [run] = await service.listRuns();
    expect(run).toMatchObject({ runbook: "scale", status: "pending_approval", params: { service: "api", env: "prod", replicas: 5 } });
    expect(run!.plan.steps.find((s) => s.id === "scale")?.args).toMatchObject({ app: APP, component: "web", instanceCount: 5 });
  });

  it("refuses to remove 3 of the 2 instances worker runs, saying what would be left", async () => {
    api()
      .get(`/v2/apps/${APP}`)
      .reply(200, appWith({ web: 2, worker: 2 }));
    const service = serviceWith({ DIGITALOCEAN_TOKEN: CANARY.DIGITALOCEAN_TOKEN });
    await expect(service.submitText("remove 3 pods from worker in prod", { user: "U0ALICE01", source: "test" })).rejects.toMatchObject({
      code: "PLAN_RELATIVE_OUT_OF_RANGE",
      userMessage: "worker in prod runs 2; removing 3 would leave -1 (replicas must be 0–100).",
    });
    expect(await service.listRuns()).toEqual([]);
  });

  it("asks for the count, saying why, when DigitalOcean cannot be read", async () => {
    api().get(`/v2/apps/${APP}`).reply(500, { id: "server_error", message: "Server Error" });
    const result = await serviceWith({ DIGITALOCEAN_TOKEN: CANARY.DIGITALOCEAN_TOKEN }).submitText("add 2 more replicas to api in prod", {
      user: "U0ALICE01",
      source: "test",
    });
    expect(result).toMatchObject({ kind: "clarify", intent: { missing: ["replicas"] } });
    const question = result.kind === "clarify" ? result.question : "";
    expect(question).toMatch(
      /^I couldn't read api's current count in prod: DigitalOcean: could not read app .*500.* How many replicas \(0–100\)\?$/,
    );
  });

  it("asks for the count when no provider is configured for the service", async () => {
    const result = await serviceWith({ DIGITALOCEAN_TOKEN: CANARY.DIGITALOCEAN_TOKEN }, loadConfig({})).submitText(
      "add 2 more replicas to api in prod",
      { user: "U0ALICE01", source: "test" },
    );
    expect(result).toMatchObject({
      kind: "clarify",
      question: expect.stringMatching(/^I couldn't read api's current count in prod: the config gives it no digitaloceanApp/),
    });
  });
});
