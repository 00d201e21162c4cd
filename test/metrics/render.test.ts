import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { renderSnapshot } from "../../src/metrics/render.js";
import { fixedSnapshot } from "../fixtures/associations.js";

const sortedLines = (text: string): string[] =>
  text
    .split("\n")
    .filter((line) => line !== "")
    .sort();

describe("renderSnapshot", () => {
  it("renders the fixed data set to exactly the golden exposition", async () => {
    const rendered = await renderSnapshot(fixedSnapshot);
    const golden = readFileSync(new URL("../golden/associations.prom", import.meta.url), "utf8");
    expect(sortedLines(rendered.text.toString("utf8"))).toEqual(sortedLines(golden));
  });

  it("counts the series it rendered", async () => {
    const rendered = await renderSnapshot(fixedSnapshot);
    const samples = sortedLines(rendered.text.toString("utf8")).filter((l) => !l.startsWith("#"));
    expect(rendered.seriesCount).toBe(samples.length);
  });

  it("carries the same bytes gzipped", async () => {
    const rendered = await renderSnapshot(fixedSnapshot);
    expect(gunzipSync(rendered.gzip).equals(rendered.text)).toBe(true);
  });

  it("keeps quotes, backslashes, newlines and non-ASCII label values intact through a real parser", async () => {
    const rendered = await renderSnapshot(fixedSnapshot);
    const families = parsePrometheusTextFormat(rendered.text.toString("utf8"));
    const info = families.find((f) => f.name === "aws_ssm_association_info");
    const names = info?.metrics.map((m) => ("labels" in m ? m.labels?.association_name : undefined));
    expect(names).toContain('quote"back\\slash\nnewline-ünïcødé-日本');
    expect(names).toContain("");
  });

  it("renders an empty snapshot to help and type lines only", async () => {
    const rendered = await renderSnapshot({ takenAtSeconds: 0, targets: [] });
    expect(rendered.seriesCount).toBe(0);
    expect(sortedLines(rendered.text.toString("utf8")).every((l) => l.startsWith("#"))).toBe(true);
  });
});
