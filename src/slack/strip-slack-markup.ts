/**
 * Turns Slack message text (mrkdwn with Slack's `<…>` entities) into plain words for the parser, which
 * knows nothing of Slack:
 *
 * - user, channel, group and special mentions (`<@U0123ABC>`, `<#C123|ops>`, `<!here>`,
 *   `<!subteam^S123|@oncall>`) are removed, except a user mention that names someone inside a request
 *   ("add <@U0123ABC> to featureMatrix"), which reads "@U0123ABC" (a flag's users, mapped by `flagUsers`);
 * - links keep their label (`<https://…|PR 12>` → `PR 12`); bare links are removed;
 * - code blocks are removed (they hold pasted logs and output, never the request itself); inline code
 *   keeps its text but in double quotes, so "`featureMatrix`" still names the flag and a command quoted
 *   inside a sentence still looks quoted to the parser;
 * - `*bold*` and `_italic_` lose their markers; `~struck~` text is removed (the author took it back);
 * - block quotes (`> …` lines) are removed: quoted text is someone else's words, not a request;
 * - emoji codes (`:rocket:`, `:+1::skin-tone-2:`) are removed;
 * - `&lt;`, `&gt;`, `&amp;` are decoded; whitespace is collapsed.
 *
 * @example stripSlackMarkup("<@U0123ABC> *deploy* `api` to stg :rocket:") // → 'deploy "api" to stg'
 */
export function stripSlackMarkup(text: string): string {
  // Fast path: most chatter carries none of the characters that start Slack markup.
  if (!MARKUP.test(text)) return collapse(text);
  let out = text;
  if (out.includes("`")) {
    out = out.replace(/```[\s\S]*?(?:```|$)/g, " ");
    out = out.replace(/`([^`\n]*)`/g, (_, code: string) => (code.trim() ? ` "${code.trim()}" ` : " "));
  }
  if (out.includes("<")) out = replaceEntities(out);
  if (out.includes(">") || out.includes("&gt;")) {
    out = out
      .split("\n")
      .filter((line) => !/^\s*(?:&gt;|>)/.test(line))
      .join("\n");
  }
  if (out.includes("&")) out = out.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  if (out.includes("~")) out = out.replace(/(^|[\s(["'])~(?=\S)([^~\n]*?\S)~(?=$|[\s.,!?;:)\]"'])/g, "$1 ");
  if (out.includes("*")) out = out.replace(/(^|[\s(["'])\*(?=\S)([^*\n]*?\S)\*(?=$|[\s.,!?;:)\]"'])/g, "$1$2");
  if (out.includes("_")) out = out.replace(/(^|[\s(["'])_(?=\S)([^_\n]*?\S)_(?=$|[\s.,!?;:)\]"'])/g, "$1$2");
  if (out.includes(":")) out = out.replace(/:(?=[a-z0-9_+'-]*[a-z+])[a-z0-9_+'-]+:/gi, " ");
  return collapse(out);
}

const MARKUP = /[<>`*_~:&]/;

/**
 * `text.replace(/<([^<>\n]*)>/g, (_, inner) => replaceEntity(inner))` as a scan: mentions are in a
 * sixth of an incident channel's messages, and the regex with a callback costs about a microsecond.
 */
function replaceEntities(text: string): string {
  const n = text.length;
  let out = "";
  let copied = 0;
  let open = text.indexOf("<");
  while (open >= 0) {
    let close = open + 1;
    let c = text.charCodeAt(close);
    while (close < n && c !== 62 && c !== 60 && c !== 10) c = text.charCodeAt(++close);
    if (c === 62) {
      const inner = text.slice(open + 1, close);
      out += text.slice(copied, open) + (isNamedUser(text, open, inner) ? ` @${inner.slice(1).split("|")[0]} ` : replaceEntity(inner));
      copied = close + 1;
      open = text.indexOf("<", copied);
    } else open = text.indexOf("<", open + 1);
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** Words after which a mention greets or addresses someone ("thanks <@U…>", "cc <@U…>") rather than names them. */
const ADDRESSING = new Set(["hey", "hi", "hello", "yo", "thanks", "thank", "thx", "ty", "cc", "ping", "fyi", "ok", "okay"]);

/**
 * A user mention inside a request names someone ("add <@U0123ABC> to featureMatrix", "for <@U1> and <@U2>"):
 * it is kept as "@U0123ABC" for the parser (a flag's users). One that opens the message or a clause, or follows a
 * greeting, addresses someone (the bot or a person) and is removed like the other mentions.
 */
function isNamedUser(text: string, open: number, inner: string): boolean {
  if (!/^@[UW][A-Z0-9]+(?:\|[^>]*)?$/.test(inner)) return false;
  let k = open - 1;
  while (k >= 0 && text.charCodeAt(k) === 32) k--;
  if (k < 0) return false;
  const before = text.charAt(k);
  if (before === ",") return true;
  if (!/[a-z0-9]/i.test(before)) return false;
  let start = k;
  while (start > 0 && /[a-z0-9']/i.test(text.charAt(start - 1))) start--;
  return !ADDRESSING.has(text.slice(start, k + 1).toLowerCase());
}

function replaceEntity(inner: string): string {
  const first = inner.charAt(0);
  if (first === "@" || first === "#" || first === "!") return " ";
  const bar = inner.indexOf("|");
  if (bar >= 0) return ` ${inner.slice(bar + 1)} `;
  // A bare link: the URL itself is not words anyone typed to the bot.
  if (/^[a-z][a-z0-9+.-]*:/i.test(inner)) return " ";
  return `<${inner}>`;
}

function collapse(text: string): string {
  return /\s\s|[\t\n\r\f\v\u00a0\u2000-\u200a\u2028\u2029\u3000]|^\s|\s$/.test(text) ? joinWords(text) : text;
}

/**
 * `text.replace(/\s+/g, " ").trim()` as a scan (the regex replace is the costliest step for short
 * messages); joined at the end so the parser gets a flat string, not a chain of concatenations.
 */
function joinWords(text: string): string {
  const n = text.length;
  const words: string[] = [];
  let i = 0;
  while (i < n) {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
    if (i === n) break;
    const start = i;
    while (i < n && !isSpace(text.charCodeAt(i))) i++;
    words.push(text.slice(start, i));
  }
  return words.join(" ");
}

/** Whether `\s` matches the character. */
function isSpace(c: number): boolean {
  if (c === 32 || (c >= 9 && c <= 13)) return true;
  return (
    c >= 0xa0 &&
    (c === 0xa0 ||
      c === 0x1680 ||
      (c >= 0x2000 && c <= 0x200a) ||
      c === 0x2028 ||
      c === 0x2029 ||
      c === 0x202f ||
      c === 0x205f ||
      c === 0x3000 ||
      c === 0xfeff)
  );
}

/** The channels a message mentions (`<#C123|ops>` → C123), in order: stripSlackMarkup removes them. */
export function channelMentions(text: string): string[] {
  return [...text.matchAll(/<#([CG][A-Z0-9]+)(?:\|[^>]*)?>/g)].map((m) => m[1]!);
}
