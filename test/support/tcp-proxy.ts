import net, { type AddressInfo } from "node:net";

/**
 * A loopback TCP proxy in front of Postgres, for the "database restarts under a running worker"
 * test. `stop()` cuts every connection through it and refuses new ones (what clients see while a
 * database restarts); `start()` accepts again on the same port. The shared cluster itself is never
 * touched, so other suites using it are unaffected.
 */
export interface TcpProxy {
  readonly port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** A connection URL of the proxied server (`postgres://…@host:5432/db`) that goes through the proxy. */
  via(url: string): string;
}

/** A proxy in front of the Postgres server `databaseUrl` names. */
export function startPostgresProxy(databaseUrl: string): Promise<TcpProxy> {
  const target = new URL(databaseUrl);
  return startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        sockets.add(client);
        sockets.add(upstream);
        const close = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on("error", close).on("close", close);
        upstream.on("error", close).on("close", close);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        port = (s.address() as AddressInfo).port;
        server = s;
        resolve();
      });
    });

  await start();
  return {
    get port() {
      return port;
    },
    async stop() {
      const s = server;
      server = undefined;
      const closed = new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      await closed;
    },
    start,
    via(url) {
      const viaProxy = new URL(url);
      viaProxy.hostname = "127.0.0.1";
      viaProxy.port = String(port);
      return viaProxy.toString();
    },
  };
}
