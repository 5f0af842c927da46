/**
 * The `deployVia: shell` path plans only its own steps: a condition that reads the outputs of another path's
 * steps (DigitalOcean's deployment to wait for) is decided when the plan is built, so a dev plan neither shows
 * nor needs that path's steps and credentials, while a DigitalOcean plan keeps them exactly as before.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG_PATH, loadConfigFile } from "../../src/config/load-config.js";
import { plan } from "./harness.js";

const example = loadConfigFile(DEFAULT_CONFIG_PATH, { DEV_API_URL: "http://127.0.0.1:4000" });

describe("the shell deploy path", () => {
  it("scaling a shell service plans its commands and no DigitalOcean step", () => {
    const p = plan("scale", { service: "api", env: "dev", replicas: 3 }, example);
    const uses = [...p.steps, ...p.rollback].map((s) => `${s.id}:${s.uses}`);
    expect(uses).toEqual([
      "settings-shell:report.checkSettings",
      "shell-status:shell.read",
      "shell-scale:shell.run",
      "shell-after:shell.read",
      "shell-check:report.expect",
      "health:http.check",
      "shell-restore:shell.run",
    ]);
    expect(p.steps.find((s) => s.id === "shell-scale")?.args).toMatchObject({
      command: ["node", "dev/devctl.ts", "scale", "api"],
      args: [3],
    });
  });

  it("a DigitalOcean service keeps its wait steps, decided at run time", () => {
    const p = plan("scale", { service: "worker", env: "prod", replicas: 3 }, example);
    expect(p.steps.find((s) => s.id === "wait")?.runIf).toBe("{{ steps.scale.data.deploymentId }}");
    expect(p.rollback.find((s) => s.id === "wait-restore")?.runIf).toBe("{{ steps.restore.data.deploymentId }}");
    expect(p.steps.some((s) => s.uses.startsWith("shell."))).toBe(false);
  });
});
