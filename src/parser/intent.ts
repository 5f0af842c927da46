import type { ConfigFile } from "../config/config-schema.js";
import type { Runbook } from "../runbook/runbook-schema.js";

export type ParamValue = string | number | boolean | string[] | number[];

/**
 * What the parser understood. `runbook: null` means "not a command" (or too unclear to pick one;
 * then `clarify` asks). `missing` lists required params nobody gave; the front ends ask for them.
 *
 * @example
 * parseText("deploy api to stagin", ctx)
 * // → { runbook: "deploy", params: { service: "api", env: "staging" }, confidence: 0.9, missing: [], clarify: null, alternatives: [] }
 */
export interface Intent {
  text: string;
  runbook: string | null;
  params: Record<string, ParamValue>;
  confidence: number;
  missing: string[];
  clarify: string | null;
  alternatives: { runbook: string; confidence: number }[];
  /**
   * Params the message gives as a change of their current value, signed ("add 2 more replicas" →
   * { replicas: 2 }, "remove 3 pods" → { replicas: -3 }). They stay in `missing`: the service reads the
   * current value at plan time, or asks. Not part of the parse contract (`opsroom parse` leaves it out).
   */
  relative?: Record<string, number>;
}

/** A canonical name and the other words people use for it. */
export interface CatalogEntry {
  name: string;
  aliases: readonly string[];
}

/** The names the parser resolves against, built from the config. */
export interface Catalog {
  envs: readonly CatalogEntry[];
  services: readonly CatalogEntry[];
  flags: readonly string[];
  /** Cohort names the flags use ("ops", "admin"); lets the parser read "for ops and admin". Optional for older callers. */
  cohorts?: readonly string[];
}

export interface ParseContext {
  runbooks: readonly Runbook[];
  catalog: Catalog;
  /** Reference time for relative expressions ("since 10am"). */
  now: Date;
  /** IANA zone that times without an offset are read in. */
  timeZone: string;
}

export function buildCatalog(config: Pick<ConfigFile, "environments" | "services" | "flags">): Catalog {
  return {
    envs: Object.entries(config.environments).map(([name, env]) => ({ name, aliases: env.aliases })),
    services: Object.entries(config.services).map(([name, service]) => ({ name, aliases: service.aliases })),
    flags: Object.keys(config.flags),
    cohorts: [...new Set(Object.values(config.flags).flatMap((flag) => flag.cohorts))],
  };
}
