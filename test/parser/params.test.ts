import { describe, expect, it } from "vitest";
import type { Intent } from "../../src/parser/intent.js";
import { parseText } from "../../src/parser/parse-text.js";
import { stripSlackMarkup } from "../../src/slack/strip-slack-markup.js";
import { makeContext } from "./parse-context.js";

function parse(text: string, now?: string, tz?: string): Intent {
  return parseText(stripSlackMarkup(text), makeContext(now, tz));
}

describe("refs", () => {
  it.each([
    ["ship web@v1.2.3 to prod", "web", "v1.2.3"],
    ["deploy payments#main to stg", "payments", "main"],
    ["deploy api#release-2026.03 to staging", "api", "release-2026.03"],
    ["deploy api v2.4.0-rc.1 to staging", "api", "v2.4.0-rc.1"],
    ["deploy worker 3f9c2ab to staging", "worker", "3f9c2ab"],
    ["deploy api from branch fix/login-timeout to staging", "api", "fix/login-timeout"],
    ["deploy search tag v2 to prod", "search", "v2"],
    ["deploy api from main to staging", "api", "main"],
    ["rollback checkout in prod to 1.4.0", "checkout", "1.4.0"],
  ])("%s → %s at %s", (text, service, ref) => {
    const intent = parse(text);
    expect(intent.params.service).toBe(service);
    expect(intent.params.ref).toBe(ref);
  });

  it.each([
    ["opsroom deploy api --env=staging --ref=v2.4.1", "api", "v2.4.1"],
    ["ship search:a1b2c3d to stg", "search", "a1b2c3d"],
  ])("%s → %s at %s (a CLI option, an image tag)", (text, service, ref) => {
    expect(parse(text).params).toMatchObject({ service, ref, env: "staging" });
  });

  it("does not read a ref as a time", () => {
    expect(parse("deploy api@2026.03.10 to staging").params.at).toBeUndefined();
  });
});

describe("times, with a fixed now and time zone", () => {
  const now = "2026-03-10T12:00:00Z";
  it.each([
    ["deploy api to staging at 5pm", "UTC", "at", "2026-03-10T17:00:00+00:00"],
    ["deploy api to staging at 5pm", "Europe/Berlin", "at", "2026-03-10T17:00:00+01:00"],
    ["deploy api to staging tomorrow 9am", "UTC", "at", "2026-03-11T09:00:00+00:00"],
    ["deploy api to staging at 9am", "UTC", "at", "2026-03-11T09:00:00+00:00"],
    ["deploy api to staging in 30 minutes", "UTC", "at", "2026-03-10T12:30:00+00:00"],
    ["logs for api since 10am", "UTC", "since", "2026-03-10T10:00:00+00:00"],
    ["logs for api since 10pm", "UTC", "since", "2026-03-09T22:00:00+00:00"],
    ["logs for api in the last 30 minutes", "UTC", "since", "2026-03-10T11:30:00+00:00"],
    ["logs for api since yesterday", "UTC", "since", "2026-03-09T00:00:00+00:00"],
    ["logs for api since 10am", "America/New_York", "since", "2026-03-09T10:00:00-04:00"],
    ["logs for api since 7am", "America/New_York", "since", "2026-03-10T07:00:00-04:00"],
  ])("%s (%s) → %s = %s", (text, tz, param, iso) => {
    expect(parse(text, now, tz).params[param]).toBe(iso);
  });

  it("reads 'between 9 and 11' as since and until", () => {
    const intent = parse("logs for search between 9 and 11", now);
    expect(intent.params).toMatchObject({ since: "2026-03-10T09:00:00+00:00", until: "2026-03-10T11:00:00+00:00" });
  });

  it("uses the offset in force at the time, across a DST change", () => {
    // New York moves to EDT on 2026-03-08; "tomorrow 9am" from the 7th is 9am EDT.
    expect(parse("deploy api to staging tomorrow 9am", "2026-03-07T15:00:00Z", "America/New_York").params.at).toBe(
      "2026-03-08T09:00:00-04:00",
    );
  });

  it("leaves out times when there is no time expression", () => {
    expect(parse("logs for api in prod", now).params.since).toBeUndefined();
  });
});

describe("numbers", () => {
  it.each([
    ["scale worker to 5 in prod", 5],
    ["scale api to 3 replicas on staging", 3],
    ["scale api x4 in prod", 4],
    ["scale search to 0 in dev", 0],
    ["bump api to 6 instances in prod", 6],
  ])("%s → replicas %d", (text, replicas) => {
    const intent = parse(text);
    expect(intent.runbook).toBe("scale");
    expect(intent.params.replicas).toBe(replicas);
  });

  it.each([
    ["ramp featureMatrix to 50%", 50],
    ["ramp up supabase snapshot to 60 percent", 60],
    ["ramp featureMatrix to 35", 35],
  ])("%s → percent %d, action rollout", (text, percent) => {
    expect(parse(text).params).toMatchObject({ action: "rollout", percent });
  });

  it("does not take a percentage above 100", () => {
    expect(parse("ramp featureMatrix to 250%").params.percent).toBeUndefined();
  });

  it("asks how many replicas when none is given", () => {
    const intent = parse("scale up search in prod");
    expect(intent.missing).toEqual(["replicas"]);
    expect(intent.clarify).toMatch(/How many replicas/);
  });

  it.each([
    ["add 2 more replicas to api in prod", 2],
    ["remove 3 pods from worker in prod", -3],
    ["scale search up by 2 in production", 2],
    ["scale worker down by 2 in prod", -2],
    ["add 3 more pods to worker on staging", 3],
  ])("%s → replicas still asked for, the change %d kept apart for plan time", (text, change) => {
    const intent = parse(text);
    expect(intent.params.replicas).toBeUndefined();
    expect(intent.missing).toEqual(["replicas"]);
    expect(intent.relative).toEqual({ replicas: change });
  });

  it.each(["scale api in by 2 in prod", "scale up search in prod", "scale api to 5 in prod"])(
    "%s → no relative change (no direction said, no number, or an absolute count)",
    (text) => {
      expect(parse(text).relative).toBeUndefined();
    },
  );
});

describe("flags, actions and cohorts", () => {
  it.each([
    ["turn on timeline parallax", "timelineParallax", "enable"],
    ["switch off signal ai insights", "signalAiInsights", "disable"],
    ["disable fsync bulk generation", "FSYNC_BULK_GENERATION", "disable"],
    ["enable feature_matrix", "featureMatrix", "enable"],
    ["toggle timelineParallax off", "timelineParallax", "disable"],
    ["is featureMatrix enabled?", "featureMatrix", "status"],
    ["what's the status of homeDemoVariant", "homeDemoVariant", "status"],
    ["enable featureMatirx", "featureMatrix", "enable"],
  ])("%s → %s %s", (text, flag, action) => {
    expect(parse(text).params).toMatchObject({ flag, action });
  });

  it.each([
    ["enable featurematrix for ops, admin", ["ops", "admin"]],
    ["roll out signalAiInsights to mentors and ops at 10%", ["mentors", "ops"]],
    ["enable featureMatrix for 10% of admins", ["admin"]],
    ["enable homeDemoVariant for the beta cohort", ["beta"]],
    ["turn on the timeline parallax flag for ops and beta at 25%", ["ops", "beta"]],
    ["enable featureMatrix for beta users in staging", ["beta"]],
    ["roll out homeDemoVariant to 30% of internal users", ["internal"]],
    ["enable featureMatrix for ops, admin and qa", ["ops", "admin", "qa"]],
  ])("%s → cohorts %j", (text, cohorts) => {
    expect(parse(text).params.cohorts).toEqual(cohorts);
  });

  it("asks what to do with a flag and lists the actions", () => {
    const intent = parse("flip featureMatrix pls");
    expect(intent.runbook).toBe("flag");
    expect(intent.missing).toEqual(["action"]);
    expect(intent.clarify).toContain("enable, disable, rollout or status");
  });
});

describe("dry runs", () => {
  it.each([
    ["dry run the migrations on staging", true],
    ["migrate staging --dry-run", true],
    ["migrate prod", false],
    ["run the prod migrations for real, not a dry run", false],
    ["apply pending migrations to production", false],
    ["just simulate the migrate on prod first pls", true],
    ["rehearse the staging migration", true],
    ["skip the dry run and just apply the staging migrations", false],
  ])("%s → dryRun %s", (text, dryRun) => {
    expect(parse(text).params.dryRun).toBe(dryRun);
  });

  it.each([
    "what migrations are pending in prod",
    "which migrations are pending on prod?",
    "check the migrations on prod",
    "any migrations pending on prod?",
    "are there migrations pending in prod?",
  ])("%s → a migrate dry run (asking changes nothing)", (text) => {
    expect(parse(text)).toMatchObject({ runbook: "migrate", params: { env: "prod", dryRun: true } });
  });
});

describe("statements of trouble", () => {
  it("reads a passive with 'getting' as a state, not a report of the past", () => {
    expect(parse("login broken on staging?? users getting kicked out")).toMatchObject({
      runbook: "incident-triage",
      params: { service: "auth", env: "staging" },
    });
  });
});

describe("values ruled out or given as context", () => {
  it.each([
    ["rollback web in prd — not api, just web", "rollback", { service: "web", env: "prod" }],
    ["restart payments on stg, not prod", "restart", { service: "payments", env: "staging" }],
    ["checkout looks fine now, restart the workers on staging though", "restart", { service: "worker", env: "staging" }],
    ["restart api in prod, leave web alone", "restart", { service: "api", env: "prod" }],
    ["disable homeDemoVariant in staging but leave featureMatrix alone", "flag", { flag: "homeDemoVariant", action: "disable" }],
  ])("%s → %s %j", (text, runbook, params) => {
    expect(parse(text)).toMatchObject({ runbook, params, missing: [] });
  });

  it("still asks when two targets are asked for", () => {
    expect(parse("deploy api to staging and prod").missing).toEqual(["env"]);
  });
});

describe("a request after 'and' or 'then'", () => {
  it("is a request of its own; a negation of the whole still holds", () => {
    expect(parse("check the logs and then restart api in prod")).toMatchObject({
      runbook: "restart",
      params: { service: "api", env: "prod" },
    });
    expect(parse("don't restart and redeploy web").runbook).toBeNull();
    expect(parse("I checked the logs and then restarted api").runbook).toBeNull();
  });
});

describe("a request negated whole", () => {
  it("is not a command, while one that asks for less gets the read-only form", () => {
    expect(parse("pls don't touch FSYNC_USE_RPC in prod, I'm mid-investigation").runbook).toBeNull();
    expect(parse("check FSYNC_USE_RPC in staging, don't flip it").params).toMatchObject({ flag: "FSYNC_USE_RPC", action: "status" });
  });
});

describe("questions about health and the board", () => {
  it.each([
    ["anything red on staging atm?", "healthcheck", { env: "staging" }],
    ["what's the board saying before we cut over", "ops-board", {}],
  ])("%s → %s", (text, runbook, params) => {
    expect(parse(text)).toMatchObject({ runbook, params });
  });
});

describe("checklist steps", () => {
  it("reads a participle after 'as' as the status it sets, not a report", () => {
    expect(parse("mark the authoritative copy step as blocked")).toMatchObject({
      runbook: "checklist",
      params: { action: "set", status: "blocked" },
    });
    expect(parse("the step was marked as blocked yesterday").runbook).toBeNull();
  });
});

describe("how-to questions", () => {
  it.each(["how do i ask you to roll something back?", "how can i get a flag turned on for my team"])("%s → help", (text) => {
    expect(parse(text)).toMatchObject({ runbook: "help", params: {} });
  });
});

describe("polite requests", () => {
  it.each([
    ["mind bouncing the workers in prod? they're wedged", "restart", { service: "worker", env: "prod" }],
    ["would you mind deploying web to staging", "deploy", { service: "web", env: "staging" }],
  ])("%s → %s", (text, runbook, params) => {
    expect(parse(text)).toMatchObject({ runbook, params, missing: [] });
  });

  it.each(["i don't mind waiting for the deploy", "mind you, deploying on fridays is risky", "can you simulate a deploy of api to prod"])(
    "%s → not a command",
    (text) => {
      expect(parse(text).runbook).toBeNull();
    },
  );
});

describe("a question without a command verb", () => {
  it("asks for the read-only form", () => {
    expect(parse("featureMatrix on in prod?").params).toMatchObject({ flag: "featureMatrix", action: "status" });
    expect(parse("can you migrate staging?").params).toEqual({ env: "staging", dryRun: false });
    // Nothing is asked for that the question settled.
    expect(parse("what percentage is featureMatrix at in prod?")).toMatchObject({
      params: { action: "status" },
      missing: [],
      clarify: null,
    });
  });

  it("reads the name of a change as a noun for its read-only form", () => {
    expect(parse("what's the rollout on supabaseSnapshot?").params).toMatchObject({ flag: "supabaseSnapshot", action: "status" });
    expect(parse("the rollout of featureMatrix went fine").runbook).toBeNull();
  });
});

describe("ways of saying roll back and flag actions", () => {
  it.each([
    ["put checkout back to the previous release in prod", "rollback", { service: "checkout", env: "prod" }],
    ["switch web back to the last known good in prod", "rollback", { service: "web", env: "prod" }],
    ["go back to v1.2.0 for api in prod", "rollback", { service: "api", env: "prod", ref: "v1.2.0" }],
    ["set LEGACY_MIGRATION_DRY_RUN on in staging", "flag", { flag: "LEGACY_MIGRATION_DRY_RUN", action: "enable", env: "staging" }],
    ["set featureMatrix off", "flag", { flag: "featureMatrix", action: "disable" }],
    ["set timelineParallax to 50% in staging", "flag", { flag: "timelineParallax", action: "rollout", percent: 50 }],
    ["put featureMatrix at 30% for ops", "flag", { flag: "featureMatrix", action: "rollout", percent: 30, cohorts: ["ops"] }],
    ["take @lee off featureMatrix in staging", "flag", { flag: "featureMatrix", action: "disable", env: "staging", users: ["@lee"] }],
    ["kick <@U02BOB> out of timelineParallax", "flag", { flag: "timelineParallax", action: "disable", users: ["@U02BOB"] }],
    ["take featureMatrix off in staging", "flag", { flag: "featureMatrix", action: "disable", env: "staging" }],
  ])("%s → %s", (text, runbook, params) => {
    const intent = parse(text);
    expect(intent.runbook).toBe(runbook);
    expect(intent.params).toMatchObject(params);
  });
});

describe("emoji and symbols", () => {
  it("reads them as spaces between words, not as words", () => {
    expect(parse("🚀deploy api to staging🚀").params).toEqual({ service: "api", env: "staging" });
    expect(parse("error rate back to 0.12% 🎉").runbook).toBeNull();
    expect(parse("✅ ✅").runbook).toBeNull();
  });
});

describe("staged rollouts", () => {
  it.each([
    ["ramp timelineParallax 10/25/50/100 every 30 minutes in prod", [10, 25, 50, 100], "PT30M"],
    ["gradually roll featureMatrix out to ops and admin in prod, 10/50/100, hourly", [10, 50, 100], "PT1H"],
    ["ramp timelineParallax 10/25/50/100 in prod daily", [10, 25, 50, 100], "P1D"],
  ])("%s → stages %j every %s", (text, stages, every) => {
    expect(parse(text)).toMatchObject({ runbook: "rollout", params: { env: "prod", stages, every } });
  });
});

describe("counts written as words", () => {
  it("reads them as numbers where a number would be", () => {
    expect(parse("scale api to three in prod").params).toEqual({ service: "api", env: "prod", replicas: 3 });
    expect(parse("ramp featureMatrix to ten percent in staging").params).toMatchObject({ percent: 10, action: "rollout" });
    // A relative count is asked for, never guessed, also in words.
    const relative = parse("add two more replicas to api in prod");
    expect(relative.missing).toEqual(["replicas"]);
    expect(relative.relative).toEqual({ replicas: 2 });
  });

  it("leaves chatter alone", () => {
    expect(parse("one sec").runbook).toBeNull();
    expect(parse("give it two minutes").runbook).toBeNull();
  });
});

describe("a relative count of instances without a verb", () => {
  it.each([
    ["one more replica for api in prod please", "api", "prod", 1],
    ["we need 2 more api pods in prod", "api", "prod", 2],
    ["drop one replica from web in staging", "web", "staging", -1],
  ])("%s → scale, the count asked for (%s in %s, %s)", (text, service, env, by) => {
    expect(parse(text)).toMatchObject({ runbook: "scale", params: { service, env }, missing: ["replicas"], relative: { replicas: by } });
  });

  it.each(["there were 2 extra instances of api in prod", "api has 2 more pods than web in prod", "we had 2 more pods yesterday on api"])(
    "%s → not a command",
    (text) => {
      expect(parse(text).runbook).toBeNull();
    },
  );
});

describe("possessives", () => {
  it("read as the word they are made of", () => {
    const compare = parse("compare prod's schema with staging's");
    expect(compare.runbook).toBe("schema-sync");
    expect(compare.params).toEqual({ from: "prod", to: "staging" });
    expect(parse("pull checkout's error logs from prod").params).toMatchObject({ service: "checkout", env: "prod", level: "error" });
  });
});

describe("typos", () => {
  it.each([
    ["dpeloy api to stagin", "deploy", { service: "api", env: "staging" }],
    ["deploy paymnets to porduction", "deploy", { service: "payments", env: "prod" }],
    ["rsetart web on staging", "restart", { service: "web", env: "staging" }],
    ["lgos for payments", "logs", { service: "payments" }],
    ["mgirate staging", "migrate", { env: "staging" }],
  ])("%s → %s", (text, runbook, params) => {
    const intent = parse(text);
    expect(intent.runbook).toBe(runbook);
    expect(intent.params).toMatchObject(params);
  });

  it("does not read common words as typos", () => {
    expect(parse("lots of people at the stage today").runbook).toBeNull();
  });
});

describe("missing params and clarifying questions", () => {
  it("lists the environments when none is given", () => {
    const intent = parse("deploy api");
    expect(intent.runbook).toBe("deploy");
    expect(intent.missing).toEqual(["env"]);
    expect(intent.clarify).toContain("dev, staging or prod");
  });

  it("lists the services when none is given", () => {
    const intent = parse("restart in prod");
    expect(intent.missing).toEqual(["service"]);
    expect(intent.clarify).toContain("api, web, payments, checkout, worker, auth or search");
  });

  it("asks for one environment when two are named, never picks", () => {
    const intent = parse("deploy api to staging and prod");
    expect(intent.runbook).toBe("deploy");
    expect(intent.params.env).toBeUndefined();
    expect(intent.missing).toContain("env");
    expect(intent.clarify).toContain("staging or prod");
  });

  it("names the flags when the flag is missing", () => {
    expect(parse("enable the flag").clarify).toContain("featureMatrix");
  });
});

describe("questions about the past", () => {
  it("are answered by the history runbook, with the action asked about", () => {
    expect(parse("did anyone deploy to staging today?")).toMatchObject({
      runbook: "history",
      params: { env: "staging", runbook: "deploy", since: "2026-03-10T00:00:00+00:00" },
      missing: [],
    });
    expect(parse("who flipped signalAiInsights?").params).toEqual({ runbook: "flag", flag: "signalAiInsights" });
    expect(parse("last 5 deploys of checkout").params).toMatchObject({ service: "checkout", runbook: "deploy", limit: 5 });
    expect(parse("how many deploys of checkout went to prod this week").params).toMatchObject({
      service: "checkout",
      env: "prod",
      runbook: "deploy",
    });
  });

  it.each([
    "did you restart the worker or was that lee?",
    "do you think we should revert web?",
    "I deployed api to staging an hour ago, looks fine",
    "remember when we rolled back payments three times in one day lol",
    "should we have rolled back sooner?",
    "what deploys are planned for tomorrow?",
  ])("but not questions to people, about the future, opinions or reports: %j → null", (text) => {
    expect(parse(text).runbook).toBeNull();
  });
});

describe("refs that are not valid ref names", () => {
  it.each([
    ["deploy api#main';DROP TABLE runs;-- to prod", "main';DROP"],
    ["deploy web@../../etc/passwd to staging", "../../etc/passwd"],
    ["ship api@https://evil.example.com/x.sh to prod", "https://evil.example.com/x.sh"],
    ["deploy payments branch feat..bad to staging", "feat..bad"],
  ])("are refused whole and asked for again: %j", (text, typed) => {
    const intent = parse(text);
    expect(intent.runbook).toBe("deploy");
    expect(intent.params.ref).toBeUndefined();
    expect(intent.missing).toEqual(["ref"]);
    expect(intent.clarify).toContain(`"${typed}" is not a valid git ref name`);
  });

  it("read a service's name opening a path as the service: web/hotfix-cart", () => {
    expect(parse("ship web/hotfix-cart to stg").params).toEqual({ service: "web", env: "staging", ref: "hotfix-cart" });
    expect(parse("deploy fix/login-timeout to staging")).toMatchObject({
      params: { env: "staging", ref: "fix/login-timeout" },
      missing: ["service"],
    });
  });

  it("strip terminal escape sequences before parsing: colour codes are not times", () => {
    expect(parse("\u001b[31mdeploy api to staging\u001b[0m")).toMatchObject({
      runbook: "deploy",
      params: { service: "api", env: "staging" },
      missing: [],
    });
  });
});

describe("not commands", () => {
  it.each([
    "did you get a chance to look at my PR?",
    "don't deploy yet",
    "someone typed `deploy web to prod` in the wrong channel lol",
    "i'll restart the worker after standup",
    "should we roll back api?",
    "thanks!",
    "lgtm ship it",
    "",
    "   ",
    "🚀🚀🚀",
  ])("%j → null", (text) => {
    const intent = parse(text);
    expect(intent.runbook).toBeNull();
    expect(intent.params).toEqual({});
  });
});

describe("output shape", () => {
  it("keeps the text as given and the documented fields", () => {
    const intent = parseText("deploy api to staging", makeContext());
    expect(Object.keys(intent).sort()).toEqual(["alternatives", "clarify", "confidence", "missing", "params", "runbook", "text"]);
    expect(intent.text).toBe("deploy api to staging");
    expect(intent.confidence).toBeGreaterThan(0.5);
    expect(intent.confidence).toBeLessThanOrEqual(1);
  });

  it("is deterministic", () => {
    const a = parse("why is payments throwing 500s since 10am?");
    const b = parse("why is payments throwing 500s since 10am?");
    expect(a).toEqual(b);
  });
});
