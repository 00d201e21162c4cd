import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isSupportedNode, SUPPORTED_NODE_RANGE } from "../src/node-support.js";

describe("supported Node.js versions", () => {
  it.each([
    ["v22.12.0", true],
    ["v22.23.3", true],
    ["v24.21.0", true],
    ["v26.0.0", true],
    ["v22.11.0", false],
    ["v20.20.2", false],
    ["v18.20.8", false],
    ["not a version", false],
  ])("%s → supported %s", (version, supported) => {
    expect(isSupportedNode(version)).toBe(supported);
  });

  it("says the same as package.json engines", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(SUPPORTED_NODE_RANGE);
  });
});
