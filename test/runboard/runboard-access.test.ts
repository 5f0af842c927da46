/**
 * Who gets into the Runboard: Sign in with Slack against a loopback OpenID Connect provider (the
 * configured workspace only, the allow-list, rate-limited), session cookies, and signed View run
 * links scoped to one run that expire.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Run } from "../../src/store/types.js";
import { startOidcProvider, type OidcProvider } from "./oidc-provider.js";
import { ask, openRunboard, type RunboardFixture } from "./support.js";

const CLIENT = { id: "1234.5678", secret: "client-secret-for-tests" };

/** Follows sign-in: Runboard → provider's authorize → back to the callback; returns the session cookie. */
async function signIn(f: RunboardFixture, next = "/runboard/history"): Promise<{ response: Response; cookie: string | undefined }> {
  const start = await f.get(`/runboard/signin?next=${encodeURIComponent(next)}`);
  expect(start.status).toBe(302);
  const attempt = /opsroom_signin=[^;]+/.exec(start.headers.get("set-cookie") ?? "")![0];
  const authorize = await fetch(start.headers.get("location")!, { redirect: "manual" });
  const callback = new URL(authorize.headers.get("location")!);
  const response = await f.get(`${callback.pathname}${callback.search}`, { headers: { cookie: attempt } });
  const cookie = /opsroom_runboard=[^;]+/.exec(response.headers.get("set-cookie") ?? "")?.[0];
  return { response, cookie };
}

describe("Sign in with Slack", () => {
  let provider: OidcProvider;
  let f: RunboardFixture;

  beforeAll(async () => {
    provider = await startOidcProvider(CLIENT.id, CLIENT.secret);
    f = await openRunboard({
      env: { SLACK_CLIENT_ID: CLIENT.id, SLACK_CLIENT_SECRET: CLIENT.secret, SLACK_OPENID_URL: provider.url },
      runboard: { teamId: "T0ACME", url: "https://ops.example.com/runboard", allow: { users: ["U0ALICE", "U0BOB"], groups: [] } },
    });
  });
  afterAll(async () => {
    await f.close();
    await provider.close();
  });
  afterEach(() => {
    provider.user = { id: "U0ALICE", team: "T0ACME", name: "Alice" };
  });

  it("sends a visitor without a session to sign in, and back where they were going", async () => {
    const board = await f.get("/runboard/history?env=prod");
    expect(board.status).toBe(302);
    expect(board.headers.get("location")).toBe(`/runboard/signin?next=${encodeURIComponent("/runboard/history?env=prod")}`);
    const start = await f.get(board.headers.get("location")!);
    const authorize = new URL(start.headers.get("location")!);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${provider.url}/openid/connect/authorize`);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      response_type: "code",
      scope: "openid profile",
      client_id: CLIENT.id,
      team: "T0ACME",
      redirect_uri: "https://ops.example.com/runboard/signin/callback",
    });
  });

  it("signs a person of the workspace in with an HttpOnly, SameSite, Secure session cookie", async () => {
    const { response, cookie } = await signIn(f, "/runboard/history?env=prod");
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/runboard/history?env=prod");
    const setCookie = response.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/opsroom_runboard=[^;]+; Max-Age=43200; Path=\/runboard; HttpOnly; Secure; SameSite=Lax/);
    const token = provider.calls.find((c) => c.path === "/api/openid.connect.token")!;
    expect(token.form.get("client_secret")).toBe(CLIENT.secret);
    const page = await (await f.get("/runboard/", { headers: { cookie: cookie! } })).text();
    expect(page).toContain('Alice · <a href="/runboard/signout">sign out</a>');
  });

  it("refuses someone from another workspace, saying which one to use", async () => {
    provider.user = { id: "U0EVE", team: "T0OTHER", name: "Eve" };
    const { response, cookie } = await signIn(f);
    expect(response.status).toBe(403);
    expect(cookie).toBeUndefined();
    expect(await response.text()).toContain("This Runboard is for Slack workspace T0ACME; you signed in to T0OTHER.");
  });

  it("refuses someone of the workspace who is not on runboard.allow", async () => {
    provider.user = { id: "U0MALLORY", team: "T0ACME", name: "Mallory" };
    const { response, cookie } = await signIn(f);
    expect(response.status).toBe(403);
    expect(cookie).toBeUndefined();
    expect(await response.text()).toContain("Mallory (U0MALLORY) is not among the people runboard.allow names.");
  });

  it("refuses a callback whose state was not started in this browser", async () => {
    const response = await f.get("/runboard/signin/callback?code=code-1&state=forged");
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("This sign-in was started elsewhere or took longer than 10 minutes.");
  });

  it("does not accept a tampered or expired session cookie", async () => {
    const { cookie } = await signIn(f);
    const [name, value] = cookie!.split("=");
    const [payload, signature] = value!.split(".");
    const forged = Buffer.from(JSON.stringify({ user: "U0ROOT", name: "root", exp: 4102444800 })).toString("base64url");
    expect((await f.get("/runboard/", { headers: { cookie: `${name}=${forged}.${signature}` } })).status).toBe(302);
    expect((await f.get("/runboard/", { headers: { cookie: `${name}=${payload}.${signature}` } })).status).toBe(200);
    f.clock.advance(13 * 3600_000);
    expect((await f.get("/runboard/", { headers: { cookie: cookie! } })).status).toBe(302);
  });

  it("signs out", async () => {
    const { cookie } = await signIn(f);
    const out = await f.get("/runboard/signout", { headers: { cookie: cookie! } });
    expect(out.headers.get("set-cookie")).toMatch(/opsroom_runboard=; Max-Age=0; Path=\/runboard/);
  });

  it("rate-limits sign-in per address", async () => {
    const limited = await openRunboard({
      env: { SLACK_CLIENT_ID: CLIENT.id, SLACK_CLIENT_SECRET: CLIENT.secret, SLACK_OPENID_URL: provider.url },
      runboard: { teamId: "T0ACME", url: "https://ops.example.com/runboard" },
    });
    try {
      for (let i = 0; i < 10; i++) expect((await limited.get("/runboard/signin")).status).toBe(302);
      const refused = await limited.get("/runboard/signin");
      expect(refused.status).toBe(429);
      expect(refused.headers.get("retry-after")).toBe("60");
      limited.clock.advance(60_000);
      expect((await limited.get("/runboard/signin")).status).toBe(302);
    } finally {
      await limited.close();
    }
  });
});

describe("View run links (access: links)", () => {
  let f: RunboardFixture;
  let run: Run;
  let other: Run;

  beforeAll(async () => {
    f = await openRunboard({ runboard: { access: "links", url: "https://ops.example.com/runboard", linkHours: 24 } });
    run = await ask(f.service, "deploy api to staging");
    other = await ask(f.service, "deploy web to staging");
    await f.store.addArtifact(run.id, { stepId: null, kind: "text", title: "notes", content: "hello", url: null, filename: null });
  });
  afterAll(() => f.close());

  const pathOf = (link: string) => link.replace("https://ops.example.com", "");

  it("shows the one run its link is for, and its artifacts", async () => {
    const link = f.runboard.runLink(run.id);
    expect(link).toMatch(new RegExp(`^https://ops.example.com/runboard/runs/${run.id}\\?t=\\d+\\.`));
    const page = await f.get(pathOf(link));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(run.planHash);
    expect(html).toContain("Viewing one run through a link from Slack");
    const [artifact] = await f.store.listArtifacts(run.id);
    const token = new URL(link).search;
    expect((await f.get(`/runboard/runs/${run.id}/artifacts/${artifact!.id}${token}`)).status).toBe(200);
    expect((await f.get(`/runboard/runs/${run.id}/artifacts/${artifact!.id}`)).status).toBe(403);
  });

  it("does not open another run, the board or history", async () => {
    const token = new URL(f.runboard.runLink(run.id)).search;
    const elsewhere = await f.get(`/runboard/runs/${other.id}${token}`);
    expect(elsewhere.status).toBe(403);
    expect(await elsewhere.text()).toContain("This View run link was not made by this opsroom, or is for another run.");
    for (const path of ["/runboard/", "/runboard/history", "/runboard/history/export?format=csv", "/runboard/runbooks"]) {
      const response = await f.get(`${path}${path.includes("?") ? "&" : "?"}${token.slice(1)}`);
      expect(response.status, path).toBe(403);
    }
    expect((await f.get(`/runboard/runs/${other.id}/stream${token}`)).status).toBe(401);
    expect((await f.get(`/runboard/board/stream${token}`)).status).toBe(401);
  });

  it("stops working when it expires, and says when", async () => {
    const link = f.runboard.runLink(run.id);
    f.clock.advance(24 * 3600_000 + 1000);
    const response = await f.get(pathOf(link));
    expect(response.status).toBe(403);
    expect(await response.text()).toMatch(/This View run link stopped working at \d{4}-\d\d-\d\dT/);
  });
});
