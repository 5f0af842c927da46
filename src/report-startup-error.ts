import { ConfigError, formatConfigIssue, OpsError } from "./errors.js";

/**
 * Why opsroom could not start, for a person at a terminal: every config problem with file, line and
 * field; a database error as what its code means for DATABASE_URL; an OpsError's message and hint.
 * Returns the exit code (1).
 *
 * @example reportStartupError(error, io)
 */
export function reportStartupError(
  error: unknown,
  io: { stderr: NodeJS.WritableStream; env?: Readonly<Record<string, string | undefined>> },
): number {
  if (error instanceof ConfigError) {
    io.stderr.write(`opsroom cannot start: ${error.issues.length} problem${error.issues.length === 1 ? "" : "s"} found\n`);
    for (const issue of error.issues) io.stderr.write(`  ${formatConfigIssue(issue)}\n`);
    return 1;
  }
  const databaseUrl = io.env?.DATABASE_URL?.trim();
  const database = databaseUrl ? describeDatabaseError(error, databaseUrl) : undefined;
  if (database) {
    io.stderr.write(`opsroom cannot start: ${database}\n  Or unset DATABASE_URL to use the embedded database.\n`);
  } else if (error instanceof OpsError) {
    io.stderr.write(`opsroom cannot start: ${error.userMessage}${error.hint ? `\n  ${error.hint}` : ""}\n`);
  } else if (errorCode(error) === "EADDRINUSE") {
    const port = (error as { port?: number }).port;
    io.stderr.write(`opsroom cannot start: port ${port ?? "PORT"} is in use by another process — stop it, or set PORT to a free port.\n`);
  } else {
    io.stderr.write(`opsroom cannot start: ${(error as Error).message}\n`);
  }
  return 1;
}

/**
 * What a connection or server error means for DATABASE_URL, or undefined when it is not one. Names the
 * host, port, database and user from the URL, never its password.
 */
export function describeDatabaseError(error: unknown, databaseUrl: string): string | undefined {
  const code = errorCode(error);
  if (!code) return undefined;
  const url = parseUrl(databaseUrl);
  const where = url ? `${url.hostname}:${url.port || "5432"}` : "DATABASE_URL";
  const database = url ? decodeURIComponent(url.pathname.slice(1)) || decodeURIComponent(url.username) : "";
  const user = url ? decodeURIComponent(url.username) : "";
  const server = (error as Error).message;
  switch (code) {
    case "3D000":
      return `database "${database}" does not exist on ${where} — create it (createdb "${database}") or fix the database name in DATABASE_URL.`;
    case "28P01":
      return `password authentication failed for user "${user}" on ${where} — fix the password in DATABASE_URL.`;
    case "28000":
      return `the server at ${where} refused user "${user}": ${server} — fix the user in DATABASE_URL, or let it in (role, pg_hba.conf).`;
    case "53300":
      return `the server at ${where} has no connection slots left (53300) — raise its max_connections or run fewer processes (each opsroom uses up to 11).`;
    case "57P03":
      return `the server at ${where} is starting up or shutting down (57P03) — try again in a moment.`;
    case "ECONNREFUSED":
      return `nothing is listening at ${where} (ECONNREFUSED) — is PostgreSQL running there? Check the host and port in DATABASE_URL.`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `the host "${url?.hostname ?? ""}" was not found (${code}) — check the host in DATABASE_URL.`;
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `${where} did not answer (${code}) — check the host and port in DATABASE_URL, and any firewall between.`;
    default:
      // Other SQLSTATEs (five characters; no class starts with E, unlike errno names) are the server's own words.
      return /^[0-9A-DF-Z][0-9A-Z]{4}$/.test(code) ? `the database at ${where} refused to start opsroom: ${server} (${code}).` : undefined;
  }
}

/** The first `code` along the error and its causes (pg and Node put SQLSTATEs and errnos there). */
function errorCode(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === "string" && !(e instanceof OpsError)) return e.code;
  }
  return undefined;
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
