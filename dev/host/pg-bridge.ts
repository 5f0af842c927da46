import type { PGlite } from "@electric-sql/pglite";
import { createServer, type Server, type Socket } from "node:net";

const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;

/**
 * Serves one PGlite database on the Postgres wire protocol on a free loopback port, so opsroom's postgres
 * and flag adapters reach it with an ordinary connection URL, exactly as they reach a remote database.
 *
 * Why one client at a time: PGlite is a single session. Multiplexing several connections into it (what
 * @electric-sql/pglite-socket does) shares transactions, prepared statement names and SET values between
 * clients. opsroom's adapters open a connection per step and close it when the step ends, so here a
 * connection waits until the one before it has closed, then gets the session to itself; on close an open
 * transaction is rolled back and the session state is discarded. `open` runs on the first connection.
 */
export async function servePglite(open: () => Promise<PGlite>): Promise<{ url: string; close(): Promise<void> }> {
  let db: Promise<PGlite> | undefined;
  let line: Promise<void> = Promise.resolve();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.pause();
    const turn = line.then(async () => {
      const ready = (db ??= open());
      // A database that failed to open is tried again by the next connection; this one learns why.
      const opened = await ready.catch((err: Error) => {
        db = undefined;
        process.stderr.write(`dev database: ${err.message}\n`);
        socket.destroy();
      });
      if (opened) await serveOne(opened, socket);
    });
    line = turn.catch(() => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    // The first connection opens the database (a minute on a loaded machine) and later ones wait their
    // turn, so clients are told to wait longer than the usual 15 s (libpq's connect_timeout, in seconds).
    url: `postgres://postgres@127.0.0.1:${port}/postgres?connect_timeout=120`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await line;
      if (db) await (await db.catch(() => undefined))?.close();
    },
  };
}

/** Relays one client's messages to PGlite in order until the client goes away. */
function serveOne(db: PGlite, socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    let buffer = Buffer.alloc(0);
    let started = false;
    let queue: Promise<void> = Promise.resolve();
    socket.on("close", () => {
      queue = queue
        .then(async () => {
          if (db.isInTransaction()) await db.exec("ROLLBACK");
          await db.exec("DISCARD ALL");
        })
        .catch(() => undefined)
        .finally(resolve);
    });
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (const message of takeMessages()) {
        queue = queue.then(() =>
          db.execProtocolRawStream(new Uint8Array(message), { onRawData: (data) => void (socket.writable && socket.write(data)) }),
        );
      }
      queue = queue.catch(() => void socket.destroy());
    });
    socket.resume();

    // Startup-phase messages (SSL request, cancel request, startup) have no type byte: length, then a code.
    function takeMessages(): Buffer[] {
      const messages: Buffer[] = [];
      for (;;) {
        if (!started) {
          if (buffer.length < 8 || buffer.length < buffer.readInt32BE(0)) break;
          const length = buffer.readInt32BE(0);
          const code = buffer.readInt32BE(4);
          if (code === SSL_REQUEST) socket.write("N");
          else if (code !== CANCEL_REQUEST) {
            messages.push(buffer.subarray(0, length));
            started = true;
          }
          buffer = buffer.subarray(length);
          continue;
        }
        if (buffer.length < 5) break;
        const length = 1 + buffer.readInt32BE(1);
        if (buffer.length < length) break;
        messages.push(buffer.subarray(0, length));
        buffer = buffer.subarray(length);
      }
      return messages;
    }
  });
}
