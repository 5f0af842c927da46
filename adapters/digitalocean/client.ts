import { z } from "zod";
import type { CredentialSpec } from "../types.js";
import type { Clock } from "../shared/clock.js";
import { messageOf, ProviderClient, type FetchLike } from "../shared/http-client.js";

export interface DigitaloceanAdapterOptions {
  /** https://api.digitalocean.com/v2 unless a proxy or test server stands in. */
  apiUrl?: string;
  /** Base of console links; https://cloud.digitalocean.com. */
  consoleUrl?: string;
  fetch?: FetchLike;
  clock?: Clock;
  requestTimeoutMs?: number;
}

export const DIGITALOCEAN_TOKEN: CredentialSpec = {
  name: "DIGITALOCEAN_TOKEN",
  description: "a DigitalOcean personal access token with read and write scope for App Platform",
};

export const appArg = z
  .string({ error: "must be a DigitalOcean app id (a UUID)" })
  .regex(
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
    "must be a DigitalOcean app id (a UUID like 4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf)",
  );

export const deploymentIdArg = z
  .string({ error: "must be an App Platform deployment id (a UUID)" })
  .regex(/^[0-9a-f-]{36}$/i, "must be an App Platform deployment id (a UUID)");

export function createDigitaloceanClient(options: DigitaloceanAdapterOptions): ProviderClient {
  return new ProviderClient({
    adapter: "digitalocean",
    provider: "DigitalOcean",
    codePrefix: "DIGITALOCEAN",
    baseUrl: options.apiUrl ?? "https://api.digitalocean.com/v2",
    tokenName: DIGITALOCEAN_TOKEN.name,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    errorText: messageOf, // { id: "not_found", message, request_id }
    hints: {
      "401": "DIGITALOCEAN_TOKEN was rejected: check it is set, valid and not expired.",
      "403": "DIGITALOCEAN_TOKEN needs write scope (or the app:update / app:create scopes) for this.",
      "404": "Check digitaloceanApp in the config: it must be the app's id (a UUID), and the token's team must own it.",
    },
  });
}

/** The parts of an App Platform app spec this adapter reads or changes; everything else passes through untouched. */
export interface AppComponent {
  name: string;
  instance_count?: number;
  instance_size_slug?: string;
  autoscaling?: { min_instance_count?: number; max_instance_count?: number } | null;
  [key: string]: unknown;
}

export interface AppSpec {
  name: string;
  services?: AppComponent[];
  workers?: AppComponent[];
  static_sites?: AppComponent[];
  jobs?: AppComponent[];
  functions?: AppComponent[];
  [key: string]: unknown;
}

export interface DeploymentProgress {
  success_steps?: number;
  total_steps?: number;
  error_steps?: number;
  steps?: Array<{ name: string; status: string; reason?: { code?: string; message?: string }; steps?: DeploymentProgress["steps"] }>;
}

export interface AppDeployment {
  id: string;
  cause?: string;
  phase: string;
  progress?: DeploymentProgress;
  created_at?: string;
  updated_at?: string;
}

export interface App {
  id: string;
  spec: AppSpec;
  live_url?: string;
  default_ingress?: string;
  active_deployment?: AppDeployment | null;
  in_progress_deployment?: AppDeployment | null;
  pending_deployment?: AppDeployment | null;
  updated_at?: string;
}

export const SCALABLE_KINDS = ["services", "workers"] as const;

export function componentsOf(spec: AppSpec): Array<{ name: string; kind: string; instanceCount: number | null; autoscaling: boolean }> {
  const kinds: Array<[keyof AppSpec, string]> = [
    ["services", "service"],
    ["workers", "worker"],
    ["jobs", "job"],
    ["static_sites", "static site"],
    ["functions", "functions"],
  ];
  return kinds.flatMap(([key, kind]) =>
    ((spec[key] as AppComponent[] | undefined) ?? []).map((c) => ({
      name: c.name,
      kind,
      instanceCount: typeof c.instance_count === "number" ? c.instance_count : kind === "service" || kind === "worker" ? 1 : null,
      autoscaling: !!c.autoscaling,
    })),
  );
}
