import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction, type ActionContext } from "../shared/action.js";
import { boolArg, optionalArg, optionalText } from "../shared/args.js";
import { path, type ProviderClient } from "../shared/http-client.js";
import { appArg, deploymentIdArg, DIGITALOCEAN_TOKEN, type AppDeployment } from "./client.js";

export const rollbackArgs = z.strictObject({
  app: appArg,
  /** Deployment to go back to; the one that was live before the current one when not given. */
  deploymentId: optionalText(deploymentIdArg),
  /**
   * Pinning keeps the app on the rollback (no deploys, not even on push) until someone commits or reverts
   * it in DigitalOcean. Off by default: opsroom's own next deploy must not be silently refused.
   */
  pin: optionalArg(boolArg()),
});

type Listed = AppDeployment & { services?: Array<{ name: string; source_commit_hash?: string }> };

/** Page size when looking for the previous live deployment; 20 covers any realistic run of failed deploys. */
const PER_PAGE = 20;

async function previousLive(client: ProviderClient, ctx: ActionContext, app: string): Promise<{ to: Listed; from: Listed | undefined }> {
  const { body } = await client.request<{ deployments?: Listed[] }>(ctx, {
    method: "GET",
    path: path`/apps/${app}/deployments`,
    query: { per_page: PER_PAGE },
    what: `list deployments of app ${app}`,
  });
  const list = body.deployments ?? [];
  // Newest first. The live one is ACTIVE; a deployment that was live and got replaced is SUPERSEDED.
  const current = list.findIndex((d) => d.phase === "ACTIVE");
  const to = list.slice(current + 1).find((d) => d.phase === "SUPERSEDED");
  if (!to) {
    throw new AdapterError(
      "digitalocean",
      "rollbackApp",
      "DIGITALOCEAN_NO_PREVIOUS_DEPLOYMENT",
      `app ${app} has no earlier live deployment to roll back to among its last ${PER_PAGE} deployments.`,
      { hint: "Pass deploymentId to roll back to a specific deployment (see the app's Activity tab)." },
    );
  }
  return { to, from: current >= 0 ? list[current] : undefined };
}

/**
 * App Platform rollback: POST /v2/apps/{id}/rollback creates a deployment of an earlier one's build and
 * spec. Without a deployment id it goes back to the deployment that was live before the current one.
 */
export function createRollbackApp(client: ProviderClient, consoleUrl: string): AdapterAction {
  const body = (deploymentId: string, pin: boolean | undefined) => ({ deployment_id: deploymentId, skip_pin: !pin });
  return adapterAction("digitalocean", "rollbackApp", {
    description: "Roll an App Platform app back to an earlier deployment (the previously live one by default).",
    args: rollbackArgs,
    risk: "write",
    credentials: [DIGITALOCEAN_TOKEN],
    dryRun: (args) => ({
      calls: [
        ...(args.deploymentId
          ? []
          : [
              {
                method: "GET",
                url: client.url(path`/apps/${args.app}/deployments`, { per_page: PER_PAGE }),
                note: "the previously live deployment",
              },
            ]),
        {
          method: "POST",
          url: client.url(path`/apps/${args.app}/rollback`),
          body: body(args.deploymentId ?? "<previous live deployment>", args.pin),
        },
      ],
    }),
    async run(args, ctx) {
      const found = args.deploymentId ? undefined : await previousLive(client, ctx, args.app);
      const target = args.deploymentId ?? found!.to.id;
      const { body: res } = await client.request<{ deployment: AppDeployment }>(ctx, {
        method: "POST",
        path: path`/apps/${args.app}/rollback`,
        body: body(target, args.pin),
        what: `roll app ${args.app} back to deployment ${target}`,
      });
      const d = res.deployment;
      const commit = found?.to.services?.find((s) => s.source_commit_hash)?.source_commit_hash;
      return {
        summary: `rolling app ${args.app} back to deployment ${target}${commit ? ` (${commit.slice(0, 7)})` : ""}${found?.from ? `, was ${found.from.id}` : ""}: new deployment ${d.id} ${d.phase}${args.pin ? " (pinned)" : ""}`,
        data: {
          app: args.app,
          deploymentId: d.id,
          phase: d.phase,
          rolledBackTo: target,
          previousDeploymentId: found?.from?.id ?? null,
          pinned: !!args.pin,
        },
        artifacts: [{ kind: "link", title: `Deployment ${d.id}`, url: `${consoleUrl}/apps/${args.app}/deployments/${d.id}` }],
      };
    },
  });
}
