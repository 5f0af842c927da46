/**
 * Block Kit validation with Slack's limits (SLACK.md §4) and Slack-style
 * error strings: `must be less than 3001 characters [json-pointer:/blocks/0/text/text]`.
 */

type Obj = Record<string, unknown>;

export type Surface = "message" | "modal" | "home";

const BLOCK_TYPES = new Set([
  "section",
  "divider",
  "image",
  "actions",
  "context",
  "input",
  "header",
  "rich_text",
  "file",
  "video",
  "markdown",
  "table",
  "context_actions",
]);

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

class Checker {
  readonly errors: string[] = [];

  err(msg: string, pointer: string): void {
    this.errors.push(`${msg} [json-pointer:${pointer}]`);
  }

  maxLen(value: unknown, max: number, pointer: string): void {
    if (typeof value === "string" && value.length > max) this.err(`must be less than ${max + 1} characters`, pointer);
  }

  maxItems(value: unknown, max: number, pointer: string): void {
    if (Array.isArray(value) && value.length > max) this.err(`must be less than ${max + 1} items`, pointer);
  }

  /** A composition text object: `{type: plain_text|mrkdwn, text}`. */
  text(value: unknown, pointer: string, max: number, opts: { plainOnly?: boolean; required?: boolean } = {}): void {
    if (value === undefined) {
      if (opts.required) this.err("missing required field: text", pointer);
      return;
    }
    if (!isObj(value)) {
      this.err("expected object", pointer);
      return;
    }
    const allowed = opts.plainOnly ? ["plain_text"] : ["plain_text", "mrkdwn"];
    if (typeof value.type !== "string" || !allowed.includes(value.type)) {
      this.err(`must be one of ${allowed.join(", ")}`, `${pointer}/type`);
    }
    if (typeof value.text !== "string") {
      this.err("missing required field: text", `${pointer}/text`);
      return;
    }
    if (value.text.length === 0) this.err("must be more than 0 characters", `${pointer}/text`);
    this.maxLen(value.text, max, `${pointer}/text`);
  }

  element(el: unknown, pointer: string): void {
    if (!isObj(el) || typeof el.type !== "string") {
      this.err("failed to match all allowed schemas", pointer);
      return;
    }
    this.maxLen(el.action_id, 255, `${pointer}/action_id`);
    if (el.placeholder !== undefined) this.text(el.placeholder, `${pointer}/placeholder`, 150, { plainOnly: true });
    if (el.type === "button") {
      this.text(el.text, `${pointer}/text`, 75, { plainOnly: true, required: true });
      this.maxLen(el.value, 2000, `${pointer}/value`);
      this.maxLen(el.url, 3000, `${pointer}/url`);
      this.maxLen(el.accessibility_label, 75, `${pointer}/accessibility_label`);
      if (el.style !== undefined && el.style !== "primary" && el.style !== "danger") {
        this.err("must be one of primary, danger", `${pointer}/style`);
      }
    }
    if (Array.isArray(el.options)) {
      this.maxItems(el.options, 100, `${pointer}/options`);
      el.options.forEach((o, i) => this.option(o, `${pointer}/options/${i}`));
    }
  }

  option(o: unknown, pointer: string): void {
    if (!isObj(o)) return this.err("expected object", pointer);
    this.text(o.text, `${pointer}/text`, 75, { required: true });
    this.maxLen(o.value, 150, `${pointer}/value`);
  }

  block(b: unknown, pointer: string, surface: Surface, seenIds: Set<string>): void {
    if (!isObj(b) || typeof b.type !== "string" || !BLOCK_TYPES.has(b.type)) {
      this.err("failed to match all allowed schemas", pointer);
      return;
    }
    if (b.block_id !== undefined) {
      this.maxLen(b.block_id, 255, `${pointer}/block_id`);
      if (typeof b.block_id === "string") {
        if (seenIds.has(b.block_id)) this.err(`duplicate block_id: ${b.block_id}`, `${pointer}/block_id`);
        seenIds.add(b.block_id);
      }
    }
    switch (b.type) {
      case "section":
        if (b.text === undefined && b.fields === undefined) {
          this.err("must provide either text or fields", pointer);
        }
        this.text(b.text, `${pointer}/text`, 3000);
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields)) this.err("expected array", `${pointer}/fields`);
          else {
            this.maxItems(b.fields, 10, `${pointer}/fields`);
            b.fields.forEach((f, i) => this.text(f, `${pointer}/fields/${i}`, 2000, { required: true }));
          }
        }
        if (b.accessory !== undefined) this.element(b.accessory, `${pointer}/accessory`);
        break;
      case "header":
        this.text(b.text, `${pointer}/text`, 150, { plainOnly: true, required: true });
        break;
      case "actions":
      case "context": {
        const max = b.type === "actions" ? 25 : 10;
        if (!Array.isArray(b.elements) || b.elements.length === 0) {
          this.err("must be more than 0 items", `${pointer}/elements`);
          break;
        }
        this.maxItems(b.elements, max, `${pointer}/elements`);
        b.elements.forEach((el, i) => {
          const p = `${pointer}/elements/${i}`;
          if (b.type === "context" && isObj(el) && (el.type === "plain_text" || el.type === "mrkdwn")) {
            this.text(el, p, 3000);
          } else if (!(b.type === "context" && isObj(el) && el.type === "image")) {
            this.element(el, p);
          }
        });
        break;
      }
      case "image":
        this.maxLen(b.image_url, 3000, `${pointer}/image_url`);
        if (typeof b.alt_text !== "string") this.err("missing required field: alt_text", pointer);
        this.maxLen(b.alt_text, 2000, `${pointer}/alt_text`);
        if (b.title !== undefined) this.text(b.title, `${pointer}/title`, 2000, { plainOnly: true });
        break;
      case "input":
        this.text(b.label, `${pointer}/label`, 2000, { plainOnly: true, required: true });
        if (b.hint !== undefined) this.text(b.hint, `${pointer}/hint`, 2000, { plainOnly: true });
        if (b.element === undefined) this.err("missing required field: element", pointer);
        else this.element(b.element, `${pointer}/element`);
        break;
      case "markdown":
        if (typeof b.text !== "string") this.err("missing required field: text", pointer);
        this.maxLen(b.text, 12000, `${pointer}/text`);
        break;
      default:
        break;
    }
    void surface;
  }
}

/** Validate a `blocks` array for a surface. Returns Slack-style error strings (empty = valid). */
export function validateBlocks(blocks: unknown, surface: Surface, basePointer = "/blocks"): string[] {
  const c = new Checker();
  if (!Array.isArray(blocks)) {
    c.err("expected array", basePointer);
    return c.errors;
  }
  c.maxItems(blocks, surface === "message" ? 50 : 100, basePointer);
  const seen = new Set<string>();
  blocks.forEach((b, i) => c.block(b, `${basePointer}/${i}`, surface, seen));
  return c.errors;
}

/** Validate a view object (views.open/update/push/publish). */
export function validateView(view: unknown): string[] {
  const c = new Checker();
  if (!isObj(view)) {
    c.err("expected object", "/view");
    return c.errors;
  }
  if (view.type !== "modal" && view.type !== "home") {
    c.err("must be one of modal, home", "/view/type");
    return c.errors;
  }
  if (view.type === "modal") {
    c.text(view.title, "/view/title", 24, { plainOnly: true, required: true });
    if (view.submit !== undefined) c.text(view.submit, "/view/submit", 24, { plainOnly: true });
    if (view.close !== undefined) c.text(view.close, "/view/close", 24, { plainOnly: true });
    const hasInput = Array.isArray(view.blocks) && view.blocks.some((b) => isObj(b) && b.type === "input");
    if (hasInput && view.submit === undefined) c.err("submit is required when an input block is present", "/view");
  }
  c.maxLen(view.callback_id, 255, "/view/callback_id");
  c.maxLen(view.private_metadata, 3000, "/view/private_metadata");
  c.maxLen(view.external_id, 255, "/view/external_id");
  c.errors.push(...validateBlocks(view.blocks, view.type === "modal" ? "modal" : "home", "/view/blocks"));
  return c.errors;
}

/** Find the element with `action_id` inside message/view blocks; returns it with its block_id. */
export function findActionElement(blocks: unknown, actionId: string): { blockId: string; element: Obj } | undefined {
  if (!Array.isArray(blocks)) return undefined;
  for (const b of blocks) {
    if (!isObj(b)) continue;
    const blockId = typeof b.block_id === "string" ? b.block_id : "";
    const candidates: unknown[] = [];
    if (Array.isArray(b.elements)) candidates.push(...b.elements);
    if (b.accessory !== undefined) candidates.push(b.accessory);
    if (b.element !== undefined) candidates.push(b.element);
    for (const el of candidates) {
      if (isObj(el) && el.action_id === actionId) return { blockId, element: el };
    }
  }
  return undefined;
}

/**
 * Slack fills in a random `block_id` for blocks posted without one and a random
 * `action_id` for interactive elements without one; stored/returned blocks carry them.
 */
export function normalizeBlocks(blocks: unknown[]): unknown[] {
  const rand = (n: number): string =>
    Math.random()
      .toString(36)
      .slice(2, 2 + n)
      .padEnd(n, "0");
  return blocks.map((b) => {
    if (!isObj(b)) return b;
    const copy: Obj = { ...b };
    if (copy.block_id === undefined) copy.block_id = rand(5);
    const fixEl = (el: unknown): unknown =>
      isObj(el) && el.action_id === undefined && el.type !== "image" ? { ...el, action_id: rand(4) } : el;
    if (copy.type === "actions" && Array.isArray(copy.elements)) copy.elements = copy.elements.map(fixEl);
    if (copy.accessory !== undefined) copy.accessory = fixEl(copy.accessory);
    if (copy.element !== undefined) copy.element = fixEl(copy.element);
    return copy;
  });
}
