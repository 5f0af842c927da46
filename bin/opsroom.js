#!/usr/bin/env node
// Runs the compiled JavaScript in dist/ (no TypeScript transpiling at every start). When a source
// is newer than the last build (a fresh edit, a pull), it is rebuilt first, in well under a second.
import { build, isBuildCurrent } from "./build.js";

if (!isBuildCurrent()) await build();
const { nodeVersionProblem, packageInfo } = await import("../dist/src/cli/version.js");
const problem = nodeVersionProblem(process.versions.node, packageInfo().engines);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
const { runCli } = await import("../dist/src/cli/cli.js");
const code = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
process.exitCode = code;
