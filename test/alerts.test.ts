import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { analyzePromql, ASSOCIATION_METRIC_NAMES, contractMetricNames } from "./promql-names.js";
import type { Rule, RuleFile } from "./prometheus-rules.js";

// Structure of the shipped rule file. Its behaviour (what fires when) is tested by promtool in test/rules/.

const RULES_URL = new URL("../helm/ssm-association-exporter/files/alerts.yaml", import.meta.url);
const text = readFileSync(RULES_URL, "utf8");


const file = parse(text) as RuleFile;
const alerts = file.groups.flatMap((g) => g.rules).filter((r): r is Rule & { alert: string } => r.alert !== undefined);
const byName = new Map(alerts.map((a) => [a.alert, a]));

/**
 * The recording rules that hold a tunable number or selector (the Helm chart sets them by name), with the
 * alert that uses each and the expression of the default.
 */
const SETTINGS = [
  { record: "aws_ssm:association_overdue_grace_seconds", alert: "SsmAssociationOverdue", expr: "vector(3600)" },
  { record: "aws_ssm:association_targets_failed_threshold", alert: "SsmAssociationTargetsFailed", expr: "vector(0)" },
  { record: "aws_ssm:association_no_recent_success_threshold_seconds", alert: "SsmAssociationNoRecentSuccess", expr: "vector(604800)" },
  { record: "aws_ssm:exporter_data_stale_threshold_seconds", alert: "SsmExporterDataStale", expr: "vector(900)" },
  { record: "aws_ssm:exporter_scrape_up", alert: "SsmExporterAbsent", expr: 'up{job=~".*ssm-association-exporter.*"}' },
];
/** Not exporter metrics of the contract, but always there: Prometheus' scrape health and prom-client's process start. */
const OUTSIDE_CONTRACT = ["up", "process_start_time_seconds"];
const ASSOCIATION_LABELS = ["account_id", "region", "association_id", "association_name", "document_name"];
const RUNBOOK = "https://github.com/ssm-association-exporter/ssm-association-exporter/blob/main/README.md#";
const ALERTS = [
  "SsmAssociationOverdue",
  "SsmAssociationFailed",
  "SsmAssociationTargetsFailed",
  "SsmAssociationNoRecentSuccess",
  "SsmExporterPollFailing",
  "SsmExporterEnrichmentFailing",
  "SsmExporterUnidentifiedTargets",
  "SsmExporterDataStale",
  "SsmExporterAbsent",
  "SsmExporterShardMissing",
  "SsmExporterDiscoveryFailing",
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

  it("keeps each tunable number in one recording rule, before the one alert that uses it, in its group", () => {
    const recorded = file.groups.flatMap((g) => g.rules).flatMap((r) => (r.record ? [r.record] : []));
    expect(recorded).toEqual(SETTINGS.map((s) => s.record));
    for (const { record, alert, expr } of SETTINGS) {
      const group = file.groups.find((g) => g.rules.some((r) => r.record === record));
      const names = group?.rules.map((r) => r.record ?? r.alert) ?? [];
      expect(names.indexOf(record), record).toBeLessThan(names.indexOf(alert));
      expect(group?.rules.find((r) => r.record === record)?.expr, record).toBe(expr);
      // Used by its alert, and by no other rule (a disabled alert takes its recording rule with it in the chart).
      const users = file.groups.flatMap((g) => g.rules).filter((r) => analyzePromql(r.expr).selectors.some((s) => s.metric === record));
      expect(users.map((r) => r.alert), record).toEqual([alert]);
    }
  });

  it("looks back over the overdue grace plus 5 minutes, in SsmAssociationOverdue's one range selector", () => {
    const expr = byName.get("SsmAssociationOverdue")?.expr ?? "";
    // The chart replaces this range with its overdueGrace plus 5 minutes; it must be the only one.
    expect(expr.match(/\[[0-9a-z]+\]/g)).toEqual(["[1h5m]"]);
    expect(expr).toContain("min_over_time(aws_ssm_association_previous_scheduled_execution_timestamp_seconds[1h5m])");
  });

  it("has only valid PromQL, naming only metrics of the contract, its own recording rules, up and process_start_time_seconds", () => {
    const recorded = file.groups.flatMap((g) => g.rules).flatMap((r) => (r.record ? [r.record] : []));
    const allowed = new Set([...contract, ...recorded, ...OUTSIDE_CONTRACT]);
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

  it("states the exporter job assumption once, as one literal matcher in a recording rule the exporter alerts use", () => {
    const [selector, ...others] = analyzePromql(SETTINGS.find((s) => s.alert === "SsmExporterAbsent")?.expr ?? "").selectors;
    expect(others).toEqual([]);
    expect(selector).toMatchObject({ metric: "up", matchers: [{ label: "job", op: "=~", value: ".*ssm-association-exporter.*" }] });
    expect(text.split('job=~".*ssm-association-exporter.*"')).toHaveLength(2);
    // `up` appears nowhere else: every alert on scrape health goes through the recording rule.
    const upUsers = file.groups.flatMap((g) => g.rules).filter((r) => analyzePromql(r.expr).selectors.some((s) => s.metric === "up"));
    expect(upUsers.map((r) => r.record)).toEqual(["aws_ssm:exporter_scrape_up"]);
    expect(byName.get("SsmExporterAbsent")?.annotations?.description).toContain("ssm-association-exporter");
  });

  it("ages a target that never polled successfully by its own exporter's process start", () => {
    const expr = byName.get("SsmExporterDataStale")?.expr ?? "";
    expect(expr).toContain("aws_ssm_exporter_up == 0 unless aws_ssm_exporter_last_success_timestamp_seconds");
    expect(expr).toMatch(/\+ on\(job, instance\) group_left\(\)\s+\(time\(\) - process_start_time_seconds\)/);
  });
});
