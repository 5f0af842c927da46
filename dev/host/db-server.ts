/**
 * One dev database in a process of its own: `node dev/host/db-server.ts <folder> <environment>`, started by the
 * dev host. PGlite computes in WebAssembly on the thread that calls it; in its own process it never holds up
 * the api's front door. Prints `listening <postgres URL>`, opens (or creates) the database on the first
 * connection, so an opsroom that never touches it never pays for it, and exits when its standard input closes.
 */
import { openDevDatabase } from "./dev-database.ts";
import { servePglite } from "./pg-bridge.ts";

const [folder, environment] = process.argv.slice(2);
if (!folder || !environment) {
  process.stderr.write("usage: db-server.ts <folder> <feature_flags environment>\n");
  process.exit(2);
}
const server = await servePglite(() => openDevDatabase({ folder, environment, pending: 1 }));
let stopping: Promise<void> | undefined;
const stop = () => (stopping ??= server.close().then(() => process.exit(0)));
process.stdin.on("end", stop);
process.stdin.on("error", stop);
process.stdin.resume();
process.on("SIGTERM", stop);
process.stdout.write(`listening ${server.url}\n`);
