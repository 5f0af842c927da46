import { createHash } from "node:crypto";
import { maxAgeMs } from "../config/board-schema.js";
import type { ConfigFile, TargetSettings } from "../config/config-schema.js";
import { InputError } from "../errors.js";
import type { ParamValue } from "../parser/intent.js";
import { isTruthy, referencesStepOutputs, renderValue, withoutUndefined, type TemplateScope } from "../runbook/render-template.js";
import { PHASES, type Runbook, type RunbookStep } from "../runbook/runbook-schema.js";
import { resolveApproval } from "./approval-policy.js";
import type { Plan, PlannedStep } from "./plan.js";

const DEFAULT_STEP_TIMEOUT_SECONDS = 120;

export interface PlanRequest {
  runbook: Runbook;
  params: Record<string, ParamValue>;
}

/**
 * Turns a runbook and params into a concrete plan. Pure: the same request and config always give
 * the same plan and the same hash, so an approval given for one plan never applies to another.
 */
export function buildPlan(request: PlanRequest, config: ConfigFile): Plan {
  const { runbook } = request;
  const params = withDefaults(runbook, request.params);
  const missing = Object.entries(runbook.params)
    .filter(([name, spec]) => spec.required && params[name] === undefined)
    .map(([name]) => name);
  if (missing.length > 0) {
    throw new InputError("PLAN_MISSING_PARAM", `${runbook.id} needs ${missing.join(", ")}.`);
  }
  const env = typeof params.env === "string" ? params.env : undefined;
  const service = typeof params.service === "string" ? params.service : undefined;
  if (env !== undefined && !(env in config.environments)) {
    throw new InputError("PLAN_UNKNOWN_ENV", `Unknown environment "${env}" (known: ${Object.keys(config.environments).join(", ")}).`);
  }
  if (service !== undefined && !(service in config.services)) {
    throw new InputError("PLAN_UNKNOWN_SERVICE", `Unknown service "${service}" (known: ${Object.keys(config.services).join(", ")}).`);
  }
  const scope = buildScope(config, params, env, service);
  const mutating = runbook.risk === "write" && !matchesReadOnly(runbook, params);
  const all = [...PHASES.flatMap((phase) => runbook.phases[phase]), ...runbook.rollback];
  const planned = new Set(
    all.filter((step) => step.if === undefined || referencesStepOutputs(step.if) || isTruthy(renderValue(step.if, scope))).map((s) => s.id),
  );
  const steps = PHASES.flatMap((phase) => runbook.phases[phase].flatMap((step) => planStep(step, phase, scope, planned)));
  // A read-only form of a write runbook (a flag's status, a dry run) changes nothing, so has nothing to put back.
  const rollback = mutating ? runbook.rollback.flatMap((step) => planStep(step, "rollback", scope, planned)) : [];
  const lockKey = mutating && runbook.lockKey ? String(renderValue(runbook.lockKey, scope)) : undefined;
  const runAt = typeof params.at === "string" ? params.at : undefined;
  const approval = resolveApproval(config.approvals, {
    runbook: runbook.id,
    env,
    params,
    mutating,
    protectedEnv: env !== undefined && config.environments[env]?.protected === true,
  });
  const body = {
    runbook: runbook.id,
    title: runbook.title,
    params,
    env,
    service,
    mutating,
    lockKey,
    runAt,
    steps,
    rollback,
    approval,
    owner: runbook.owner,
    escalation: runbook.escalation,
    timeoutSeconds: runbook.timeoutSeconds,
  };
  return { ...body, hash: hashPlan(body) };
}

/** The values step templates can use: params, the merged target settings, the env and service names. */
export function buildScope(
  config: ConfigFile,
  params: Record<string, ParamValue>,
  env: string | undefined,
  service: string | undefined,
): TemplateScope {
  return {
    params,
    env,
    service,
    target: env || service ? resolveTarget(config, env, service) : {},
    flag: typeof params.flag === "string" ? { name: params.flag, ...config.flags[params.flag] } : undefined,
    healthTargets: env ? healthTargets(config, env, service) : [],
    // The health checks of the services a flag touches (its `services`; every service in the env when it
    // names none): what a staged rollout checks between stages.
    flagTargets: env && typeof params.flag === "string" ? flagHealthTargets(config, env, params.flag) : [],
    // The merged settings of those services (their log sources are a rollout's error gate).
    flagServices:
      typeof params.flag === "string"
        ? (config.flags[params.flag]?.services.length ? config.flags[params.flag]!.services : Object.keys(config.services))
            .filter((name) => name in config.services)
            .map((name) => ({ ...resolveTarget(config, env, name), name }))
        : [],
    // For runbooks that look across the catalog (ops board, triage of a whole env, schema sync between
    // two envs): every service's merged settings for the env, every env's merged settings (for the
    // service, when one is given), and the flag catalog with owners, cohorts and dependencies.
    services: Object.keys(config.services).map((name) => ({ ...resolveTarget(config, env, name), name })),
    environments: Object.fromEntries(Object.keys(config.environments).map((name) => [name, resolveTarget(config, name, service)])),
    flags: config.flags,
    // Release plans (runbooks/release.yml reads their stages).
    releases: config.releases,
    // Who a flag request may name, mapped to app user ids (the flag runbook's users).
    flagUsers: config.flagUsers,
    // The ops board's checklist steps and feeds (each feed with its id as `name`, for forEach step ids), on
    // the boards of board.envs only (a board that names no env is prod's, where a cutover happens).
    board: boardScope(config, env),
    config: { timeZone: config.timeZone },
  };
}

function boardScope(config: ConfigFile, env: string | undefined) {
  const { envs, checklist, feeds } = config.board;
  if (envs && env !== undefined && !envs.includes(env)) return { checklist: [], feeds: [] };
  return {
    checklist,
    feeds: Object.entries(feeds).map(([name, feed]) => ({ ...feed, name, ...(feed.maxAge ? { maxAgeMs: maxAgeMs(feed.maxAge) } : {}) })),
  };
}

/** Service defaults, overridden by the environment's settings, overridden by the service's per-env settings. */
export function resolveTarget(
  config: ConfigFile,
  env: string | undefined,
  service: string | undefined,
): TargetSettings & { environmentName?: string; serviceName?: string } {
  const serviceConfig = service ? config.services[service] : undefined;
  const { aliases: _aliases, description: _description, owner: _owner, environments = {}, ...serviceDefaults } = serviceConfig ?? {};
  return {
    ...(env ? config.environments[env]?.settings : {}),
    ...serviceDefaults,
    ...(env ? (environments as Record<string, TargetSettings>)[env] : {}),
    environmentName: env,
    serviceName: service,
  };
}

function healthTargets(config: ConfigFile, env: string, service: string | undefined) {
  const toTarget = (name: string, s: TargetSettings) =>
    s.healthUrl ? [{ name, url: s.healthUrl, expect: s.healthExpect, latencyBudgetMs: s.latencyBudgetMs }] : [];
  if (service) return toTarget(service, resolveTarget(config, env, service));
  const envSettings = config.environments[env]?.settings ?? {};
  const services = Object.keys(config.services).flatMap((name) => {
    const target = resolveTarget(config, env, name);
    // A service that only inherits the environment's own health URL is that URL, not a service of its own.
    return target.healthUrl && target.healthUrl !== envSettings.healthUrl ? toTarget(name, target) : [];
  });
  return [...toTarget(env, envSettings), ...services];
}

function flagHealthTargets(config: ConfigFile, env: string, flag: string) {
  const services = config.flags[flag]?.services ?? [];
  if (services.length === 0) return healthTargets(config, env, undefined);
  return services.filter((name) => name in config.services).flatMap((name) => healthTargets(config, env, name));
}

/**
 * A condition on step outputs waits for the run, unless none of the steps it reads is in the plan (another
 * deploy path's step): then it can be decided now, with no outputs, and a step that could never run is left out.
 */
function planStep(step: RunbookStep, phase: PlannedStep["phase"], scope: TemplateScope, planned: ReadonlySet<string>): PlannedStep[] {
  const read = step.if !== undefined && referencesStepOutputs(step.if) ? stepsReadBy(step.if) : undefined;
  const runIf = read && (read.length === 0 || read.some((id) => planned.has(id))) ? step.if : undefined;
  if (step.if !== undefined && runIf === undefined && !isTruthy(renderValue(step.if, { ...scope, steps: {} }))) return [];
  const base = {
    phase,
    uses: step.uses,
    description: step.description ?? step.uses,
    runIf,
    ...(runIf !== undefined && step.skipNote !== undefined ? { skipNote: step.skipNote } : {}),
    retries: step.retries ?? 0,
    continueOnError: step.continueOnError,
    timeoutSeconds: step.timeoutSeconds ?? DEFAULT_STEP_TIMEOUT_SECONDS,
  };
  if (step.forEach === undefined) {
    return [{ ...base, id: step.id, ...renderArgs(step.with, scope) }];
  }
  const items = renderValue(step.forEach, scope);
  if (!Array.isArray(items)) return [];
  return items.map((item: unknown, index) => ({
    ...base,
    id: `${step.id}-${itemLabel(item, index)}`,
    ...renderArgs(step.with, { ...scope, item }),
  }));
}

function renderArgs(args: Record<string, unknown>, scope: TemplateScope): Pick<PlannedStep, "args" | "lateArgs"> {
  // Templates that need step outputs are kept verbatim and rendered by the executor. Only those are
  // rendered again, so text from a chat message is never evaluated as a template.
  const lateArgs = Object.keys(args).filter((key) => referencesStepOutputs(args[key]));
  const rendered = Object.fromEntries(
    Object.entries(args).map(([key, value]) => [key, lateArgs.includes(key) ? value : renderValue(value, scope)]),
  );
  return { args: withoutUndefined(rendered) as Record<string, unknown>, lateArgs };
}

/** Ids of the steps a template reads: `steps.deploy…` and `steps["deploy"]…`. */
function stepsReadBy(template: string): string[] {
  return [...template.matchAll(/\bsteps(?:\.([\w-]+)|\[["']([\w-]+)["']\])/g)].map((m) => m[1] ?? m[2] ?? "");
}

function itemLabel(item: unknown, index: number): string {
  const name = item && typeof item === "object" && "name" in item ? String((item as { name: unknown }).name) : String(index + 1);
  return name.toLowerCase().replace(/[^a-z0-9-]+/g, "-");
}

function withDefaults(runbook: Runbook, params: Record<string, ParamValue>): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const [name, spec] of Object.entries(runbook.params)) {
    const value = params[name] ?? spec.default;
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function matchesReadOnly(runbook: Runbook, params: Record<string, ParamValue>): boolean {
  const when = runbook.readOnlyWhen;
  if (!when) return false;
  return Object.entries(when).every(([name, value]) => params[name] === value);
}

function hashPlan(body: unknown): string {
  return createHash("sha256").update(canonicalJson(body)).digest("hex").slice(0, 16);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}
