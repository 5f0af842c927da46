import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction, type ActionContext } from "../shared/action.js";
import { boolArg, intArg, optionalInt } from "../shared/args.js";
import { formatDuration, type Clock } from "../shared/clock.js";
import { path, type ProviderClient } from "../shared/http-client.js";
import {
  appArg,
  componentsOf,
  deploymentIdArg,
  DIGITALOCEAN_TOKEN,
  SCALABLE_KINDS,
  type App,
  type AppComponent,
  type AppDeployment,
  type DeploymentProgress,
} from "./client.js";

async function readApp(client: ProviderClient, ctx: ActionContext, app: string): Promise<App> {
  const { body } = await client.request<{ app: App }>(ctx, { method: "GET", path: path`/apps/${app}`, what: `read app ${app}` });
  return body.app;
}

export function createGetApp(client: ProviderClient, consoleUrl: string): AdapterAction {
  return adapterAction("digitalocean", "getApp", {
    description: "Read an App Platform app: live URL, active deployment and components with instance counts.",
    args: z.strictObject({ app: appArg }),
    risk: "read",
    credentials: [DIGITALOCEAN_TOKEN],
    async run(args, ctx) {
      const app = await readApp(client, ctx, args.app);
      const components = componentsOf(app.spec);
      const listed = components.map(
        (c) => `${c.name} (${c.kind}${c.instanceCount !== null ? ` ×${c.instanceCount}` : ""}${c.autoscaling ? ", autoscaled" : ""})`,
      );
      const active = app.active_deployment
        ? `active deployment ${app.active_deployment.id} ${app.active_deployment.phase}`
        : "no active deployment";
      const inProgress = app.in_progress_deployment ? `; ${app.in_progress_deployment.id} ${app.in_progress_deployment.phase}` : "";
      return {
        summary: `${app.spec.name}: ${active}${inProgress}${app.live_url ? ` at ${app.live_url}` : ""}; ${listed.join(", ") || "no components"}`,
        data: {
          id: app.id,
          name: app.spec.name,
          liveUrl: app.live_url ?? null,
          activeDeploymentId: app.active_deployment?.id ?? null,
          inProgressDeploymentId: app.in_progress_deployment?.id ?? null,
          components,
        },
        artifacts: [{ kind: "link", title: `${app.spec.name} in DigitalOcean`, url: `${consoleUrl}/apps/${app.id}` }],
      };
    },
  });
}

export const restartArgs = z.strictObject({
  app: appArg,
  /** Rebuild from source instead of reusing the last build. */
  forceBuild: z.preprocess((v) => (v === "" || v === undefined ? false : v), boolArg()),
});

/** App Platform has no plain restart here: creating a deployment redeploys the current spec (POST /v2/apps/{id}/deployments). */
export function createRestartApp(client: ProviderClient, consoleUrl: string): AdapterAction {
  return adapterAction("digitalocean", "restartApp", {
    description: "Redeploy an App Platform app with its current spec (a new deployment; optionally a fresh build).",
    args: restartArgs,
    risk: "write",
    credentials: [DIGITALOCEAN_TOKEN],
    dryRun: (args) => ({
      calls: [{ method: "POST", url: client.url(path`/apps/${args.app}/deployments`), body: { force_build: args.forceBuild } }],
    }),
    async run(args, ctx) {
      const { body } = await client.request<{ deployment: AppDeployment }>(ctx, {
        method: "POST",
        path: path`/apps/${args.app}/deployments`,
        body: { force_build: args.forceBuild },
        what: `create a deployment of app ${args.app}`,
      });
      const d = body.deployment;
      return {
        summary: `started deployment ${d.id} of app ${args.app} (${d.phase})`,
        data: { app: args.app, deploymentId: d.id, phase: d.phase },
        artifacts: [{ kind: "link", title: `Deployment ${d.id}`, url: `${consoleUrl}/apps/${args.app}/deployments/${d.id}` }],
      };
    },
  });
}

export const scaleArgs = z.strictObject({
  app: appArg,
  component: z
    .string({ error: "must be the name of a service or worker in the app spec" })
    .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "must be the name of a service or worker in the app spec (lowercase, digits, -)"),
  instanceCount: intArg(1, 250),
});

/**
 * Sets instance_count of one service or worker: GET the app, change that one field in its spec, PUT the
 * whole spec back (the API has no partial update). DigitalOcean has no ETag here, so a spec edit made by
 * someone else between the GET and the PUT would be overwritten; the window is one round trip.
 */
export function createScaleComponent(client: ProviderClient, consoleUrl: string): AdapterAction {
  return adapterAction("digitalocean", "scaleComponent", {
    description: "Change the instance count of a service or worker of an App Platform app (updates the app spec).",
    args: scaleArgs,
    risk: "write",
    credentials: [DIGITALOCEAN_TOKEN],
    dryRun: (args) => ({
      calls: [
        { method: "GET", url: client.url(path`/apps/${args.app}`), note: "current spec" },
        {
          method: "PUT",
          url: client.url(path`/apps/${args.app}`),
          body: { spec: `<current spec with ${args.component}.instance_count = ${args.instanceCount}>` },
        },
      ],
      summary: `would set ${args.component}.instance_count to ${args.instanceCount} in the spec of app ${args.app} (GET then PUT /apps/${args.app})`,
    }),
    async run(args, ctx) {
      const app = await readApp(client, ctx, args.app);
      const spec = structuredClone(app.spec);
      let found: AppComponent | undefined;
      for (const kind of SCALABLE_KINDS) found ??= spec[kind]?.find((c) => c.name === args.component);
      if (!found) {
        const all = componentsOf(app.spec);
        const other = all.find((c) => c.name === args.component);
        throw new AdapterError(
          "digitalocean",
          "scaleComponent",
          other ? "DIGITALOCEAN_NOT_SCALABLE" : "DIGITALOCEAN_NOT_FOUND",
          other
            ? `${args.component} in ${app.spec.name} is a ${other.kind}; only services and workers have an instance count.`
            : `${app.spec.name} has no service or worker named ${args.component} (it has: ${all.map((c) => c.name).join(", ") || "none"}).`,
          { hint: "Check digitaloceanComponent in the config." },
        );
      }
      if (found.autoscaling) {
        throw new AdapterError(
          "digitalocean",
          "scaleComponent",
          "DIGITALOCEAN_AUTOSCALED",
          `${args.component} in ${app.spec.name} autoscales between ${found.autoscaling.min_instance_count ?? "?"} and ${found.autoscaling.max_instance_count ?? "?"} instances; a fixed instance count would be ignored.`,
          { hint: "Change its autoscaling limits in the app spec instead." },
        );
      }
      const before = found.instance_count ?? 1;
      if (before === args.instanceCount) {
        return {
          summary: `${args.component} of ${app.spec.name} already runs ${before} instance${before === 1 ? "" : "s"}; nothing to change`,
          data: { component: args.component, before, after: before, changed: false, deploymentId: null },
        };
      }
      found.instance_count = args.instanceCount;
      const { body } = await client.request<{ app: App }>(ctx, {
        method: "PUT",
        path: path`/apps/${args.app}`,
        body: { spec },
        what: `update the spec of app ${app.spec.name}`,
      });
      const deployment = body.app.pending_deployment ?? body.app.in_progress_deployment ?? null;
      return {
        summary: `${args.component} of ${app.spec.name}: ${before} → ${args.instanceCount} instances${deployment ? `; deployment ${deployment.id} ${deployment.phase}` : ""}`,
        data: { component: args.component, before, after: args.instanceCount, changed: true, deploymentId: deployment?.id ?? null },
        artifacts: [
          {
            kind: "diff",
            title: `${app.spec.name} spec`,
            content: `  ${args.component}:\n-   instance_count: ${before}\n+   instance_count: ${args.instanceCount}`,
          },
          ...(deployment
            ? [
                {
                  kind: "link" as const,
                  title: `Deployment ${deployment.id}`,
                  url: `${consoleUrl}/apps/${args.app}/deployments/${deployment.id}`,
                },
              ]
            : []),
        ],
      };
    },
  });
}

const deploymentArgs = z.strictObject({ app: appArg, deploymentId: deploymentIdArg });

async function readDeployment(client: ProviderClient, ctx: ActionContext, app: string, id: string): Promise<AppDeployment> {
  const { body } = await client.request<{ deployment: AppDeployment }>(ctx, {
    method: "GET",
    path: path`/apps/${app}/deployments/${id}`,
    what: `read deployment ${id} of app ${app}`,
  });
  return body.deployment;
}

export function createGetDeployment(client: ProviderClient): AdapterAction {
  return adapterAction("digitalocean", "getDeployment", {
    description: "Read an App Platform deployment's phase and progress.",
    args: deploymentArgs,
    risk: "read",
    credentials: [DIGITALOCEAN_TOKEN],
    async run(args, ctx) {
      const d = await readDeployment(client, ctx, args.app, args.deploymentId);
      return { summary: `deployment ${d.id}: ${d.phase}${progressText(d.progress)}`, data: deploymentData(d) };
    },
  });
}

export const waitArgs = z.strictObject({
  app: appArg,
  deploymentId: deploymentIdArg,
  pollSeconds: optionalInt(1, 300),
  timeoutSeconds: optionalInt(10, 6 * 3600),
});

const FAILED = new Set(["ERROR", "CANCELED", "SUPERSEDED"]);

export function createWaitForDeployment(client: ProviderClient, clock: Clock, consoleUrl: string): AdapterAction {
  return adapterAction("digitalocean", "waitForDeployment", {
    description: "Wait until an App Platform deployment is ACTIVE; fail if it ends in ERROR, CANCELED or SUPERSEDED.",
    args: waitArgs,
    risk: "read",
    credentials: [DIGITALOCEAN_TOKEN],
    async run(args, ctx) {
      const pollMs = (args.pollSeconds ?? 10) * 1000;
      const timeoutMs = (args.timeoutSeconds ?? 1800) * 1000;
      const started = clock.now();
      const link = `${consoleUrl}/apps/${args.app}/deployments/${args.deploymentId}`;
      let d = await readDeployment(client, ctx, args.app, args.deploymentId);
      let lastPhase = d.phase;
      while (d.phase !== "ACTIVE" && !FAILED.has(d.phase)) {
        if (clock.now() + pollMs - started > timeoutMs) {
          throw new AdapterError(
            "digitalocean",
            "waitForDeployment",
            "ADAPTER_TIMEOUT",
            `deployment ${d.id} is still ${d.phase}${progressText(d.progress)} after ${formatDuration(clock.now() - started)}: ${link}`,
            { retryable: true },
          );
        }
        await clock.sleep(pollMs, ctx.signal);
        d = await readDeployment(client, ctx, args.app, args.deploymentId);
        if (d.phase !== lastPhase) ctx.log.info({ deployment_id: d.id, phase: d.phase }, "deployment phase");
        lastPhase = d.phase;
      }
      if (d.phase !== "ACTIVE") {
        const reason = failedStep(d.progress?.steps);
        throw new AdapterError(
          "digitalocean",
          "waitForDeployment",
          "DIGITALOCEAN_DEPLOYMENT_FAILED",
          `deployment ${d.id} ended ${d.phase}${reason ? ` at ${ctx.scrub.text(reason)}` : ""}: ${link}`,
          {
            hint:
              d.phase === "SUPERSEDED"
                ? "A newer deployment replaced it; check that one."
                : "Open the deployment for its build and deploy logs.",
          },
        );
      }
      return {
        summary: `deployment ${d.id} is ACTIVE after ${formatDuration(clock.now() - started)}`,
        data: deploymentData(d),
        artifacts: [{ kind: "link", title: `Deployment ${d.id}`, url: link }],
      };
    },
  });
}

function progressText(p: DeploymentProgress | undefined): string {
  return p?.total_steps ? ` (${p.success_steps ?? 0}/${p.total_steps} steps)` : "";
}

function failedStep(steps: DeploymentProgress["steps"], trail: string[] = []): string | undefined {
  for (const step of steps ?? []) {
    if (step.status !== "ERROR") continue;
    const here = [...trail, step.name];
    const deeper = failedStep(step.steps, here);
    if (deeper) return deeper;
    return `${here.join(" › ")}${step.reason?.message ? `: ${step.reason.message}` : ""}`;
  }
  return undefined;
}

function deploymentData(d: AppDeployment) {
  return {
    deploymentId: d.id,
    phase: d.phase,
    cause: d.cause ?? null,
    successSteps: d.progress?.success_steps ?? null,
    totalSteps: d.progress?.total_steps ?? null,
    createdAt: d.created_at ?? null,
  };
}
