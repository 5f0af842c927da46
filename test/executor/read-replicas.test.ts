import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createAdapters } from "../../adapters/index.js";
import { createActionLookup } from "../../src/executor/action-catalog.js";
import { readReplicas } from "../../src/executor/read-replicas.js";

const deps = { actions: createActionLookup(createAdapters()), credentials: {}, log: pino({ level: "silent" }) };
/** A `status` command like dev/devctl.ts's: one step result on standard output. */
const status = (result: unknown) => [process.execPath, "-e", `console.log(${JSON.stringify(JSON.stringify(result))})`];

describe("readReplicas for deployVia shell", () => {
  it("reads data.replicas from the status command, as scale's preflight does", async () => {
    const target = { deployVia: "shell" as const, commands: { status: status({ summary: "api on 4 instances", data: { replicas: 4 } }) } };
    expect(await readReplicas(target, deps)).toBe(4);
  });

  it("says so when the status command gives no count, or there is none", async () => {
    const target = { deployVia: "shell" as const, commands: { status: status({ summary: "api is up" }) } };
    await expect(readReplicas(target, deps)).rejects.toMatchObject({ userMessage: "its `status` command gave no data.replicas" });
    await expect(readReplicas({ deployVia: "shell" }, deps)).rejects.toMatchObject({
      userMessage: "the config gives it no `status` command",
    });
  });
});
