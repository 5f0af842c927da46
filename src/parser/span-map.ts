/**
 * A map from words to values that is looked up by a span of a text (`text`, `start`, `end`) instead of
 * by a string: the scanners look up every word of every message, and slicing each word out and hashing
 * the new string cost more than the rest of their work. Open addressing with linear probing; entries
 * are only added, and the whole map is cleared when it reaches its limit (a bounded memo).
 */
export class SpanMap<V> {
  private keys: (string | undefined)[] = [];
  private hashes = new Int32Array(0);
  private values: (V | undefined)[] = [];
  private mask = 0;
  private count = 0;

  constructor(private readonly limit: number) {
    this.reset();
  }

  get size(): number {
    return this.count;
  }

  /** The value of the word text[start..end), if any. */
  get(text: string, start: number, end: number): V | undefined {
    const hash = hashSpan(text, start, end);
    const length = end - start;
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const key = this.keys[slot];
      if (key === undefined) return undefined;
      if (this.hashes[slot] === hash && key.length === length && sameSpan(key, text, start)) return this.values[slot];
    }
  }

  /** Adds a word that is not in the map yet (clearing the map first when it is full). */
  add(word: string, value: V): void {
    if (this.count >= this.limit) this.reset();
    else if (2 * (this.count + 1) > this.keys.length) this.grow();
    this.place(word, hashSpan(word, 0, word.length), value);
    this.count++;
  }

  clear(): void {
    this.reset();
  }

  private place(word: string, hash: number, value: V | undefined): void {
    let slot = hash & this.mask;
    while (this.keys[slot] !== undefined) slot = (slot + 1) & this.mask;
    this.keys[slot] = word;
    this.hashes[slot] = hash;
    this.values[slot] = value;
  }

  private reset(): void {
    this.allocate(INITIAL_SLOTS);
    this.count = 0;
  }

  private grow(): void {
    const { keys, hashes, values } = this;
    this.allocate(keys.length * 2);
    for (let i = 0; i < keys.length; i++) if (keys[i] !== undefined) this.place(keys[i]!, hashes[i]!, values[i]);
  }

  private allocate(slots: number): void {
    this.keys = new Array<string | undefined>(slots).fill(undefined);
    this.hashes = new Int32Array(slots);
    this.values = new Array<V | undefined>(slots).fill(undefined);
    this.mask = slots - 1;
  }
}

const INITIAL_SLOTS = 1024;

/** FNV-1a over the UTF-16 code units of text[start..end). */
function hashSpan(text: string, start: number, end: number): number {
  let hash = 0x811c9dc5 | 0;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash;
}

function sameSpan(key: string, text: string, start: number): boolean {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) !== text.charCodeAt(start + i)) return false;
  return true;
}
