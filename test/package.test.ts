/**
 * The published package holds only the product: what `npm pack` would put in the tarball, read from npm
 * itself (`npm pack --dry-run --json`), after the build that `npm test` runs first.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("../", import.meta.url));

interface PackFile {
  path: string;
}

function packedFiles(): string[] {
  if (!existsSync(`${repo}dist/main.js`)) throw new Error("dist/main.js is missing: run `npm run build` (npm test does)");
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: repo,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const [result] = JSON.parse(out) as Array<{ files: PackFile[] }>;
  if (result === undefined) throw new Error("npm pack --dry-run printed no result");
  return result.files.map((f) => f.path).sort();
}

describe("npm package", () => {
  const files = packedFiles();

  it("holds the built exporter, its README, LICENSE and package.json", () => {
    expect(files).toContain("LICENSE");
    expect(files).toContain("dist/main.js");
    expect(files).toContain("dist/exporter.js");
    expect(files).toContain("package.json");
    expect(files).toContain("README.md");
  });

  it("holds nothing but dist/, README.md, LICENSE and package.json", () => {
    expect(files.filter((f) => !f.startsWith("dist/") && !["README.md", "LICENSE", "package.json"].includes(f))).toEqual([]);
  });

  it("holds neither the simulator nor the demo (development tools, built to dist-dev/)", () => {
    expect(files.filter((f) => /simulator|demo/i.test(f))).toEqual([]);
  });

  it("holds no TypeScript sources and no tests", () => {
    expect(files.filter((f) => /\.ts$/.test(f) || f.startsWith("src/") || f.startsWith("test/"))).toEqual([]);
  });
});
