/**
 * A scheduler process for the fault suite: what `npm start` runs beside its front end (the real scheduler
 * and store) against SCHED_DB_URL, with its clock driven from standard input so that several processes
 * agree on the time without waiting: each line `tick <ISO time>` sets the clock and runs one look, then
 * prints `ticked <result JSON>`. What the front end would show is printed as `started <run id>` and
 * `skipped <schedule id> <count>`. SCHED_DIE_AFTER_CLAIM=1 kills the process (SIGKILL) right after its first
 * claim of an occurrence commits and before its run exists: the worst moment to die.
 */
import { createInterface } from "node:readline";
import pino from "pino";
import { loadConfig } from "../../../src/config/load-config.js";
import { startScheduler } from "../../../src/schedules/scheduler.js";
import { openPostgres } from "../../../src/store/db.js";
import { createStore } from "../../../src/store/store.js";

const env = process.env;
const log = pino({ level: "warn", base: { pid: process.pid } }, pino.destination({ dest: 2, sync: true }));
const store = createStore(openPostgres(env.SCHED_DB_URL!, { max: 2, applicationName: "opsroom-faults-scheduler" }));
if (env.SCHED_DIE_AFTER_CLAIM === "1") {
  const claim = store.schedules.claimOccurrence.bind(store.schedules);
  store.schedules.claimOccurrence = async (...args) => {
    const claimed = await claim(...args);
    if (claimed && args[2].fire) process.kill(process.pid, "SIGKILL");
    return claimed;
  };
}
let now = new Date(0);
const scheduler = await startScheduler(
  {
    store,
    config: { ...loadConfig({}), watches: {} },
    planRequest: () => {
      throw new Error("no config watches here");
    },
    notifier: {
      occurrenceStarted: async (_schedule, run) => void process.stdout.write(`started ${run.id}\n`),
      skipped: async (notice) => void process.stdout.write(`skipped ${notice.schedule.id} ${notice.skipped}\n`),
      alert: async () => {},
    },
    log,
    clock: () => now,
    owner: `faults-${process.pid}`,
  },
  { timers: false },
);
process.stdout.write("ready\n");
for await (const line of createInterface({ input: process.stdin })) {
  const [command, at] = line.split(" ");
  if (command !== "tick" || !at) continue;
  now = new Date(at);
  const result = await scheduler.tick();
  process.stdout.write(`ticked ${JSON.stringify(result)}\n`);
}
await scheduler.stop();
process.exit(0);
