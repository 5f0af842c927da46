import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const SAMPLE = path.resolve(import.meta.dirname, "../sample");

interface ReleaseSpec {
  tag: string;
  branch?: string;
  date: string;
  message: string;
  release: Record<string, unknown>;
}

export interface Commit {
  sha: string;
  subject: string;
}

/**
 * The sample service's git repository, under the data folder: what `deploy api@<ref> to dev` deploys from.
 * Created on first start with the releases of dev/sample/releases.json (fixed authors and dates, so every
 * machine gets the same commit SHAs); a team's own repository would be a clone instead.
 */
export class SampleRepo {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async open(dir: string): Promise<SampleRepo> {
    const repo = new SampleRepo(dir);
    if (!existsSync(path.join(dir, ".git", "HEAD"))) await repo.create();
    return repo;
  }

  /** The commit a branch, tag or SHA names; throws a message people can act on when there is none. */
  async resolve(ref: string): Promise<string> {
    try {
      return (await this.git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`])).trim();
    } catch {
      const refs = (await this.git(["for-each-ref", "--format=%(refname:short)", "refs/tags", "refs/heads"])).split("\n").filter(Boolean);
      throw new Error(`${ref} is not a branch, tag or commit of the sample repository (it has ${refs.join(", ")})`);
    }
  }

  /** The tag on a commit (its version name), else undefined. */
  async tagOf(sha: string): Promise<string | undefined> {
    const tags = (await this.git(["tag", "--points-at", sha])).split("\n").filter(Boolean);
    return tags[0];
  }

  /** Commits reachable from `head` but not from `base`, newest first. */
  async commitsBetween(base: string | undefined, head: string): Promise<Commit[]> {
    const range = base ? [`${base}..${head}`] : [head];
    const out = await this.git(["log", "--format=%H %s", ...range]);
    return out
      .split("\n")
      .filter(Boolean)
      .map((line) => ({ sha: line.slice(0, 40), subject: line.slice(41) }));
  }

  /** Writes the files of a commit into `target` (a release folder). */
  async export(sha: string, target: string): Promise<void> {
    await mkdir(target, { recursive: true });
    const files = (await this.git(["ls-tree", "-r", "--name-only", sha])).split("\n").filter(Boolean);
    for (const file of files) {
      await mkdir(path.dirname(path.join(target, file)), { recursive: true });
      await writeFile(path.join(target, file), await this.git(["show", `${sha}:${file}`]));
    }
  }

  private async create(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await this.git(["init", "--quiet", "--initial-branch=main"]);
    const { releases } = JSON.parse(await readFile(path.join(SAMPLE, "releases.json"), "utf8")) as { releases: ReleaseSpec[] };
    for (const spec of releases) {
      const branch = spec.branch ?? "main";
      const exists = await this.git(["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`]).then(
        () => true,
        () => false,
      );
      const current = await this.git(["symbolic-ref", "--short", "HEAD"]).then((s) => s.trim());
      if (current !== branch) await this.git(exists ? ["checkout", "--quiet", branch] : ["checkout", "--quiet", "-b", branch]);
      await copyFile(path.join(SAMPLE, "app", "server.ts"), path.join(this.dir, "server.ts"));
      await writeFile(path.join(this.dir, "release.json"), `${JSON.stringify(spec.release, null, 2)}\n`);
      await this.git(["add", "server.ts", "release.json"]);
      await this.git(["commit", "--quiet", "-m", spec.message], { GIT_AUTHOR_DATE: spec.date, GIT_COMMITTER_DATE: spec.date });
      await this.git(["tag", spec.tag]);
    }
    await this.git(["checkout", "--quiet", "main"]);
  }

  private async git(args: string[], env: Record<string, string> = {}): Promise<string> {
    const { stdout } = await run(
      "git",
      ["-c", "user.name=Sample Dev", "-c", "user.email=dev@sample.invalid", "-c", "commit.gpgsign=false", ...args],
      {
        cwd: this.dir,
        // Nobody's own git settings (hooks, signing, templates) take part.
        env: { PATH: process.env.PATH ?? "", HOME: this.dir, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", ...env },
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    return stdout;
  }
}
