import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";

export const fileAgeArgs = z.strictObject({
  /** A file, or a folder whose newest file counts; relative to where opsroom runs. */
  path: z.string({ error: "must be a file or folder path" }).min(1, "must not be empty"),
});

/** Folders are walked this deep: a migrations or seeds folder, not a whole repository. */
const MAX_DEPTH = 4;

/**
 * A local file's or folder's "last modified": the file's mtime, or the newest file's under the folder.
 * A path that does not exist is an error saying so ("File not found"), which the board shows as Blocked.
 */
export function createFileAge(baseDir: string): AdapterAction {
  return adapterAction("board", "fileAge", {
    description: "Read when a local file, or the newest file in a folder, was last modified (a telemetry feed).",
    args: fileAgeArgs,
    risk: "read",
    async run(args) {
      const full = path.resolve(baseDir, args.path);
      const info = await stat(full).catch((err: NodeJS.ErrnoException) => {
        throw new AdapterError(
          "board",
          "fileAge",
          "BOARD_FILE_NOT_FOUND",
          // Said as the board says it ("File not found"); a relative path is resolved from where opsroom runs.
          err.code === "ENOENT" ? `File not found: ${args.path}` : `Cannot read ${args.path} (${err.code ?? err.message})`,
        );
      });
      const newest = info.isDirectory() ? await newestFile(full, 0) : { file: full, mtimeMs: info.mtimeMs };
      if (!newest) throw new AdapterError("board", "fileAge", "BOARD_FOLDER_EMPTY", `No files in ${args.path}`);
      const at = new Date(newest.mtimeMs).toISOString();
      const name = path.relative(baseDir, newest.file) || args.path;
      return { summary: `${name} last modified ${at}`, data: { at, value: at, detail: name } };
    },
  });
}

async function newestFile(dir: string, depth: number): Promise<{ file: string; mtimeMs: number } | undefined> {
  let best: { file: string; mtimeMs: number } | undefined;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    const candidate = entry.isDirectory()
      ? depth < MAX_DEPTH
        ? await newestFile(full, depth + 1)
        : undefined
      : entry.isFile()
        ? { file: full, mtimeMs: (await stat(full)).mtimeMs }
        : undefined;
    if (candidate && (!best || candidate.mtimeMs > best.mtimeMs)) best = candidate;
  }
  return best;
}
