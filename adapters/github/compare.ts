import { z } from "zod";
import type { AdapterAction } from "../types.js";
import { adapterAction, type ActionContext } from "../shared/action.js";
import { gitRefArg, repositoryArg } from "../shared/args.js";
import { path, slashPath, type ProviderClient } from "../shared/http-client.js";
import { GITHUB_TOKEN, splitRepository } from "./client.js";

/** A commit as the compare and commits endpoints return it. */
interface Commit {
  sha: string;
  html_url?: string;
  commit: { message: string; author: { name?: string; date?: string } | null };
  author: { login: string } | null;
}

interface Comparison {
  status: "ahead" | "behind" | "identical" | "diverged";
  ahead_by: number;
  behind_by: number;
  total_commits: number;
  html_url: string;
  commits: Commit[];
  /** The changed files with their patches (first page only; GitHub lists up to 300). */
  files?: Array<{ filename: string; status: string; additions?: number; deletions?: number; patch?: string }>;
}

/** A patch longer than this is cut: a triage reads the lines around one stack frame, not a whole rewrite. */
const MAX_PATCH_CHARS = 20_000;
const MAX_FILES = 100;

/** "7638417 Fix checkout rounding — octocat": one line of a commit list. */
function commitLine(c: Commit): string {
  const message = c.commit.message.split("\n")[0] ?? "";
  const author = c.author?.login ?? c.commit.author?.name ?? "unknown";
  return `${c.sha.slice(0, 7)} ${message} — ${author}`;
}

const PER_PAGE = 100;
/** 1,000 commits is already far more than anyone reads in a thread; past it we say so and link the rest. */
const MAX_PAGES = 10;

export const compareArgs = z.strictObject({
  repository: repositoryArg,
  base: gitRefArg,
  head: gitRefArg,
  /** A first deploy has nothing deployed to compare with: a missing base is then an answer, not an error. */
  baseMayBeMissing: z.boolean().default(false),
});

/** Commits in head that are not in base: what a deploy of head over base would ship. */
export function createCompareRefs(client: ProviderClient): AdapterAction {
  return adapterAction("github", "compareRefs", {
    description: "List the commits between two refs (what a deploy would ship).",
    args: compareArgs,
    risk: "read",
    credentials: [GITHUB_TOKEN],
    async run(args, ctx) {
      const [owner, repo] = splitRepository(args.repository);
      const comparePath = `${path`/repos/${owner}/${repo}/compare/`}${slashPath(args.base)}...${slashPath(args.head)}`;
      const what = `compare ${args.base}...${args.head} in ${args.repository}`;
      let first: Comparison | undefined;
      const commits: Comparison["commits"] = [];
      for (let page = 1; page <= MAX_PAGES; page++) {
        const { status, body } = await client.request<Comparison>(ctx, {
          method: "GET",
          path: comparePath,
          query: { per_page: PER_PAGE, page },
          what,
          ...(args.baseMayBeMissing ? { accept: [200, 404] } : {}),
        });
        if (status === 404) return firstDeploy(client, ctx, args, owner, repo);
        first ??= body;
        commits.push(...(body.commits ?? []));
        if ((body.commits ?? []).length < PER_PAGE || commits.length >= body.total_commits) break;
      }
      const cmp = first!;
      const total = cmp.total_commits ?? commits.length;
      const lines = commits.map(commitLine);
      if (commits.length < total) lines.push(`… and ${total - commits.length} more commits not listed: ${cmp.html_url}`);
      const behind = cmp.behind_by > 0 ? ` (${cmp.behind_by} behind)` : "";
      const summary =
        cmp.status === "identical"
          ? `${args.head} is identical to ${args.base}: nothing to ship`
          : `${args.head} is ${cmp.ahead_by} commit${cmp.ahead_by === 1 ? "" : "s"} ahead of ${args.base}${behind}`;
      return {
        summary,
        data: {
          status: cmp.status,
          aheadBy: cmp.ahead_by,
          behindBy: cmp.behind_by,
          totalCommits: total,
          htmlUrl: cmp.html_url,
          commits: commits.map((c) => ({
            sha: c.sha,
            message: c.commit.message.split("\n")[0] ?? "",
            author: c.author?.login ?? c.commit.author?.name ?? null,
            date: c.commit.author?.date ?? null,
          })),
          files: (cmp.files ?? []).slice(0, MAX_FILES).map((f) => ({
            filename: f.filename,
            status: f.status,
            patch: f.patch && f.patch.length > MAX_PATCH_CHARS ? f.patch.slice(0, MAX_PATCH_CHARS) : (f.patch ?? null),
          })),
        },
        artifacts: [
          { kind: "text", title: `Commits ${args.base}...${args.head}`, content: lines.join("\n") || "(no commits)" },
          { kind: "link", title: `Compare ${args.base}...${args.head}`, url: cmp.html_url },
        ],
      };
    },
  });
}

/**
 * The comparison found no base: when head exists, nothing was deployed before and head ships whole
 * (a missing head is still an error: a typo in the ref must not reach the deploy).
 */
async function firstDeploy(client: ProviderClient, ctx: ActionContext, args: z.infer<typeof compareArgs>, owner: string, repo: string) {
  const { body: head } = await client.request<Commit & { html_url: string }>(ctx, {
    method: "GET",
    path: `${path`/repos/${owner}/${repo}/commits/`}${slashPath(args.head)}`,
    what: `find ${args.head} in ${args.repository}`,
  });
  return {
    summary: `nothing to compare with: ${args.base} is not in ${args.repository} (a first deploy?); ${args.head} is ${head.sha.slice(0, 7)}`,
    data: {
      status: "no_base",
      aheadBy: null,
      behindBy: null,
      totalCommits: null,
      htmlUrl: head.html_url,
      commits: [],
      files: [],
      headSha: head.sha,
    },
    artifacts: [
      { kind: "text" as const, title: `Head ${args.head}`, content: commitLine(head) },
      { kind: "link" as const, title: `Commit ${head.sha.slice(0, 7)}`, url: head.html_url },
    ],
  };
}
