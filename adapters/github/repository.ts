import { z } from "zod";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { repositoryArg } from "../shared/args.js";
import { path, type ProviderClient } from "../shared/http-client.js";
import { GITHUB_TOKEN, splitRepository } from "./client.js";

interface Repository {
  full_name: string;
  private: boolean;
  visibility?: string;
  default_branch: string;
  html_url: string;
  archived?: boolean;
  permissions?: { admin?: boolean; push?: boolean; pull?: boolean };
}

export function createGetRepository(client: ProviderClient): AdapterAction {
  return adapterAction("github", "getRepository", {
    description: "Check a repository exists and what GITHUB_TOKEN may do with it.",
    args: z.strictObject({ repository: repositoryArg }),
    risk: "read",
    credentials: [GITHUB_TOKEN],
    async run(args, ctx) {
      const [owner, repo] = splitRepository(args.repository);
      const { body } = await client.request<Repository>(ctx, {
        method: "GET",
        path: path`/repos/${owner}/${repo}`,
        what: `get repository ${args.repository}`,
      });
      const access = body.permissions?.push ? "token can push" : body.permissions ? "token is read-only" : "token access unknown";
      const archived = body.archived ? ", ARCHIVED" : "";
      return {
        summary: `${body.full_name}: ${body.visibility ?? (body.private ? "private" : "public")}, default branch ${body.default_branch}, ${access}${archived}`,
        data: {
          fullName: body.full_name,
          defaultBranch: body.default_branch,
          private: body.private,
          visibility: body.visibility ?? (body.private ? "private" : "public"),
          archived: body.archived ?? false,
          htmlUrl: body.html_url,
          permissions: body.permissions ?? null,
        },
      };
    },
  });
}
