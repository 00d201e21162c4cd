import { readFileSync } from "node:fs";
import { gunzipSync, inflateRawSync } from "node:zlib";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { EMPTY_EXPOSITION, ExpositionRenderer, gzipBody, renderExposition } from "../../src/exposition/render.js";
import type { Snapshot } from "../../src/domain/snapshot.js";

const renderSnapshot = async (snapshot: Snapshot) => {
  const exposition = await new ExpositionRenderer().render(snapshot);
  return { text: Buffer.concat(exposition.text), gzip: Buffer.concat(gzipBody(exposition, Buffer.alloc(0)).chunks), seriesCount: exposition.seriesCount, exposition };
};
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

  it("splices the cached DEFLATE chunks and a tail into ONE gzip member, which every decoder reads whole", async () => {
    const { exposition, text } = await renderSnapshot(fixedSnapshot);
    const tail = Buffer.from("# tail rendered per scrape\n");
    const body = Buffer.concat(gzipBody(exposition, tail).chunks);
    expect(gunzipSync(body).equals(Buffer.concat([text, tail]))).toBe(true);
    // One member: a decoder that stops after the first member (curl --compressed does) still gets everything,
    // and the trailer's CRC and length check out (gunzipSync verifies both).
    const firstMember = inflateRawSync(body.subarray(10, body.length - 8));
    expect(firstMember.equals(Buffer.concat([text, tail]))).toBe(true);
    expect(body.readUInt32LE(body.length - 4)).toBe(text.length + tail.length);
  });

  it("compresses a tail once while the same tail is served, and stays correct for a new exposition", async () => {
    const tail = Buffer.from("# self-metrics, reused for a second\n");
    const first = await renderSnapshot(fixedSnapshot);
    const a = gzipBody(first.exposition, tail).chunks;
    const b = gzipBody(EMPTY_EXPOSITION, tail).chunks;
    expect(b.at(-2)).toBe(a.at(-2)); // the very same compressed Buffer
    expect(gunzipSync(Buffer.concat(b)).equals(tail)).toBe(true);
    expect(gunzipSync(Buffer.concat(a)).equals(Buffer.concat([first.text, tail]))).toBe(true);
  });

  it("gzips an empty exposition with a tail", () => {
    const tail = Buffer.from("x 1\n");
    expect(gunzipSync(Buffer.concat(gzipBody(EMPTY_EXPOSITION, tail).chunks)).toString()).toBe("x 1\n");
  });

  it("keeps quotes, backslashes, newlines and non-ASCII label values intact through a real parser", async () => {
    const rendered = await renderSnapshot(fixedSnapshot);
    const families = parsePrometheusTextFormat(rendered.text.toString("utf8"));
    const info = families.find((f) => f.name === "aws_ssm_association_info");
    const names = info?.metrics.map((m) => ("labels" in m ? m.labels?.association_name : undefined));
    expect(names).toContain('quote"back\\slash\nnewline-ünïcødé-日本');
    expect(names).toContain("");
  });

  it("renders the same text as a whole-snapshot render, with lengths that add up", async () => {
    const rendered = await renderSnapshot(fixedSnapshot);
    expect(rendered.text.toString("utf8")).toBe(renderExposition(fixedSnapshot));
    expect(rendered.exposition.textLength).toBe(rendered.text.length);
    expect(gzipBody(rendered.exposition, Buffer.alloc(0)).length).toBe(rendered.gzip.length);
  });

  it("re-renders only targets whose state changed", async () => {
    const renderer = new ExpositionRenderer();
    const first = await renderer.render(fixedSnapshot);
    const [east, west] = fixedSnapshot.targets;
    if (!east || !west) throw new Error("fixture");
    const changed = { ...west, associations: [] };
    const second = await renderer.render({ ...fixedSnapshot, targets: [east, changed] });
    // us-east-1's chunks are the very same Buffers; eu-west-1's series are gone.
    const eastChunks = first.text.filter((b) => b.toString().includes('region="us-east-1"'));
    expect(eastChunks.length).toBeGreaterThan(0);
    for (const chunk of eastChunks) expect(second.text).toContain(chunk);
    expect(Buffer.concat(second.text).toString()).not.toContain('region="eu-west-1"');
  });

  it("has no blank lines and no HELP text that needs escaping, so the bytes are also valid OpenMetrics", async () => {
    const text = (await renderSnapshot(fixedSnapshot)).text.toString("utf8");
    expect(text.split("\n").slice(0, -1).filter((l) => l === "")).toEqual([]);
    for (const line of text.split("\n").filter((l) => l.startsWith("# HELP"))) expect(line).not.toMatch(/[\\"]/);
  });

  it("renders an empty snapshot to help and type lines only", async () => {
    const rendered = await renderSnapshot({ takenAtSeconds: 0, targets: [] });
    expect(rendered.seriesCount).toBe(0);
    expect(sortedLines(rendered.text.toString("utf8")).every((l) => l.startsWith("#"))).toBe(true);
  });
});
