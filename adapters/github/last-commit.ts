import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { optionalText, repositoryArg } from "../shared/args.js";
import { path, type ProviderClient } from "../shared/http-client.js";
import { GITHUB_TOKEN, splitRepository } from "./client.js";

/** GET /repos/{owner}/{repo}/commits item (the fields read). */
interface CommitItem {
  sha: string;
  html_url: string;
  commit: { message: string; author: { name: string; date: string } | null; committer: { name: string; date: string } | null };
  author: { login: string } | null;
}

export const lastCommitArgs = z.strictObject({
  repository: repositoryArg,
  /** A file or folder in the repository. */
  path: z.string({ error: "must be a path in the repository" }).min(1, "must not be empty"),
  /** Branch, tag or SHA; the default branch when absent. */
  ref: optionalText(),
});

/**
 * When a path in a repository last changed: the newest commit touching it (List commits with `path` and
 * `per_page=1`). A path no commit touches is an error saying so ("File not found"): the board shows it Blocked.
 */
export function createLastCommit(client: ProviderClient): AdapterAction {
  return adapterAction("github", "lastCommit", {
    description: "Find the last commit that touched a file or folder of a repository (when it was last modified, and by whom).",
    args: lastCommitArgs,
    risk: "read",
    credentials: [GITHUB_TOKEN],
    async run(args, ctx) {
      const [owner, repo] = splitRepository(args.repository);
      const { body } = await client.request<CommitItem[]>(ctx, {
        method: "GET",
        path: path`/repos/${owner}/${repo}/commits`,
        query: { path: args.path, per_page: 1, ...(args.ref ? { sha: args.ref } : {}) },
        what: `list commits of ${args.repository} touching ${args.path}`,
      });
      const latest = Array.isArray(body) ? body[0] : undefined;
      if (!latest) {
        throw new AdapterError(
          "github",
          "lastCommit",
          "GITHUB_NOT_FOUND",
          `File not found: no commit touches ${args.path} in ${args.repository}${args.ref ? ` at ${args.ref}` : ""}.`,
          { hint: "Check the feed's repository, path and ref." },
        );
      }
      const at = latest.commit.committer?.date ?? latest.commit.author?.date ?? null;
      const by = latest.author?.login ?? latest.commit.author?.name ?? null;
      const sha = latest.sha.slice(0, 7);
      return {
        summary: `${args.repository}:${args.path} last changed ${at ?? "at an unknown time"} in ${sha}${by ? ` by ${by}` : ""}`,
        data: {
          at,
          value: at,
          detail: `${sha}${by ? ` by ${by}` : ""}: ${latest.commit.message.split("\n")[0]}`,
          sha: latest.sha,
          url: latest.html_url,
        },
        artifacts: [{ kind: "link", title: `Last commit touching ${args.path}`, url: latest.html_url }],
      };
    },
  });
}
