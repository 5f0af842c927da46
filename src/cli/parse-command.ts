import { createInterface } from "node:readline";
import path from "node:path";
import { isTimeZone } from "../config/config-schema.js";
import { DEFAULT_CONFIG_PATH, DEFAULT_RUNBOOKS_DIR, loadConfigFile } from "../config/load-config.js";
import { ConfigError, formatConfigIssue } from "../errors.js";
import { buildCatalog, type Intent, type ParseContext } from "../parser/intent.js";
import { parseText } from "../parser/parse-text.js";
import { loadRunbooks } from "../runbook/load-runbooks.js";
import { stripSlackMarkup } from "../slack/strip-slack-markup.js";

export interface CommandIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
}

const USAGE = `Usage: opsroom parse [--json] [--now ISO] [--tz ZONE] [--config PATH] [TEXT]

Parses TEXT, or every line of standard input, into an intent: which runbook, with which params.
  --json         one JSON object per input line: {text, runbook, params, confidence, missing, clarify, alternatives}
  --now ISO      reference time for relative times ("since 10am"); default: now
  --tz ZONE      IANA time zone for times without an offset; default: the config's timeZone
  --config PATH  config file; default: $OPSROOM_CONFIG or config/opsroom.example.yml
Runbooks are read from $OPSROOM_RUNBOOKS_DIR or runbooks/.`;

interface Options {
  json: boolean;
  now: string | undefined;
  tz: string | undefined;
  config: string | undefined;
  help: boolean;
  text: string | undefined;
}

/**
 * `opsroom parse`: prints the intent for TEXT or for each line of standard input, in order.
 * Returns the exit code: 0 done, 1 bad config or runbooks, 2 bad usage.
 *
 * @example await runParseCommand(["--json", "deploy api to stg"], { stdin, stdout, stderr, env: process.env })
 */
export async function runParseCommand(argv: string[], io: CommandIo): Promise<number> {
  let options: Options;
  try {
    options = parseArgs(argv);
  } catch (error) {
    io.stderr.write(`opsroom parse: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const now = options.now === undefined ? new Date() : new Date(options.now);
  if (Number.isNaN(now.getTime())) {
    io.stderr.write(`opsroom parse: --now must be an ISO 8601 time like 2026-03-10T12:00:00Z (got "${options.now}")\n`);
    return 2;
  }

  let ctx: ParseContext;
  try {
    const configPath = path.resolve(options.config ?? io.env.OPSROOM_CONFIG?.trim() ?? DEFAULT_CONFIG_PATH);
    const config = loadConfigFile(configPath, io.env);
    const runbooksDir = path.resolve(io.env.OPSROOM_RUNBOOKS_DIR?.trim() || DEFAULT_RUNBOOKS_DIR);
    const timeZone = options.tz ?? config.timeZone;
    if (!isTimeZone(timeZone)) {
      io.stderr.write(`opsroom parse: --tz must be an IANA time zone like Europe/Berlin or UTC (got "${timeZone}")\n`);
      return 2;
    }
    ctx = { runbooks: loadRunbooks(runbooksDir), catalog: buildCatalog(config), now, timeZone };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(`opsroom parse: cannot load config or runbooks:\n${error.issues.map((i) => `  ${formatConfigIssue(i)}`).join("\n")}\n`);
    return 1;
  }

  const emit = (line: string) => {
    const intent = { ...parseText(stripSlackMarkup(line), ctx), text: line };
    io.stdout.write(options.json ? `${toJsonLine(intent)}\n` : `${explain(intent)}\n`);
  };

  if (options.text !== undefined) {
    emit(options.text);
    return 0;
  }
  const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
  for await (const line of lines) emit(line);
  return 0;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { json: false, now: undefined, tz: undefined, config: undefined, help: false, text: undefined };
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] =
      arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    if (flag === "--json") options.json = true;
    else if (flag === "--now") options.now = value();
    else if (flag === "--tz") options.tz = value();
    else if (flag === "--config") options.config = value();
    else if (flag === "--help" || flag === "-h") options.help = true;
    else if (flag === "--") {
      words.push(...argv.slice(i + 1));
      break;
    } else if (flag.startsWith("--")) throw new Error(`unknown option ${flag}`);
    else words.push(arg);
  }
  if (words.length > 0) options.text = words.join(" ");
  return options;
}

/** The documented field order, so lines diff cleanly. */
function toJsonLine(intent: Intent): string {
  const { text, runbook, params, confidence, missing, clarify, alternatives } = intent;
  return JSON.stringify({ text, runbook, params, confidence, missing, clarify, alternatives });
}

function explain(intent: Intent): string {
  const lines = [JSON.stringify(intent.text)];
  if (intent.runbook === null) {
    lines.push("  → not a command");
    if (intent.clarify) lines.push(`  ? ${intent.clarify}`);
  } else {
    lines.push(`  → ${intent.runbook} (confidence ${intent.confidence.toFixed(2)})`);
    for (const [name, value] of Object.entries(intent.params))
      lines.push(`      ${name}: ${Array.isArray(value) ? value.join(", ") : String(value)}`);
    if (intent.missing.length > 0) lines.push(`    missing: ${intent.missing.join(", ")}`);
    if (intent.clarify) lines.push(`  ? ${intent.clarify}`);
  }
  if (intent.alternatives.length > 0)
    lines.push(`    alternatives: ${intent.alternatives.map((a) => `${a.runbook} ${a.confidence.toFixed(2)}`).join(", ")}`);
  return lines.join("\n");
}
