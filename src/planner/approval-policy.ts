import type { ApprovalPolicyConfig, ApprovalRuleConfig } from "../config/config-schema.js";
import type { ApprovalRequirement } from "./plan.js";

interface PlanScope {
  runbook: string;
  env: string | undefined;
  /** The plan's params, for rules that match on them (a checklist step turning healthy). */
  params?: Readonly<Record<string, unknown>>;
}

/**
 * Resolves the approval policy for one plan: the config's defaults, then every matching rule in order
 * (later rules win). Read-only plans need no approval. A protected environment forbids self-approval
 * unless a rule explicitly allows it.
 */
export function resolveApproval(
  policy: ApprovalPolicyConfig,
  plan: PlanScope & { mutating: boolean; protectedEnv: boolean },
): ApprovalRequirement {
  const resolved: ApprovalRequirement = {
    required: plan.mutating ? policy.required : 0,
    selfApproval: plan.protectedEnv ? false : policy.selfApproval,
    approvers: { users: [...policy.approvers.users], groups: [...policy.approvers.groups] },
    expiresInMinutes: policy.expiresInMinutes,
  };
  for (const { rule } of matchingRules(policy, plan)) {
    if (rule.required !== undefined && plan.mutating) resolved.required = rule.required;
    if (rule.selfApproval !== undefined) resolved.selfApproval = rule.selfApproval;
    if (rule.approvers) resolved.approvers = { users: [...rule.approvers.users], groups: [...rule.approvers.groups] };
    if (rule.expiresInMinutes !== undefined) resolved.expiresInMinutes = rule.expiresInMinutes;
  }
  return resolved;
}

/**
 * The config key a plan's approvers come from, for messages that say what to set: the last matching
 * rule that names approvers (`approvals.rules[1].approvers`), otherwise `approvals.approvers`.
 */
export function approversKey(policy: ApprovalPolicyConfig, plan: PlanScope): string {
  const last = matchingRules(policy, plan).findLast(({ rule }) => rule.approvers !== undefined);
  return last ? `approvals.rules[${last.index}].approvers` : "approvals.approvers";
}

function matchingRules(policy: ApprovalPolicyConfig, plan: PlanScope): { rule: ApprovalRuleConfig; index: number }[] {
  return policy.rules.flatMap((rule, index) =>
    (rule.env === undefined || rule.env === plan.env) &&
    (rule.runbook === undefined || rule.runbook === plan.runbook) &&
    paramsMatch(rule.params, plan.params)
      ? [{ rule, index }]
      : [],
  );
}

/** Every param the rule names has one of the values it lists. */
function paramsMatch(wanted: ApprovalRuleConfig["params"], params: PlanScope["params"]): boolean {
  if (!wanted) return true;
  return Object.entries(wanted).every(([name, value]) => {
    const actual = params?.[name];
    return typeof actual === "string" && (Array.isArray(value) ? value.includes(actual) : value === actual);
  });
}
