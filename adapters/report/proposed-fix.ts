import { z } from "zod";
import type { AdapterAction } from "../types.js";
import { adapterAction } from "../shared/action.js";
import { stackFrames, type StackFrame } from "../shared/log-signatures.js";

const fixTarget = z.looseObject({
  repository: z.string(),
  service: z.string().nullable().optional(),
  sha: z.string(),
  previousSha: z.string(),
  signature: z.string().nullable().optional(),
  samples: z.array(z.string()).default([]),
});

export const proposedFixArgs = z.strictObject({
  /** The triage step's `fix` (`{{ steps.suspect.data.fix }}`): the top suspect deploy and the top error's samples. */
  target: fixTarget,
  /** The deploy's diff (`{{ steps.diff.data }}`, github.compareRefs). */
  diff: z.looseObject({
    files: z
      .array(z.looseObject({ filename: z.string(), status: z.string().optional(), patch: z.string().nullable().optional() }))
      .default([]),
  }),
  env: z.string({ error: "must be the environment name" }).min(1, "must not be empty"),
});

/** Lines shown on each side of the frame's line. */
const CONTEXT = 5;

interface Match {
  frame: StackFrame;
  file: string;
  /** The frame's line is one the deploy added or changed. */
  onChangedLine: boolean;
  excerpt: string[];
}

/**
 * The proposed fix: when a stack frame of the top error points into a file the suspect deploy changed,
 * shows the changed lines around it and offers a revert pull request (its own plan, approved like any
 * other; nothing is written here).
 */
export function createProposedFix(): AdapterAction {
  return adapterAction("report", "proposedFix", {
    description: "Match the top error's stack frames against the suspect deploy's diff and offer a revert pull request.",
    args: proposedFixArgs,
    risk: "read",
    async run(args) {
      const { target } = args;
      const frames = dedupe(target.samples.flatMap(stackFrames));
      const match = frames.map((f) => matchFrame(f, args.diff.files)).find((m): m is Match => m !== undefined);
      const short = (sha: string) => sha.slice(0, 7);
      if (!match) {
        const why =
          frames.length === 0
            ? `the top error's samples carry no stack frame`
            : `none of its ${frames.length} stack frame${frames.length === 1 ? "" : "s"} (${frames.map(where).join(", ")}) is in the ${args.diff.files.length} file${args.diff.files.length === 1 ? "" : "s"} ${short(target.sha)} changed`;
        return { summary: `No fix proposed: ${why}.`, data: { proposed: false, reason: why } };
      }
      // Twelve hex digits name a commit exactly in any repository people run; the words and the button agree.
      const [bad, good] = [target.sha.slice(0, 12), target.previousSha.slice(0, 12)];
      const revert = target.service
        ? {
            label: `Open a revert PR for ${short(target.sha)}`,
            text: `open a revert pr of ${target.service} ${bad} to ${good}`,
            runbook: "revert-pr",
            params: { service: target.service, env: args.env, badSha: bad, goodSha: good },
          }
        : null;
      const summary = `\`${target.signature ?? "the top error"}\` has a stack frame at ${where(match.frame)}, ${match.onChangedLine ? "a line" : "in a file"} ${short(target.sha)} changed${revert ? "; a revert PR can be opened (a plan to approve)" : ""}.`;
      const data = {
        proposed: true,
        file: match.file,
        line: match.frame.line,
        function: match.frame.fn,
        onChangedLine: match.onChangedLine,
        excerpt: match.excerpt,
        repository: target.repository,
        sha: target.sha,
        previousSha: target.previousSha,
        revert,
      };
      return {
        summary,
        data,
        artifacts: [
          {
            kind: "diff",
            title: `Changed lines around ${match.file}:${match.frame.line} (${short(target.previousSha)}...${short(target.sha)})`,
            content: match.excerpt.join("\n"),
          },
          { kind: "json", title: "Proposed fix data", filename: "fix.json", content: JSON.stringify(data) },
        ],
      };
    },
  });
}

function where(f: StackFrame): string {
  return `${f.file}:${f.line}`;
}

function dedupe(frames: StackFrame[]): StackFrame[] {
  const seen = new Set<string>();
  return frames.filter((f) => (seen.has(where(f)) ? false : (seen.add(where(f)), true)));
}

/**
 * The diff file a frame points into: the longest tail of the frame's path (two segments at least, unless
 * the frame gives only a file name) that is a changed file's path. Deploy paths (/app/, /var/task/) differ
 * from repository paths; their tails do not.
 */
function matchFrame(frame: StackFrame, files: readonly { filename: string; patch?: string | null | undefined }[]): Match | undefined {
  const parts = frame.file
    .replace(/^file:\/\//, "")
    .replace(/\\/g, "/")
    .split("/")
    .filter(Boolean);
  const minimum = parts.length === 1 ? 1 : 2;
  for (let take = parts.length; take >= minimum; take--) {
    const tail = parts.slice(parts.length - take).join("/");
    const file = files.find((f) => f.filename === tail || f.filename.endsWith(`/${tail}`));
    if (!file) continue;
    const { excerpt, onChangedLine } = around(file.patch ?? "", frame.line);
    return { frame, file: file.filename, onChangedLine, excerpt: excerpt.length ? excerpt : [`(no patch shown for ${file.filename})`] };
  }
  return undefined;
}

/** The patch lines around a line of the new file, the line itself marked "→". */
function around(patch: string, line: number): { excerpt: string[]; onChangedLine: boolean } {
  const rows: { newLine: number | null; text: string }[] = [];
  let next = 0;
  for (const raw of patch.split("\n")) {
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(raw);
    if (hunk) {
      next = Number(hunk[1]);
      rows.push({ newLine: null, text: raw });
    } else if (raw.startsWith("-")) rows.push({ newLine: null, text: raw });
    else rows.push({ newLine: next++, text: raw });
  }
  const at = rows.findIndex((r) => r.newLine === line);
  const nearest =
    at >= 0
      ? at
      : rows.reduce(
          (best, r, i) =>
            r.newLine !== null && (best < 0 || Math.abs(r.newLine - line) < Math.abs(rows[best]!.newLine! - line)) ? i : best,
          -1,
        );
  if (nearest < 0) return { excerpt: [], onChangedLine: false };
  const excerpt = rows
    .slice(Math.max(0, nearest - CONTEXT), nearest + CONTEXT + 1)
    .map((r) => `${r.newLine === line ? "→" : " "} ${r.newLine !== null ? String(r.newLine).padStart(4) : "    "} ${r.text}`);
  return { excerpt, onChangedLine: at >= 0 && rows[at]!.text.startsWith("+") };
}
