import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { cachedYaml } from "../../src/config/yaml-cache.js";
import { parseYamlSource } from "../../src/config/yaml-source.js";

describe("parsed YAML, kept by content", () => {
  it("gives back the same value the second time, from the cache, and still locates a field's line", () => {
    const text = `# ${randomUUID()}\nservices:\n  api:\n    healthUrl: not-a-url\n    ports: [80, 443]\n`;
    const first = parseYamlSource(text, "a.yml");
    expect(cachedYaml(text)).toEqual({ value: first.value });
    const second = parseYamlSource(text, "a.yml");
    expect(second.value).toEqual(first.value);
    expect(second.lineOf(["services", "api", "healthUrl"])).toBe(4);
  });

  it("keeps nothing JSON would change (YAML's .inf), so such a file is always parsed", () => {
    const text = `# ${randomUUID()}\nlimit: .inf\n`;
    expect(parseYamlSource(text, "b.yml").value).toEqual({ limit: Number.POSITIVE_INFINITY });
    expect(cachedYaml(text)).toBeUndefined();
  });
});
