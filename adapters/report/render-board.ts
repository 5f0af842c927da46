import type { BoardItem } from "./board-items.js";
import { cell } from "./evidence.js";
import type { BlockVerdict } from "./ops-board.js";

interface BoardView {
  env: string;
  items: readonly BoardItem[];
  overall: BlockVerdict;
  blocks: readonly BlockVerdict[];
  reasons: readonly string[];
  now: number;
}

const table = (head: string[], rows: string[][]): string[] => [
  `| ${head.join(" | ")} |`,
  `| ${head.map(() => "---").join(" | ")} |`,
  ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
];

const why = (i: BoardItem) => i.reasons.join("; ") || "-";

/** The board as markdown, laid out like the seed's: verdicts, flag telemetry, the checklist, feeds, deploys. */
export function renderBoard(view: BoardView): string {
  const of = (section: BoardItem["section"]) => view.items.filter((i) => i.section === section);
  const section = (heading: string, intro: string | undefined, lines: string[]) =>
    lines.length > 2 ? [`## ${heading}`, "", ...(intro ? [intro, ""] : []), ...lines, ""] : [];
  return [
    `# Ops board: ${view.env}`,
    "",
    `Generated ${new Date(view.now).toISOString()}.`,
    "",
    `**Safe to cut over: ${view.overall.verdict}**`,
    ...view.reasons.map((r) => `- ${r}`),
    "",
    ...section(
      "Safe to cut over, per block",
      undefined,
      table(
        ["Block", "Safe to cut over", "Why"],
        view.blocks.map((b) => [
          b.block,
          b.verdict,
          b.verdict === "no" ? b.blocking.join("; ") : b.verdict === "unknown" ? `set ${b.missing.join(", ")}` : "-",
        ]),
      ),
    ),
    ...section(
      "Feature flag telemetry",
      `${of("flag").length} tracked flags`,
      table(
        ["Flag", "Status", "State", "Reasons", "Owner"],
        of("flag").map((i) => [i.name, i.status, i.detail, why(i), i.owner ?? "Unassigned"]),
      ),
    ),
    ...section(
      "Cut-over checklist",
      "Keep this green before cutting over.",
      table(
        ["Step", "Lane", "Status", "Owner", "Description", "Notes", "Updated"],
        of("checklist").map((i) => [
          i.name,
          i.lane ?? "-",
          i.status,
          i.owner ?? "Unassigned",
          i.detail || "-",
          i.notes ?? "-",
          i.updated ?? "-",
        ]),
      ),
    ),
    ...section(
      "Telemetry feeds",
      undefined,
      table(
        ["Feed", "Metric", "Value", "Owner", "Status", "Notes"],
        of("feed").map((i) => [
          i.name,
          i.metric ?? "-",
          i.value ?? i.detail,
          i.owner ?? "Unassigned",
          i.status,
          [...i.reasons, ...(i.status === "Healthy" && i.detail ? [i.detail] : []), ...(i.notes ? [i.notes] : [])].join("; ") || "-",
        ]),
      ),
    ),
    ...section(
      "Latest deploys",
      undefined,
      table(
        ["Service", "Status", "Detail", "Reasons"],
        of("deploy").map((i) => [i.name.replace(/^Deploy of /, ""), i.status, i.detail, why(i)]),
      ),
    ),
  ].join("\n");
}
