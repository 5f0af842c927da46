/**
 * Typo tolerance. Damerau-Levenshtein (optimal string alignment: insert, delete, substitute, swap two
 * neighbours) with a length-scaled budget, so "dpeloy", "stagin", "prodution" and "paymnets" are read
 * right while short words stay exact: "api" is never "app", "dev" never "div".
 */

/**
 * Edits allowed for a word of this length: up to 3 letters none; 4 letters only a swap of two
 * neighbours ("lgos", "prdo": a substitution would turn "lots" into "logs"); 5–8 letters one;
 * 9 and more two.
 */
export function editBudget(length: number): number {
  if (length <= 3) return 0;
  if (length <= 8) return 1;
  return 2;
}

/**
 * Distance between a and b, or `max + 1` as soon as it is certain to exceed `max` (the common case,
 * which is why this is cheap enough to run on every unknown word).
 */
export function damerauLevenshtein(a: string, b: string, max: number): number {
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > max) return max + 1;
  if (la === 0 || lb === 0) return Math.max(la, lb);
  if (lb + 1 > rowSize) grow(lb + 1);
  // Three rolling rows: two back (for swaps), previous, current. Reused across calls.
  let prev2 = rowA;
  let prev = rowB;
  let cur = rowC;
  for (let j = 0; j <= lb; j++) prev[j] = j;
  for (let i = 1; i <= la; i++) {
    cur[0] = i;
    let rowMin = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= lb; j++) {
      const cb = b.charCodeAt(j - 1);
      const cost = ca === cb ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && ca === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === cb) d = Math.min(d, prev2[j - 2]! + 1);
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return prev[lb]!;
}

let rowSize = 64;
let rowA = new Int32Array(rowSize);
let rowB = new Int32Array(rowSize);
let rowC = new Int32Array(rowSize);
function grow(size: number): void {
  rowSize = size * 2;
  rowA = new Int32Array(rowSize);
  rowB = new Int32Array(rowSize);
  rowC = new Int32Array(rowSize);
}

/**
 * Whether `typed` is an acceptable typo of `known`: within the length-scaled budget, starting with
 * the same letter (or the first two letters swapped), and for four letters only a swap.
 * Inflections are not typos: "deploys", "deployed" and "deploying" are other words for the parser.
 */
export function isTypoOf(typed: string, known: string): boolean {
  if (typed === known) return true;
  const budget = editBudget(Math.min(typed.length, known.length));
  if (budget === 0) return false;
  if (typed.charCodeAt(0) !== known.charCodeAt(0)) {
    if (!(typed.charCodeAt(0) === known.charCodeAt(1) && typed.charCodeAt(1) === known.charCodeAt(0))) return false;
  }
  if (typed.length > known.length && typed.startsWith(known) && INFLECTION_ENDINGS.has(typed.slice(known.length))) return false;
  if (known.length === 4 || typed.length === 4) return typed.length === known.length && isOneSwap(typed, known);
  return damerauLevenshtein(typed, known, budget) <= budget;
}

const INFLECTION_ENDINGS = new Set(["s", "es", "d", "ed", "ing", "er", "ers"]);

function isOneSwap(a: string, b: string): boolean {
  let first = -1;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      if (first >= 0) return i === first + 1 && a[first] === b[i] && a[i] === b[first] && a.slice(i + 1) === b.slice(i + 1);
      first = i;
    }
  }
  return false;
}
