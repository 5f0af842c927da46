/**
 * manifest.yml is the whole Slack-side setup: it must grant every scope the app's calls need, subscribe
 * to every event it listens to, declare the slash command and interactivity, and keep Slack's limits
 * (shared/SLACK.md §6).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = path.resolve(import.meta.dirname, "../..");

interface Manifest {
  display_information: { name: string; description: string; long_description?: string };
  features: {
    bot_user: { display_name: string };
    app_home: { home_tab_enabled: boolean; messages_tab_enabled: boolean; messages_tab_read_only_enabled: boolean };
    slash_commands: { command: string; description: string; usage_hint?: string }[];
  };
  oauth_config: { redirect_urls?: string[]; scopes: { bot: string[]; user?: string[] } };
  settings: { event_subscriptions: { bot_events: string[] }; interactivity: { is_enabled: boolean }; socket_mode_enabled: boolean };
}

const manifest = parse(readFileSync(path.join(ROOT, "manifest.yml"), "utf8")) as Manifest;

// Every Web API method src/slack calls, and the scope Slack requires for it (SLACK.md §6; views.* need none).
const METHOD_SCOPES: Record<string, string[]> = {
  "chat.postMessage": ["chat:write"],
  "chat.update": ["chat:write"],
  "chat.postEphemeral": ["chat:write"],
  "files.getUploadURLExternal": ["files:write"],
  "files.completeUploadExternal": ["files:write"],
  "usergroups.users.list": ["usergroups:read"],
  "usergroups.list": ["usergroups:read"],
  "conversations.info": ["channels:read", "groups:read"],
  "views.open": [],
  "views.publish": [],
};

describe("manifest.yml", () => {
  it("grants the scopes for every call the app makes and the events it listens to", () => {
    const scopes = new Set(manifest.oauth_config.scopes.bot);
    for (const [method, needed] of Object.entries(METHOD_SCOPES)) {
      for (const scope of needed) expect(scopes.has(scope), `${method} needs ${scope}`).toBe(true);
    }
    expect(manifest.settings.event_subscriptions.bot_events.sort()).toEqual([
      "app_home_opened",
      "app_mention",
      "message.channels",
      "message.groups",
      "message.im",
    ]);
    // Each message.* event needs its history scope, app_mention its own, and /ops `commands`.
    for (const scope of ["app_mentions:read", "channels:history", "groups:history", "im:history", "commands"])
      expect(scopes.has(scope)).toBe(true);
  });

  it("declares /ops, interactivity, App Home and Socket Mode", () => {
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual(["/ops"]);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.features.app_home).toEqual({
      home_tab_enabled: true,
      messages_tab_enabled: true,
      messages_tab_read_only_enabled: false,
    });
    expect(manifest.settings.socket_mode_enabled).toBe(true);
  });

  it("lets people sign in to the Runboard with Slack (OpenID Connect: openid and profile, a redirect to /runboard/signin/callback)", () => {
    expect(manifest.oauth_config.scopes.user).toEqual(["openid", "profile"]);
    expect(manifest.oauth_config.redirect_urls?.every((u) => u.startsWith("https://") && u.endsWith("/runboard/signin/callback"))).toBe(
      true,
    );
  });

  it("keeps Slack's manifest limits", () => {
    expect(manifest.display_information.name.length).toBeLessThanOrEqual(35);
    expect(manifest.display_information.description.length).toBeLessThanOrEqual(140);
    const long = manifest.display_information.long_description ?? "";
    expect(long.length === 0 || (long.length >= 175 && long.length <= 4000)).toBe(true);
    expect(manifest.features.bot_user.display_name).toMatch(/^[a-z0-9._-]{1,80}$/);
    for (const command of manifest.features.slash_commands) {
      expect(command.command.length).toBeLessThanOrEqual(32);
      expect(command.description.length).toBeLessThanOrEqual(2000);
    }
  });
});
