import { z } from "zod";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { gitRefArg, repositoryArg } from "../shared/args.js";
import { path, slashPath, type ProviderClient } from "../shared/http-client.js";
import { GITHUB_TOKEN, splitRepository } from "./client.js";

interface Comparison {
  status: "ahead" | "behind" | "identical" | "diverged";
  ahead_by: number;
  behind_by: number;
  total_commits: number;
  html_url: string;
  commits: Array<{
    sha: string;
    html_url?: string;
    commit: { message: string; author: { name?: string; date?: string } | null };
    author: { login: string } | null;
  }>;
}

const PER_PAGE = 100;
/** 1,000 commits is already far more than anyone reads in a thread; past it we say so and link the rest. */
const MAX_PAGES = 10;

export const compareArgs = z.strictObject({ repository: repositoryArg, base: gitRefArg, head: gitRefArg });

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
        const { body } = await client.request<Comparison>(ctx, {
          method: "GET",
          path: comparePath,
          query: { per_page: PER_PAGE, page },
          what,
        });
        first ??= body;
        commits.push(...(body.commits ?? []));
        if ((body.commits ?? []).length < PER_PAGE || commits.length >= body.total_commits) break;
      }
      const cmp = first!;
      const total = cmp.total_commits ?? commits.length;
      const lines = commits.map((c) => {
        const message = c.commit.message.split("\n")[0] ?? "";
        const author = c.author?.login ?? c.commit.author?.name ?? "unknown";
        return `${c.sha.slice(0, 7)} ${message} — ${author}`;
      });
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
        },
        artifacts: [
          { kind: "text", title: `Commits ${args.base}...${args.head}`, content: lines.join("\n") || "(no commits)" },
          { kind: "link", title: `Compare ${args.base}...${args.head}`, url: cmp.html_url },
        ],
      };
    },
  });
}
