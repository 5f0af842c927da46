import { parseArgs } from "node:util";
import { loadConfig } from "../config/load-config.js";
import type { Io } from "../main.js";
import { reportStartupError } from "../report-startup-error.js";
import { createRedactor } from "../redact.js";
import { createRunChains } from "../service/run-chain.js";
import { lockDataDir } from "../store/data-dir-lock.js";
import { openStore } from "../store/open-store.js";
import { exportRunChains, parseRunFilter } from "../service/run-chain-export.js";
import { renderChainText, renderRunLine } from "./render-run-chain.js";

export const RUNS_USAGE = `usage: opsroom runs list   [filters] [--limit N] [--json]
       opsroom runs show   <id> [--json]
       opsroom runs export [filters] [--format jsonl|csv]

  filters: --runbook ID  --env NAME  --service NAME  --requester USER  --status STATUS[,STATUS]  --since TIME  --until TIME
  (TIME: an ISO date or time, e.g. 2026-01-07 or 2026-01-07T12:00Z)
  export writes every matching run's whole chain (the message, its parse, the plan and its hash,
  approvals, events, artifacts, outcome), one JSON object per line or one CSV row per run.
`;

/** `opsroom runs list|show|export`: the audit trail, read from the database opsroom uses. */
export async function runsCommand(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        runbook: { type: "string" },
        env: { type: "string" },
        service: { type: "string" },
        requester: { type: "string" },
        status: { type: "string" },
        since: { type: "string" },
        until: { type: "string" },
        limit: { type: "string" },
        json: { type: "boolean" },
        format: { type: "string" },
      },
    });
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n${RUNS_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const problem = checkArgs(sub, values, positionals);
  if (problem) {
    io.stderr.write(`${problem}\n${RUNS_USAGE}`);
    return 2;
  }
  const { filter } = parseRunFilter(values);

  let unlock = () => {};
  try {
    const config = loadConfig(io.env);
    // Secrets were redacted before anything was stored; this is the second line, for values set since.
    const redactor = createRedactor(config.secretValues);
    if (!config.env.DATABASE_URL) unlock = lockDataDir(config.env.OPSROOM_DATA_DIR);
    const store = await openStore({ databaseUrl: config.env.DATABASE_URL, dataDir: config.env.OPSROOM_DATA_DIR });
    const chains = createRunChains(store);
    const out = (text: string) => io.stdout.write(`${redactor.redactText(text)}\n`);
    try {
      if (sub === "show") {
        const chain = await chains.runChain(positionals[0]!);
        if (!chain) {
          io.stderr.write(`No single run starts with "${positionals[0]}" (none, or several: give more of the id).\n`);
          return 1;
        }
        out(values.json ? JSON.stringify(chain) : renderChainText(chain));
      } else if (sub === "list") {
        const runs = await store.listRuns({ ...filter, limit: values.limit ? Number(values.limit) : 50 });
        for (const run of runs) out(values.json ? JSON.stringify(run) : renderRunLine(run));
      } else {
        for await (const line of exportRunChains(chains.runChains(filter), values.format === "csv" ? "csv" : "jsonl", redactor)) out(line);
      }
      return 0;
    } finally {
      await store.close();
    }
  } catch (error) {
    return reportStartupError(error, io);
  } finally {
    unlock();
  }
}

function checkArgs(
  sub: string | undefined,
  values: Record<string, string | boolean | undefined>,
  positionals: string[],
): string | undefined {
  if (sub !== "list" && sub !== "show" && sub !== "export") return `unknown runs command "${sub ?? ""}"`;
  if (sub === "show" && positionals.length !== 1) return "runs show needs one run id";
  if (sub !== "show" && positionals.length > 0) return `unexpected argument "${positionals[0]}"`;
  const text = (key: string) => (typeof values[key] === "string" ? (values[key] as string) : undefined);
  const problem = parseRunFilter({ since: text("since"), until: text("until"), status: text("status") }).problems[0];
  if (problem) return `--${problem.field} ${problem.message}`;
  if (values.format !== undefined && values.format !== "jsonl" && values.format !== "csv")
    return `--format must be jsonl or csv (got "${String(values.format)}")`;
  if (typeof values.limit === "string" && !(Number(values.limit) > 0)) return `--limit must be a positive number (got "${values.limit}")`;
  return undefined;
}
