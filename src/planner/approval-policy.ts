import type { ApprovalPolicyConfig } from "../config/config-schema.js";
import type { ApprovalRequirement } from "./plan.js";

/**
 * Resolves the approval policy for one plan: the config's defaults, then every matching rule in order
 * (later rules win). Read-only plans need no approval. A protected environment forbids self-approval
 * unless a rule explicitly allows it.
 */
export function resolveApproval(
  policy: ApprovalPolicyConfig,
  plan: { runbook: string; env: string | undefined; mutating: boolean; protectedEnv: boolean },
): ApprovalRequirement {
  const resolved: ApprovalRequirement = {
    required: plan.mutating ? policy.required : 0,
    selfApproval: plan.protectedEnv ? false : policy.selfApproval,
    approvers: { users: [...policy.approvers.users], groups: [...policy.approvers.groups] },
    expiresInMinutes: policy.expiresInMinutes,
  };
  for (const rule of policy.rules) {
    if (rule.env !== undefined && rule.env !== plan.env) continue;
    if (rule.runbook !== undefined && rule.runbook !== plan.runbook) continue;
    if (rule.required !== undefined && plan.mutating) resolved.required = rule.required;
    if (rule.selfApproval !== undefined) resolved.selfApproval = rule.selfApproval;
    if (rule.approvers) resolved.approvers = { users: [...rule.approvers.users], groups: [...rule.approvers.groups] };
    if (rule.expiresInMinutes !== undefined) resolved.expiresInMinutes = rule.expiresInMinutes;
  }
  return resolved;
}
