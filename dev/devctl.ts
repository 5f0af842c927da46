/**
 * The commands of the dev environment's `deployVia: shell` path (see config/opsroom.example.yml):
 *
 *   node dev/devctl.ts deploy <service> <ref>         start <ref> (a branch, tag or SHA of the sample repo)
 *   node dev/devctl.ts changes <service> <ref>        the commits a deploy of <ref> would ship
 *   node dev/devctl.ts deployments <service>          deployments, newest first
 *   node dev/devctl.ts status <service>               what runs now, on how many instances
 *   node dev/devctl.ts restart <service>              new instances replace the running ones
 *   node dev/devctl.ts scale <service> <count>        run <count> instances
 *   node dev/devctl.ts logs <service> [--since=ISO] [--until=ISO] [--level=error|warn|info]
 *
 * Each prints one step result as JSON on standard output ({ summary, data, artifacts }) and exits 0, or
 * prints the reason on standard error and exits 1. It talks to the dev host at DEV_HOST_URL, which opsroom
 * passes to it (the config's `commandEnv`). Your own on-prem scripts can follow the same contract.
 */
const [verb, service, ...rest] = process.argv.slice(2);
const host = process.env.DEV_HOST_URL;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function options(args: string[]): URLSearchParams {
  const params = new URLSearchParams();
  for (const arg of args) {
    const match = /^--(since|until|level)=(.*)$/.exec(arg);
    if (!match) fail(`unknown option ${arg} (expected --since=, --until=, --level=)`);
    if (match[2]) params.set(match[1]!, match[2]);
  }
  return params;
}

function request(): { method: string; path: string; body?: unknown } {
  const base = `/services/${encodeURIComponent(service ?? "")}`;
  switch (verb) {
    case "deploy":
      return { method: "POST", path: `${base}/deploy`, body: { ref: rest[0] ?? "main" } };
    case "changes":
      return { method: "GET", path: `${base}/changes?ref=${encodeURIComponent(rest[0] ?? "main")}` };
    case "deployments":
    case "status":
      return { method: "GET", path: `${base}/${verb}` };
    case "restart":
      return { method: "POST", path: `${base}/restart`, body: {} };
    case "scale":
      return { method: "POST", path: `${base}/scale`, body: { replicas: Number(rest[0]) } };
    case "logs":
      return { method: "GET", path: `${base}/logs?${options(rest).toString()}` };
    default:
      return fail(`usage: devctl deploy|changes|deployments|status|restart|scale|logs <service> [args] (got ${verb ?? "nothing"})`);
  }
}

if (!service) fail("name the service, like: devctl status api");
if (!host) fail("DEV_HOST_URL is not set: the dev environment runs while opsroom runs (npm start), which passes it to this command");
const { method, path, body } = request();
const response = await fetch(new URL(path, host), {
  method,
  headers: { "content-type": "application/json" },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
}).catch((err: Error) => fail(`cannot reach the dev host at ${host}: ${err.message}`));
const answer = (await response.json()) as { error?: string };
if (!response.ok) fail(answer.error ?? `dev host answered ${response.status}`);
process.stdout.write(`${JSON.stringify(answer)}\n`);
