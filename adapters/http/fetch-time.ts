import { z } from "zod";
import { AdapterError } from "../../src/errors.js";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { envNameArg, optionalArg, optionalText } from "../shared/args.js";
import { abortable } from "../shared/clock.js";
import { networkErrorCode } from "../shared/errors.js";
import type { FetchLike } from "../shared/http-client.js";

export const fetchTimeArgs = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }),
  /** Dotted path of the timestamp in the JSON body ("data.updatedAt"); the Last-Modified header when absent. */
  field: optionalText(),
  /** Variable holding a bearer token for the request. */
  tokenEnv: optionalArg(envNameArg),
});

const TIMEOUT_MS = 15_000;

/** A telemetry feed's "last modified" from an HTTP endpoint: a JSON field, or the Last-Modified header. */
export function createFetchTimeAction(fetchImpl: FetchLike): AdapterAction {
  return adapterAction("http", "fetchTime", {
    description: "Read a timestamp from an HTTP endpoint: a field of its JSON body, or its Last-Modified header (a telemetry feed).",
    args: fetchTimeArgs,
    risk: "read",
    credentialsFor: (args) => (args.tokenEnv ? [{ name: args.tokenEnv, description: "a bearer token for the feed's URL" }] : []),
    async run(args, ctx) {
      const fail = (code: string, message: string) => new AdapterError("http", "fetchTime", code, message);
      const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(TIMEOUT_MS)]);
      const headers: Record<string, string> = { accept: "application/json", "user-agent": "opsroom" };
      if (args.tokenEnv) headers.authorization = `Bearer ${ctx.credentials[args.tokenEnv] ?? ""}`;
      let response: Response;
      let text: string;
      try {
        response = await abortable(fetchImpl(args.url, { method: "GET", headers, signal }), signal);
        text = await abortable(response.text(), signal);
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        throw fail(
          "HTTP_UNREACHABLE",
          `${args.url} could not be read (${signal.aborted ? "timed out" : (networkErrorCode(err) ?? "network error")}).`,
        );
      }
      if (!response.ok) throw fail("HTTP_STATUS", `${args.url} answered ${response.status} ${response.statusText}.`);
      let raw: unknown;
      if (args.field) {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          throw fail("HTTP_BAD_RESPONSE", `${args.url} did not answer JSON, so it has no field ${args.field}.`);
        }
        raw = args.field
          .split(".")
          .reduce<unknown>((v, key) => (v && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined), body);
        if (raw === undefined || raw === null) throw fail("HTTP_NO_TIMESTAMP", `${args.url} has no ${args.field} in its answer.`);
      } else {
        raw = response.headers.get("last-modified");
        if (!raw) throw fail("HTTP_NO_TIMESTAMP", `${args.url} sent no Last-Modified header; set the feed's field.`);
      }
      const at = typeof raw === "number" || typeof raw === "string" ? new Date(raw) : null;
      if (!at || Number.isNaN(at.getTime())) {
        throw fail(
          "HTTP_NO_TIMESTAMP",
          `${args.url}: ${args.field ?? "Last-Modified"} is ${JSON.stringify(String(raw)).slice(0, 60)}, not a time.`,
        );
      }
      const iso = at.toISOString();
      return { summary: `${args.url}: ${iso}`, data: { at: iso, value: iso, detail: args.field ?? "Last-Modified" } };
    },
  });
}
