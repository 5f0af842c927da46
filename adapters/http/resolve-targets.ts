import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { optionalInt, optionalText } from "../shared/args.js";
import { describeUrl } from "../shared/scrub.js";

const target = z.object({
  name: z.string({ error: "must be the service name" }).min(1, "must not be empty"),
  url: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }),
  expect: optionalText(),
  latencyBudgetMs: optionalInt(1, 600_000),
});

/** The planner's `healthTargets`; a JSON string of the same list is accepted too (rendered templates). */
export const healthTargetsArg = z.preprocess(
  (v) => {
    if (typeof v !== "string") return v;
    if (v.trim() === "") return [];
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  },
  z.array(target, { error: "must be a list of {name, url} health targets" }),
);

export const resolveTargetsArgs = z.strictObject({
  env: z.string({ error: "must be the environment name" }).min(1, "must not be empty"),
  /** The service asked about, when one was; used only to make the "nothing configured" message exact. */
  service: optionalText(),
  targets: healthTargetsArg,
});

/** Checks the planner found at least one health URL, and says where to configure one when it did not. */
export function createResolveTargetsAction(): AdapterAction {
  return adapterAction("http", "resolveTargets", {
    description: "List the health URLs to check in an environment; fail clearly when none is configured.",
    args: resolveTargetsArgs,
    risk: "read",
    async run(args) {
      if (args.targets.length === 0) {
        const svc = args.service ?? "<service>";
        throw new AdapterError(
          "http",
          "resolveTargets",
          "HTTP_NO_TARGETS",
          `no health URL configured for ${args.service ? `${args.service} in ` : ""}${args.env}; set services.${svc}.environments.${args.env}.healthUrl`,
          { hint: `Or set environments.${args.env}.settings.healthUrl for every service in ${args.env}.` },
        );
      }
      const names = args.targets.map((t) => t.name);
      return {
        summary: `${args.targets.length} health URL${args.targets.length === 1 ? "" : "s"} in ${args.env}: ${names.join(", ")}`,
        data: { env: args.env, targets: args.targets.map((t) => ({ ...t, url: describeUrl(t.url) })) },
      };
    },
  });
}
