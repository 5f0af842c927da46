/**
 * `npm run bench:start`: how long `npm start` takes to show the console's first prompt, against the
 * floor no start can beat, measured in the same run on the same warm embedded database.
 *
 * ours:  `node bin/opsroom.js start` in a pseudo-terminal (util-linux `script`), from spawn to the
 *        `opsroom> ` prompt on the terminal. The build is current (as after `npm install`).
 * floor: a Node process that opens the same PGlite data folder, runs `SELECT 1`, and imports the
 *        Slack (Bolt) and Supabase clients: what any start of this app pays at least. Run through
 *        `script` too, so both pay the same process and terminal set-up.
 *
 * Rounds alternate between the two so that load from anything else on the machine hits both alike;
 * the median of BENCH_REPEATS rounds (default 7) is reported, with peak memory (VmHWM) of each.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { build, isBuildCurrent } from "../bin/build.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const REPEATS = Number(process.env.BENCH_REPEATS ?? 7);
const GOAL = 1.3;

const FLOOR_SCRIPT = `
const { PGlite } = await import("@electric-sql/pglite");
const db = await PGlite.create(process.env.OPSROOM_DATA_DIR);
await db.query("SELECT 1");
await import("@slack/bolt");
await import("@supabase/supabase-js");
process.stdout.write("floor-ready\\n");
await new Promise((resolve) => process.stdin.once("data", resolve));
await db.close();
`;

interface Sample {
  ms: number;
  peakMiB: number;
}

/**
 * Runs `argv` in a pseudo-terminal; resolves when the terminal shows `ready`, with the time since
 * spawning and the peak memory of the Node process under the terminal, then sends `quit` to end it.
 */
async function measure(argv: string[], ready: string, quit: string, env: Record<string, string>): Promise<Sample> {
  const started = performance.now();
  const child = spawn("script", ["-qfec", argv.map(quote).join(" "), "/dev/null"], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "inherit"],
  });
  let shown = "";
  const ms = await new Promise<number>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      shown += chunk.toString();
      if (shown.includes(ready)) resolve(performance.now() - started);
    });
    child.once("exit", (code) => reject(new Error(`${argv.join(" ")} exited (${code}) before showing "${ready}":\n${shown}`)));
  });
  const peakMiB = peakMemoryMiB(child.pid!);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  // `script` exits with its command once its own input has ended too.
  child.stdin.end(quit);
  await exited;
  return { ms, peakMiB };
}

/** VmHWM of the node process under `script` (and its shell, if it kept one). */
function peakMemoryMiB(pid: number): number {
  const children = (p: number): number[] => {
    try {
      return readdirSync(`/proc/${p}/task`).flatMap((task) =>
        readFileSync(`/proc/${p}/task/${task}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number),
      );
    } catch {
      return [];
    }
  };
  const all: number[] = [];
  for (let queue = children(pid); queue.length > 0;) {
    const next = queue.shift()!;
    all.push(next);
    queue.push(...children(next));
  }
  const node = all.find((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0")[0] === process.execPath;
    } catch {
      return false;
    }
  });
  if (node === undefined) return Number.NaN;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${node}/status`, "utf8"));
  return hwm ? Number(hwm[1]) / 1024 : Number.NaN;
}

function quote(arg: string): string {
  return /^[\w./=:-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "nan");

if (!isBuildCurrent()) await build();
const dataDir = mkdtempSync(path.join(tmpdir(), "opsroom-bench-start-"));
const env = { OPSROOM_DATA_DIR: dataDir, PORT: "0", NO_COLOR: "1" };
try {
  // A warm embedded database (created and migrated), as on every start after the first.
  await measure([process.execPath, "bin/opsroom.js", "start"], "opsroom> ", "\u0004", env);
  await measure([process.execPath, "--input-type=module", "-e", FLOOR_SCRIPT], "floor-ready", "\n", env);
  const ours: Sample[] = [];
  const floor: Sample[] = [];
  for (let round = 0; round < REPEATS; round++) {
    ours.push(await measure([process.execPath, "bin/opsroom.js", "start"], "opsroom> ", "\u0004", env));
    floor.push(await measure([process.execPath, "--input-type=module", "-e", FLOOR_SCRIPT], "floor-ready", "\n", env));
  }
  const oursMs = median(ours.map((s) => s.ms));
  const floorMs = median(floor.map((s) => s.ms));
  const oursMiB = median(ours.map((s) => s.peakMiB));
  const floorMiB = median(floor.map((s) => s.peakMiB));
  console.log(`\nconsole start → first prompt, warm embedded database, ${REPEATS} rounds (median)`);
  console.log(`    ${"".padEnd(40)}${"ms".padStart(8)}${"peak MiB".padStart(10)}   (rounds ms)`);
  const row = (label: string, ms: number, mib: number, samples: Sample[]) =>
    console.log(`    ${label.padEnd(40)}${fmt(ms).padStart(8)}${fmt(mib).padStart(10)}   (${samples.map((s) => fmt(s.ms)).join(", ")})`);
  row("opsroom start (console)", oursMs, oursMiB, ours);
  row("floor: PGlite open + Bolt + supabase-js", floorMs, floorMiB, floor);
  const ratio = oursMs / floorMs;
  console.log("");
  console.log(
    `RESULT start_to_prompt_ms ours=${fmt(oursMs, 2)} peer=${fmt(floorMs, 2)} ratio=${fmt(ratio, 3)} goal=<=${GOAL.toFixed(1)} met=${ratio <= GOAL ? "yes" : "no"}`,
  );
  // Reported, not a goal of its own: the embedded database's WASM heap is most of both.
  const memRatio = oursMiB / floorMiB;
  console.log(
    `RESULT start_peak_rss_mib ours=${fmt(oursMiB, 1)} peer=${fmt(floorMiB, 1)} ratio=${fmt(memRatio, 3)} goal=<=${GOAL.toFixed(1)} met=${memRatio <= GOAL ? "yes" : "no"}`,
  );
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
