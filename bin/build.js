// Compiles the TypeScript sources (src/, adapters/) to JavaScript in dist/, file for file, with
// esbuild: types are stripped, nothing is bundled or type-checked (`npm run typecheck` does that).
// `npm install` runs it (prepare), `npm run build` runs it, and bin/opsroom.js runs it before
// starting whenever a source is newer than the last build, so there is no build step to forget.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SOURCE_DIRS = ["src", "adapters"];
export const DIST = path.join(ROOT, "dist");
const STAMP = path.join(DIST, ".built");

/** Every file and folder under the source folders, and this script: what a build depends on. */
function sources() {
  const found = [{ file: fileURLToPath(import.meta.url), dir: false }];
  const walk = (dir) => {
    found.push({ file: dir, dir: true });
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else found.push({ file, dir: false });
    }
  };
  for (const dir of SOURCE_DIRS) walk(path.join(ROOT, dir));
  return found;
}

// A folder's mtime changes when a file in it is added, removed or renamed, so deletions count too.
const newestChange = (files) => Math.max(...files.map(({ file }) => statSync(file).mtimeMs));

/** Whether dist/ holds a build of the current sources (a few ms: one stat per file). */
export function isBuildCurrent() {
  let built;
  try {
    built = Number(readFileSync(STAMP, "utf8"));
  } catch {
    return false;
  }
  return newestChange(sources()) <= built;
}

/**
 * Builds dist/. Each file is written to a temporary name and renamed into place, so a process
 * starting while another one builds never reads half a file.
 */
export async function build() {
  const { build: esbuild } = await import("esbuild");
  const files = sources();
  const changedUpTo = newestChange(files);
  const entries = files.filter(({ file, dir }) => !dir && file.endsWith(".ts") && SOURCE_DIRS.some((d) => isUnder(file, d)));
  const result = await esbuild({
    entryPoints: entries.map(({ file }) => file),
    outdir: DIST,
    outbase: ROOT,
    platform: "node",
    format: "esm",
    target: "node22",
    write: false,
    logLevel: "error",
  });
  const suffix = `.${process.pid}.tmp`;
  const written = new Set([STAMP]);
  for (const output of result.outputFiles) {
    writeAtomically(output.path, output.contents, suffix);
    written.add(output.path);
  }
  // SQL migrations and other assets are read next to the module that uses them.
  for (const { file, dir } of files) {
    if (dir || file.endsWith(".ts") || !SOURCE_DIRS.some((d) => isUnder(file, d))) continue;
    const target = path.join(DIST, path.relative(ROOT, file));
    mkdirSync(path.dirname(target), { recursive: true });
    copyFileSync(file, `${target}${suffix}`);
    renameSync(`${target}${suffix}`, target);
    written.add(target);
  }
  // What a deleted source left behind (a removed migration must not be applied from here).
  for (const file of listFiles(DIST)) if (!written.has(file) && !file.endsWith(".tmp")) rmSync(file, { force: true });
  writeAtomically(STAMP, String(changedUpTo), suffix);
}

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

function writeAtomically(file, contents, suffix) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}${suffix}`, contents);
  renameSync(`${file}${suffix}`, file);
}

function isUnder(file, dir) {
  return !path.relative(path.join(ROOT, dir), file).startsWith("..");
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await build();
