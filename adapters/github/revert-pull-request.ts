import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction, type ActionContext, type PlannedCall } from "../shared/action.js";
import { gitRefArg, optionalText, repositoryArg } from "../shared/args.js";
import { path, slashPath, type ProviderClient } from "../shared/http-client.js";
import { GITHUB_TOKEN, splitRepository } from "./client.js";

const shaArg = z.string({ error: "must be a commit SHA" }).regex(/^[0-9a-f]{7,40}$/i, "must be a commit SHA (7 to 40 hex digits)");

export const revertPullRequestArgs = z.strictObject({
  repository: repositoryArg,
  /** The branch the pull request goes into (the service's `branch`, main by default). */
  base: gitRefArg,
  /** What the suspect deploy shipped. */
  badSha: shaArg,
  /** What was live before it: the files go back to their content here. */
  goodSha: shaArg,
  branch: optionalText(gitRefArg),
  /** Why, for the pull request body: the triage's evidence. */
  reason: optionalText(z.string().max(4000, "must be at most 4000 characters")),
});

type Args = z.output<typeof revertPullRequestArgs>;

interface ComparedFile {
  filename: string;
  status: string;
  previous_filename?: string;
}

interface TreeEntry {
  path: string;
  mode: string;
  type: string;
  sha: string;
}

interface TreeChange {
  path: string;
  mode: string;
  type: "blob";
  sha: string | null;
}

/**
 * Opens a pull request that reverts what a deploy shipped: every file the deploy changed (compare
 * goodSha...badSha) goes back to its content at goodSha, in one commit on a new branch from the head of
 * `base` (git data API: a tree on top of base's tree, a commit, a ref), then the pull request. When
 * `base` has changed one of those files since the deploy, the revert would undo that too: the pull
 * request is then a draft and its body names the files to check.
 */
export function createOpenRevertPullRequest(client: ProviderClient): AdapterAction {
  const paths = (a: Args) => {
    const [owner, repo] = splitRepository(a.repository);
    const repoPath = path`/repos/${owner}/${repo}`;
    return {
      compare: (from: string, to: string) => `${repoPath}/compare/${slashPath(from)}...${slashPath(to)}`,
      baseRef: `${repoPath}/git/ref/heads/${slashPath(a.base)}`,
      commit: (sha: string) => `${repoPath}/git/commits/${sha}`,
      tree: (sha: string) => `${repoPath}/git/trees/${sha}`,
      trees: `${repoPath}/git/trees`,
      commits: `${repoPath}/git/commits`,
      refs: `${repoPath}/git/refs`,
      pulls: `${repoPath}/pulls`,
    };
  };
  const branchOf = (a: Args) => a.branch ?? `revert-${a.badSha.slice(0, 7)}`;
  const title = (a: Args) => `Revert ${a.badSha.slice(0, 7)}: back to ${a.goodSha.slice(0, 7)}`;

  return adapterAction("github", "openRevertPullRequest", {
    description: "Open a pull request that puts the files a deploy changed back to what was live before it.",
    args: revertPullRequestArgs,
    risk: "write",
    credentials: [GITHUB_TOKEN],
    dryRun(args) {
      const p = paths(args);
      const calls: PlannedCall[] = [
        { method: "GET", url: client.url(p.compare(args.goodSha, args.badSha)), note: "files the deploy changed" },
        { method: "GET", url: client.url(p.baseRef), note: `head of ${args.base}` },
        { method: "GET", url: client.url(p.compare(args.badSha, "<head>")), note: `files ${args.base} changed since` },
        { method: "GET", url: client.url(p.tree(args.goodSha), { recursive: 1 }), note: "their content before the deploy" },
        { method: "GET", url: client.url(p.commit("<head>")), note: `tree of ${args.base}` },
        { method: "POST", url: client.url(p.trees), body: { base_tree: "<tree of head>", tree: "<the files at goodSha>" } },
        { method: "POST", url: client.url(p.commits), body: { message: title(args), tree: "<new tree>", parents: ["<head>"] } },
        { method: "POST", url: client.url(p.refs), body: { ref: `refs/heads/${branchOf(args)}`, sha: "<revert commit>" } },
        { method: "POST", url: client.url(p.pulls), body: { title: title(args), head: branchOf(args), base: args.base } },
      ];
      return {
        calls,
        summary: `would open "${title(args)}" from ${branchOf(args)} into ${args.base} in ${args.repository}, reverting the files ${args.goodSha.slice(0, 7)}...${args.badSha.slice(0, 7)} changed`,
      };
    },
    async run(args, ctx) {
      const p = paths(args);
      const get = <T>(pathname: string, what: string, query?: Record<string, string | number>) =>
        client.request<T>(ctx, { method: "GET", path: pathname, what, ...(query ? { query } : {}) }).then((r) => r.body);
      const shipped = await get<{ files?: ComparedFile[] }>(
        p.compare(args.goodSha, args.badSha),
        `compare ${args.goodSha}...${args.badSha}`,
      );
      const files = shipped.files ?? [];
      if (files.length === 0) {
        throw new AdapterError(
          "github",
          "openRevertPullRequest",
          "GITHUB_NOTHING_TO_REVERT",
          `${args.badSha.slice(0, 7)} changed no file since ${args.goodSha.slice(0, 7)} in ${args.repository}.`,
        );
      }
      const head = (await get<{ object: { sha: string } }>(p.baseRef, `read branch ${args.base}`)).object.sha;
      const since = await get<{ files?: ComparedFile[] }>(p.compare(args.badSha, head), `compare ${args.badSha}...${args.base}`);
      const touched = new Set(files.flatMap((f) => [f.filename, ...(f.previous_filename ? [f.previous_filename] : [])]));
      const changedSince = (since.files ?? []).map((f) => f.filename).filter((f) => touched.has(f));
      const before = await get<{ tree: TreeEntry[]; truncated?: boolean }>(p.tree(args.goodSha), `read the tree of ${args.goodSha}`, {
        recursive: 1,
      });
      const changes = treeChanges(files, before, args, ctx);
      const baseTree = (await get<{ tree: { sha: string } }>(p.commit(head), `read commit ${head}`)).tree.sha;
      const post = async <T>(pathname: string, body: unknown, what: string) =>
        (await client.request<T>(ctx, { method: "POST", path: pathname, body, what, accept: [201] })).body;
      const tree = await post<{ sha: string }>(p.trees, { base_tree: baseTree, tree: changes }, "create the revert tree");
      const message = `${title(args)}\n\nReverts the files changed between ${args.goodSha} and ${args.badSha}.`;
      const commit = await post<{ sha: string }>(p.commits, { message, tree: tree.sha, parents: [head] }, "create the revert commit");
      try {
        await post(p.refs, { ref: `refs/heads/${branchOf(args)}`, sha: commit.sha }, `create branch ${branchOf(args)}`);
      } catch (err) {
        if (err instanceof AdapterError && err.status === 422) {
          throw new AdapterError(
            "github",
            "openRevertPullRequest",
            "GITHUB_BRANCH_EXISTS",
            `branch ${branchOf(args)} already exists in ${args.repository}.`,
            {
              status: 422,
              hint: "A revert pull request may already be open; look for it, or delete the branch if it is stale.",
              cause: err,
            },
          );
        }
        throw err;
      }
      const body = [
        args.reason ? `${args.reason}\n` : "",
        `Puts ${changes.length} file${changes.length === 1 ? "" : "s"} back to ${args.goodSha}, what was live before ${args.badSha}.`,
        changedSince.length > 0
          ? `\n**Check before merging:** ${args.base} changed ${changedSince.map((f) => `\`${f}\``).join(", ")} after the deploy; this revert undoes that too.`
          : "",
        "\nOpened by opsroom from an incident triage.",
      ].join("\n");
      const pr = await post<{ number: number; html_url: string }>(
        p.pulls,
        { title: title(args), head: branchOf(args), base: args.base, body, draft: changedSince.length > 0 },
        `open a pull request from ${branchOf(args)} into ${args.base}`,
      );
      return {
        summary: `opened #${pr.number} "${title(args)}" reverting ${changes.length} file${changes.length === 1 ? "" : "s"} in ${args.repository}${changedSince.length ? ` (draft: ${args.base} changed ${changedSince.length} of them since)` : ""}`,
        data: {
          number: pr.number,
          htmlUrl: pr.html_url,
          branch: branchOf(args),
          commit: commit.sha,
          files: changes.map((c) => c.path),
          changedSince,
        },
        artifacts: [
          { kind: "link", title: `#${pr.number} ${title(args)}`, url: pr.html_url },
          {
            kind: "text",
            title: "Files reverted",
            content: changes.map((c) => `${c.sha === null ? "delete " : "restore"} ${c.path}`).join("\n"),
          },
        ],
      };
    },
  });
}

/** Tree entries that put each changed file back: its blob at goodSha, or deleted when the deploy added it. */
function treeChanges(
  files: readonly ComparedFile[],
  before: { tree: TreeEntry[]; truncated?: boolean },
  args: Args,
  ctx: ActionContext,
): TreeChange[] {
  const byPath = new Map(before.tree.filter((e) => e.type === "blob").map((e) => [e.path, e]));
  const restore = (file: string): TreeChange => {
    const entry = byPath.get(file);
    if (!entry) {
      throw new AdapterError(
        "github",
        ctx.action,
        "GITHUB_REVERT_UNSUPPORTED",
        `${file} is not in ${args.goodSha.slice(0, 7)}'s tree${before.truncated ? " (the repository's tree is too large to list whole)" : ""}; revert this deploy by hand.`,
      );
    }
    return { path: file, mode: entry.mode, type: "blob", sha: entry.sha };
  };
  const gone = (file: string): TreeChange => ({ path: file, mode: "100644", type: "blob", sha: null });
  return files.flatMap((f) => {
    if (f.status === "added") return [gone(f.filename)];
    if (f.status === "renamed" && f.previous_filename) return [gone(f.filename), restore(f.previous_filename)];
    return [restore(f.filename)];
  });
}
