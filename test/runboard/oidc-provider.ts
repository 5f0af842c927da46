import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A loopback stand-in for Slack's OpenID Connect endpoints, answering in Slack's documented shapes
 * (https://api.slack.com/methods/openid.connect.token, openid.connect.userInfo): the authorize page
 * "signs in" `user` at once and redirects back with a code; the token endpoint returns an ID token
 * carrying the nonce it was given; userInfo says who and which workspace.
 */
export interface OidcProvider {
  url: string;
  /** Who the next sign-in is. */
  user: { id: string; team: string; name: string };
  /** What the endpoints were asked, for assertions. */
  calls: { path: string; form: URLSearchParams; authorization: string | undefined }[];
  close(): Promise<void>;
}

export async function startOidcProvider(clientId: string, clientSecret: string): Promise<OidcProvider> {
  const codes = new Map<string, { nonce: string; redirectUri: string; user: OidcProvider["user"] }>();
  const tokens = new Map<string, OidcProvider["user"]>();
  const provider: OidcProvider = { url: "", user: { id: "U0ALICE", team: "T0ACME", name: "Alice" }, calls: [], close: async () => {} };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const json = (body: unknown) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (url.pathname === "/openid/connect/authorize") {
      const q = url.searchParams;
      if (q.get("client_id") !== clientId || q.get("response_type") !== "code" || q.get("scope") !== "openid profile") {
        res.writeHead(400).end("bad authorize request");
        return;
      }
      const code = `code-${codes.size + 1}`;
      codes.set(code, { nonce: q.get("nonce")!, redirectUri: q.get("redirect_uri")!, user: { ...provider.user } });
      const back = new URL(q.get("redirect_uri")!);
      back.searchParams.set("code", code);
      back.searchParams.set("state", q.get("state")!);
      res.writeHead(302, { location: back.toString() }).end();
      return;
    }
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      const form = new URLSearchParams(body);
      provider.calls.push({ path: url.pathname, form, authorization: req.headers.authorization });
      if (url.pathname === "/api/openid.connect.token") {
        const grant = codes.get(form.get("code") ?? "");
        if (form.get("client_id") !== clientId || form.get("client_secret") !== clientSecret)
          return json({ ok: false, error: "invalid_client_id" });
        if (!grant || grant.redirectUri !== form.get("redirect_uri")) return json({ ok: false, error: "invalid_code" });
        codes.delete(form.get("code")!);
        const accessToken = `xoxp-${tokens.size + 1}`;
        tokens.set(accessToken, grant.user);
        const claims = {
          iss: "https://slack.com",
          sub: grant.user.id,
          aud: clientId,
          nonce: grant.nonce,
          "https://slack.com/team_id": grant.user.team,
        };
        const idToken = ["eyJhbGciOiJSUzI1NiJ9", Buffer.from(JSON.stringify(claims)).toString("base64url"), "sig"].join(".");
        return json({ ok: true, access_token: accessToken, token_type: "Bearer", id_token: idToken });
      }
      if (url.pathname === "/api/openid.connect.userInfo") {
        const user = tokens.get((req.headers.authorization ?? "").replace(/^Bearer /, ""));
        if (!user) return json({ ok: false, error: "invalid_auth" });
        return json({
          ok: true,
          sub: user.id,
          "https://slack.com/user_id": user.id,
          "https://slack.com/team_id": user.team,
          name: user.name,
          "https://slack.com/team_name": "Acme",
        });
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  provider.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  provider.close = () => new Promise((resolve) => server.close(() => resolve()));
  return provider;
}
