import { describe, expect, it } from "vitest";
import { referencesStepOutputs, renderValue } from "../../src/runbook/render-template.js";

describe("referencesStepOutputs", () => {
  it.each([
    ["{{ steps.deployed.data.sha }}", true],
    [{ nested: ["x", "{{ steps }}"] }, true],
    ["{% if steps.check.data.ok %}fine{% else %}broken{% endif %}", true],
    ["{{ params.env }} and {{ target.repository }}", false],
    ["the steps we take", false],
    [42, false],
  ])("%j → %s", (value, late) => {
    expect(referencesStepOutputs(value)).toBe(late);
  });

  it("renders a tag over step outputs once they exist", () => {
    const template = "{% if steps.check.data.ok %}fine{% else %}broken{% endif %}";
    expect(renderValue(template, { steps: { check: { data: { ok: true } } } })).toBe("fine");
    expect(renderValue(template, { steps: { check: { data: { ok: false } } } })).toBe("broken");
  });
});
