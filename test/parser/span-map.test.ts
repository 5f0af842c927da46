import { describe, expect, it } from "vitest";
import { SpanMap } from "../../src/parser/span-map.js";

describe("SpanMap", () => {
  it("finds words by a span of a text", () => {
    const map = new SpanMap<number>(100);
    map.add("deploy", 1);
    map.add("api", 2);
    expect(map.get("pls deploy api now", 4, 10)).toBe(1);
    expect(map.get("pls deploy api now", 11, 14)).toBe(2);
    expect(map.get("pls deploy api now", 0, 3)).toBeUndefined();
    expect(map.get("deployed", 0, 8)).toBeUndefined();
    expect(map.get("deploy", 0, 5)).toBeUndefined();
  });

  it("grows, and clears itself at its limit", () => {
    const map = new SpanMap<number>(5000);
    for (let i = 0; i < 5000; i++) map.add(`w${i}`, i);
    expect(map.size).toBe(5000);
    for (let i = 0; i < 5000; i++) expect(map.get(`x w${i} y`, 2, 3 + String(i).length)).toBe(i);
    map.add("more", -1);
    expect(map.size).toBe(1);
    expect(map.get("w1", 0, 2)).toBeUndefined();
    expect(map.get("more", 0, 4)).toBe(-1);
  });
});
