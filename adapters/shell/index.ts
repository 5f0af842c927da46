import type { Adapter } from "../types.js";
import { createRunAction, type ShellAdapterOptions } from "./run.js";

export type { ShellAdapterOptions } from "./run.js";

/** Runs programs (argv, never a shell) with an allow-listed environment. */
export function createShellAdapter(options: ShellAdapterOptions = {}): Adapter {
  return {
    id: "shell",
    description: "Run a program with an allow-listed environment and capture its output.",
    actions: { run: createRunAction(options), read: createRunAction(options, true) },
  };
}
