import { readFileSync } from "node:fs";
import { parser } from "@prometheus-io/lezer-promql";
import { SelfMetrics } from "../src/exposition/self-metrics.js";
import { ASSOCIATION_FAMILIES, TARGET_FAMILIES } from "../src/exposition/families.js";

/**
 * PromQL extraction and analysis for the shipped Grafana dashboard (and alert rules), with the real PromQL
 * grammar from the Prometheus project (@prometheus-io/lezer-promql). Used by test/dashboard.test.ts,
 * test/alerts.test.ts and the end-to-end test, which sends dashboardQueries() to a real Prometheus.
 */

export const DASHBOARD_URL = new URL("../helm/ssm-association-exporter/files/dashboard.json", import.meta.url);

export interface GrafanaTarget {
  refId?: string;
  expr?: string;
  datasource?: unknown;
  [key: string]: unknown;
}

export interface GrafanaPanel {
  id?: number;
  type: string;
  title: string;
  datasource?: unknown;
  targets?: GrafanaTarget[];
  /** Children of a collapsed row. */
  panels?: GrafanaPanel[];
  [key: string]: unknown;
}

export interface GrafanaVariable {
  type: string;
  name: string;
  query?: string | { query?: string };
  datasource?: unknown;
  [key: string]: unknown;
}

export interface GrafanaDashboard {
  panels: GrafanaPanel[];
  templating: { list: GrafanaVariable[] };
  [key: string]: unknown;
}

export interface PanelQuery {
  title: string;
  expr: string;
}

export function loadDashboard(): GrafanaDashboard {
  return JSON.parse(readFileSync(DASHBOARD_URL, "utf8")) as GrafanaDashboard;
}

/** Every panel, rows' children included (a collapsed row holds its panels in `panels`), depth first. */
export function allPanels(dashboard: GrafanaDashboard = loadDashboard()): GrafanaPanel[] {
  const out: GrafanaPanel[] = [];
  const visit = (panels: readonly GrafanaPanel[]): void => {
    for (const panel of panels) {
      out.push(panel);
      if (Array.isArray(panel.panels)) visit(panel.panels);
    }
  };
  visit(dashboard.panels);
  return out;
}

/** Every panel target's `expr` as written in the dashboard, with its panel's title. */
export function rawPanelQueries(dashboard: GrafanaDashboard = loadDashboard()): PanelQuery[] {
  return allPanels(dashboard).flatMap((panel) =>
    (panel.targets ?? []).filter((t) => typeof t.expr === "string").map((t) => ({ title: panel.title, expr: t.expr as string })),
  );
}

/** The query string of a query variable (Grafana stores either a string or `{ query }`). */
export function variableQuery(variable: GrafanaVariable): string | undefined {
  return typeof variable.query === "string" ? variable.query : variable.query?.query;
}

/**
 * The series selector inside each `label_values(selector, label)` variable query. A variable whose query
 * is `label_values(label)` (no selector) or not label_values at all yields `selector: undefined`.
 */
export function variableSelectors(dashboard: GrafanaDashboard = loadDashboard()): { name: string; query: string; selector: string | undefined }[] {
  return dashboard.templating.list
    .filter((v) => v.type === "query")
    .map((v) => {
      const query = variableQuery(v) ?? "";
      const match = /^\s*label_values\(\s*(.+)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$/s.exec(query);
      return { name: v.name, query, selector: match?.[1]?.trim() };
    });
}

/**
 * Replaces Grafana variables (`$name`, `${name}`, `${name:format}`) that have an entry in `values`;
 * others are left as they are.
 */
export function substituteVariables(expr: string, values: Readonly<Record<string, string>>): string {
  return expr.replace(/\$(?:\{(\w+)(?::\w+)?\}|(\w+))/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? "";
    return Object.hasOwn(values, name) ? (values[name] as string) : whole;
  });
}

/** Grafana's built-in interval variables, as a PromQL duration. */
export function builtinIntervals(duration: string): Record<string, string> {
  return { __rate_interval: duration, __interval: duration, __range: duration };
}

/** The dashboard's own filter variables, all set to "All" (`.*`, the variables' allValue). */
export const ALL_FILTERS: Readonly<Record<string, string>> = { account_id: ".*", region: ".*", document_name: ".*", association_id: ".*" };

/**
 * Every panel target's expression with its panel title, ready for Prometheus's HTTP API: the filter
 * variables become `.*` and `$__rate_interval` (and `$__interval`, `$__range`) become `1m`.
 */
export function dashboardQueries(): PanelQuery[] {
  const values = { ...ALL_FILTERS, ...builtinIntervals("1m") };
  return rawPanelQueries().map(({ title, expr }) => ({ title, expr: substituteVariables(expr, values) }));
}

export interface LabelMatcher {
  label: string;
  op: string;
  value: string;
}

export interface PromqlSelector {
  /** The metric name, from the identifier or an `__name__="..."` matcher; undefined when neither. */
  metric: string | undefined;
  matchers: LabelMatcher[];
  text: string;
}

export interface PromqlAnalysis {
  /** Parse errors, e.g. `⚠ at 12: "{"`; empty when the expression is valid PromQL. */
  errors: string[];
  selectors: PromqlSelector[];
  /** Aggregation operators used (`sum`, `max`, `topk`, ...), in order of appearance. */
  aggregations: string[];
}

type SyntaxNode = ReturnType<typeof parser.parse>["topNode"];

function unquote(literal: string): string {
  if (literal.startsWith('"')) return JSON.parse(literal) as string;
  return literal.slice(1, -1);
}

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) out.push(child);
  return out;
}

/** Parses `expr` with the PromQL grammar and lists every vector selector with its metric name and matchers. */
export function analyzePromql(expr: string): PromqlAnalysis {
  const tree = parser.parse(expr);
  const text = (node: SyntaxNode): string => expr.slice(node.from, node.to);
  const errors: string[] = [];
  const selectors: PromqlSelector[] = [];
  const aggregations: string[] = [];
  tree.iterate({
    enter: (ref) => {
      if (ref.type.isError) errors.push(`⚠ at ${ref.from}: ${JSON.stringify(expr.slice(ref.from, Math.max(ref.to, ref.from + 20)))}`);
      if (ref.name === "AggregateOp") aggregations.push(text(ref.node));
      if (ref.name !== "VectorSelector") return;
      const node = ref.node;
      let metric = node.getChild("Identifier") ? text(node.getChild("Identifier") as SyntaxNode) : undefined;
      const matchers: LabelMatcher[] = [];
      for (const group of node.getChildren("LabelMatchers")) {
        for (const matcher of children(group)) {
          if (matcher.name === "StringLiteral") {
            // {"metric.name"}: the UTF-8 form of a metric name.
            metric = unquote(text(matcher));
            continue;
          }
          if (matcher.name !== "UnquotedLabelMatcher" && matcher.name !== "QuotedLabelMatcher") continue;
          const name = matcher.getChild("LabelName") ?? matcher.getChild("QuotedLabelName");
          const op = matcher.getChild("MatchOp");
          const value = matcher.getChild("StringLiteral");
          if (!name || !op || !value) continue; // an error node was reported above
          const label = name.name === "QuotedLabelName" ? unquote(text(name)) : text(name);
          matchers.push({ label, op: text(op), value: unquote(text(value)) });
        }
      }
      metric ??= matchers.find((m) => m.label === "__name__" && m.op === "=")?.value;
      selectors.push({ metric, matchers, text: text(node) });
    },
  });
  return { errors, selectors, aggregations };
}

/** The association metric names of the metric contract (src/exposition/families.ts). */
export const ASSOCIATION_METRIC_NAMES: ReadonlySet<string> = new Set(ASSOCIATION_FAMILIES.map((f) => f.name));

/**
 * Every metric name the exporter serves by contract: the association families plus the exporter's own
 * metrics (TARGET_FAMILIES and those registered in SelfMetrics) (counters already carry `_total`), without prom-client's
 * process_* and nodejs_* defaults.
 */
export async function contractMetricNames(): Promise<ReadonlySet<string>> {
  const own = new SelfMetrics({ name: "x", version: "1", revision: "r", nodejsVersion: "v20" }, { defaultMetrics: false });
  const exporterNames = (await own.registry.getMetricsAsJSON()).map((m) => m.name);
  return new Set([...ASSOCIATION_METRIC_NAMES, ...TARGET_FAMILIES.map((f) => f.name), ...exporterNames]);
}
