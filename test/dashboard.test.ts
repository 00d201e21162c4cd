import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { skipWithout } from "./debian-tools.js";
import {
  ALL_FILTERS,
  allPanels,
  analyzePromql,
  ASSOCIATION_METRIC_NAMES,
  builtinIntervals,
  contractMetricNames,
  dashboardQueries,
  loadDashboard,
  rawPanelQueries,
  substituteVariables,
  variableSelectors,
  type GrafanaPanel,
  type PanelQuery,
} from "./promql-names.js";

const dashboard = loadDashboard();
const panels = allPanels(dashboard);
const visualPanels = panels.filter((p) => p.type !== "row");
const queries = rawPanelQueries(dashboard);
const DATASOURCE = { type: "prometheus", uid: "${datasource}" };
const FILTER_VARIABLES = ["account_id", "region", "document_name"];
/** The variable that only the failed-targets panels use, set by the link in the Failing associations table. */
const ASSOCIATION_VARIABLE = "association_id";
const FAILED_TARGETS_TABLE = "Failed targets (latest execution)";
const FAILED_TARGETS_LEFT_OUT = "Failed targets not listed";
const FAILED_TARGET_INFO = "aws_ssm_association_failed_target_info";
const FAILED_TARGETS_LEFT_OUT_METRIC = "aws_ssm_association_failed_targets_left_out";
/** Prometheus's own scrape health series, selected by job as the SsmExporterAbsent alert does. */
const SCRAPE_UP = { metric: "up", matchers: [{ label: "job", op: "=~", value: ".*ssm-association-exporter.*" }] };
const PREVIOUS_SLOT = "aws_ssm_association_previous_scheduled_execution_timestamp_seconds";
const LAST_EXECUTION = "aws_ssm_association_last_execution_timestamp_seconds";
/** SsmAssociationOverdue's grace: its recording rule in files/alerts.yaml, 1h (its default) where the rules are not loaded. */
const GRACE_RULE = "aws_ssm:association_overdue_grace_seconds";
const GRACE = `(max(${GRACE_RULE}) or vector(3600))`;
const ALERTS_URL = new URL("../helm/ssm-association-exporter/files/alerts.yaml", import.meta.url);
const alertRules = (parse(readFileSync(ALERTS_URL, "utf8")) as { groups: { rules: { alert?: string; record?: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules);
const withoutSpace = (expr: string): string => expr.replace(/\s+/g, "");
const withoutMatchersAndSpace = (expr: string): string => withoutSpace(expr.replace(/\{[^}]*\}/g, ""));
/** SsmAssociationOverdue's expression in files/alerts.yaml, without whitespace. */
const OVERDUE_ALERT = withoutSpace(alertRules.find((r) => r.alert === "SsmAssociationOverdue")?.expr ?? "");
/** The range of its min_over_time() of the previous slot: the default grace plus 5 minutes. */
const OVERDUE_RANGE = /\[([^\]]+)\]/.exec(OVERDUE_ALERT)?.[1] ?? "";
/**
 * SsmAssociationOverdue's expression as the dashboard embeds it, without label matchers and whitespace: the
 * alert's own, with the grace's fallback for a Prometheus without the rules. Its value is the time since the
 * last execution, as the alert's.
 */
const OVERDUE = OVERDUE_ALERT.split(GRACE_RULE).join(withoutSpace(GRACE));
/** The dashboard's filters, as every series selector of the overdue expression carries them, without whitespace. */
const FILTERS = withoutSpace(`{${FILTER_VARIABLES.map((v) => `${v}=~"$${v}"`).join(", ")}}`);
/** A dashboard expression turned back into the alert's form: filters dropped, the grace's fallback back to the bare rule. */
const asInTheAlert = (expr: string): string => withoutSpace(expr).split(FILTERS).join("").split(withoutSpace(GRACE)).join(GRACE_RULE);
const ASSOCIATION_KEY = "maxby(account_id,region,association_id,association_name,document_name)";

/** Panel target expressions as Grafana would send them, except that the filter variables stay `$name` inside their strings. */
const withIntervals = (expr: string): string => substituteVariables(expr, builtinIntervals("5m"));

interface FieldDefaults {
  unit?: string;
  noValue?: string;
  color?: { mode?: string; fixedColor?: string };
  thresholds?: { steps: { color: string; value: number | null }[] };
  mappings?: { type: string; options: Record<string, unknown> }[];
}
interface Override {
  matcher: { id: string; options: string };
  properties: { id: string; value: unknown }[];
}
const defaultsOf = (panel: GrafanaPanel): FieldDefaults => (panel.fieldConfig as { defaults: FieldDefaults }).defaults;
const overridesOf = (panel: GrafanaPanel): Override[] => (panel.fieldConfig as { overrides: Override[] }).overrides;
const gridOf = (panel: GrafanaPanel): { x: number; y: number } => panel.gridPos as { x: number; y: number };

/**
 * What Grafana shows when a panel's queries return nothing (createNoValuesFieldDisplay → displayProcessor(null)):
 * the text and colour of a special null mapping if there is one; otherwise `noValue` (or "No data") in the
 * fixed colour, or in the base threshold's colour, which is how a stat whose 0 is green turned green on
 * absence.
 */
function noDataPresentation(defaults: FieldDefaults): { text: string; color: string | undefined } {
  const special = (defaults.mappings ?? []).find((m) => m.type === "special" && ["null", "null+nan"].includes(String(m.options.match)));
  const result = special?.options.result as { text?: string; color?: string } | undefined;
  const mode = defaults.color?.mode ?? "thresholds";
  const fallback = mode === "fixed" ? defaults.color?.fixedColor : mode === "thresholds" ? defaults.thresholds?.steps[0]?.color : mode;
  return { text: result?.text ?? defaults.noValue ?? "No data", color: result?.color ?? fallback };
}

/** Each target's expression as sent to Prometheus with every filter on All, keyed by panel title and refId. */
function queryOf(title: string, refId = "A"): string {
  const target = panelTitled(new RegExp(`^${title.replace(/[()]/g, "\\$&")}$`)).targets?.find((t) => t.refId === refId);
  expect(target?.expr, `${title} ${refId}`).toBeTypeOf("string");
  return substituteVariables(String(target?.expr), { ...ALL_FILTERS, [ASSOCIATION_VARIABLE]: ".*", ...builtinIntervals("1m") });
}

function panelTitled(pattern: RegExp): GrafanaPanel {
  const found = visualPanels.filter((p) => pattern.test(p.title));
  expect(found.map((p) => p.title), `exactly one panel titled ${pattern}`).toHaveLength(1);
  return found[0] as GrafanaPanel;
}

describe("dashboard.json", () => {
  let contract: ReadonlySet<string>;
  beforeAll(async () => {
    contract = await contractMetricNames();
  });

  it("is an importable dashboard model with a fixed uid and no id or __inputs", () => {
    expect(dashboard).not.toHaveProperty("id");
    expect(dashboard).not.toHaveProperty("__inputs");
    expect(dashboard).toMatchObject({ uid: "ssm-association-exporter", title: "AWS SSM State Manager associations" });
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.tags).toEqual(expect.arrayContaining(["aws", "ssm"]));
    const ids = panels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) expect(panel.gridPos, panel.title).toMatchObject({ x: expect.any(Number), y: expect.any(Number), w: expect.any(Number), h: expect.any(Number) });
  });

  it("has a Prometheus datasource variable and chained, multi-value account, region and document variables", () => {
    const variables = dashboard.templating.list;
    expect(variables.map((v) => v.name)).toEqual(["datasource", ...FILTER_VARIABLES, ASSOCIATION_VARIABLE]);
    expect(variables[0]).toMatchObject({ type: "datasource", query: "prometheus" });
    for (const name of FILTER_VARIABLES) {
      const variable = variables.find((v) => v.name === name);
      expect(variable, name).toMatchObject({ type: "query", multi: true, includeAll: true, allValue: ".*", datasource: DATASOURCE });
    }
    const selectors = Object.fromEntries(variableSelectors(dashboard).map((v) => [v.name, v]));
    for (const [i, name] of FILTER_VARIABLES.entries()) {
      const { query, selector } = selectors[name] ?? { query: "", selector: undefined };
      expect(query, name).toMatch(new RegExp(`^label_values\\(.*, ${name}\\)$`));
      expect(selector, name).toBeDefined();
      const { errors, selectors: parsed } = analyzePromql(selector ?? "");
      expect(errors, selector).toEqual([]);
      expect(parsed.map((s) => s.metric)).toEqual(["aws_ssm_association_info"]);
      // Each variable is filtered by the ones before it.
      const upstream = FILTER_VARIABLES.slice(0, i);
      expect(parsed[0]?.matchers, name).toEqual(upstream.map((label) => ({ label, op: "=~", value: `$${label}` })));
    }
  });

  it("uses the ${datasource} variable in every panel and every target", () => {
    for (const panel of visualPanels) {
      expect(panel.datasource, panel.title).toEqual(DATASOURCE);
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(target.datasource, `${panel.title} ${target.refId}`).toEqual(DATASOURCE);
    }
  });

  it("has a panel for every topic, with a fitting visualization", () => {
    const topics: [RegExp, string[]][] = [
      [/^Associations by status$/, ["stat", "bargauge", "piechart"]],
      [/^Failing associations$/, ["table"]],
      [/^Targets by status$/, ["timeseries"]],
      [/last execution/i, ["bargauge", "table"]],
      [/^Poll status/, ["state-timeline", "stat", "status-history"]],
      [/^Poll duration$/, ["timeseries"]],
      [/^AWS API requests by outcome$/, ["timeseries"]],
      [/^Data age$/, ["stat"]],
      [/^Data age per account and region$/, ["timeseries"]],
      [/^Exporter up$/, ["stat"]],
      [/^Overdue$/, ["stat"]],
      [/^Overdue associations$/, ["table"]],
      [/^Failed targets \(latest execution\)$/, ["table"]],
      [/^Failed targets not listed$/, ["stat"]],
    ];
    for (const [title, types] of topics) expect(types, String(title)).toContain(panelTitled(title).type);
    for (const panel of visualPanels) expect(String(panel.description ?? ""), `${panel.title} has a description`).not.toBe("");
  });

  it("has only valid PromQL, naming only metrics of the contract, Prometheus's up and the overdue grace rule of alerts.yaml", () => {
    expect(queries.length).toBeGreaterThan(10);
    const graceRule = alertRules.find((r) => r.record === GRACE_RULE);
    expect(graceRule?.expr, `${GRACE_RULE} in alerts.yaml, with the dashboard's fallback as its default`).toBe("vector(3600)");
    const problems: string[] = [];
    for (const { title, expr } of queries) {
      const { errors, selectors } = analyzePromql(withIntervals(expr));
      for (const error of errors) problems.push(`${title}: parse error ${error} in ${expr}`);
      if (selectors.length === 0) problems.push(`${title}: no metric in ${expr}`);
      for (const { metric, text } of selectors) {
        if (metric === undefined || !(contract.has(metric) || metric === SCRAPE_UP.metric || metric === GRACE_RULE)) problems.push(`${title}: ${text} is not a metric of the contract`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("filters every selector by account and region, and association metrics also by document; up by the exporter's job", () => {
    const problems: string[] = [];
    for (const { title, expr } of queries) {
      for (const { metric, matchers, text } of analyzePromql(withIntervals(expr)).selectors) {
        if (metric === SCRAPE_UP.metric) {
          // up has no account or region; it is the exporter's scrape, found by job name like SsmExporterAbsent.
          if (JSON.stringify(matchers) !== JSON.stringify(SCRAPE_UP.matchers)) problems.push(`${title}: ${text} is not up{job=~".*ssm-association-exporter.*"}`);
          continue;
        }
        if (metric === GRACE_RULE) continue; // one global value
        const wanted = ASSOCIATION_METRIC_NAMES.has(metric ?? "") ? FILTER_VARIABLES : ["account_id", "region"];
        for (const label of wanted) {
          if (!matchers.some((m) => m.label === label && m.op === "=~" && m.value === `$${label}`)) problems.push(`${title}: ${text} lacks ${label}=~"$${label}"`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("uses $__rate_interval as the range of every range selector, but SsmAssociationOverdue's own range for its min_over_time()", () => {
    expect(OVERDUE_RANGE, "SsmAssociationOverdue's range: its default grace of 1h plus 5 minutes").toBe("1h5m");
    // The overdue lookback is a fixed 1h5m in the alert too (the chart rewrites both for another grace).
    const overdueRange = `min_over_time(${PREVIOUS_SLOT}${FILTERS}[${OVERDUE_RANGE}])`;
    const ranges = queries.flatMap(({ title, expr }) => [...withoutSpace(expr).split(overdueRange).join("").matchAll(/\[([^\]]*)\]/g)].map((m) => `${title}: ${m[1]}`));
    expect(ranges.length).toBeGreaterThan(0);
    expect(ranges.filter((r) => !r.endsWith(": $__rate_interval"))).toEqual([]);
    const rated = queries.filter(({ expr }) => /\b(rate|increase|irate)\(/.test(expr));
    expect(rated.map((q) => q.title)).toContain("AWS API requests by outcome");
  });

  it("builds the failing-associations table from instant table queries merged into one row per association", () => {
    const table = panelTitled(/^Failing associations$/);
    expect(table.targets?.length).toBeGreaterThanOrEqual(2);
    for (const target of table.targets ?? []) expect(target, target.refId).toMatchObject({ instant: true, format: "table" });
    const transformations = (table.transformations ?? []) as { id: string; options: Record<string, Record<string, unknown>> }[];
    expect(transformations.map((t) => t.id)).toEqual(["merge", "organize"]);
    const renamed = Object.values(transformations[1]?.options.renameByName ?? {});
    expect(renamed).toEqual(expect.arrayContaining(["Association", "Association ID", "Document", "Account", "Region", "Failed targets", "Last execution"]));
    const overrides = (table.fieldConfig as { overrides: { matcher: { options: string }; properties: { id: string; value: unknown }[] }[] }).overrides;
    const lastExecution = overrides.find((o) => o.matcher.options === "Last execution");
    expect(lastExecution?.properties).toContainEqual({ id: "unit", value: expect.stringMatching(/^dateTime/) });
    // Grafana's time units take milliseconds.
    expect(table.targets?.some((t) => String(t.expr).includes("aws_ssm_association_last_execution_timestamp_seconds") && String(t.expr).includes("* 1000"))).toBe(true);
  });

  it("shows ages and durations in seconds", () => {
    for (const title of [/last execution/i, /^Data age$/, /^Data age per account and region$/, /^Poll duration$/]) {
      const panel = panelTitled(title);
      expect(defaultsOf(panel).unit, panel.title).toBe("s");
    }
    const sinceLastRun = overridesOf(panelTitled(/^Overdue associations$/)).find((o) => o.matcher.options === "Since last run");
    expect(sinceLastRun?.properties).toContainEqual({ id: "unit", value: "s" });
  });

  it("never makes up data: no vector() fallback, and no stat panel shows green when its query returns nothing", () => {
    // `or vector(0)` turned a blind dashboard (exporter down) into a green 0. A 0 is shown only when exporter
    // data is there (see "evaluated by Prometheus" below). The one vector() left is the grace's default, a
    // threshold that yields no series by itself.
    const madeUp = queries.filter(({ expr }) => /\bvector\s*\(/.test(expr.split(GRACE).join("")));
    expect(madeUp.map((q) => `${q.title}: ${q.expr}`)).toEqual([]);
    expect(queries.some(({ expr }) => /\bor\s+vector\s*\(\s*0\s*\)/.test(expr))).toBe(false);
    const stats = visualPanels.filter((p) => p.type === "stat");
    expect(stats.length).toBeGreaterThanOrEqual(7);
    for (const panel of stats) {
      // Failed targets not listed is empty whenever no association has failed targets or --ssm.failed-targets is
      // off, which is no fault: a plain No data, neither red nor a green 0 (Exporter up and Data age show blindness).
      const color = panel.title === FAILED_TARGETS_LEFT_OUT ? "text" : "red";
      expect(noDataPresentation(defaultsOf(panel)), panel.title).toEqual({ text: "No data", color });
      expect(defaultsOf(panel).noValue, panel.title).toBe("No data");
    }
  });

  it("puts the exporter's scrape health and data age first, red when down, stale or absent", () => {
    const [first, second] = [...visualPanels].sort((a, b) => gridOf(a).y - gridOf(b).y || gridOf(a).x - gridOf(b).x);
    expect([first?.title, second?.title]).toEqual(["Exporter up", "Data age"]);
    expect(gridOf(panelTitled(/^Exporter up$/)).y).toBeLessThanOrEqual(1);

    const up = panelTitled(/^Exporter up$/);
    expect(up.options).toMatchObject({ colorMode: "background" });
    expect(up.targets?.map((t) => analyzePromql(String(t.expr)).selectors.map(({ metric, matchers }) => ({ metric, matchers })))).toEqual([[SCRAPE_UP]]);
    expect(defaultsOf(up).mappings).toContainEqual({ type: "value", options: expect.objectContaining({ 0: expect.objectContaining({ color: "red" }), 1: expect.objectContaining({ color: "green" }) }) });

    const age = panelTitled(/^Data age$/);
    expect(age.options).toMatchObject({ colorMode: "background" });
    expect(age.targets?.[0]?.expr).toContain("time() - aws_ssm_exporter_last_success_timestamp_seconds");
    // Green while fresh, red from the SsmExporterDataStale alert's 15 minutes.
    expect(defaultsOf(age).thresholds?.steps).toEqual([
      { color: "red", value: null },
      { color: "green", value: 0 },
      { color: "red", value: 900 },
    ]);
  });

  it("lists overdue associations with schedule, missed slot, last run and time since, by SsmAssociationOverdue's expression", () => {
    const table = panelTitled(/^Overdue associations$/);
    expect(table.targets?.length).toBe(4);
    for (const target of table.targets ?? []) expect(target, target.refId).toMatchObject({ instant: true, format: "table" });
    const transformations = (table.transformations ?? []) as { id: string; options: Record<string, Record<string, unknown>> }[];
    expect(transformations.map((t) => t.id)).toEqual(["merge", "organize"]);
    const renamed = transformations[1]?.options.renameByName ?? {};
    expect(renamed).toMatchObject({ schedule_expression: "Schedule", "Value #A": "Since last run", "Value #B": "Missed slot", "Value #C": "Last run" });
    expect(Object.values(renamed)).toEqual(expect.arrayContaining(["Association", "Association ID", "Document", "Account", "Region"]));
    expect(table.options).toMatchObject({ sortBy: [{ displayName: "Since last run", desc: true }] });
    const byRef = Object.fromEntries((table.targets ?? []).map((t) => [t.refId, withoutMatchersAndSpace(String(t.expr))]));
    const ifOverdue = `andon(account_id,region,association_id)(${OVERDUE})`;
    // A: the alert's expression itself, whose value is the time since the last execution.
    expect(byRef.A).toBe(`${ASSOCIATION_KEY}(${OVERDUE})`);
    // B: the slot the alert found missed, the latest scheduled time at least a grace ago.
    expect(byRef.B).toBe(`${ASSOCIATION_KEY}(min_over_time(${PREVIOUS_SLOT}[${OVERDUE_RANGE}]))*1000${ifOverdue}`);
    expect(byRef.C).toBe(`${ASSOCIATION_KEY}(${LAST_EXECUTION})*1000${ifOverdue}`);
    expect(byRef.D).toBe(`maxby(account_id,region,association_id,association_name,document_name,schedule_expression)(aws_ssm_association_info)${ifOverdue}`);
    const overrides = overridesOf(table);
    for (const column of ["Missed slot", "Last run"]) {
      expect(overrides.find((o) => o.matcher.options === column)?.properties, column).toContainEqual({ id: "unit", value: expect.stringMatching(/^dateTime/) });
    }
    expect(withoutMatchersAndSpace(String(panelTitled(/^Overdue$/).targets?.[0]?.expr))).toBe(
      `count(countby(account_id,region,association_id)(${OVERDUE}))or0*count(${PREVIOUS_SLOT})`,
    );
  });

  it("decides overdue with SsmAssociationOverdue's expression from alerts.yaml, only filtered and with the grace's fallback, so the two cannot drift", () => {
    // The alert's form: min_over_time() of the previous slot against now minus the grace, then the last run.
    expect(OVERDUE_ALERT).toBe(
      `time()-${LAST_EXECUTION}and(min_over_time(${PREVIOUS_SLOT}[${OVERDUE_RANGE}])<on()group_left()(time()-${GRACE_RULE}))>${LAST_EXECUTION}`,
    );
    // The Overdue associations table's first query is the alert's expression, aggregated per association.
    const table = panelTitled(/^Overdue associations$/);
    const embedded = asInTheAlert(String(table.targets?.find((t) => t.refId === "A")?.expr));
    expect(embedded.startsWith(`${ASSOCIATION_KEY}(`) && embedded.endsWith(")"), embedded).toBe(true);
    expect(embedded.slice(ASSOCIATION_KEY.length + 1, -1)).toBe(OVERDUE_ALERT);
    // Every query that uses the grace embeds the whole expression, parenthesised, and no other overdue test.
    const uses = rawPanelQueries(dashboard).filter(({ expr }) => expr.includes(GRACE_RULE));
    expect(uses.map((q) => q.title)).toEqual([
      "Overdue",
      ...Array<string>(4).fill("Overdue associations"),
      ...Array<string>(2).fill("Time since last execution (scheduled associations)"),
    ]);
    for (const { title, expr } of uses) {
      const alertForm = asInTheAlert(expr);
      expect(alertForm, `${title}: only the filters and the grace's fallback differ from the alert`).toContain(`(${OVERDUE_ALERT})`);
      expect(alertForm.split(OVERDUE_ALERT).length, `${title}: once`).toBe(2);
      expect(withoutSpace(expr).split(GRACE_RULE).length, `${title}: the grace only with its fallback`).toBe(withoutSpace(expr).split(withoutSpace(GRACE)).length);
    }
  });

  it("shows time since last execution for scheduled associations only, coloured by their schedule, not a fixed age", () => {
    const panel = panelTitled(/last execution/i);
    expect(JSON.stringify(panel)).not.toMatch(/691200|\b8 days/);
    expect(defaultsOf(panel).thresholds?.steps.map((s) => s.value)).toEqual([null]);
    const colours = Object.fromEntries(
      overridesOf(panel)
        .filter((o) => o.matcher.id === "byFrameRefID")
        .map((o) => [o.matcher.options, (o.properties.find((p) => p.id === "color")?.value as { fixedColor?: string } | undefined)?.fixedColor]),
    );
    expect(colours).toEqual({ A: "red", B: "green" });
    const [overdue, onSchedule] = (panel.targets ?? []).map((t) => withoutMatchersAndSpace(String(t.expr)));
    // The alert's expression is the time since the last execution of the overdue ones.
    expect(overdue).toBe(`sort_desc(topk(20,${ASSOCIATION_KEY}(${OVERDUE})))`);
    // Joined on the previous slot, which only scheduled associations have.
    const age = `${ASSOCIATION_KEY}(time()-${LAST_EXECUTION})`;
    expect(onSchedule).toBe(`sort_desc(topk(20,${age}andon(account_id,region,association_id)${PREVIOUS_SLOT}unlesson(account_id,region,association_id)(${OVERDUE})))`);
  });

  it("has an association_id variable over every selected association, All by default, used by the failed-targets panels alone", () => {
    const variable = dashboard.templating.list.find((v) => v.name === ASSOCIATION_VARIABLE);
    expect(variable).toMatchObject({ type: "query", multi: true, includeAll: true, allValue: ".*", datasource: DATASOURCE, current: { value: ["$__all"] } });
    const { query, selector } = variableSelectors(dashboard).find((v) => v.name === ASSOCIATION_VARIABLE) ?? { query: "", selector: undefined };
    expect(query).toMatch(/, association_id\)$/);
    // Every association, not only those with failed targets listed, so that the link's value is always an option.
    const parsed = analyzePromql(selector ?? "").selectors;
    expect(parsed.map((p) => p.metric)).toEqual(["aws_ssm_association_info"]);
    expect(parsed[0]?.matchers).toEqual(FILTER_VARIABLES.map((label) => ({ label, op: "=~", value: `$${label}` })));
    const users = [...new Set(queries.filter(({ expr }) => expr.includes(`$${ASSOCIATION_VARIABLE}`)).map((q) => q.title))];
    expect(users.sort()).toEqual([FAILED_TARGETS_TABLE, FAILED_TARGETS_LEFT_OUT].sort());
  });

  it("lists each failed target of the latest execution, filtered like the rest and by association_id, with No data rather than a 0", () => {
    const table = panelTitled(/^Failed targets \(latest execution\)$/);
    expect(table.targets).toHaveLength(1);
    const target = table.targets?.[0];
    expect(target).toMatchObject({ instant: true, format: "table" });
    const expr = String(target?.expr);
    const { selectors, aggregations } = analyzePromql(expr);
    expect(selectors.map((x) => x.metric)).toEqual([FAILED_TARGET_INFO]);
    expect(selectors[0]?.matchers).toEqual([...FILTER_VARIABLES, ASSOCIATION_VARIABLE].map((label) => ({ label, op: "=~", value: `$${label}` })));
    expect(aggregations).toEqual(["max"]);
    // One row per failed target: every label of the series kept (scrape labels dropped).
    const by = /^max by \(([^)]*)\)/.exec(expr)?.[1]?.split(/,\s*/) ?? [];
    expect(by.sort()).toEqual(["account_id", "region", "association_id", "association_name", "document_name", "execution_id", "resource_id", "resource_type", "detailed_status"].sort());
    expect(expr).not.toMatch(/\bor\b/);
    const transformations = (table.transformations ?? []) as { id: string; options: Record<string, Record<string, unknown>> }[];
    expect(transformations.map((t) => t.id)).toEqual(["organize"]);
    expect(transformations[0]?.options.excludeByName).toEqual({ Time: true, Value: true });
    expect(transformations[0]?.options.renameByName).toMatchObject({
      association_name: "Association",
      association_id: "Association ID",
      resource_id: "Resource",
      resource_type: "Resource type",
      detailed_status: "Detailed status",
      execution_id: "Execution ID",
    });
    expect(defaultsOf(table).noValue).toBe("No data");
    expect(String(table.description)).toContain("--ssm.failed-targets");
    expect(String(table.description)).toContain("config.failedTargets.enabled");
    // Right below the Failing associations table, whose link fills it.
    const failing = panelTitled(/^Failing associations$/);
    const failingGrid = failing.gridPos as { y: number; h: number };
    expect(gridOf(table)).toMatchObject({ x: 0, y: failingGrid.y + failingGrid.h });

    const leftOut = panelTitled(/^Failed targets not listed$/);
    const leftOutExpr = String(leftOut.targets?.[0]?.expr);
    expect(leftOut.targets).toHaveLength(1);
    expect(leftOutExpr).toBe(`sum(${FAILED_TARGETS_LEFT_OUT_METRIC}${String(/\{[^}]*\}/.exec(expr)?.[0])})`);
    expect(gridOf(leftOut).y).toBe(gridOf(table).y);
    expect(String(leftOut.description)).toContain("--ssm.failed-targets");
  });

  it("links each association of the Failing associations table to its failed targets, keeping the other filters and the time range", () => {
    const failing = panelTitled(/^Failing associations$/);
    const organize = ((failing.transformations ?? []) as { id: string; options: Record<string, Record<string, unknown>> }[]).find((t) => t.id === "organize");
    // The link reads the field by its name; the table shows it as Association ID.
    expect(organize?.options.renameByName).toMatchObject({ association_id: "Association ID", association_name: "Association" });
    for (const column of ["Association ID", "Association"]) {
      const links = overridesOf(failing).find((o) => o.matcher.id === "byName" && o.matcher.options === column)?.properties.find((p) => p.id === "links")?.value as
        | { title: string; url: string; targetBlank?: boolean }[]
        | undefined;
      expect(links, column).toHaveLength(1);
      const link = links?.[0] ?? { title: "", url: "" };
      expect(link.targetBlank, column).toBe(false);
      const [path, query = ""] = link.url.split("?");
      expect(path, column).toBe("/d/${__dashboard.uid}");
      const parts = query.split("&").sort();
      expect(parts, column).toEqual(
        ["${datasource:queryparam}", ...FILTER_VARIABLES.map((v) => `\${${v}:queryparam}`), "var-association_id=${__data.fields.association_id}", "${__url_time_range}"].sort(),
      );
    }
    expect(String(failing.description)).toMatch(/failed targets/i);
  });

  it("gives the end-to-end test every panel query with all variables substituted", () => {
    // The end-to-end test sends these to Prometheus: each dashboard variable needs its All value in ALL_FILTERS.
    expect(Object.keys(ALL_FILTERS), "ALL_FILTERS of test/promql-names.ts sets every filter variable, association_id too, to .*").toEqual(
      expect.arrayContaining([...FILTER_VARIABLES, ASSOCIATION_VARIABLE]),
    );
    const forPrometheus: PanelQuery[] = dashboardQueries();
    expect(forPrometheus.map((q) => q.title)).toEqual(queries.map((q) => q.title));
    for (const { title, expr } of forPrometheus) {
      expect(expr, title).not.toContain("$");
      expect(analyzePromql(expr).errors, `${title}: ${expr}`).toEqual([]);
    }
    expect(forPrometheus.find((q) => q.title === "AWS API requests by outcome")?.expr).toContain('account_id=~".*"');
    expect(forPrometheus.find((q) => q.title === "AWS API requests by outcome")?.expr).toContain("[1m]");
  });
});

describe("analyzePromql", () => {
  it("finds metric names in selectors, ranges, functions, binary operations and __name__ matchers", () => {
    const { errors, selectors } = analyzePromql('sum by (x) (rate(a_total{k=~"$v"}[5m])) / on() group_left() b:rec and {__name__="c"} offset 5m');
    expect(errors).toEqual([]);
    expect(selectors.map((s) => s.metric)).toEqual(["a_total", "b:rec", "c"]);
    expect(selectors[0]?.matchers).toEqual([{ label: "k", op: "=~", value: "$v" }]);
  });

  it("reports parse errors", () => {
    expect(analyzePromql("rate(foo[5m]").errors).not.toEqual([]);
    expect(analyzePromql('foo{a="b"').errors).not.toEqual([]);
    expect(analyzePromql("label_values(foo, bar)").errors).not.toEqual([]);
    expect(analyzePromql("foo[$__rate_interval]").errors).not.toEqual([]);
  });
});

// The dashboard's queries evaluated by Prometheus's own engine (promtool test rules, promql_expr_test), with
// every filter on All: what each panel shows with the exporter up, and that a blind dashboard shows nothing.
describe.skipIf(skipWithout("promtool"))("dashboard queries evaluated by Prometheus (promtool)", () => {
  const NOW = 36_000; // the evaluation time, 10h after the start of the test series
  const SCRAPE = { job: "ssm-association-exporter", instance: "10.0.0.7:9877" };
  const TARGET = { account_id: "123456789012", region: "eu-west-1" };
  interface Fixture {
    id: string;
    schedule: string;
    /**
     * Its scheduled times up to NOW, oldest first: the previous-slot series holds the latest one passed (the
     * first from the start of the series). One slot: a series constant over the whole test.
     */
    slots?: number[];
    last?: number;
  }
  /** The scheduled times every `period` seconds, `offset` past the hour, from the one at or before the start of the series up to NOW. */
  const every = (period: number, offset: number): number[] =>
    Array.from({ length: Math.floor((NOW - offset) / period) + 2 }, (_, i) => offset + (i - 1) * period);
  const HOURLY = every(3600, 600); // ..., 8h10m, 9h10m
  const HALF_HOURLY = every(1800, 900); // ..., 8h15m, 8h45m, 9h15m, 9h45m
  const FIXTURES: Fixture[] = [
    { id: "overdue", schedule: "cron(0 5 * * ? *)", slots: [NOW - 5 * 3600], last: NOW - 26_000 },
    { id: "ran-since-slot", schedule: "rate(1 day)", slots: [NOW - 5 * 3600], last: NOW - 4 * 3600 },
    { id: "ran-at-slot", schedule: "rate(12 hours)", slots: [NOW - 5 * 3600], last: NOW - 5 * 3600 },
    { id: "slot-within-grace", schedule: "cron(0 9 * * ? *)", slots: [NOW - 2000], last: NOW - 26_000 },
    { id: "unscheduled", schedule: "", last: NOW - 35_000 },
    // Schedules no longer than the grace: the previous slot is never a grace old, yet these missed runs.
    // Hourly, last ran at its 7h10m slot, missed 8h10m (over the grace ago) and 9h10m.
    { id: "hourly-missed", schedule: "rate(1 hour)", slots: HOURLY, last: 7 * 3600 + 600 },
    // Every 30 minutes, last ran at 8h15m, missed 8h45m (over the grace ago), 9h15m and 9h45m.
    { id: "half-hourly-missed", schedule: "cron(15/30 * * * ? *)", slots: HALF_HOURLY, last: 8 * 3600 + 900 },
    // Every 30 minutes, last ran at 8h45m: the slots it missed since (9h15m, 9h45m) are within the grace.
    { id: "half-hourly-within-grace", schedule: "cron(15/30 * * * ? *)", slots: HALF_HOURLY, last: 8 * 3600 + 2700 },
  ];
  const association = (f: Fixture): Record<string, string> => ({ ...TARGET, association_id: `id-${f.id}`, association_name: f.id, document_name: "AWS-RunPatchBaseline" });

  type Labels = Record<string, string>;
  const selector = (name: string, labels: Labels): string => `${name}{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")}}`;
  const series = (name: string, labels: Labels, value: number) => ({ series: selector(name, { ...labels, ...SCRAPE }), values: `${value}+0x700` });
  /** The previous-slot series, one sample a minute: the latest slot passed, in runs of equal values. */
  const slotSeries = (labels: Labels, slots: readonly number[]) => {
    const values = Array.from({ length: 701 }, (_, minute) => slots.filter((slot) => slot <= minute * 60).at(-1) ?? (slots[0] as number));
    const runs: string[] = [];
    for (let i = 0; i < values.length; ) {
      let j = i;
      while (values[j + 1] === values[i]) j += 1;
      runs.push(`${values[i]}+0x${j - i}`);
      i = j + 1;
    }
    return { series: selector(PREVIOUS_SLOT, { ...labels, ...SCRAPE }), values: runs.join(" ") };
  };
  const sample = (labels: Labels, value: number, name = "") => ({ labels: selector(name, labels), value });

  const seriesOf = (fixtures: readonly Fixture[]) => [
    { series: selector("up", SCRAPE), values: "1+0x700" },
    series("aws_ssm_exporter_up", TARGET, 1),
    series("aws_ssm_exporter_last_success_timestamp_seconds", TARGET, NOW - 10),
    ...fixtures.flatMap((f) => [
      series("aws_ssm_association_info", { ...association(f), document_version: "1", association_version: "1", schedule_expression: f.schedule }, 1),
      series("aws_ssm_association_status", { ...association(f), status: "Success" }, 1),
      series("aws_ssm_association_targets", { ...association(f), status: "Failed" }, 0),
      ...(f.slots === undefined ? [] : [slotSeries(association(f), f.slots)]),
      ...(f.last === undefined ? [] : [series(LAST_EXECUTION, association(f), f.last)]),
    ]),
  ];
  const exporterSeries = seriesOf(FIXTURES);
  const fixture = (id: string): Fixture => FIXTURES.find((f) => f.id === id) as Fixture;
  const lastOf = (id: string): number => fixture(id).last as number;
  const [overdue, ranSince, ranAt, withinGrace, hourly, halfHourly, halfHourlyWithinGrace] = [
    "overdue",
    "ran-since-slot",
    "ran-at-slot",
    "slot-within-grace",
    "hourly-missed",
    "half-hourly-missed",
    "half-hourly-within-grace",
  ].map((id) => association(fixture(id))) as [Labels, Labels, Labels, Labels, Labels, Labels, Labels];
  const statTitles = () => visualPanels.filter((p) => p.type === "stat").map((p) => p.title);

  function runPromtool(tests: unknown[]): { status: number | null; output: string } {
    const dir = mkdtempSync(join(tmpdir(), "dashboard-promtool-"));
    try {
      const file = join(dir, "dashboard-queries.yaml");
      writeFileSync(file, stringify({ rule_files: [], evaluation_interval: "1m", tests }, { lineWidth: 0 }));
      const result = spawnSync("promtool", ["test", "rules", file], { encoding: "utf8", timeout: 60_000 });
      if (result.error) throw new Error(`cannot run promtool: ${result.error.message}`);
      return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("with the exporter up: zeros where nothing is wrong, the overdue associations alone in the overdue panels, hourly and every 30 minutes included, unscheduled ones left out", () => {
    const expect_ = (title: string, refId: string, samples: { labels: string; value: number }[]) => ({ expr: queryOf(title, refId), eval_time: `${NOW}s`, exp_samples: samples });
    const tests = [
      {
        name: "exporter up",
        interval: "1m",
        input_series: exporterSeries,
        promql_expr_test: [
          expect_("Exporter up", "A", [sample(SCRAPE, 1, "up")]),
          expect_("Data age", "A", [sample({}, 10)]),
          expect_("Regions failing to poll", "A", [sample({}, 0)]),
          expect_("Associations", "A", [sample({}, FIXTURES.length)]),
          expect_("Associations by status", "A", [sample({ status: "Success" }, FIXTURES.length)]),
          expect_("Failed targets", "A", [sample({}, 0)]),
          // Without --ssm.failed-targets: nothing, not a 0.
          expect_(FAILED_TARGETS_LEFT_OUT, "A", []),
          expect_(FAILED_TARGETS_TABLE, "A", []),
          expect_("Overdue", "A", [sample({}, 3)]),
          // Since last run: the alert's value.
          expect_("Overdue associations", "A", [sample(overdue, 26_000), sample(hourly, NOW - lastOf("hourly-missed")), sample(halfHourly, NOW - lastOf("half-hourly-missed"))]),
          // Missed slot: the latest one over the grace ago (min_over_time over the last 1h5m).
          expect_("Overdue associations", "B", [sample(overdue, (NOW - 5 * 3600) * 1000), sample(hourly, (8 * 3600 + 600) * 1000), sample(halfHourly, (8 * 3600 + 2700) * 1000)]),
          expect_("Overdue associations", "C", [sample(overdue, (NOW - 26_000) * 1000), sample(hourly, lastOf("hourly-missed") * 1000), sample(halfHourly, lastOf("half-hourly-missed") * 1000)]),
          expect_("Overdue associations", "D", [
            sample({ ...overdue, schedule_expression: "cron(0 5 * * ? *)" }, 1),
            sample({ ...hourly, schedule_expression: "rate(1 hour)" }, 1),
            sample({ ...halfHourly, schedule_expression: "cron(15/30 * * * ? *)" }, 1),
          ]),
          expect_("Time since last execution (scheduled associations)", "A", [
            sample(overdue, 26_000),
            sample(hourly, NOW - lastOf("hourly-missed")),
            sample(halfHourly, NOW - lastOf("half-hourly-missed")),
          ]),
          expect_("Time since last execution (scheduled associations)", "B", [
            sample(withinGrace, 26_000),
            sample(ranAt, 5 * 3600),
            sample(ranSince, 4 * 3600),
            sample(halfHourlyWithinGrace, NOW - lastOf("half-hourly-within-grace")),
          ]),
          // The literal form the dashboard used before (previous slot + grace < now, and it ran before that
          // slot) misses both: their previous slot is never a grace old.
          {
            expr: `count(time() - ${PREVIOUS_SLOT} > 3600 and ${PREVIOUS_SLOT} > ${LAST_EXECUTION})`,
            eval_time: `${NOW}s`,
            exp_samples: [sample({}, 1)],
          },
        ],
      },
    ];
    const result = runPromtool(tests);
    expect(result.status, result.output).toBe(0);
    // Every stat panel was evaluated above.
    const tested = new Set(tests[0]?.promql_expr_test.map((t) => t.expr));
    expect(statTitles().filter((title) => !tested.has(queryOf(title)))).toEqual([]);
  });

  it("with --ssm.failed-targets: every failed target, or those of the association the link picked, and the count left out", () => {
    const [failing, other] = [association(fixture("overdue")), association(fixture("ran-since-slot"))];
    const target = (labels: Labels, resource: string, status: string) => ({ ...labels, execution_id: `exec-${labels.association_id}`, resource_id: resource, resource_type: "ManagedInstance", detailed_status: status });
    const targets = [target(failing, "i-0aaaaaaaaaaaaaaa1", "Failed"), target(failing, "i-0aaaaaaaaaaaaaaa2", "TimedOut"), target(other, "i-0bbbbbbbbbbbbbbb1", "Failed")];
    const picked = (id: string) => substituteVariables(String(panelTitled(/^Failed targets \(latest execution\)$/).targets?.[0]?.expr), { ...ALL_FILTERS, [ASSOCIATION_VARIABLE]: id });
    const leftOutOf = (id: string) => substituteVariables(String(panelTitled(/^Failed targets not listed$/).targets?.[0]?.expr), { ...ALL_FILTERS, [ASSOCIATION_VARIABLE]: id });
    const at = `${NOW}s`;
    const result = runPromtool([
      {
        name: "failed targets",
        interval: "1m",
        input_series: [
          ...exporterSeries,
          ...targets.map((t) => series(FAILED_TARGET_INFO, t, 1)),
          series(FAILED_TARGETS_LEFT_OUT_METRIC, failing, 3),
          series(FAILED_TARGETS_LEFT_OUT_METRIC, other, 0),
        ],
        promql_expr_test: [
          { expr: queryOf(FAILED_TARGETS_TABLE), eval_time: at, exp_samples: targets.map((t) => sample(t, 1)) },
          { expr: picked(failing.association_id ?? ""), eval_time: at, exp_samples: targets.slice(0, 2).map((t) => sample(t, 1)) },
          { expr: queryOf(FAILED_TARGETS_LEFT_OUT), eval_time: at, exp_samples: [sample({}, 3)] },
          { expr: leftOutOf(other.association_id ?? ""), eval_time: at, exp_samples: [sample({}, 0)] },
        ],
      },
    ]);
    expect(result.status, result.output).toBe(0);
  });

  it("follows the grace of the loaded SsmAssociationOverdue rules", () => {
    // Recorded grace of 1000s: the slot 2000s ago now counts as missed. The lookback stays the default
    // grace's 1h5m, as in the alert unless the chart rewrites it, so this uses slots that do not move.
    const grace = { series: selector(GRACE_RULE, {}), values: "1000+0x700" };
    const result = runPromtool([
      {
        name: "grace 1000s",
        interval: "1m",
        input_series: [...seriesOf(FIXTURES.filter((f) => (f.slots?.length ?? 1) === 1)), grace],
        promql_expr_test: [
          { expr: queryOf("Overdue"), eval_time: `${NOW}s`, exp_samples: [sample({}, 2)] },
          { expr: queryOf("Overdue associations"), eval_time: `${NOW}s`, exp_samples: [sample(overdue, 26_000), sample(withinGrace, 26_000)] },
        ],
      },
    ]);
    expect(result.status, result.output).toBe(0);
  });

  it("with the exporter down or not scraped: every stat is empty (a red No data), except Exporter up saying DOWN", () => {
    const blind = (name: string, up: { series: string; values: string }) => ({
      name,
      interval: "1m",
      input_series: [{ series: selector("up", { job: "node", instance: "10.0.0.8:9100" }), values: "1+0x700" }, up],
      promql_expr_test: statTitles().map((title) => ({
        expr: queryOf(title),
        eval_time: `${NOW}s`,
        exp_samples: title === "Exporter up" && up.values.startsWith("0") ? [sample(SCRAPE, 0, "up")] : [],
      })),
    });
    const result = runPromtool([
      // A failed scrape: up is 0 and the exporter's own series are stale.
      blind("exporter down", { series: selector("up", SCRAPE), values: "0+0x700" }),
      // Not scraped at all (not discovered, or a different job name): no up either.
      blind("exporter not scraped", { series: selector("up", { job: "other", instance: "10.0.0.9:80" }), values: "1+0x700" }),
    ]);
    expect(result.status, result.output).toBe(0);
  });
});
