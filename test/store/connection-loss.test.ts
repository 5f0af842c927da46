import { afterEach, describe, expect, it } from "vitest";
import { openPostgres, type Db } from "../../src/store/db.js";
import { startPostgresProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { NEEDS_POSTGRES } from "../support/skip-unless.js";

// The database "restarts" behind a loopback proxy that cuts every connection through it. What the
// process must do: fail the statements that were in flight, keep running, and work again afterwards.
describe("losing the Postgres connection", NEEDS_POSTGRES, () => {
  let proxy: TcpProxy | undefined;
  let db: Db | undefined;

  afterEach(async () => {
    await db?.close();
    await proxy?.stop();
  });

  it("fails the statements in flight, does not crash the process, and reconnects when the database is back", async () => {
    const url = process.env.TEST_DATABASE_URL!;
    proxy = await startPostgresProxy(url);
    db = openPostgres(proxy.via(url), { connectRetryMs: 500 });
    await db.query("SELECT 1");

    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on("uncaughtException", onUncaught);
    try {
      const statement = db.query("SELECT pg_sleep(5)");
      const transaction = db.transaction(async (tx) => {
        await tx.query("SELECT 1");
        await new Promise((resolve) => setTimeout(resolve, 500));
        await tx.query("SELECT 2");
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      await proxy.stop();

      // Said plainly, and marked retryable: the worker retries recording an outcome on these.
      const unavailable = { code: "STORE_UNAVAILABLE", retryable: true, userMessage: expect.stringContaining("cannot reach its database") };
      await expect(statement).rejects.toMatchObject(unavailable);
      await expect(transaction).rejects.toMatchObject(unavailable);
      // Still down after the connect retries: the same plain answer, not a driver message.
      await expect(db.query("SELECT 1")).rejects.toMatchObject(unavailable);
      await proxy.start();
      expect((await db.query<{ answer: number }>("SELECT 42 AS answer")).rows).toEqual([{ answer: 42 }]);
    } finally {
      process.off("uncaughtException", onUncaught);
    }
    expect(uncaught).toEqual([]);
  });
});
