/**
 * A lost Socket Mode connection while opsroom runs: the SDK's own reconnect leaves a refused attempt as
 * an unhandled rejection (the suites run in Node's strict mode, so that alone fails the file). opsroom
 * logs each refused attempt and keeps trying until Slack takes it back, or until it stops.
 */
import { afterAll, expect, it } from "vitest";
import { closeSharedPglite, findInThread, OPS_CHANNEL, startHarness, USERS } from "./support/harness.js";

afterAll(closeSharedPglite);

it("keeps reconnecting after Slack refuses a Socket Mode reconnect, says why, and handles events again once it is back", async () => {
  const logLines: string[] = [];
  const h = await startHarness({ mode: "socket", logLines });
  try {
    const opened = h.slack.socketConnections.opened;
    h.slack.injectFault({ method: "apps.connections.open", error: "invalid_auth", times: 2 });
    h.slack.disconnectSockets("refresh_requested");
    await h.slack.waitFor((s) => s.socketConnections.opened > opened && s.socketConnections.open === 1, 30_000);

    const refused = h.slack.callsTo("apps.connections.open").filter((c) => c.error === "invalid_auth");
    expect(refused).toHaveLength(2);
    const reasons = logLines.filter((line) => line.includes("Socket Mode could not reconnect"));
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toContain("Slack rejected SLACK_APP_TOKEN (invalid_auth)");

    const delivery = await h.slack.sendEvent({
      type: "app_mention",
      user: USERS.carol,
      channel: OPS_CHANNEL,
      text: `<@${h.slack.identity.botUserId}> check dev status`,
    });
    expect(delivery.acked).toBe(true);
    const ts = (delivery.payload.event as { ts: string }).ts;
    await h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, ts, "Requested by <@"), 15_000);
  } finally {
    await h.close();
  }
});

it("stops cleanly while Slack keeps refusing the reconnect", async () => {
  const logLines: string[] = [];
  const h = await startHarness({ mode: "socket", logLines });
  h.slack.injectFault({ method: "apps.connections.open", error: "invalid_auth", times: Infinity });
  h.slack.disconnectSockets("refresh_requested");
  await h.slack.waitFor(() => logLines.some((line) => line.includes("Socket Mode could not reconnect")), 30_000);
  await h.close();
  expect(h.slack.socketConnections.open).toBe(0);
});
