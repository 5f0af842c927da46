/** Whether dist/ holds a build of the current sources. */
export function isBuildCurrent(): boolean;
/** Compiles src/ and adapters/ to dist/ (see build.js). */
export function build(): Promise<void>;
export const DIST: string;
