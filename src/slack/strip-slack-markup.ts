/**
 * Turns Slack message text (mrkdwn with Slack's `<…>` entities) into plain words for the parser, which
 * knows nothing of Slack:
 *
 * - user, channel, group and special mentions (`<@U0123ABC>`, `<#C123|ops>`, `<!here>`,
 *   `<!subteam^S123|@oncall>`) are removed;
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
  if (out.includes("<")) out = out.replace(/<([^<>\n]*)>/g, (_, inner: string) => replaceEntity(inner));
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
  return /\s\s|[\t\n\r\f\v\u00a0\u2000-\u200a\u2028\u2029\u3000]|^\s|\s$/.test(text) ? text.replace(/\s+/g, " ").trim() : text;
}
