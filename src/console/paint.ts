/** Colours for the console's transcript on a terminal; `enabled` is false for pipes and NO_COLOR. */
export type Paint = (text: string) => string;

const CODES = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39] } as const;

const style = (name: keyof typeof CODES, text: string) => `\u001b[${CODES[name][0]}m${text}\u001b[${CODES[name][1]}m`;

/** Each line coloured by what it says: successes green, failures red, phases cyan, plan headers bold. */
const RULES: [RegExp, keyof typeof CODES][] = [
  [/^\s*(✔|✓)/, "green"],
  [/^\s*(✘|✗)|^│ preflight ✗/, "red"],
  [/^\s*(⚠|↻|…)/, "yellow"],
  [/^\s*▸/, "cyan"],
  [/^┌|^Dry run ·/, "bold"],
  [/^\s*(–|■)/, "dim"],
];

export function createPaint(enabled: boolean): Paint {
  if (!enabled) return (text) => text;
  return (text) =>
    text
      .split("\n")
      .map((line) => {
        const rule = RULES.find(([pattern]) => pattern.test(line));
        return rule ? style(rule[1], line) : line;
      })
      .join("\n");
}
