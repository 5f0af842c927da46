import { describe, expect, it } from "vitest";
import { createAdapters, findAction, listActions, validateArgs } from "../../adapters/index.js";
import { AdapterFailure } from "../../adapters/shared/errors.js";
import { createScrubber } from "../../adapters/shared/scrub.js";
import { artifactsOfError, credentialsOf } from "../../adapters/types.js";
import { AdapterError } from "../../src/errors.js";

const adapters = createAdapters();

describe("adapters/index", () => {
  it("creates every adapter once", () => {
    expect(adapters.map((a) => a.id)).toEqual(["http", "github", "vercel", "supabase", "digitalocean", "postgres", "shell", "report"]);
  });

  it("finds an action by the `uses:` of a runbook step", () => {
    const found = findAction(adapters, "github.dispatchWorkflow");
    expect(found?.adapter.id).toBe("github");
    expect(found?.name).toBe("dispatchWorkflow");
    expect(found?.action.risk).toBe("write");
    expect(findAction(adapters, "github.nope")).toBeUndefined();
    expect(findAction(adapters, "nope.check")).toBeUndefined();
    expect(findAction(adapters, "github")).toBeUndefined();
    expect(findAction(adapters, "github.toString")).toBeUndefined();
  });

  it("lists every action the runbooks may use", () => {
    const all = listActions(adapters);
    expect(all).toContain("http.check");
    expect(all).toContain("github.compareRefs");
    expect(all).toContain("postgres.migrate");
    expect(all).toEqual([...all].sort());
  });

  it("validates args with a message that names field, rule and value", () => {
    const found = findAction(adapters, "github.dispatchWorkflow")!;
    expect(() => validateArgs(found, { repository: "acme", workflow: "deploy.yml", ref: "main", extra: 1 })).toThrow(
      'github.dispatchWorkflow: `repository` must be owner/name, like acme/api (got "acme"); unknown field `extra`.',
    );
    expect(() => validateArgs(found, { workflow: "deploy.yml", ref: "main" })).toThrow(
      "github.dispatchWorkflow: `repository` is required.",
    );
  });

  it("grants static and dynamic credentials once each", () => {
    const shell = findAction(adapters, "shell.run")!.action;
    expect(credentialsOf(shell, { command: ["x"], env: ["A_TOKEN", "A_TOKEN"] }).map((c) => c.name)).toEqual(["A_TOKEN"]);
    const github = findAction(adapters, "github.getRepository")!.action;
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
