import { readFileSync } from "node:fs";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import type { TargetState } from "../../src/domain/snapshot.js";
import { renderExposition, renderTargetFamilies } from "../../src/exposition/render.js";
import { fixedSnapshot, patchBaseline } from "../fixtures/associations.js";

const sortedLines = (text: string): string[] =>
  text
    .split("\n")
    .filter((line) => line !== "")
    .sort();

const polled: TargetState = {
  region: "us-east-1",
  accountId: "123456789012",
  pending: false,
  associations: [patchBaseline],
  up: true,
  lastSuccessSeconds: 1_764_000_200,
  pollDurationSeconds: 0.5,
  lastError: undefined,
  staleDropped: false,
};

describe("renderExposition", () => {
  it("renders the fixed data set to exactly the golden exposition", () => {
    const golden = readFileSync(new URL("../golden/associations.prom", import.meta.url), "utf8");
    expect(sortedLines(renderExposition(fixedSnapshot))).toEqual(sortedLines(golden));
  });

  it("counts the series it rendered", () => {
    const samples = sortedLines(renderExposition(fixedSnapshot)).filter((l) => !l.startsWith("#"));
    const counted = fixedSnapshot.targets.reduce((n, t) => n + renderTargetFamilies(t).seriesCount, 0);
    expect(counted).toBe(samples.length);
  });

  it("keeps quotes, backslashes, newlines and non-ASCII label values intact through a real parser", () => {
    const families = parsePrometheusTextFormat(renderExposition(fixedSnapshot));
    const info = families.find((f) => f.name === "aws_ssm_association_info");
    const names = info?.metrics.map((m) => ("labels" in m ? m.labels?.association_name : undefined));
    expect(names).toContain('quote"back\\slash\nnewline-ünïcødé-日本');
    expect(names).toContain("");
  });

  it("has no blank lines and no HELP text that needs escaping, so the bytes are also valid OpenMetrics", () => {
    const text = renderExposition(fixedSnapshot);
    expect(text.split("\n").slice(0, -1).filter((l) => l === "")).toEqual([]);
    for (const line of text.split("\n").filter((l) => l.startsWith("# HELP"))) expect(line).not.toMatch(/[\\"]/);
  });

  it("renders an empty snapshot to help and type lines only", () => {
    expect(sortedLines(renderExposition({ takenAtSeconds: 0, targets: [] })).every((l) => l.startsWith("#"))).toBe(true);
  });

  it("renders target-count keys as opaque label values: __proto__ and constructor are statuses like any other", () => {
    const odd = { ...patchBaseline, targetCounts: new Map([["__proto__", 3], ["constructor", 1], ["Failed", 2]]) };
    const text = renderTargetFamilies({ ...polled, associations: [odd] }).families.join("");
    expect(text).toContain('status="__proto__"} 3\n');
    expect(text).toContain('status="constructor"} 1\n');
    expect(text).toContain('status="Failed"} 2\n');
    expect(text).toContain('status="Success"} 0\n');
  });
});

describe("renderTargetFamilies", () => {
  it("renders the per-target exporter series next to the association data", () => {
    const text = renderTargetFamilies(polled).families.join("");
    expect(text).toContain('aws_ssm_exporter_up{account_id="123456789012",region="us-east-1"} 1\n');
    expect(text).toContain('aws_ssm_exporter_associations{account_id="123456789012",region="us-east-1"} 1\n');
    expect(text).toContain('aws_ssm_exporter_last_success_timestamp_seconds{account_id="123456789012",region="us-east-1"} 1764000200\n');
  });

  it("renders nothing for a target whose account id is unknown, or whose first poll has not finished", () => {
    expect(renderTargetFamilies({ ...polled, accountId: undefined, up: false }).families.join("")).toBe("");
    expect(renderTargetFamilies({ ...polled, pending: true }).families.join("")).toBe("");
  });

  it("leaves out last success before the first successful poll", () => {
    const text = renderTargetFamilies({ ...polled, up: false, lastSuccessSeconds: undefined, associations: [] }).families.join("");
    expect(text).toBe(
      'aws_ssm_exporter_up{account_id="123456789012",region="us-east-1"} 0\n' +
        'aws_ssm_exporter_poll_duration_seconds{account_id="123456789012",region="us-east-1"} 0.5\n' +
        'aws_ssm_exporter_associations{account_id="123456789012",region="us-east-1"} 0\n',
    );
  });
});
