/**
 * The chart's alerting objects as real Helm v4 renders them: the PrometheusRule, built from files/alerts.yaml
 * (exactly the defaults) plus the opt-in rules and the `prometheusRule` values, and the AlertmanagerConfig,
 * built from files/alertmanager-inhibit-rules.yaml. Every alert setting is shown to take effect by promtool's
 * unit tests (test/helm/rules/) on the rendering of ci/tuned-alerts-values.yaml; a chart whose rule file and
 * values disagree fails to render.
 */
import { execFile, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { formatDuration, parseDuration } from "../../src/config/duration.js";
import { skipWithout } from "../debian-tools.js";
import { analyzePromql } from "../promql-names.js";
import { helmEnv } from "./helm-binary.js";
import { CHART_DIR, NAMESPACE, REPO, only, parseManifests, template, templateRun, type Inputs } from "./helm.js";
import type { Rule, RuleGroup } from "../prometheus-rules.js";

type Json = { [key: string]: unknown };
interface AlertSettings {
  enabled: boolean;
  for: string;
  severity: string;
  threshold?: string | number;
  labels: Record<string, string>;
}

const chartFile = (...path: string[]) => readFileSync(join(CHART_DIR, ...path), "utf8");
const shipped = (parseYaml(chartFile("files", "alerts.yaml")) as { groups: RuleGroup[] }).groups;
const defaults = (parseYaml(chartFile("values.yaml")) as { prometheusRule: { alerts: Record<string, AlertSettings> } }).prometheusRule;
const TUNED = "ci/tuned-alerts-values.yaml";
const tuned = (parseYaml(chartFile(...TUNED.split("/"))) as { prometheusRule: Json & { alerts: Record<string, AlertSettings>; alertLabels: Record<string, string> } })
  .prometheusRule;
const ALERT_NAMES = Object.keys(defaults.alerts);
/** The opt-in alerts: in the chart's values, not in files/alerts.yaml. */
const OPT_IN = ["SsmAssociationNotExecuted"];
/** Every threshold recording rule, by the alert it belongs to. */
const RECORDS: Record<string, string> = {
  SsmAssociationOverdue: "aws_ssm:association_overdue_grace_seconds",
  SsmAssociationTargetsFailed: "aws_ssm:association_targets_failed_threshold",
  SsmAssociationNoRecentSuccess: "aws_ssm:association_no_recent_success_threshold_seconds",
  SsmAssociationNotExecuted: "aws_ssm:association_not_executed_threshold_seconds",
  SsmExporterDataStale: "aws_ssm:exporter_data_stale_threshold_seconds",
  SsmExporterAbsent: "aws_ssm:exporter_scrape_up",
};

const groupsOf = (objects: Awaited<ReturnType<typeof template>>): RuleGroup[] => (only(objects, "PrometheusRule").spec as { groups: RuleGroup[] }).groups;
const rulesOf = (groups: readonly RuleGroup[]): Rule[] => groups.flatMap((g) => g.rules);
const namesOf = (groups: readonly RuleGroup[]): string[] => rulesOf(groups).map((r) => r.alert ?? r.record ?? "?");
/** The PrometheusRule's groups for these values on top of `prometheusRule.enabled: true`. */
async function renderGroups(prometheusRule: object = {}, inputs: Inputs = {}): Promise<RuleGroup[]> {
  return groupsOf(await template({ ...inputs, values: { prometheusRule: { enabled: true, ...prometheusRule } } }));
}

const scratch = mkdtempSync(join(tmpdir(), "prometheusrule-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let tunedGroups: RuleGroup[] = [];
/** The defaults with the opt-in alerts enabled: every rule the chart has. */
let allGroups: RuleGroup[] = [];
beforeAll(async () => {
  tunedGroups = await renderGroups({}, { files: [TUNED] });
  allGroups = await renderGroups({ alerts: Object.fromEntries(OPT_IN.map((name) => [name, { enabled: true }])) });
});

describe("the PrometheusRule", () => {
  it("of the defaults is files/alerts.yaml unchanged: the plain rule file is the chart's default", async () => {
    expect(await renderGroups()).toEqual(shipped);
  });

  it("has exactly the alerts of prometheusRule.alerts, the opt-in ones off by default", () => {
    expect(namesOf(allGroups).filter((n) => !n.includes(":")).sort()).toEqual([...ALERT_NAMES].sort());
    for (const name of ALERT_NAMES) expect(defaults.alerts[name]?.enabled, name).toBe(!OPT_IN.includes(name));
    for (const name of OPT_IN) expect(namesOf(shipped)).not.toContain(name);
  });

  it("has in prometheusRule.alerts the for:, severity and labels of files/alerts.yaml", () => {
    for (const rule of rulesOf(allGroups).filter((r) => r.alert !== undefined)) {
      const settings = defaults.alerts[rule.alert ?? ""];
      expect({ for: rule.for, labels: rule.labels }, rule.alert).toEqual({ for: settings?.for, labels: { severity: settings?.severity } });
    }
  });

  it(`of ${TUNED} sets every alert's for:, severity and labels (its own over alertLabels), and leaves out the disabled one`, () => {
    const byName = new Map(rulesOf(tunedGroups).map((r) => [r.alert ?? r.record, r]));
    const reference = new Map(rulesOf(allGroups).map((r) => [r.alert ?? r.record, r]));
    for (const [name, settings] of Object.entries(tuned.alerts)) {
      const base = defaults.alerts[name];
      // Every setting differs from its default, so that the promtool tests show each one at work.
      expect(settings.for, name).not.toBe(base?.for);
      expect(settings.severity, name).not.toBe(base?.severity);
      if (base?.threshold !== undefined) expect(settings.threshold, name).not.toEqual(base.threshold);
      const rule = byName.get(name);
      if (!settings.enabled) {
        expect(rule, name).toBeUndefined();
        continue;
      }
      expect(rule?.for, name).toBe(settings.for);
      expect(rule?.labels, name).toEqual({ ...tuned.alertLabels, ...settings.labels, severity: settings.severity });
      // Annotations never change; the expression only in SsmAssociationOverdue's look-back.
      expect(rule?.annotations, name).toEqual(reference.get(name)?.annotations);
      if (name !== "SsmAssociationOverdue") expect(rule?.expr, name).toBe(reference.get(name)?.expr);
    }
    expect(Object.values(tuned.alerts).filter((s) => !s.enabled)).toHaveLength(1);
    expect(Object.values(tuned.alerts).some((s) => Object.keys(s.labels).some((l) => l in tuned.alertLabels))).toBe(true);
  });

  it(`of ${TUNED} has its thresholds, grace and job regex in the recording rules and the overdue look-back`, () => {
    const exprOf = (name: string) => rulesOf(tunedGroups).find((r) => r.record === name || r.alert === name)?.expr;
    expect(exprOf("aws_ssm:association_overdue_grace_seconds")).toBe("vector(7200)");
    expect(exprOf("aws_ssm:association_targets_failed_threshold")).toBe("vector(5)");
    expect(exprOf("aws_ssm:association_not_executed_threshold_seconds")).toBe("vector(259200)");
    expect(exprOf("aws_ssm:association_no_recent_success_threshold_seconds")).toBe("vector(172800)");
    expect(exprOf("aws_ssm:exporter_data_stale_threshold_seconds")).toBe("vector(3600)");
    expect(exprOf("aws_ssm:exporter_scrape_up")).toBe(String.raw`up{job=~"ssm-exporter-(org-a|org-b)(\\.prod)?"}`);
    expect(exprOf("SsmAssociationOverdue")).toBe(rulesOf(shipped).find((r) => r.alert === "SsmAssociationOverdue")?.expr.replace("[1h5m]", "[2h5m]"));
  });

  it.each(ALERT_NAMES.filter((name) => !OPT_IN.includes(name)))("without %s leaves out it and its recording rule, and nothing else", async (name) => {
    const groups = await renderGroups({ alerts: { [name]: { enabled: false } } });
    const gone = [name, ...(RECORDS[name] ? [RECORDS[name]] : [])];
    expect(namesOf(groups)).toEqual(namesOf(shipped).filter((n) => !gone.includes(n)));
    expect(rulesOf(groups)).toEqual(rulesOf(shipped).filter((r) => !gone.includes(r.alert ?? r.record ?? "")));
  });

  it("with every alert disabled has no groups left but the additional rules", async () => {
    const none = Object.fromEntries(ALERT_NAMES.map((name) => [name, { enabled: false }]));
    expect(await renderGroups({ alerts: none })).toEqual([]);
    const additionalRules = [{ record: "x:y", expr: "vector(1)" }];
    expect(await renderGroups({ alerts: none, additionalRules })).toEqual([{ name: "ssm-association-exporter-additional", rules: additionalRules }]);
  });

  it("of ci/full-values.yaml has its labels on the object and its additional rules as one more group", async () => {
    const objects = await template({ files: ["ci/full-values.yaml"] });
    const values = (parseYaml(chartFile("ci", "full-values.yaml")) as { prometheusRule: { labels: Json; additionalRules: Rule[] } }).prometheusRule;
    const groups = groupsOf(objects);
    expect(groups.at(-1)).toEqual({ name: "ssm-association-exporter-additional", rules: values.additionalRules });
    expect(groups.slice(0, -1).map((g) => g.name)).toEqual(shipped.map((g) => g.name));
    expect(only(objects, "PrometheusRule").metadata.labels).toMatchObject(values.labels);
  });

  // The template's duration parser, the schema's pattern and the exporter's parseDuration agree.
  it.each(["1h", "36h", "1h30m", "60s", "2d12h", "1m30s250ms", "1s500ms", "500ms", "1d", "banana", "30s1m", "1.5h", "5", "1w", "5M", " 5m", ""])(
    "overdueGrace %j renders as the exporter reads it, or not at all",
    async (text) => {
      const result = await templateRun({ values: { prometheusRule: { enabled: true, overdueGrace: text } } });
      const ms = parseDuration(text);
      const valid = ms !== undefined && ms >= 1000 && text.trim() === text;
      expect(result.ok, result.stderr).toBe(valid);
      if (!valid) return;
      const seconds = Math.floor(ms / 1000);
      const rules = rulesOf((only(parseManifests(result.stdout), "PrometheusRule").spec as { groups: RuleGroup[] }).groups);
      expect(rules.find((r) => r.record === "aws_ssm:association_overdue_grace_seconds")?.expr).toBe(`vector(${seconds})`);
      const overdue = rules.find((r) => r.alert === "SsmAssociationOverdue")?.expr ?? "";
      expect(overdue.match(/\[[0-9a-z]+\]/g)).toEqual([`[${formatDuration((seconds + 300) * 1000)}]`]);
      expect(analyzePromql(overdue).errors).toEqual([]);
    },
  );

  it.each([
    ["a job name with dots", "prod.ssm-exporter"],
    ["quotes and backslashes", String.raw`a"b\c`],
    ["an alternation", "ssm-exporter-(a|b)"],
  ])("quotes exporterJobRegex with %s into a PromQL string that means it", async (_name, regex) => {
    const rules = rulesOf(await renderGroups({ exporterJobRegex: regex }));
    const { errors, selectors } = analyzePromql(rules.find((r) => r.record === "aws_ssm:exporter_scrape_up")?.expr ?? "");
    expect(errors).toEqual([]);
    expect(selectors).toEqual([expect.objectContaining({ metric: "up", matchers: [{ label: "job", op: "=~", value: regex }] })]);
  });

  it("links the opt-in alerts' runbooks to headings of the README", () => {
    const readme = readFileSync(join(REPO, "README.md"), "utf8");
    const anchors = new Set([...readme.matchAll(/^#{1,6} (.+)$/gm)].map((m) => (m[1] ?? "").toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-")));
    for (const rule of rulesOf(allGroups).filter((r) => OPT_IN.includes(r.alert ?? ""))) {
      expect(rule.annotations?.runbook_url, rule.alert).toBe(
        `https://github.com/ssm-association-exporter/ssm-association-exporter/blob/main/README.md#runbook-${(rule.alert ?? "").toLowerCase()}`,
      );
      expect(anchors.has(`runbook-${(rule.alert ?? "").toLowerCase()}`), rule.alert).toBe(true);
    }
  });
});

describe("a chart whose files/alerts.yaml and values disagree", () => {
  const run = promisify(execFile);
  /** `helm template` of a copy of the chart with files/alerts.yaml edited by `edit`. */
  async function renderEdited(edit: (groups: RuleGroup[]) => void): Promise<{ ok: boolean; stderr: string }> {
    const dir = mkdtempSync(join(scratch, "chart-"));
    cpSync(CHART_DIR, dir, { recursive: true });
    const groups = structuredClone(shipped);
    edit(groups);
    writeFileSync(join(dir, "files", "alerts.yaml"), stringifyYaml({ groups }));
    try {
      await run(inject("helm").path, ["template", "demo", dir, "--set", "prometheusRule.enabled=true"], { env: helmEnv() });
      return { ok: true, stderr: "" };
    } catch (err) {
      return { ok: false, stderr: (err as { stderr?: string }).stderr ?? String(err) };
    }
  }

  it.each<[string, (groups: RuleGroup[]) => void, string]>([
    ["an alert the values lack", (g) => g[0]?.rules.push({ alert: "SsmSomethingNew", expr: "vector(1)" }), "has the alert SsmSomethingNew, which prometheusRule.alerts lacks"],
    ["a recording rule the chart does not know", (g) => g[0]?.rules.unshift({ record: "aws_ssm:new_threshold", expr: "vector(1)" }), "has the recording rule aws_ssm:new_threshold"],
    ["no longer an alert the values set", (g) => g.splice(1, 1), "the chart sets SsmExporterAbsent, which files/alerts.yaml lacks"],
    [
      "a second range selector in SsmAssociationOverdue",
      (g) => {
        const rule = g[0]?.rules.find((r) => r.alert === "SsmAssociationOverdue");
        if (rule) rule.expr = `${rule.expr} and changes(aws_ssm_association_info[1h]) >= 0`;
      },
      "must have exactly one range selector",
    ],
  ])("fails to render with %s", async (_name, edit, message) => {
    const result = await renderEdited(edit);
    expect(result.ok).toBe(false);
    expect(result.stderr).toContain(message);
  });
});

describe.skipIf(skipWithout("promtool"))(`promtool on the rules rendered from ${TUNED}`, () => {
  const dir = join(scratch, "tuned");
  beforeAll(() => {
    cpSync(join(REPO, "test", "helm", "rules"), dir, { recursive: true });
    writeFileSync(join(dir, "rules.yaml"), stringifyYaml({ groups: tunedGroups }));
  });
  const promtool = (...args: string[]) => {
    const result = spawnSync("promtool", args, { cwd: dir, encoding: "utf8", timeout: 60_000 });
    if (result.error) throw new Error(`cannot run promtool (install Debian's prometheus package): ${result.error.message}`);
    return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
  };

  it("promtool check rules is clean", () => {
    const result = promtool("check", "rules", "rules.yaml");
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain(`SUCCESS: ${rulesOf(tunedGroups).length} rules found`);
    expect(result.output).not.toMatch(/WARNING|error/i);
  });

  it("the unit tests of test/helm/rules/tuned-alerts.yaml pass: every tuned setting takes effect", () => {
    const result = promtool("test", "rules", "tuned-alerts.yaml");
    expect(result.status, result.output).toBe(0);
  });
});

describe("the AlertmanagerConfig", () => {
  const inhibit = parseYaml(chartFile("files", "alertmanager-inhibit-rules.yaml")) as {
    inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
  };
  /** An Alertmanager matcher string as the AlertmanagerConfig's {name, matchType, value}. */
  const matcher = (text: string) => {
    const m = /^\s*(\w+)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$/.exec(text);
    return { name: m?.[1], matchType: m?.[2], value: m?.[3] };
  };

  it("of ci/full-values.yaml holds the inhibition rules of files/alertmanager-inhibit-rules.yaml, in the release namespace", async () => {
    const objects = await template({ files: ["ci/full-values.yaml"] });
    const config = only(objects, "AlertmanagerConfig");
    expect(config.apiVersion).toBe("monitoring.coreos.com/v1alpha1");
    expect(config.metadata.namespace).toBe(NAMESPACE);
    expect(config.metadata.labels).toMatchObject({ alertmanagerConfig: "ssm" });
    expect(config.spec).toEqual({
      inhibitRules: inhibit.inhibit_rules.map((rule) => ({
        sourceMatch: rule.source_matchers.map(matcher),
        targetMatch: rule.target_matchers.map(matcher),
        equal: rule.equal,
      })),
    });
    expect(inhibit.inhibit_rules.length).toBeGreaterThan(0);
  });

  it("is not rendered unless enabled", async () => {
    expect((await template({ values: { prometheusRule: { enabled: true } } })).filter((o) => o.kind === "AlertmanagerConfig")).toEqual([]);
  });
});
