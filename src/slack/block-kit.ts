import { timeOfDay } from "../service/time-text.js";

/**
 * Small Block Kit builders that keep Slack's limits (shared/SLACK.md §4): 50 blocks a message,
 * 100 a modal or Home tab, 3,000 characters a section, 2,000 a field, 150 a header, 75 a button label,
 * 2,000 a button value, 10 context elements, 25 actions.
 */

/** One Block Kit block; loose on purpose, the builders below give it its shape. */
export type Block = { type: string; [key: string]: unknown };

/** What chat.postMessage / chat.update get: blocks plus the notification text Slack shows. */
export interface SlackMessage {
  text: string;
  blocks: Block[];
}

export const LIMITS = {
  messageBlocks: 50,
  viewBlocks: 100,
  sectionText: 3000,
  field: 2000,
  header: 150,
  buttonText: 75,
  buttonValue: 2000,
  contextElements: 10,
  actions: 25,
  optionText: 75,
  optionValue: 150,
  /** Notification/fallback text; Slack truncates at 40,000 but nobody reads that much in a preview. */
  fallbackText: 3000,
} as const;

/** Escapes the three characters mrkdwn treats as markup (https://api.slack.com/reference/surfaces/formatting#escaping). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Cuts `text` to `max` characters, ending with an ellipsis when it was longer. */
export function clamp(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function header(text: string): Block {
  return { type: "header", text: { type: "plain_text", text: clamp(text, LIMITS.header), emoji: true } };
}

export function section(markdown: string, extra: Record<string, unknown> = {}): Block {
  return { type: "section", text: { type: "mrkdwn", text: clamp(markdown || " ", LIMITS.sectionText) }, ...extra };
}

export function fields(items: readonly string[]): Block {
  return { type: "section", fields: items.slice(0, 10).map((text) => ({ type: "mrkdwn", text: clamp(text || " ", LIMITS.field) })) };
}

export function context(items: readonly string[]): Block {
  return {
    type: "context",
    elements: items.slice(0, LIMITS.contextElements).map((text) => ({ type: "mrkdwn", text: clamp(text || " ", LIMITS.sectionText) })),
  };
}

export function divider(): Block {
  return { type: "divider" };
}

export interface ButtonOptions {
  style?: "primary" | "danger";
  value?: string;
  confirm?: { title: string; text: string; confirm: string; deny: string };
}

export function button(text: string, actionId: string, options: ButtonOptions = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: "button",
    text: { type: "plain_text", text: clamp(text, LIMITS.buttonText), emoji: true },
    action_id: actionId,
  };
  if (options.style) out.style = options.style;
  if (options.value !== undefined) out.value = options.value;
  if (options.confirm) {
    out.confirm = {
      title: { type: "plain_text", text: clamp(options.confirm.title, 100) },
      text: { type: "mrkdwn", text: clamp(options.confirm.text, 300) },
      confirm: { type: "plain_text", text: clamp(options.confirm.confirm, 30) },
      deny: { type: "plain_text", text: clamp(options.confirm.deny, 30) },
      ...(options.style === "danger" ? { style: "danger" } : {}),
    };
  }
  return out;
}

export function actions(elements: readonly Record<string, unknown>[], blockId?: string): Block {
  return { type: "actions", ...(blockId ? { block_id: blockId } : {}), elements: elements.slice(0, LIMITS.actions) };
}

/**
 * Splits lines into as few sections as fit 3,000 characters each; a single overlong line is cut.
 * `maxBlocks` caps the result, and the last kept block says how many lines were left out.
 */
export function sectionsFromLines(lines: readonly string[], maxBlocks: number, moreNote: (hidden: number) => string): Block[] {
  const chunks: string[][] = [[]];
  let size = 0;
  for (const raw of lines) {
    const line = clamp(raw, LIMITS.sectionText - 100);
    if (size + line.length + 1 > LIMITS.sectionText - 100 && chunks[chunks.length - 1]!.length > 0) {
      chunks.push([]);
      size = 0;
    }
    chunks[chunks.length - 1]!.push(line);
    size += line.length + 1;
  }
  if (chunks.length <= maxBlocks) return chunks.filter((c) => c.length > 0).map((c) => section(c.join("\n")));
  const kept = chunks.slice(0, Math.max(1, maxBlocks));
  const shown = kept.reduce((n, c) => n + c.length, 0);
  const last = kept[kept.length - 1]!;
  last.push(moreNote(lines.length - shown));
  return kept.map((c) => section(c.join("\n")));
}

/**
 * A relative time Slack keeps current in every reader's client ("2 minutes ago"), with the config
 * zone's clock time where date tokens are not rendered (notifications, old clients).
 */
export function timeAgo(at: Date, timeZone: string, now: Date): string {
  return `<!date^${Math.floor(at.getTime() / 1000)}^{ago}|${timeOfDay(at, timeZone, now)}>`;
}

/** A code block excerpt: at most `maxLines` lines and `maxChars` characters; says whether it was cut. */
export function excerpt(content: string, maxLines: number, maxChars: number): { text: string; truncated: boolean } {
  const lines = content.replace(/\r\n/g, "\n").split("\n");
  let text = lines.slice(0, maxLines).join("\n");
  let truncated = lines.length > maxLines;
  if (text.length > maxChars) {
    text = text.slice(0, maxChars);
    truncated = true;
  }
  // A ``` inside the excerpt would end the code block early.
  return { text: text.replace(/```/g, "ˋˋˋ"), truncated };
}

/** Slack's date token: shown in each reader's own time zone, with `fallback` where tokens are not rendered. */
export function slackDate(at: Date, format: "{time}" | "{date_short_pretty} {time}" | "{time_secs}", fallback: string): string {
  return `<!date^${Math.floor(at.getTime() / 1000)}^${format}|${fallback}>`;
}
