/**
 * The database goes away under a running bot (restart, failover): a request then gets a plain answer
 * in its thread instead of silence or "something went wrong", and the bot works again once it is back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgresProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { eventually, findInThread, OPS_CHANNEL, startHarness, textOf, USERS, type Harness } from "./support/harness.js";
import { NEEDS_POSTGRES } from "../support/skip-unless.js";

describe("a Slack request while the database is down", NEEDS_POSTGRES, () => {
  let h: Harness;
  let proxy: TcpProxy;

  beforeAll(async () => {
    proxy = await startPostgresProxy(process.env.TEST_DATABASE_URL!);
    h = await startHarness({
      mode: "socket",
      backend: "postgres",
      connectThrough: {
        url: (scratchUrl) => proxy.via(scratchUrl),
        connectRetryMs: 300,
      },
    });
  });
  afterAll(async () => {
    await proxy.start().catch(() => {});
    await h?.close();
    await proxy.stop();
  });

  const mention = async (text: string) => {
    const delivery = await h.slack.sendEvent({
      type: "app_mention",
      user: USERS.dave,
      channel: OPS_CHANNEL,
      text: `<@${h.slack.identity.botUserId}> ${text}`,
    });
    expect(delivery.acked).toBe(true);
    return (delivery.payload.event as { ts: string }).ts;
  };

  it("answers that it cannot reach its database, starts nothing, and plans again once it is back", async () => {
    await proxy.stop();
    const ts = await mention("deploy api to staging");
    const reply = await h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, ts, "cannot reach its database"), 10_000);
    expect(textOf(reply)).toContain("nothing was started or changed");
    expect(textOf(reply)).not.toMatch(/Connection terminated|ECONNREFUSED|Something went wrong/);

    await proxy.start();
    const again = await mention("deploy api to staging");
    const card = await h.slack.waitFor((s) => findInThread(s, OPS_CHANNEL, again, "Requested by <@"), 15_000);
    expect(textOf(card)).toContain("Deploy");
    const runs = await eventually(async () => {
      const list = await h.service.listRuns({ limit: 10 });
      return list.length > 0 ? list : undefined;
    });
    expect(runs.map((r) => [r.runbook, r.status])).toEqual([["deploy", "pending_approval"]]);
  }, 60_000);
});
