/**
 * Errors that cross a boundary carry a stable `code`, a `userMessage` that is safe to show in Slack,
 * an optional `hint` and whether retrying could help. Boundaries translate them once.
 *
 * @example throw new InputError("PARSE_MISSING_PARAM", "Which environment? One of dev, staging, prod.")
 */
export class OpsError extends Error {
  readonly code: string;
  readonly userMessage: string;
  readonly hint: string | undefined;
  readonly retryable: boolean;

  constructor(code: string, userMessage: string, options: { hint?: string; retryable?: boolean; cause?: unknown } = {}) {
    super(userMessage, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.userMessage = userMessage;
    this.hint = options.hint;
    this.retryable = options.retryable ?? false;
  }
}

/** Something the user typed or clicked cannot be done as asked. */
export class InputError extends OpsError {}

/** Policy forbids it: approvals, self-approval, expiry, permissions. */
export class PolicyError extends OpsError {}

/** One problem in a config or runbook file, located by file, line and field path. */
export interface ConfigIssue {
  file: string;
  line: number | undefined;
  field: string;
  message: string;
}

/** A config or runbook file is invalid; carries every problem found, not just the first. */
export class ConfigError extends OpsError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options: { cause?: unknown } = {}) {
    super("CONFIG_INVALID", issues.map(formatConfigIssue).join("\n"), options);
    this.issues = issues;
  }
}

export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  return `${where}: ${issue.field || "(root)"}: ${issue.message}`;
}

/** An adapter call failed; `status` is the provider's HTTP status when there was one. */
export class AdapterError extends OpsError {
  readonly adapter: string;
  readonly action: string;
  readonly status: number | undefined;

  constructor(
    adapter: string,
    action: string,
    code: string,
    userMessage: string,
    options: { hint?: string; retryable?: boolean; cause?: unknown; status?: number } = {},
  ) {
    super(code, userMessage, options);
    this.adapter = adapter;
    this.action = action;
    this.status = options.status;
  }
}

/** The store could not be reached or refused a statement for a reason callers can act on. */
export class StoreError extends OpsError {}

/** The database went away (restart, failover, network) after it had answered; retrying later can help. */
export class StoreUnavailableError extends StoreError {}

/** Thrown from the default branch of an exhaustive switch. */
export class UnreachableError extends Error {
  constructor(value: never) {
    super(`unreachable: ${JSON.stringify(value)}`);
  }
}
