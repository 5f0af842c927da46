import { AdapterError } from "../../src/errors.js";
import type { Artifact } from "../types.js";

/** An AdapterError that still carries what the step produced, e.g. the full output of a failed command. */
export class AdapterFailure extends AdapterError {
  readonly artifacts: readonly Artifact[];

  constructor(
    adapter: string,
    action: string,
    code: string,
    userMessage: string,
    options: { hint?: string; retryable?: boolean; cause?: unknown; status?: number; artifacts?: readonly Artifact[] } = {},
  ) {
    super(adapter, action, code, userMessage, options);
    this.artifacts = options.artifacts ?? [];
  }
}

/** True when an abort reason means "took too long" (AbortSignal.timeout or an executor timeout). */
export function isTimeoutReason(reason: unknown): boolean {
  return reason instanceof Error && reason.name === "TimeoutError";
}

/** The error for a step stopped by its signal: ADAPTER_TIMEOUT for timeouts, ADAPTER_ABORTED otherwise. */
export function abortError(adapter: string, action: string, what: string, reason: unknown): AdapterError {
  if (isTimeoutReason(reason)) {
    return new AdapterError(adapter, action, "ADAPTER_TIMEOUT", `${what} timed out.`, {
      retryable: true,
      hint: "The provider may be slow or unreachable; try again, or raise the step's timeoutSeconds.",
    });
  }
  return new AdapterError(adapter, action, "ADAPTER_ABORTED", `${what} was cancelled.`, { retryable: false });
}

/** The network error code inside a fetch/pg failure (ECONNREFUSED, ENOTFOUND, CERT_HAS_EXPIRED, ...). */
export function networkErrorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = networkErrorCode(errors[0]);
      if (inner) return inner;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
