/**
 * The dev environment's host: `node dev/host.ts <folder>`, started by opsroom (config `processes.dev`) and
 * stopped with it. Everything it makes lives in <folder> (OPSROOM_DATA_DIR/dev by default):
 *
 *   repos/api/          the sample service's git repository (its releases are tags: v1.0.0 … v1.4.0-rc.1)
 *   services/api/       releases checked out from it, state.json (deployments, instance count), logs/api.log
 *   db/dev, db/staging  two PGlite databases with the sample's schema and seed data (one migration pending):
 *                       dev's, and a local stand-in for staging's (opsroom uses it only while STAGING_DATABASE_URL
 *                       is not set)
 *
 * It serves the api's instances behind one URL, the databases on the Postgres protocol (each in a process of
 * its own, host/db-server.ts), and a control API for dev/devctl.ts, each on a free loopback port, then prints the variables opsroom's config reads:
 * `opsroom:ready {"DEV_API_URL": …, "DEV_HOST_URL": …, "DEV_DATABASE_URL": …, "STAGING_DATABASE_URL": …}`.
 * It exits when its standard input closes (opsroom stopped, or died), stopping every instance first.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { startControl } from "./host/control.ts";
import { startListening } from "./host/instances.ts";
import { LocalService } from "./host/local-service.ts";
import { SampleRepo } from "./host/sample-repo.ts";

/** Requests a second the host sends the api itself, so its logs show what users would see. */
const TRAFFIC_PATHS = ["/timeline?cohort=students", "/projects", "/timeline?cohort=mentors"];

const folder = path.resolve(process.argv[2] ?? ".opsroom/dev");
const rate = Number(/^--traffic=(\d+)$/.exec(process.argv[3] ?? "")?.[1] ?? "2");

async function lockFolder(): Promise<() => Promise<void>> {
  await mkdir(folder, { recursive: true });
  const file = path.join(folder, "host.pid");
  const other = Number(await readFile(file, "utf8").catch(() => "0"));
  if (other && other !== process.pid && alive(other)) {
    throw new Error(`another dev host (pid ${other}) is using ${folder}; two would corrupt its databases`);
  }
  await writeFile(file, String(process.pid));
  return () => rm(file, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const unlock = await lockFolder();
  // Each database in a process of its own (host/db-server.ts), which opens it at once.
  const database = (name: string, environment: string) =>
    startListening([path.join(import.meta.dirname, "host", "db-server.ts"), path.join(folder, "db", name), environment], folder, {});
  const devDb = await database("dev", "development");
  const stagingDb = await database("staging", "staging");
  const repo = await SampleRepo.open(path.join(folder, "repos", "api"));
  const api = await LocalService.start({ name: "api", env: "dev", dir: path.join(folder, "services", "api"), repo });
  const control = await startControl(new Map([["api", api]]), repo);
  let sent = 0;
  const traffic =
    rate > 0
      ? setInterval(() => void fetch(`${api.url}${TRAFFIC_PATHS[sent++ % TRAFFIC_PATHS.length]}`).catch(() => undefined), 1000 / rate)
      : undefined;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(traffic);
      await api.stop();
      await control.close();
      await Promise.all([devDb.stop(), stagingDb.stop()]);
      await unlock();
      process.exit(0);
    })());
  process.stdin.on("end", stop);
  process.stdin.on("error", stop);
  process.stdin.resume();
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);

  const variables = {
    DEV_API_URL: api.url,
    DEV_HOST_URL: control.url,
    DEV_DATABASE_URL: devDb.address,
    STAGING_DATABASE_URL: stagingDb.address,
  };
  process.stdout.write(`opsroom:ready ${JSON.stringify(variables)}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`dev host: ${err.message}\n`);
  process.exit(1);
});
