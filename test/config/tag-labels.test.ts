import { describe, expect, it } from "vitest";
import { sanitizedTagLabel, tagLabels, TAG_KEY_PATTERN } from "../../src/config/tag-labels.js";

describe("sanitizedTagLabel", () => {
  it.each([
    ["team", "tag_team"],
    ["Team", "tag_Team"],
    ["cost-center", "tag_cost_center"],
    ["aws:cloudformation:stack-name", "tag_aws_cloudformation_stack_name"],
    ["owner email", "tag_owner_email"],
    ["2nd", "tag_2nd"],
    ["équipe", "tag__quipe"],
    ["a/b=c+d@e.f", "tag_a_b_c_d_e_f"],
  ])("%s → %s", (key, label) => {
    expect(sanitizedTagLabel(key)).toBe(label);
    expect(label).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
  });
});

describe("tagLabels", () => {
  it("keys that sanitise alike all get _conflictN in code-point order of the keys; the others keep their label", () => {
    expect(tagLabels(["team", "cost.center", "cost-center", "cost center"])).toEqual([
      { key: "cost center", label: "tag_cost_center_conflict1" },
      { key: "cost-center", label: "tag_cost_center_conflict2" },
      { key: "cost.center", label: "tag_cost_center_conflict3" },
      { key: "team", label: "tag_team" },
    ]);
  });

  it("is the same whatever order the keys come in, and counts a duplicate once", () => {
    const keys = ["owner", "a-b", "a.b", "Team", "team", "a-b"];
    const expected = tagLabels(keys);
    expect(tagLabels([...keys].reverse())).toEqual(expected);
    expect(expected.map((t) => t.label)).toEqual(["tag_Team", "tag_a_b_conflict1", "tag_a_b_conflict2", "tag_owner", "tag_team"]);
  });

  it("a generated name that is itself an allow-listed label moves on to the next number", () => {
    const labels = tagLabels(["x-y", "x.y", "x_y_conflict1"]);
    expect(labels).toEqual([
      { key: "x_y_conflict1", label: "tag_x_y_conflict1" },
      { key: "x-y", label: "tag_x_y_conflict2" },
      { key: "x.y", label: "tag_x_y_conflict3" },
    ]);
    expect(new Set(labels.map((t) => t.label)).size).toBe(3);
  });
});

describe("TAG_KEY_PATTERN", () => {
  it("follows the TagKey shape of the SSM API model", () => {
    for (const ok of ["team", "aws:cloudformation:stack-name", "Cost Center", "équipe", "a_b.c:d/e=f+g-h@i", "k".repeat(128)]) expect(TAG_KEY_PATTERN.test(ok), ok).toBe(true);
    for (const bad of ["", "a,b", "a#b", "a\"b", "k".repeat(129)]) expect(TAG_KEY_PATTERN.test(bad), bad).toBe(false);
  });
});
