import type { Logger } from "pino";
import type { z } from "zod";

/**
 * The one small interface every integration implements. An adapter has an id and a map of actions;
 * each action validates its args with zod, declares its risk and the credentials it needs, and runs
 * with a step context. Adapters never post to Slack, touch the store or read process.env.
 *
 * @example
 * const http: Adapter = { id: "http", actions: { check: defineAction({ args: z.object({ url: z.url() }), risk: "read", run: ... }) } };
 */
export interface Adapter {
  readonly id: string;
  readonly description: string;
  readonly actions: Readonly<Record<string, AdapterAction>>;
}

export type Risk = "read" | "write";

/** A credential an action needs, named as its environment variable (e.g. GITHUB_TOKEN). */
export interface CredentialSpec {
  readonly name: string;
  readonly description: string;
  /**
   * False for values that are configuration rather than secrets (e.g. SUPABASE_URL), so adapters need not
   * scrub them from what they return. Absent means secret.
   */
  readonly secret?: boolean;
}

export interface AdapterAction<A = unknown> {
  readonly description: string;
  readonly args: z.ZodType<A>;
  readonly risk: Risk;
  readonly credentials: readonly CredentialSpec[];
  /**
   * Credentials whose names depend on the args, e.g. postgres reads its URL from the variable named by
   * `databaseUrlEnv`. The executor grants `credentialsOf(action, args)`: these plus `credentials`.
   */
  readonly credentialsFor?: (args: A) => readonly CredentialSpec[];
  run(args: A, ctx: StepContext): Promise<StepResult>;
}

export interface StepContext {
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly runId: string;
  readonly stepId: string;
  /** True when the run is a dry run; write actions must make no call and describe what they would do. */
  readonly dryRun: boolean;
  /** Only the credentials this action declared, by name. */
  readonly credentials: Readonly<Record<string, string>>;
}

export type ArtifactKind = "link" | "text" | "diff" | "file" | "json";

/** Something a step produced for people to read: a link, a log excerpt, a diff, a file. */
export interface Artifact {
  readonly kind: ArtifactKind;
  readonly title: string;
  /** Full content; front ends show an excerpt and point to the whole. */
  readonly content?: string;
  readonly url?: string;
  readonly filename?: string;
}

export interface StepResult {
  /** One line for the progress view, e.g. "200 OK in 12 ms". */
  readonly summary: string;
  /** Structured output later steps may reference as `steps.<id>.data`. */
  readonly data?: unknown;
  readonly artifacts?: readonly Artifact[];
  /**
   * What stands against going ahead that an approver may override by giving a reason (a Blocked ops
   * board verdict, a migration that never succeeded on staging). A plan whose preflight says this can
   * only be approved with a reason, and a run whose approvals gave none stops before it changes anything.
   */
  readonly override?: string;
}

/** Keeps the args type of an action tied to its schema. */
export function defineAction<S extends z.ZodType>(action: {
  description: string;
  args: S;
  risk: Risk;
  credentials?: readonly CredentialSpec[];
  credentialsFor?: (args: z.output<S>) => readonly CredentialSpec[];
  run(args: z.output<S>, ctx: StepContext): Promise<StepResult>;
}): AdapterAction {
  return { credentials: [], ...action } as AdapterAction;
}

/**
 * Every credential an action needs for these (validated) args: the static list plus the dynamic one,
 * each name once.
 *
 * @example credentialsOf(postgres.actions.migrate, { databaseUrlEnv: "STAGING_DATABASE_URL", ... })
 */
export function credentialsOf<A>(action: AdapterAction<A>, args: A): readonly CredentialSpec[] {
  const byName = new Map<string, CredentialSpec>();
  for (const spec of [...action.credentials, ...(action.credentialsFor?.(args) ?? [])]) {
    if (!byName.has(spec.name)) byName.set(spec.name, spec);
  }
  return [...byName.values()];
}

/**
 * Artifacts a failed step still produced, such as the full output of a command that exited non-zero.
 * Adapters attach them to the error they throw as an `artifacts` array; anything else has none.
 */
export function artifactsOfError(err: unknown): readonly Artifact[] {
  if (typeof err !== "object" || err === null || !("artifacts" in err)) return [];
  const artifacts = (err as { artifacts: unknown }).artifacts;
  return Array.isArray(artifacts) ? (artifacts as Artifact[]) : [];
}
