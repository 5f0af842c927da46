import { readFileSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../config/project-root.js";

// From src/ or, compiled, from dist/src/; this module also has to run on the older Node it turns away.
const PACKAGE_JSON = path.join(PROJECT_ROOT, "package.json");

/** opsroom's version and the Node versions it runs on (`engines.node`, the one place that says so). */
export function packageInfo(): { version: string; engines: string } {
  const pkg = JSON.parse(readFileSync(PACKAGE_JSON, "utf8")) as { version: string; engines: { node: string } };
  return { version: pkg.version, engines: pkg.engines.node };
}

/**
 * Why this Node cannot run opsroom, or undefined when it can. `engines` is package.json's `engines.node`,
 * written ">=MAJOR.MINOR".
 *
 * @example nodeVersionProblem("20.20.2", ">=22.12") // "opsroom needs Node.js 22.12 or newer; this is Node.js 20.20.2. …"
 */
export function nodeVersionProblem(version: string, engines: string): string | undefined {
  const wanted = /^>=(\d+)\.(\d+)$/.exec(engines);
  if (!wanted) throw new Error(`package.json engines.node must read ">=MAJOR.MINOR" (got "${engines}")`);
  const [major = 0, minor = 0] = version.split(".").map(Number);
  const [needMajor, needMinor] = [Number(wanted[1]), Number(wanted[2])];
  if (major > needMajor || (major === needMajor && minor >= needMinor)) return undefined;
  return (
    `opsroom needs Node.js ${needMajor}.${needMinor} or newer; this is Node.js ${version}.\n` +
    `  Install Node.js ${needMajor} (https://nodejs.org/, or \`nvm install\` in this folder, which reads .nvmrc) and run it again.`
  );
}
