import type { z } from "zod";
import { AdapterError, OpsError } from "../../src/errors.js";
import type { AdapterAction, Artifact, CredentialSpec, StepContext, StepResult } from "../types.js";
import { credentialsOf } from "../types.js";
import { formatIssues } from "./args.js";
import { abortable } from "./clock.js";
import { AdapterFailure, abortError } from "./errors.js";
import { createScrubber, type Scrubber } from "./scrub.js";

/** One call a write action would make, as shown by a dry run. Bodies hold no secrets. */
export interface PlannedCall {
  readonly method: string;
  readonly url: string;
  readonly body?: unknown;
  /** Why, when the call depends on an earlier one ("for each file", "<sha of main>"). */
  readonly note?: string;
}

/** What a write action would do, for dry runs: the calls in order, and anything else worth showing. */
export interface DryRunPlan {
  readonly calls: readonly PlannedCall[];
  /** Overrides the generated summary line (after "dry run: "). */
  readonly summary?: string;
  readonly artifacts?: readonly Artifact[];
}

/** The context an action body receives: the step context plus a scrubber primed with its credentials. */
export interface ActionContext extends StepContext {
  readonly scrub: Scrubber;
  readonly adapter: string;
  readonly action: string;
}

interface BaseDef<S extends z.ZodType> {
  description: string;
  args: S;
  credentials?: readonly CredentialSpec[];
  credentialsFor?: (args: z.output<S>) => readonly CredentialSpec[];
  run(args: z.output<S>, ctx: ActionContext): Promise<StepResult>;
}

export type ActionDef<S extends z.ZodType> =
  | (BaseDef<S> & { risk: "read" })
  | (BaseDef<S> & { risk: "write"; dryRun(args: z.output<S>, ctx: StepContext): DryRunPlan | Promise<DryRunPlan> });

/**
 * Wraps an action body with what every adapter action must do, so no action can forget it:
 * validate args (again: cheap, and a caller that skipped it gets a clear error, not a crash), stop at
 * once when the signal is already aborted, answer dry runs of write actions from `dryRun` without
 * calling `run` at all, require the declared credentials, reject promptly on abort, and scrub
 * credentials and credential-shaped text from results and errors.
 */
export function adapterAction<S extends z.ZodType>(adapter: string, name: string, def: ActionDef<S>): AdapterAction {
  const action: AdapterAction<z.output<S>> = {
    description: def.description,
    args: def.args as z.ZodType<z.output<S>>,
    risk: def.risk,
    credentials: def.credentials ?? [],
    ...(def.credentialsFor ? { credentialsFor: def.credentialsFor } : {}),
    async run(rawArgs, ctx) {
      const what = `${adapter}.${name}`;
      if (ctx.signal.aborted) throw abortError(adapter, name, what, ctx.signal.reason);
      const args = parseArgs(adapter, name, def.args, rawArgs);
      const specs = credentialsOf(action, args);
      const scrub = createScrubber(
        Object.entries(ctx.credentials)
          .filter(([key]) => specs.find((s) => s.name === key)?.secret !== false)
          .map(([, value]) => value),
      );
      try {
        if (def.risk === "write" && ctx.dryRun) {
          const plan = await def.dryRun(args, ctx);
          ctx.log.debug({ calls: plan.calls.length }, "dry run");
          return scrub.value(dryRunResult(plan));
        }
        for (const spec of specs) {
          if (!ctx.credentials[spec.name]) {
            throw new AdapterError(
              adapter,
              name,
              "ADAPTER_CREDENTIAL_MISSING",
              `${what} needs ${spec.name} (${spec.description}), but it was not provided.`,
              { hint: `Set ${spec.name} in the bot's environment and restart it.` },
            );
          }
        }
        const result = await abortable(def.run(args, { ...ctx, scrub, adapter, action: name }), ctx.signal);
        return scrub.value(result);
      } catch (err) {
        if (ctx.signal.aborted && !(err instanceof OpsError)) throw abortError(adapter, name, what, ctx.signal.reason);
        throw safeError(adapter, name, err, scrub);
      }
    },
  };
  return action as AdapterAction;
}

/** Validates args, throwing ADAPTER_INVALID_ARGS that names each bad field, what is allowed and what was seen. */
export function parseArgs<S extends z.ZodType>(adapter: string, name: string, schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw, { reportInput: true });
  if (parsed.success) return parsed.data;
  throw new AdapterError(adapter, name, "ADAPTER_INVALID_ARGS", `${adapter}.${name}: ${formatIssues(parsed.error.issues)}.`, {
    hint: "Check the step's `with:` in the runbook and the params it uses.",
  });
}

function dryRunResult(plan: DryRunPlan): StepResult {
  const lines = plan.calls.map(describeCall);
  const summary =
    plan.summary ??
    (plan.calls.length === 1
      ? `would ${lines[0]}`
      : `would make ${plan.calls.length} calls: ${plan.calls.map((c) => `${c.method} ${c.url}`).join(", ")}`);
  const artifacts: Artifact[] = [];
  if (plan.calls.length > 0) {
    artifacts.push({ kind: "text", title: "Calls this step would make", content: lines.map((l, i) => `${i + 1}. ${l}`).join("\n") });
  }
  artifacts.push(...(plan.artifacts ?? []));
  return { summary: `dry run: ${summary}`, data: { dryRun: true, calls: plan.calls }, artifacts };
}

export function describeCall(call: PlannedCall): string {
  const body = call.body === undefined ? "" : ` ${JSON.stringify(call.body)}`;
  const note = call.note ? ` (${call.note})` : "";
  return `${call.method} ${call.url}${body}${note}`;
}

/** Rebuilds an error with scrubbed text; anything that is not an OpsError becomes ADAPTER_FAILED. */
function safeError(adapter: string, action: string, err: unknown, scrub: Scrubber): Error {
  const cause = scrubCause(err instanceof OpsError ? err.cause : err, scrub);
  if (err instanceof AdapterError) {
    const options = {
      ...(err.hint ? { hint: scrub.text(err.hint) } : {}),
      retryable: err.retryable,
      ...(cause ? { cause } : {}),
      ...(err.status !== undefined ? { status: err.status } : {}),
    };
    if (err instanceof AdapterFailure) {
      return new AdapterFailure(err.adapter, err.action, err.code, scrub.text(err.userMessage), {
        ...options,
        artifacts: scrub.value(err.artifacts),
      });
    }
    return new AdapterError(err.adapter, err.action, err.code, scrub.text(err.userMessage), options);
  }
  if (err instanceof OpsError) {
    return new AdapterError(adapter, action, err.code, scrub.text(err.userMessage), {
      ...(err.hint ? { hint: scrub.text(err.hint) } : {}),
      retryable: err.retryable,
      ...(cause ? { cause } : {}),
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new AdapterError(adapter, action, "ADAPTER_FAILED", `${adapter}.${action} failed unexpectedly: ${scrub.text(message)}`, {
    ...(cause ? { cause } : {}),
  });
}

function scrubCause(cause: unknown, scrub: Scrubber, depth = 0): Error | undefined {
  if (cause === undefined || cause === null || depth > 3) return undefined;
  const source = cause instanceof Error ? cause : new Error(String(cause));
  const copy = new Error(scrub.text(source.message), { cause: scrubCause(source.cause, scrub, depth + 1) });
  copy.name = source.name;
  const code = (source as { code?: unknown }).code;
  if (typeof code === "string") Object.assign(copy, { code });
  if (source.stack) copy.stack = scrub.text(source.stack);
  return copy;
}
