/**
 * What Helm does not check about values.yaml: that every key is documented (helm-docs `# --` comments), that
 * the templates reference no key values.yaml lacks (Helm renders a missing one as empty, even with `lint
 * --strict`) and use every key it has, and that the chart README's values table matches it.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { CHART_DIR } from "./helm.js";

type Values = { [key: string]: unknown };

const isRecord = (v: unknown): v is Values => typeof v === "object" && v !== null && !Array.isArray(v);
const read = (...path: string[]): string => readFileSync(join(CHART_DIR, ...path), "utf8");
const values = parseYaml(read("values.yaml")) as Values;
const templates = readdirSync(join(CHART_DIR, "templates")).map((f) => read("templates", f));

const get = (node: Values, path: string): unknown => path.split(".").reduce<unknown>((n, key) => (isRecord(n) ? n[key] : undefined), node);

/** Paths of values.yaml down to leaves: scalars, lists and empty maps (a list's items are data, not keys). */
function leafPaths(node: Values, prefix = ""): string[] {
  return Object.entries(node).flatMap(([key, value]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return isRecord(value) && Object.keys(value).length > 0 ? leafPaths(value, path) : [path];
  });
}

/** Every `.Values.a.b` path written out in the templates (references through `with`/`range` dots are not counted). */
const referenced = new Set(templates.flatMap((source) => [...source.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)].map((m) => (m[1] ?? "").slice(1))));

describe("values.yaml", () => {
  it("documents every key with a helm-docs `# --` comment", () => {
    const lines = read("values.yaml").split("\n");
    const undocumented: string[] = [];
    lines.forEach((line, i) => {
      const key = /^( *)([A-Za-z_][\w./-]*|"[^"]+"):(?: |$)/.exec(line);
      if (!key) return;
      const indent = key[1] ?? "";
      // The comment block right above the key (commented-out examples of the previous key may precede it).
      let documented = false;
      for (let j = i - 1; j >= 0 && /^\s*#/.test(lines[j] ?? ""); j--) {
        if ((lines[j] ?? "").startsWith(`${indent}# -- `)) documented = true;
      }
      if (!documented) undocumented.push(`${i + 1}: ${line.trim()}`);
    });
    expect(undocumented).toEqual([]);
  });

  it("has every key the templates reference", () => {
    const missing = [...referenced].filter((path) => {
      let node: unknown = values;
      for (const part of path.split(".")) {
        if (!isRecord(node) || !(part in node)) return true;
        node = node[part];
      }
      return false;
    });
    expect(referenced.size).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });

  it("has no key the templates leave unused (a key counts as used when it or a parent is referenced)", () => {
    const unused = leafPaths(values).filter((leaf) => ![...referenced].some((ref) => leaf === ref || leaf.startsWith(`${ref}.`)));
    expect(unused).toEqual([]);
  });

  it("is the values table of the chart's README, defaults included", () => {
    const readme = read("README.md");
    const table = readme.slice(readme.indexOf("\n## Values\n")).split("\n## ")[1] ?? "";
    const rows = new Map([...table.matchAll(/^\| `([^`]+)` \| [a-z]+ \| `(.*?)` \|/gm)].map((m): [string, string] => [m[1] ?? "", m[2] ?? ""]));
    expect([...rows.keys()]).toEqual(leafPaths(values));
    for (const [path, shown] of rows) expect(JSON.parse(shown), path).toEqual(get(values, path));
  });
});

describe("the chart README's sizing table", () => {
  const readme = read("README.md");
  const table = readme.slice(readme.indexOf("\n## Sizing\n")).split("\n## ")[1] ?? "";
  const rows = [...table.matchAll(/^\| ([\d,]+)[^|]*\| (\d+) MiB \| (\d+)Mi \/ (\d+)Mi\b[^|]*\|$/gm)].map((m) => ({
    associations: Number((m[1] ?? "").replace(/,/g, "")),
    peakMiB: Number(m[2]),
    requestMiB: Number(m[3]),
    limitMiB: Number(m[4]),
  }));

  it("suggests a request of at least the measured peak and a limit with a quarter of headroom over it", () => {
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const row of rows) {
      expect(row.requestMiB, `${row.associations}`).toBeGreaterThanOrEqual(row.peakMiB);
      expect(row.limitMiB, `${row.associations}`).toBeGreaterThanOrEqual(row.peakMiB * 1.25);
    }
  });

  it("has the defaults of values.yaml in its rows of 10,000 associations", () => {
    const ten = rows.filter((row) => row.associations === 10_000);
    expect(ten.length).toBeGreaterThan(0);
    for (const row of ten) {
      expect(`${row.requestMiB}Mi`).toBe(get(values, "resources.requests.memory"));
      expect(`${row.limitMiB}Mi`).toBe(get(values, "resources.limits.memory"));
    }
  });
});
