import type { StoredArtifact } from "../store/types.js";

/**
 * Whether front ends show an artifact. `json` artifacts are data for later readers (a triage's
 * suspects and way back, read by the incident summary and the postmortem), not something to post.
 */
export function isForPeople(artifact: Pick<StoredArtifact, "kind">): boolean {
  return artifact.kind !== "json";
}
