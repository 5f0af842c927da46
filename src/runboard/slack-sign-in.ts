import { OpsError } from "../errors.js";

/**
 * Sign in with Slack: OpenID Connect's authorization code flow against Slack's documented endpoints
 * (https://api.slack.com/authentication/sign-in-with-slack): the browser goes to
 * `/openid/connect/authorize`, comes back with a code, and opsroom exchanges it at
 * `/api/openid.connect.token` and asks `/api/openid.connect.userInfo` who it is. `openIdUrl` is
 * https://slack.com, or a loopback provider in tests.
 */
export interface SlackSignInOptions {
  clientId: string;
  clientSecret: string;
  teamId: string;
  openIdUrl: string;
  redirectUri: string;
}

/** Who signed in, as Slack's userInfo says. */
export interface SlackIdentity {
  user: string;
  team: string;
  name: string;
}

export class SignInError extends OpsError {}

export function authorizeUrl(options: SlackSignInOptions, state: string, nonce: string): string {
  const url = new URL(`${options.openIdUrl}/openid/connect/authorize`);
  url.search = new URLSearchParams({
    response_type: "code",
    scope: "openid profile",
    client_id: options.clientId,
    state,
    nonce,
    // Slack skips the workspace picker when told which one.
    team: options.teamId,
    redirect_uri: options.redirectUri,
  }).toString();
  return url.toString();
}

/** Exchanges the code and reads the identity; throws SignInError saying what went wrong. */
export async function completeSignIn(options: SlackSignInOptions, code: string, nonce: string): Promise<SlackIdentity> {
  const token = await slackCall<{ access_token?: string; id_token?: string }>(
    options,
    "openid.connect.token",
    new URLSearchParams({
      client_id: options.clientId,
      client_secret: options.clientSecret,
      code,
      redirect_uri: options.redirectUri,
      grant_type: "authorization_code",
    }),
  );
  if (!token.access_token || !token.id_token)
    throw new SignInError("SIGNIN_BAD_TOKEN", "Slack's token answer had no access token or ID token.");
  // The ID token came straight from Slack's token endpoint over TLS, so its claims may be read without
  // checking its signature (OpenID Connect Core 3.1.3.7); the nonce ties it to this browser's attempt.
  const claims = decodeJwtPayload(token.id_token);
  if (claims.nonce !== nonce)
    throw new SignInError("SIGNIN_NONCE", "The sign-in answer was not for this attempt (nonce mismatch). Try again.");
  if (claims.aud !== options.clientId && !(Array.isArray(claims.aud) && claims.aud.includes(options.clientId)))
    throw new SignInError("SIGNIN_AUDIENCE", "The ID token was issued for another Slack app.");
  const info = await slackCall<Record<string, unknown>>(options, "openid.connect.userInfo", undefined, token.access_token);
  const user = String(info["https://slack.com/user_id"] ?? info.sub ?? "");
  const team = String(info["https://slack.com/team_id"] ?? "");
  if (!user) throw new SignInError("SIGNIN_NO_USER", "Slack did not say who signed in.");
  if (team !== options.teamId)
    throw new SignInError(
      "SIGNIN_WRONG_WORKSPACE",
      `This Runboard is for Slack workspace ${options.teamId}; you signed in to ${team || "another workspace"}. Sign in to ${options.teamId} instead.`,
    );
  return { user, team, name: typeof info.name === "string" && info.name ? info.name : user };
}

async function slackCall<T>(options: SlackSignInOptions, method: string, form: URLSearchParams | undefined, bearer?: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${options.openIdUrl}/api/${method}`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
      body: form?.toString() ?? "",
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new SignInError("SIGNIN_UNREACHABLE", `Slack could not be reached to finish signing in (${method}).`, {
      cause: error,
      retryable: true,
    });
  }
  const body = (await response.json().catch(() => ({}))) as { ok?: boolean; error?: string } & T;
  if (!response.ok || body.ok !== true)
    throw new SignInError("SIGNIN_REFUSED", `Slack refused ${method}: ${body.error ?? `HTTP ${response.status}`}.`, {
      hint: body.error === "invalid_code" ? "The sign-in link was used already or is too old; sign in again." : undefined,
    });
  return body;
}

function decodeJwtPayload(jwt: string): Record<string, unknown> {
  const part = jwt.split(".")[1];
  try {
    return JSON.parse(Buffer.from(part ?? "", "base64url").toString()) as Record<string, unknown>;
  } catch (error) {
    throw new SignInError("SIGNIN_BAD_TOKEN", "Slack's ID token could not be read.", { cause: error });
  }
}
