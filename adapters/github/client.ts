import type { CredentialSpec } from "../types.js";
import type { Clock } from "../shared/clock.js";
import { messageOf, ProviderClient, type FetchLike } from "../shared/http-client.js";

export interface GithubAdapterOptions {
  /** REST API base; https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
  apiUrl?: string;
  /** Web base for links; https://github.com, derived from apiUrl for Enterprise Server. */
  webUrl?: string;
  fetch?: FetchLike;
  clock?: Clock;
  requestTimeoutMs?: number;
}

export const GITHUB_TOKEN: CredentialSpec = {
  name: "GITHUB_TOKEN",
  description: "a GitHub token with repo (contents, pull requests, deployments) and actions access to the repository",
};

export interface GithubContext {
  readonly client: ProviderClient;
  readonly webUrl: string;
  readonly clock: Clock;
}

export function createGithubClient(options: GithubAdapterOptions): ProviderClient {
  return new ProviderClient({
    adapter: "github",
    provider: "GitHub",
    codePrefix: "GITHUB",
    baseUrl: options.apiUrl ?? "https://api.github.com",
    tokenName: GITHUB_TOKEN.name,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    headers: { accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28" },
    errorText: githubErrorText,
    // GitHub answers 403 (not 429) for primary and secondary rate limits.
    isRateLimited: (status, headers) => status === 403 && (headers.get("x-ratelimit-remaining") === "0" || headers.has("retry-after")),
    hints: {
      "401": "GITHUB_TOKEN was rejected: check it is set, valid and not expired.",
      "403": "GITHUB_TOKEN lacks a permission this needs (contents, actions, deployments or pull requests: write).",
      "404": "Check the repository, workflow or ref name; GitHub also answers 404 when GITHUB_TOKEN cannot see the repository.",
    },
  });
}

/** GitHub errors: { message, errors: [{ resource, field, code, message }], documentation_url }. */
function githubErrorText(body: unknown): string | undefined {
  const message = messageOf(body);
  const errors = (body as { errors?: unknown } | undefined)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return message;
  const details = errors
    .map((e: unknown) =>
      typeof e === "string"
        ? e
        : typeof e === "object" && e !== null
          ? (((e as Record<string, unknown>).message as string | undefined) ??
            [(e as Record<string, unknown>).field, (e as Record<string, unknown>).code].filter(Boolean).join(" "))
          : "",
    )
    .filter(Boolean);
  return [message, ...details].filter(Boolean).join(": ");
}

export function webUrlFor(apiUrl: string | undefined): string {
  if (!apiUrl || /^https:\/\/api\.github\.com\/?$/.test(apiUrl)) return "https://github.com";
  const match = /^(https?:\/\/[^/]+)\/api\/v3\/?$/.exec(apiUrl);
  return match?.[1] ?? "https://github.com";
}

export function splitRepository(repository: string): [string, string] {
  const [owner = "", repo = ""] = repository.split("/");
  return [owner, repo];
}
