import { loadConfig } from "../config/load-config.js";
import { ConfigError } from "../errors.js";
import { startBot, startWorkerOnly, type Io } from "../main.js";
import { reportStartupError } from "../report-startup-error.js";
import { openStore } from "../store/open-store.js";
import { validateRunbooksCommand } from "./runbooks-command.js";
import { packageInfo } from "./version.js";

const USAGE = `usage: opsroom <command>

  start                       run the bot (Slack with tokens, else the local console)
  worker                      run executors only, against DATABASE_URL
  parse [--json] [--now ISO] [--tz ZONE] [--config PATH] [TEXT]
                              show how a message is understood (each stdin line without TEXT)
  runbooks validate [DIR]     check every runbook file
  runs list|show|export       the audit trail of runs (\`opsroom runs\` for its options)
  migrate                     apply database migrations and exit
  --version                   print opsroom's version and the Node.js it runs on
`;

/** The `opsroom` command: one subcommand per job; returns the exit code. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "start":
    case undefined:
      return startBot(io);
    case "worker":
      return startWorkerOnly(io);
    case "parse": {
      const { runParseCommand } = await import("./parse-command.js");
      return runParseCommand(rest, io);
    }
    case "runbooks":
      if (rest[0] === "validate") return validateRunbooksCommand(rest.slice(1), io);
      io.stderr.write(USAGE);
      return 2;
    case "runs": {
      const { runsCommand } = await import("./runs-command.js");
      return runsCommand(rest, io);
    }
    case "migrate":
      return migrateCommand(io);
    case "--version":
    case "-v":
    case "version":
      io.stdout.write(`opsroom ${packageInfo().version} (Node.js ${process.versions.node})\n`);
      return 0;
    case "help":
    case "--help":
    case "-h":
      io.stdout.write(USAGE);
      return 0;
    default:
      io.stderr.write(`unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

async function migrateCommand(io: Io): Promise<number> {
  try {
    const config = loadConfig(io.env);
    const store = await openStore({ databaseUrl: config.env.DATABASE_URL, dataDir: config.env.OPSROOM_DATA_DIR });
    await store.close();
    io.stdout.write(`migrations applied (${config.env.DATABASE_URL ? "DATABASE_URL" : config.env.OPSROOM_DATA_DIR})\n`);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof Error) return reportStartupError(error, io);
    throw error;
  }
}
