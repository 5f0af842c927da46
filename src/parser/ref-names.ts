/**
 * Refs as people type them, checked before anything is done with them: a ref that is not a valid git ref
 * name (`main';DROP…`, `../../etc/passwd`, `https://evil…`) is refused whole, never shortened to the part
 * that looks fine. Stricter than `git check-ref-format`: letters, digits and `. _ - / +` only, which every
 * branch, tag, version and SHA people deploy is written with.
 */

const REF_CHARS = /^[A-Za-z0-9][A-Za-z0-9._+/-]*$/;

/** Why `ref` is not a valid ref name, or null when it is. */
export function refProblem(ref: string): string | null {
  if (ref.length > 200) return "it is longer than 200 characters";
  if (!REF_CHARS.test(ref)) return "a ref is letters, digits and . _ - / + only";
  if (ref.includes("..") || ref.includes("//") || ref.includes("/.") || ref.endsWith("/") || ref.endsWith(".") || ref.endsWith(".lock"))
    return 'a ref has no "..", "//", no part starting with "." and does not end with "/", "." or ".lock"';
  return null;
}

/** Sentence punctuation and quotes around a word ("(main),", "`v1.2.3`."): not part of the ref. */
const LEADING = /^["'`([{<]+/;
const TRAILING = /["'`)\]}>,!?]+$|(?<=[A-Za-z0-9])[.,!?;:]+$/;

/**
 * The ref as typed around the token at [start, end) of `text`: the whole run of non-space characters (after
 * the `@`/`#`/`:` of `service@ref`, the `=` of `--ref=`), without surrounding quotes and sentence punctuation.
 */
export function typedRef(text: string, start: number, end: number, service?: string): string {
  let from = start;
  let to = end;
  while (from > 0 && !/\s/.test(text.charAt(from - 1))) from--;
  while (to < text.length && !/\s/.test(text.charAt(to))) to++;
  // "--ref=v2.4.1", pasted from a CLI: the ref is the option's value.
  let word = text.slice(from, to).replace(/^--?[a-z][a-z-]*=/i, "");
  // "api@v1.2.3", "payments#main", "search:a1b2c3d" (an image tag), "web/hotfix-cart": the ref is what follows
  // the service's name.
  const at = word.search(/[@#:]/);
  if (at > 0 && /^["'`(]*[A-Za-z][\w-]*$/.test(word.slice(0, at))) word = word.slice(at + 1);
  else if (service !== undefined && word.toLowerCase().startsWith(`${service.toLowerCase()}/`)) word = word.slice(service.length + 1);
  let prev = "";
  while (prev !== word) {
    prev = word;
    word = word.replace(LEADING, "").replace(TRAILING, "");
  }
  return word;
}

/** Terminal escape sequences (colours, cursor moves, titles) and other control characters, as pasted from a terminal. */
const TERMINAL_ESCAPES =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]|\u009b[0-?]*[ -/]*[@-~]|[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** The text without terminal escape sequences: `\x1b[31m` is colour, not "31 minutes". */
export function stripTerminalEscapes(text: string): string {
  // Most messages have none: one scan for the escape and control characters first.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u009b]/.test(text) ? text.replace(TERMINAL_ESCAPES, " ") : text;
}
