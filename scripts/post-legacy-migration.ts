// The release plan's migration trigger (config releases.legacy-migration): POST /api/migrations/legacy on an
// environment's app, authenticated, and print the response as an opsroom step result. Usage:
//   node scripts/post-legacy-migration.ts <env>   (reads <ENV>_APP_URL and <ENV>_MIGRATION_TOKEN)
const env = (process.argv[2] ?? "").toUpperCase();
const base = process.env[`${env}_APP_URL`];
const token = process.env[`${env}_MIGRATION_TOKEN`];
if (!env || !base || !token) {
  console.error(`usage: post-legacy-migration.ts <env>, with ${env || "<ENV>"}_APP_URL and ${env || "<ENV>"}_MIGRATION_TOKEN set`);
  process.exit(2);
}
const response = await fetch(new URL("/api/migrations/legacy", base), {
  method: "POST",
  headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  body: "{}",
});
const body = await response.text();
if (!response.ok) {
  console.error(`POST /api/migrations/legacy answered ${response.status}: ${body.slice(0, 300)}`);
  process.exit(1);
}
const data = parseJson(body);
console.log(JSON.stringify({ summary: `POST /api/migrations/legacy: ${response.status}${data.dryRun ? " (dry run)" : ""}`, data }));

function parseJson(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { body: text.slice(0, 300) };
  }
}
