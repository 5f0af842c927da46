import type { Viewer } from "./render/layout.js";

/** What the Runboard's middleware puts on every request: who is looking (undefined: nobody signed in). */
export type RunboardEnv = { Variables: { viewer: Viewer | undefined } };
