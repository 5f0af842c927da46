import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction, type ActionContext } from "../shared/action.js";
import { boolArg, gitRefArg, optionalText, repositoryArg } from "../shared/args.js";
import { path, slashPath, type ProviderClient } from "../shared/http-client.js";
import { GITHUB_TOKEN, splitRepository } from "./client.js";

const fileArg = z.strictObject({
  path: z
    .string({ error: "must be a repository path like config/flags.yml" })
    .min(1, "must not be empty")
    .regex(/^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[^\0]+$/, "must be a relative path inside the repository (no leading / or ..)"),
  content: z.string({ error: "must be the file's full text" }),
});

export const openPullRequestArgs = z.strictObject({
  repository: repositoryArg,
  base: gitRefArg,
  branch: gitRefArg,
  title: z.string({ error: "must be the pull request title" }).min(1, "must not be empty").max(256, "must be at most 256 characters"),
  body: optionalText(),
  files: z.array(fileArg, { error: "must be a list of {path, content}" }).min(1, "must list at least one file"),
  commitMessage: optionalText(),
  draft: z.preprocess((v) => (v === "" ? undefined : v), boolArg().optional()),
});

type Args = z.output<typeof openPullRequestArgs>;

/**
 * Opens a pull request that writes the given files: branch from base's head (git refs API), one commit
 * per file (contents API; simple and enough for config changes), then the pull request.
 */
export function createOpenPullRequest(client: ProviderClient): AdapterAction {
  const paths = (a: Args) => {
    const [owner, repo] = splitRepository(a.repository);
    return {
      baseRef: `${path`/repos/${owner}/${repo}/git/ref/heads/`}${slashPath(a.base)}`,
      refs: path`/repos/${owner}/${repo}/git/refs`,
      contents: (file: string) => `${path`/repos/${owner}/${repo}/contents/`}${slashPath(file)}`,
      pulls: path`/repos/${owner}/${repo}/pulls`,
    };
  };
  const message = (a: Args, file: string) => a.commitMessage ?? `${a.title} (${file})`;
  const pullBody = (a: Args) => ({ title: a.title, head: a.branch, base: a.base, body: a.body ?? "", draft: a.draft ?? false });

  return adapterAction("github", "openPullRequest", {
    description: "Create a branch from base, commit the given files to it and open a pull request.",
    args: openPullRequestArgs,
    risk: "write",
    credentials: [GITHUB_TOKEN],
    dryRun(args) {
      const p = paths(args);
      return {
        calls: [
          { method: "GET", url: client.url(p.baseRef), note: `head commit of ${args.base}` },
          { method: "POST", url: client.url(p.refs), body: { ref: `refs/heads/${args.branch}`, sha: `<head of ${args.base}>` } },
          ...args.files.flatMap((f) => [
            { method: "GET", url: client.url(p.contents(f.path), { ref: args.branch }), note: "existing file's sha, if any" },
            {
              method: "PUT",
              url: client.url(p.contents(f.path)),
              body: { message: message(args, f.path), branch: args.branch, content: `<base64 of ${Buffer.byteLength(f.content)} bytes>` },
            },
          ]),
          { method: "POST", url: client.url(p.pulls), body: pullBody(args) },
        ],
        summary: `would branch ${args.branch} from ${args.base} in ${args.repository}, commit ${args.files.length} file${args.files.length === 1 ? "" : "s"} and open "${args.title}"`,
        artifacts: [{ kind: "diff", title: "Files the pull request would write", content: filesAsDiff(args) }],
      };
    },
    async run(args, ctx) {
      const p = paths(args);
      const { body: base } = await client.request<{ object: { sha: string } }>(ctx, {
        method: "GET",
        path: p.baseRef,
        what: `read branch ${args.base} of ${args.repository}`,
      });
      await createBranch(client, ctx, args, p.refs, base.object.sha);
      // One at a time: parallel commits to one branch race on its head and fail with 409.
      for (const file of args.files) {
        const existing = await existingSha(client, ctx, p.contents(file.path), args);
        await client.request(ctx, {
          method: "PUT",
          path: p.contents(file.path),
          body: {
            message: message(args, file.path),
            branch: args.branch,
            content: Buffer.from(file.content, "utf8").toString("base64"),
            ...(existing ? { sha: existing } : {}),
          },
          what: `commit ${file.path} to ${args.branch}`,
        });
      }
      const { body: pr } = await client.request<{ number: number; html_url: string }>(ctx, {
        method: "POST",
        path: p.pulls,
        body: pullBody(args),
        what: `open a pull request from ${args.branch} into ${args.base}`,
        accept: [201],
      });
      return {
        summary: `opened #${pr.number} "${args.title}" (${args.files.length} file${args.files.length === 1 ? "" : "s"}) in ${args.repository}`,
        data: { number: pr.number, htmlUrl: pr.html_url, branch: args.branch, base: args.base, baseSha: base.object.sha },
        artifacts: [
          { kind: "link", title: `#${pr.number} ${args.title}`, url: pr.html_url },
          { kind: "diff", title: "Files written", content: filesAsDiff(args) },
        ],
      };
    },
  });
}

async function createBranch(client: ProviderClient, ctx: ActionContext, args: Args, refsPath: string, sha: string): Promise<void> {
  try {
    await client.request(ctx, {
      method: "POST",
      path: refsPath,
      body: { ref: `refs/heads/${args.branch}`, sha },
      what: `create branch ${args.branch} from ${args.base}`,
      accept: [201],
    });
  } catch (err) {
    if (err instanceof AdapterError && err.status === 422) {
      throw new AdapterError(
        "github",
        "openPullRequest",
        "GITHUB_BRANCH_EXISTS",
        `branch ${args.branch} already exists in ${args.repository} (or is not a valid name).`,
        { status: 422, hint: "Pick another branch name, or delete the old branch if its pull request is closed.", cause: err },
      );
    }
    throw err;
  }
}

async function existingSha(client: ProviderClient, ctx: ActionContext, contentsPath: string, args: Args): Promise<string | undefined> {
  const { status, body } = await client.request<{ sha?: string } | unknown[]>(ctx, {
    method: "GET",
    path: contentsPath,
    query: { ref: args.branch },
    what: `check ${contentsPath.split("/contents/")[1] ?? "file"} on ${args.branch}`,
    accept: [200, 404],
  });
  if (status === 404) return undefined;
  if (Array.isArray(body)) {
    throw new AdapterError(
      "github",
      "openPullRequest",
      "GITHUB_INVALID",
      `${contentsPath.split("/contents/")[1]} is a directory in ${args.repository}; give a file path.`,
    );
  }
  return (body as { sha?: string }).sha;
}

function filesAsDiff(args: Args): string {
  return args.files
    .map((f) =>
      [
        `+++ b/${f.path}`,
        ...f.content
          .replace(/\n$/, "")
          .split("\n")
          .map((l) => `+${l}`),
      ].join("\n"),
    )
    .join("\n");
}
