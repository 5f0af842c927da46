import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG_PATH, PROJECT_ROOT, loadConfigFile } from "../../src/config/load-config.js";
import { buildCatalog, type ParseContext } from "../../src/parser/intent.js";
import { parseText } from "../../src/parser/parse-text.js";
import { loadRunbooks } from "../../src/runbook/load-runbooks.js";

/**
 * The parser keeps per-lexicon memos (word verdicts, word facts on remembered spellings, key pairs)
 * and remembers the lexicon used last: alternating between two lexicons must give what each gives alone.
 */
describe("per-lexicon caches", () => {
  const config = loadConfigFile(DEFAULT_CONFIG_PATH, {});
  const runbooks = loadRunbooks(path.join(PROJECT_ROOT, "runbooks"));
  const now = new Date("2026-03-10T12:00:00Z");
  const full: ParseContext = { runbooks, catalog: buildCatalog(config), now, timeZone: "Europe/Berlin" };
  // Fewer runbooks and another catalog: other facts for the same words ("deploy" is no trigger here).
  const small: ParseContext = {
    runbooks: runbooks.filter((r) => r.id !== "deploy" && r.id !== "rollback"),
    catalog: { envs: [{ name: "prod", aliases: ["production"] }], services: [{ name: "web", aliases: [] }], flags: [], cohorts: [] },
    now,
    timeZone: "Europe/Berlin",
  };
  const messages = [
    "deploy api to stg at 5pm",
    "Deploy WEB to Production",
    "rollback web in prod",
    "restart web on prod pls",
    "I'm looking at the CPU graphs",
    "why is web throwing 500s since 10am?",
    "turn off featureMatrix in prod",
    "lol",
  ];

  it("gives each lexicon's own results when calls alternate", () => {
    const aloneFull = messages.map((m) => parseText(m, full));
    const aloneSmall = messages.map((m) => parseText(m, small));
    expect(aloneFull).not.toEqual(aloneSmall);
    for (let round = 0; round < 3; round++) {
      messages.forEach((m, k) => {
        expect(parseText(m, small)).toEqual(aloneSmall[k]);
        expect(parseText(m, full)).toEqual(aloneFull[k]);
      });
    }
  });
});
