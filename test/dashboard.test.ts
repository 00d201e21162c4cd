import { beforeAll, describe, expect, it } from "vitest";
import {
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

/** Panel target expressions as Grafana would send them, except that the filter variables stay `$name` inside their strings. */
const withIntervals = (expr: string): string => substituteVariables(expr, builtinIntervals("5m"));

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
    expect(variables.map((v) => v.name)).toEqual(["datasource", ...FILTER_VARIABLES]);
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
      [/^Data age$/, ["timeseries", "stat"]],
    ];
    for (const [title, types] of topics) expect(types, String(title)).toContain(panelTitled(title).type);
    for (const panel of visualPanels) expect(String(panel.description ?? ""), `${panel.title} has a description`).not.toBe("");
  });

  it("has only valid PromQL, naming only metrics of the contract", () => {
    expect(queries.length).toBeGreaterThan(10);
    const problems: string[] = [];
    for (const { title, expr } of queries) {
      const { errors, selectors } = analyzePromql(withIntervals(expr));
      for (const error of errors) problems.push(`${title}: parse error ${error} in ${expr}`);
      if (selectors.length === 0) problems.push(`${title}: no metric in ${expr}`);
      for (const { metric, text } of selectors) {
        if (metric === undefined || !contract.has(metric)) problems.push(`${title}: ${text} is not a metric of the contract`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("filters every selector by account and region, and association metrics also by document", () => {
    const problems: string[] = [];
    for (const { title, expr } of queries) {
      for (const { metric, matchers, text } of analyzePromql(withIntervals(expr)).selectors) {
        const wanted = ASSOCIATION_METRIC_NAMES.has(metric ?? "") ? FILTER_VARIABLES : ["account_id", "region"];
        for (const label of wanted) {
          if (!matchers.some((m) => m.label === label && m.op === "=~" && m.value === `$${label}`)) problems.push(`${title}: ${text} lacks ${label}=~"$${label}"`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("uses $__rate_interval as the range of every range selector", () => {
    const ranges = queries.flatMap(({ title, expr }) => [...expr.matchAll(/\[([^\]]*)\]/g)].map((m) => `${title}: ${m[1]}`));
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
    for (const title of [/last execution/i, /^Data age$/, /^Poll duration$/]) {
      const panel = panelTitled(title);
      expect((panel.fieldConfig as { defaults: { unit?: string } }).defaults.unit, panel.title).toBe("s");
    }
  });

  it("gives the end-to-end test every panel query with all variables substituted", () => {
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
