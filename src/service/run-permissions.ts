import type { Config } from "../config/load-config.js";
import type { PeopleConfig } from "../config/config-schema.js";
import { PolicyError } from "../errors.js";
import { approversKey } from "../planner/approval-policy.js";
import type { Run } from "../store/types.js";
import type { ApproverDirectory } from "./ops-service.js";

/**
 * Who may act on a run, for every front end:
 * - approve: the plan's approvers (users, members of groups). An empty approver list means anyone,
 *   except in a protected environment, where it means nobody until the config names approvers.
 *   (Self-approval is the database's rule: see approval_counts in store migration 011.)
 * - reject: the approvers, and the plan's requesters (dropping their own plan).
 * - edit: the plan's requesters (whoever requested or edited it) and its approvers.
 * - cancel: the requesters, the approvers and the config's `admins`.
 *
 * @example await permissions.assertMayCancel(run, "U0CAROL01") // throws POLICY_NOT_ALLOWED
 */
/** What the approver rules read of a run; a schedule's plan (approved once, at creation) has it too. */
export type PolicySubject = Pick<Run, "plan" | "env" | "runbook" | "title">;

export function createRunPermissions(deps: { config: Config; directory: () => ApproverDirectory | undefined }) {
  const { config } = deps;
  const isProtected = (run: PolicySubject) => run.env !== null && config.environments[run.env]?.protected === true;
  const names = (people: PeopleConfig) => people.users.length + people.groups.length;
  const isAmong = async (people: PeopleConfig, user: string): Promise<boolean> => {
    if (people.users.includes(user)) return true;
    for (const group of people.groups) {
      if (((await deps.directory()?.groupMembers(group)) ?? []).includes(user)) return true;
    }
    return false;
  };
  const isApprover = async (run: PolicySubject, user: string): Promise<boolean> => {
    const approvers = run.plan.approval.approvers;
    if (names(approvers) === 0) return !isProtected(run);
    return isAmong(approvers, user);
  };
  const what = (run: PolicySubject) => `${run.title}${run.env ? ` in ${run.env}` : ""}`;
  const mention = (people: PeopleConfig) => [...people.users.map((u) => `<@${u}>`), ...people.groups.map((g) => `<!subteam^${g}>`)];
  const whoMay = (run: Run, admins: boolean): string => {
    const approvers = run.plan.approval.approvers;
    const parts = [`its requester${run.requesters.length > 1 ? "s" : ""} (${mention({ users: run.requesters, groups: [] }).join(", ")})`];
    if (names(approvers) > 0) parts.push(`its approvers (${mention(approvers).join(", ")})`);
    if (admins)
      parts.push(names(config.admins) > 0 ? `an admin (${mention(config.admins).join(", ")})` : "an admin (none are set in `admins`)");
    return parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(", ")} or ${parts.at(-1)!}`;
  };

  const assertMayApprove = async (run: PolicySubject, user: string): Promise<void> => {
    const approvers = run.plan.approval.approvers;
    if (names(approvers) === 0 && isProtected(run)) {
      const key = approversKey(config.approvals, { runbook: run.runbook, env: run.env ?? undefined, params: run.plan.params });
      throw new PolicyError(
        "POLICY_NO_APPROVERS",
        `Nobody may approve ${what(run)} yet: ${run.env} is protected and no approvers are set.`,
        {
          hint: `Set \`${key}.users\` (Slack user ids) or \`${key}.groups\` (user group ids) in the config file.`,
        },
      );
    }
    if (await isApprover(run, user)) return;
    throw new PolicyError("POLICY_NOT_APPROVER", `You can't approve ${what(run)}. Approvers: ${mention(approvers).join(", ")}.`);
  };

  return {
    /** Whether `user` is among `people` (users, members of groups); an empty list is everyone. */
    isAmongOrEveryone: async (people: PeopleConfig, user: string): Promise<boolean> => names(people) === 0 || isAmong(people, user),

    /** Whether `user` may approve the plan (App Home lists, the same rule as `assertMayApprove`). */
    isApprover,

    assertMayApprove,

    /** A requester may drop their own plan; anyone else needs to be allowed to approve it. */
    async assertMayReject(run: Run, user: string): Promise<void> {
      if (!run.requesters.includes(user)) await assertMayApprove(run, user);
    },

    async assertMayEdit(run: Run, user: string): Promise<void> {
      if (run.requesters.includes(user) || (await isApprover(run, user))) return;
      throw new PolicyError("POLICY_NOT_ALLOWED", `You can't edit ${what(run)}: only ${whoMay(run, false)} may.`);
    },

    async assertMayCancel(run: Run, user: string): Promise<void> {
      if (run.requesters.includes(user) || (await isApprover(run, user)) || (await isAmong(config.admins, user))) return;
      throw new PolicyError("POLICY_NOT_ALLOWED", `You can't cancel ${what(run)}: only ${whoMay(run, true)} may.`);
    },
  };
}

export type RunPermissions = ReturnType<typeof createRunPermissions>;
