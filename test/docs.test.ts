import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SelfMetrics } from "../src/exposition/self-metrics.js";
import { ASSOCIATION_FAMILIES, COMMON_LABELS, TARGET_FAMILIES } from "../src/exposition/families.js";

const doc = readFileSync(new URL("../docs/metrics.md", import.meta.url), "utf8");

/** Rows of the markdown tables whose first cell is a `metric`: name → [type, extra labels]. */
function documentedMetrics(): Map<string, { type: string; labels: string[] }> {
  const rows = new Map<string, { type: string; labels: string[] }>();
  for (const line of doc.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    const name = /^`([a-z_]+)`$/.exec(cells[1] ?? "")?.[1];
    if (!name) continue;
    const labels = [...(cells[3] ?? "").matchAll(/`([a-z_]+)`/g)].map((m) => m[1] ?? "");
    rows.set(name, { type: cells[2] ?? "", labels });
  }
  return rows;
}

describe("docs/metrics.md", () => {
  const documented = documentedMetrics();

  it("documents every association family with its type and extra labels, and the common labels", () => {
    for (const family of ASSOCIATION_FAMILIES) {
      expect(documented.get(family.name), family.name).toEqual({ type: family.type, labels: [...family.extraLabels] });
    }
    const sentence = doc.slice(doc.indexOf("Common labels on every series:")).split("\n\n")[0] ?? "";
    expect([...sentence.matchAll(/`([a-z_]+)`/g)].map((m) => m[1])).toEqual([...COMMON_LABELS]);
  });

  it("documents every exporter metric and nothing that does not exist", async () => {
    const metrics = new SelfMetrics({ name: "x", version: "1", revision: "r", nodejsVersion: "v20" }, { defaultMetrics: false });
    const own = [
      ...TARGET_FAMILIES.map((f) => ({ name: f.name, type: f.type })),
      ...(await metrics.registry.getMetricsAsJSON()).map((m) => ({ name: m.name, type: m.type })),
    ];
    for (const { name, type } of own) {
      expect(documented.get(name)?.type, name).toBe(String(type));
    }
    const known = new Set([...ASSOCIATION_FAMILIES.map((f) => f.name), ...own.map((m) => m.name)]);
    expect([...documented.keys()].filter((name) => !known.has(name))).toEqual([]);
  });
});

describe("README runbooks", () => {
  it("has a heading for every runbook_url of the shipped alerts", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const alerts = readFileSync(new URL("../helm/ssm-association-exporter/files/alerts.yaml", import.meta.url), "utf8");
    // GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes.
    const anchors = new Set(
      [...readme.matchAll(/^#{1,6} (.+)$/gm)].map((m) => (m[1] ?? "").toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-")),
    );
    const linked = [...alerts.matchAll(/runbook_url: \S+README\.md#([\w-]+)/g)].map((m) => m[1]);
    expect(linked.length).toBeGreaterThanOrEqual(6);
    expect(linked.filter((anchor) => !anchors.has(anchor ?? ""))).toEqual([]);
  });
});
