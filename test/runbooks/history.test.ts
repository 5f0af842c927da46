/**
 * The history runbook end to end: opsroom's own runs answer "who shipped payments to prod?", and the
 * providers' records (GitHub deployments here, nock'd in their documented shape) add the changes made
 * outside opsroom, without repeating the ones opsroom made.
 */
import { describe, expect, it } from "vitest";
import type { Run } from "../../src/store/types.js";
import { CREDENTIALS, flagRow, githubDeployments, plan, stepEvent, supabaseRest, useRunbookHarness } from "./harness.js";

const h = useRunbookHarness();

const WINDOW = { since: "2026-01-01T00:00:00Z", until: "2027-12-31T00:00:00Z" };
const question = plan("history", { service: "payments", env: "prod", runbook: "deploy", ...WINDOW });

describe("history runbook", () => {
  it("without a GitHub token, says the deployments were not read instead of claiming nothing else happened", async () => {
    const { outcome, events } = await h.run(question, { credentials: {} });
    expect(outcome.status).toBe("succeeded");
    expect(stepEvent(events, "step_succeeded", "runs")?.message).toMatch(/^No opsroom deploy runs of payments in prod since /);
    expect(stepEvent(events, "step_skipped", "deploys")?.message).toMatch(/GITHUB_TOKEN/);
    expect(stepEvent(events, "step_succeeded", "outside")?.message).toBe(
      "no provider change source could be read (GitHub deployments: not checked — set GITHUB_TOKEN)",
    );
  });

  it("lists a deploy made outside opsroom, and not the GitHub record of the deploy opsroom ran", async () => {
    const store = h.store();
    const { run: deploy } = await store.createRun({
      plan: plan("deploy", { service: "payments", env: "prod", ref: "v1.4.1" }),
      status: "queued",
      requestedBy: "U0DANA001",
      source: "test",
    });
    const claimed = (await store.claimNextRun("w0", 30_000)) as Run;
    expect(claimed.id).toBe(deploy.id);
    await store.finishRun(deploy.id, "w0", { status: "succeeded", summary: "deployed" });
    const startedAt = (await store.getRun(deploy.id))!.startedAt!;
    githubDeployments(
      "acme/payments",
      "prod",
      [
        // opsroom's deploy, as GitHub recorded it a few seconds later.
        {
          id: 2,
          sha: "b84d88e7554fc1fa21bcbc4efae3c782a70d2b9e",
          ref: "v1.4.1",
          state: "success",
          at: new Date(startedAt.getTime() + 5000).toISOString(),
        },
        // A deploy from CI, which opsroom never saw.
        {
          id: 1,
          sha: "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d",
          ref: "v1.4.0",
          state: "success",
          at: "2026-01-07T09:00:00Z",
          by: "ci-bot",
        },
      ],
      20,
    );

    const { outcome, events, artifacts } = await h.run(question, { credentials: CREDENTIALS });

    expect(outcome.status).toBe("succeeded");
    expect(stepEvent(events, "step_succeeded", "runs")?.message).toMatch(
      /^payments was last deployed to prod \(v1\.4\.1\) by <@U0DANA001> at /,
    );
    const outside = stepEvent(events, "step_succeeded", "outside")?.message ?? "";
    expect(outside).toBe(
      "1 change outside opsroom; the latest: 09:00 deploy of acme/payments@a84d88e (v1.4.0) to prod by ci-bot: success [GitHub deployments]",
    );
    expect(outside).not.toContain("v1.4.1");
    expect(artifacts.find((a) => a.title === "Changes outside opsroom")?.content?.split("\n")).toHaveLength(1);
  });

  it("answers who flipped a flag from the feature_flags table when opsroom did not flip it", async () => {
    supabaseRest()
      .get("/rest/v1/feature_flags")
      .query((q) => q.environment === "eq.production")
      .reply(200, [
        flagRow("featureMatrix", true, 100, ["ops"], "2025-12-20T08:30:00+00:00"),
        flagRow("homeDemoVariant", true, 25, ["ops"], "2026-01-07T08:15:00+00:00"),
      ]);

    const { events } = await h.run(plan("history", { flag: "homeDemoVariant", env: "prod", runbook: "flag", ...WINDOW }), {
      credentials: CREDENTIALS,
    });

    expect(stepEvent(events, "step_succeeded", "runs")?.message).toMatch(/^No opsroom flag runs of homeDemoVariant in prod since /);
    expect(stepEvent(events, "step_succeeded", "outside")?.message).toBe(
      "1 change outside opsroom; the latest: 08:15 flag homeDemoVariant changed (now on at 25%) [feature_flags table]",
    );
  });
});
