import { describe, expect, it } from "vitest";
import { createAdapters } from "../../adapters/index.js";
import { AdapterFailure } from "../../adapters/shared/errors.js";
import { createScrubber } from "../../adapters/shared/scrub.js";
import { artifactsOfError, credentialsOf } from "../../adapters/types.js";
import { AdapterError } from "../../src/errors.js";
import { createActionLookup } from "../../src/executor/action-catalog.js";
import { makeCtx } from "./helpers.js";

const adapters = createAdapters();
const actions = createActionLookup(adapters);

describe("adapters/index", () => {
  it("creates every adapter once", () => {
    expect(adapters.map((a) => a.id)).toEqual([
      "http",
      "github",
      "vercel",
      "supabase",
      "digitalocean",
      "postgres",
      "shell",
      "report",
      "history",
      "rollout",
      "board",
    ]);
  });

  it("finds an action by the `uses:` of a runbook step, and says why a name is unknown", () => {
    expect(actions.find("github.dispatchWorkflow")?.risk).toBe("write");
    expect(actions.find("github.nope")).toBeUndefined();
    expect(actions.find("nope.check")).toBeUndefined();
    expect(actions.find("github")).toBeUndefined();
    expect(actions.find("github.toString")).toBeUndefined();
    expect(actions.catalog("github.toString")).toMatchObject({ known: false, reason: expect.stringContaining('no action "toString"') });
    expect(actions.catalog("nope.check")).toMatchObject({ known: false, reason: expect.stringContaining('unknown adapter "nope"') });
    expect(actions.catalog("http.check")).toMatchObject({ known: true });
  });

  it("validates args with a message that names field, rule and value", async () => {
    const dispatch = actions.find("github.dispatchWorkflow")!;
    await expect(dispatch.run({ repository: "acme", workflow: "deploy.yml", ref: "main", extra: 1 }, makeCtx())).rejects.toThrow(
      'github.dispatchWorkflow: `repository` must be owner/name, like acme/api (got "acme"); unknown field `extra`.',
    );
    await expect(dispatch.run({ workflow: "deploy.yml", ref: "main" }, makeCtx())).rejects.toThrow(
      "github.dispatchWorkflow: `repository` is required.",
    );
  });

  it("grants static and dynamic credentials once each", () => {
    const shell = actions.find("shell.run")!;
    expect(credentialsOf(shell, { command: ["x"], env: ["A_TOKEN", "A_TOKEN"] }).map((c) => c.name)).toEqual(["A_TOKEN"]);
    const github = actions.find("github.getRepository")!;
    expect(credentialsOf(github, { repository: "acme/api" }).map((c) => c.name)).toEqual(["GITHUB_TOKEN"]);
  });

  it("exposes the artifacts a failed step still produced", () => {
    const failure = new AdapterFailure("shell", "run", "SHELL_EXIT_NONZERO", "failed", {
      artifacts: [{ kind: "text", title: "out", content: "x" }],
    });
    expect(artifactsOfError(failure)).toEqual([{ kind: "text", title: "out", content: "x" }]);
    expect(artifactsOfError(new AdapterError("a", "b", "C", "m"))).toEqual([]);
    expect(artifactsOfError("boom")).toEqual([]);
  });
});

describe("scrubber", () => {
  it("removes known values (also URL-encoded) and credential-shaped text", () => {
    const scrub = createScrubber(["s3cr3t/value+1", "short"]);
    expect(scrub.text("a s3cr3t/value+1 b s3cr3t%2Fvalue%2B1 c short")).toBe("a [REDACTED] b [REDACTED] c short");
    expect(scrub.text("ghp_abcdefghijklmnopqrstuvwxyz012345 and Bearer abc.def.ghi-123 and postgres://u:pw@h/db")).toBe(
      "[REDACTED] and Bearer [REDACTED] and postgres://u:[REDACTED]@h/db",
    );
    expect(scrub.value({ list: ["token=abcdef"], n: 1 })).toEqual({ list: ["token=[REDACTED]"], n: 1 });
  });
});
