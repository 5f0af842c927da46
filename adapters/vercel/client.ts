import { z } from "zod";
import type { CredentialSpec } from "../types.js";
import { optionalText } from "../shared/args.js";
import type { Clock } from "../shared/clock.js";
import { messageOf, ProviderClient, type FetchLike, type Query } from "../shared/http-client.js";

export interface VercelAdapterOptions {
  /** https://api.vercel.com unless a proxy or test server stands in. */
  apiUrl?: string;
  /** Team id (team_...) or slug used when an action's `team` arg is not given. */
  team?: string;
  fetch?: FetchLike;
  clock?: Clock;
  requestTimeoutMs?: number;
}

export const VERCEL_TOKEN: CredentialSpec = {
  name: "VERCEL_TOKEN",
  description: "a Vercel access token with access to the project's team",
};

/** Team id (team_...) or slug; `vercelTeam` in the config. */
export const teamArg = optionalText(z.string().regex(/^[\w-]+$/, "must be a Vercel team id (team_...) or slug"));

/** A Vercel project id (prj_...) or name. */
export const projectArg = z
  .string({ error: "must be a Vercel project name or id" })
  .min(1, "must be a Vercel project name or id")
  .max(100, "must be at most 100 characters")
  .regex(/^[\w.-]+$/, "must be a Vercel project name or id (letters, digits, . _ -)");

export const deploymentIdArg = z
  .string({ error: "must be a Vercel deployment id like dpl_..." })
  .regex(/^[\w.-]+$/, "must be a Vercel deployment id like dpl_... (or its hostname)");

export function createVercelClient(options: VercelAdapterOptions): ProviderClient {
  return new ProviderClient({
    adapter: "vercel",
    provider: "Vercel",
    codePrefix: "VERCEL",
    baseUrl: options.apiUrl ?? "https://api.vercel.com",
    tokenName: VERCEL_TOKEN.name,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    errorText: messageOf, // { error: { code, message } }
    hints: {
      "401": "VERCEL_TOKEN was rejected: check it is set, valid and not expired.",
      "403": "VERCEL_TOKEN cannot act on this project: check the token's scope includes its team (vercelTeam in the config).",
      "404": "Check the project or deployment id; for a team project also set vercelTeam in the config.",
    },
  });
}

/** Vercel scopes a request to a team with ?teamId=team_... or ?slug=my-team. */
export function teamQuery(team: string | undefined): Query {
  if (!team) return {};
  return team.startsWith("team_") ? { teamId: team } : { slug: team };
}

export interface VercelDeployment {
  id: string;
  url: string;
  name?: string;
  readyState?: string;
  status?: string;
  target?: string | null;
  inspectorUrl?: string | null;
  createdAt?: number;
  errorMessage?: string | null;
  errorCode?: string;
  meta?: Record<string, string>;
}

export interface VercelListedDeployment {
  uid: string;
  url: string;
  name: string;
  created: number;
  /** When it became ready (epoch ms). */
  ready?: number;
  state?: string;
  readyState?: string;
  target?: string | null;
  inspectorUrl?: string | null;
  creator?: { username?: string } | null;
  meta?: Record<string, string>;
}

export interface VercelProject {
  id: string;
  name: string;
  link?: { type?: string; org?: string; repo?: string; repoId?: number; productionBranch?: string } | null;
  targets?: { production?: { id: string; createdAt?: number; url?: string } | null } | null;
}

export function httpsUrl(hostOrUrl: string): string {
  return /^https?:\/\//.test(hostOrUrl) ? hostOrUrl : `https://${hostOrUrl}`;
}
