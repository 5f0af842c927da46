import type { Phase } from "../runbook/runbook-schema.js";
import type { ParamValue } from "../parser/intent.js";

/**
 * A runbook made concrete for one request: every step with its rendered arguments, who may approve,
 * and a hash that approvals are bound to. A dry run shows exactly these steps and runs none.
 */
export interface Plan {
  runbook: string;
  title: string;
  params: Record<string, ParamValue>;
  env: string | undefined;
  service: string | undefined;
  /** Whether a real run may change something (risk write, unless readOnlyWhen matched). */
  mutating: boolean;
  lockKey: string | undefined;
  /** ISO time a scheduled run starts; undefined starts as soon as approved. */
  runAt: string | undefined;
  steps: PlannedStep[];
  rollback: PlannedStep[];
  approval: ApprovalRequirement;
  owner: string;
  escalation: string;
  timeoutSeconds: number;
  hash: string;
}

export interface PlannedStep {
  id: string;
  phase: Phase | "rollback";
  uses: string;
  description: string;
  /** Rendered args; values that need earlier steps' outputs stay as templates until run time. */
  args: Record<string, unknown>;
  /** Arg names still holding templates over step outputs, rendered by the executor just before the call. */
  lateArgs: string[];
  /** A condition left for run time (it depends on step outputs). */
  runIf: string | undefined;
  /** Why the step did not run when runIf is false, in the runbook's words. */
  skipNote?: string;
  retries: number;
  /** A failure of this step is recorded and the run goes on (read-only evidence gathering). */
  continueOnError: boolean;
  timeoutSeconds: number;
}

export interface ApprovalRequirement {
  required: number;
  selfApproval: boolean;
  approvers: { users: string[]; groups: string[] };
  expiresInMinutes: number;
}
