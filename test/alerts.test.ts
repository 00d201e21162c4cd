import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { analyzePromql, ASSOCIATION_METRIC_NAMES, contractMetricNames } from "./promql-names.js";

// Structure of the shipped rule file. Its behaviour (what fires when) is tested by promtool in test/rules/.

const RULES_URL = new URL("../helm/ssm-association-exporter/files/alerts.yaml", import.meta.url);
const text = readFileSync(RULES_URL, "utf8");

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}

const file = parse(text) as RuleFile;
const alerts = file.groups.flatMap((g) => g.rules).filter((r): r is Rule & { alert: string } => r.alert !== undefined);
const byName = new Map(alerts.map((a) => [a.alert, a]));

const THRESHOLD = "aws_ssm:association_not_executed_threshold_seconds";
const ASSOCIATION_LABELS = ["account_id", "region", "association_id", "association_name", "document_name"];
const RUNBOOK = "https://github.com/ssm-association-exporter/ssm-association-exporter/blob/main/README.md#";
const ALERTS = [
  "SsmAssociationFailed",
  "SsmAssociationTargetsFailed",
  "SsmAssociationNotExecuted",
  "SsmExporterPollFailing",
  "SsmExporterUnidentifiedTargets",
  "SsmExporterDataStale",
  "SsmExporterAbsent",
];

describe("alerts.yaml", () => {
  let contract: ReadonlySet<string>;
  beforeAll(async () => {
    contract = await contractMetricNames();
  });

  it("is a plain rule file with uniquely named groups and exactly the documented alerts", () => {
    expect(Object.keys(file)).toEqual(["groups"]);
    const groups = file.groups.map((g) => g.name);
    expect(new Set(groups).size).toBe(groups.length);
    expect(alerts.map((a) => a.alert)).toEqual(ALERTS);
  });

  it("gives every alert a for:, a severity and summary, description and runbook_url annotations", () => {
    for (const alert of alerts) {
      expect(alert.for, alert.alert).toMatch(/^\d+[smh]$/);
      expect(alert.labels, alert.alert).toEqual({ severity: expect.stringMatching(/^(warning|critical)$/) });
      expect(Object.keys(alert.annotations ?? {}).sort(), alert.alert).toEqual(["description", "runbook_url", "summary"]);
      expect(alert.annotations?.runbook_url, alert.alert).toBe(`${RUNBOOK}runbook-${alert.alert.toLowerCase()}`);
      expect(alert.annotations?.description, alert.alert).toMatch(/\{\{ \$labels\.\w+ \}\}|ssm-association-exporter/);
    }
  });

  it("keeps the not-executed threshold in one recording rule, before the alert in the same group", () => {
    const group = file.groups.find((g) => g.rules.some((r) => r.alert === "SsmAssociationNotExecuted"));
    const names = group?.rules.map((r) => r.record ?? r.alert);
    expect(names?.indexOf(THRESHOLD)).toBeGreaterThanOrEqual(0);
    expect(names?.indexOf(THRESHOLD)).toBeLessThan(names?.indexOf("SsmAssociationNotExecuted") ?? -1);
    expect(group?.rules.find((r) => r.record === THRESHOLD)?.expr).toBe("vector(691200)");
    // The Helm chart replaces this literal; it must occur exactly once.
    expect(text.split("vector(691200)")).toHaveLength(2);
    expect(byName.get("SsmAssociationNotExecuted")?.expr).toMatch(new RegExp(`> on\\(\\) group_left\\(\\)\\s+${THRESHOLD}\\s*$`));
  });

  it("has only valid PromQL, naming only metrics of the contract, its own recording rule and up", () => {
    const recorded = file.groups.flatMap((g) => g.rules).flatMap((r) => (r.record ? [r.record] : []));
    const allowed = new Set([...contract, ...recorded, "up"]);
    const problems: string[] = [];
    for (const rule of file.groups.flatMap((g) => g.rules)) {
      const { errors, selectors } = analyzePromql(rule.expr);
      const name = rule.alert ?? rule.record;
      for (const error of errors) problems.push(`${name}: parse error ${error}`);
      for (const { metric, text: selector } of selectors) {
        if (metric === undefined || !allowed.has(metric)) problems.push(`${name}: ${selector} is not a metric of the contract`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("never aggregates away association labels, and matches on none of them", () => {
    for (const alert of alerts.filter((a) => analyzePromql(a.expr).selectors.some((s) => ASSOCIATION_METRIC_NAMES.has(s.metric ?? "")))) {
      expect(alert.alert).toMatch(/^SsmAssociation/);
      expect(analyzePromql(alert.expr).aggregations, alert.alert).toEqual([]);
      // A matcher on association_name would drop associations without a name (label absent).
      for (const s of analyzePromql(alert.expr).selectors) expect(s.matchers.map((m) => m.label), alert.alert).not.toContain("association_name");
      for (const label of ASSOCIATION_LABELS.filter((l) => l !== "association_name")) {
        expect(alert.annotations?.description, `${alert.alert} describes ${label}`).toContain(`$labels.${label}`);
      }
    }
  });

  it("states the exporter job assumption once, as one literal matcher", () => {
    const absent = byName.get("SsmExporterAbsent");
    const [selector] = analyzePromql(absent?.expr ?? "").selectors;
    expect(selector).toMatchObject({ metric: "up", matchers: [{ label: "job", op: "=~", value: ".*ssm-association-exporter.*" }] });
    expect(text.split('job=~".*ssm-association-exporter.*"')).toHaveLength(2);
    expect(absent?.annotations?.description).toContain("ssm-association-exporter");
  });
});
