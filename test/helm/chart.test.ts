/**
 * Static checks of the Helm chart. There is no helm binary on the machines that run these tests, so
 * instead of rendering the chart they check what can be checked from its files: values against the
 * schema, `.Values` references against values.yaml (both ways), the exporter's flags against the
 * Deployment, the hardened defaults, and the template syntax that is cheap to check (balanced actions).
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../../src/config.js";
import { parseDuration } from "../../src/duration.js";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const chartDir = join(repo, "helm", "ssm-association-exporter");
const templatesDir = join(chartDir, "templates");

type Values = { [key: string]: unknown };

const read = (...path: string[]): string => readFileSync(join(chartDir, ...path), "utf8");
const isRecord = (v: unknown): v is Values => typeof v === "object" && v !== null && !Array.isArray(v);

function readYaml(...path: string[]): Values {
  const value: unknown = parseYaml(read(...path));
  if (value === null || value === undefined) return {};
  if (!isRecord(value)) throw new Error(`${path.join("/")} is not a YAML mapping`);
  return value;
}

/** Helm's merge of a values file over the chart's values: maps merge key by key, anything else replaces, null deletes. */
function mergeValues(base: Values, override: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    if (value === null) delete out[key];
    else if (isRecord(current) && isRecord(value)) out[key] = mergeValues(current, value);
    else out[key] = value;
  }
  return out;
}

const get = (values: Values, path: string): unknown =>
  path.split(".").reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), values);

const values = readYaml("values.yaml");
const schema: unknown = JSON.parse(read("values.schema.json"));
const ciFiles = readdirSync(join(chartDir, "ci")).filter((f) => f.endsWith(".yaml")).sort();

const templateFiles = readdirSync(templatesDir)
  .filter((f) => /\.(ya?ml|tpl|txt)$/.test(f))
  .sort();
const templates = new Map(templateFiles.map((f) => [f, readFileSync(join(templatesDir, f), "utf8")]));
const deployment = templates.get("deployment.yaml") ?? "";

function validator() {
  // strict: no keyword ajv does not know. strictRequired and strictTypes would reject the draft-07 idioms
  // `anyOf: [{required: [alert]}, {required: [record]}]` and `$ref`-only property schemas.
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, strictTypes: false });
  return ajv.compile(schema as object);
}

describe("Chart.yaml", () => {
  const chart = readYaml("Chart.yaml");

  it("has the exporter's version as appVersion", () => {
    const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { version: string };
    expect(chart.appVersion).toBe(pkg.version);
  });

  it("is a v2 application chart with a semver version and a kubeVersion", () => {
    expect(chart).toMatchObject({ apiVersion: "v2", name: "ssm-association-exporter", type: "application", kubeVersion: ">=1.23.0-0" });
    expect(String(chart.version)).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe("values.schema.json", () => {
  const validate = validator();

  it("accepts values.yaml", () => {
    expect(validate(values), JSON.stringify(validate.errors)).toBe(true);
  });

  it("has the chart-testing values files", () => {
    expect(ciFiles).toEqual(expect.arrayContaining(["default-values.yaml", "full-values.yaml", "irsa-values.yaml"]));
  });

  it.each(ciFiles)("accepts ci/%s merged over values.yaml", (file) => {
    const merged = mergeValues(values, readYaml("ci", file));
    expect(validate(merged), JSON.stringify(validate.errors)).toBe(true);
  });

  const bad: Array<[string, Values]> = [
    ["service.port as a string", { service: { port: "9877" } }],
    ["an unknown top-level key", { replicas: 2 }],
    ["an unknown pullPolicy", { image: { pullPolicy: "Sometimes" } }],
    ["a pollInterval that is no duration", { config: { pollInterval: "banana" } }],
    ["a pollInterval without unit", { config: { pollInterval: "60" } }],
    ["a port out of range", { config: { listenPort: 70000 } }],
    ["an unknown log level", { config: { logLevel: "verbose" } }],
    ["an unknown filter key", { config: { filters: ["Nope=x"] } }],
    ["a region that is no region name", { config: { regions: ["EU-WEST-1"] } }],
    ["maxAttempts above 10", { config: { maxAttempts: 11 } }],
    ["a telemetry path taken by the health checks", { config: { telemetryPath: "/healthz" } }],
    ["a threshold in plain seconds", { prometheusRule: { notExecutedThreshold: 691200 } }],
    ["an unknown key under service", { service: { nodePort: 30000 } }],
  ];
  it.each(bad)("rejects %s", (_name, override) => {
    expect(validate(mergeValues(values, override))).toBe(false);
  });

  it("accepts exactly the durations the exporter accepts", () => {
    const definitions = (schema as { definitions: { duration: { pattern: string; minLength: number } } }).definitions;
    const pattern = new RegExp(definitions.duration.pattern);
    const accepts = (text: string) => text.length >= definitions.duration.minLength && pattern.test(text);
    for (const text of ["60s", "1h30m", "500ms", "1d", "5m", "2d12h", "1m30s250ms", "banana", "30s1m", "1.5h", "", "5", "1w", "5M", " 5m"]) {
      expect(accepts(text), text).toBe(parseDuration(text) !== undefined && text.trim() === text);
    }
  });
});

describe("values.yaml", () => {
  it("documents every key with a helm-docs `# --` comment", () => {
    const lines = read("values.yaml").split("\n");
    const undocumented: string[] = [];
    lines.forEach((line, i) => {
      const key = /^( *)([A-Za-z_][\w./-]*|"[^"]+"):(?: |$)/.exec(line);
      if (!key) return;
      const indent = key[1] ?? "";
      // The comment block right above the key (commented-out examples of the previous key may precede it).
      let documented = false;
      for (let j = i - 1; j >= 0 && /^\s*#/.test(lines[j] ?? ""); j--) {
        if ((lines[j] ?? "").startsWith(`${indent}# -- `)) documented = true;
      }
      if (!documented) undocumented.push(`${i + 1}: ${line.trim()}`);
    });
    expect(undocumented).toEqual([]);
  });

  it("defaults config to the exporter's own defaults", () => {
    const result = parseCommandLine([], {}, "0");
    if (result.kind !== "run") throw new Error("the exporter's defaults do not parse");
    const { config } = result;
    expect(get(values, "config.listenPort")).toBe(config.web.listenPort);
    expect(get(values, "config.telemetryPath")).toBe(config.web.telemetryPath);
    expect(parseDuration(String(get(values, "config.pollInterval")))).toBe(config.poll.intervalMs);
    expect(get(values, "config.regions")).toEqual([...config.aws.regions]);
    expect(parseDuration(String(get(values, "config.requestTimeout")))).toBe(config.aws.requestTimeoutMs);
    expect(get(values, "config.maxAttempts")).toBe(config.aws.maxAttempts);
    expect(get(values, "config.filters")).toEqual([...config.ssm.filters]);
    expect(get(values, "config.logLevel")).toBe(config.log.level);
    expect(get(values, "service.port")).toBe(config.web.listenPort);
  });

  it.each(["values.yaml", ...ciFiles.map((f) => `ci/${f}`)])("gives the exporter a valid configuration (%s)", (file) => {
    const merged = file === "values.yaml" ? values : mergeValues(values, readYaml(...file.split("/")));
    const c = (key: string) => get(merged, `config.${key}`);
    const list = (key: string) => (Array.isArray(c(key)) ? (c(key) as unknown[]).map(String) : []);
    // The arguments templates/deployment.yaml builds from `config`.
    const args = [
      `--web.listen-address=:${String(c("listenPort"))}`,
      `--web.telemetry-path=${String(c("telemetryPath"))}`,
      `--poll.interval=${String(c("pollInterval"))}`,
      ...list("regions").map((r) => `--aws.region=${r}`),
      `--aws.request-timeout=${String(c("requestTimeout"))}`,
      `--aws.max-attempts=${String(c("maxAttempts"))}`,
      ...list("filters").map((f) => `--ssm.filter=${f}`),
      `--log.level=${String(c("logLevel"))}`,
      ...(Array.isArray(merged.extraArgs) ? merged.extraArgs.map(String) : []),
    ];
    expect(parseCommandLine(args, {}, "0").kind).toBe("run");
  });

  it("has the hardened security defaults", () => {
    expect(values.podSecurityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65534,
      runAsGroup: 65534,
      fsGroup: 65534,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(values.securityContext).toEqual({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(deployment).toMatch(/^ {6}securityContext:\n {8}\{\{- toYaml \.Values\.podSecurityContext \| nindent 8 \}\}$/m);
    expect(deployment).toMatch(/^ {10}securityContext:\n {12}\{\{- toYaml \.Values\.securityContext \| nindent 12 \}\}$/m);
    // The root filesystem is read-only, so /tmp is an emptyDir.
    expect(deployment).toMatch(/- name: tmp\n\s+mountPath: \/tmp\n/);
    expect(deployment).toMatch(/- name: tmp\n\s+emptyDir:/);
  });
});

/** Every `.Values.a.b` path written out in the templates (references through `with`/`range` dots are not counted). */
function referencedValuePaths(): Set<string> {
  const paths = new Set<string>();
  for (const source of templates.values()) {
    for (const match of source.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) paths.add((match[1] ?? "").slice(1));
  }
  return paths;
}

/** Paths of values.yaml down to leaves: scalars, lists and empty maps (a list's items are data, not keys). */
function leafPaths(node: Values, prefix = ""): string[] {
  return Object.entries(node).flatMap(([key, value]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return isRecord(value) && Object.keys(value).length > 0 ? leafPaths(value, path) : [path];
  });
}

describe("templates and values.yaml", () => {
  const referenced = referencedValuePaths();

  it("reference only keys that values.yaml has", () => {
    const missing = [...referenced].filter((path) => {
      const parts = path.split(".");
      let node: unknown = values;
      for (const part of parts) {
        if (!isRecord(node) || !(part in node)) return true;
        node = node[part];
      }
      return false;
    });
    expect(referenced.size).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });

  it("use every key of values.yaml (a key counts as used when it or a parent is referenced)", () => {
    const unused = leafPaths(values).filter((leaf) => ![...referenced].some((ref) => leaf === ref || leaf.startsWith(`${ref}.`)));
    expect(unused).toEqual([]);
  });

  it("are the rows of the values table in the chart's README, with their defaults", () => {
    const readme = read("README.md");
    const table = readme.slice(readme.indexOf("\n## Values\n")).split("\n## ")[1] ?? "";
    const rows = new Map(
      [...table.matchAll(/^\| `([^`]+)` \| [a-z]+ \| `(.*?)` \|/gm)].map((m): [string, string] => [m[1] ?? "", m[2] ?? ""]),
    );
    expect([...rows.keys()]).toEqual(leafPaths(values));
    for (const [path, shown] of rows) expect(JSON.parse(shown), path).toEqual(get(values, path));
  });
});

describe("templates/deployment.yaml", () => {
  it("passes every exporter flag, built from values", () => {
    const help = parseCommandLine(["--help"], {}, "0");
    if (help.kind !== "help") throw new Error("--help gave no help text");
    const flags = [...new Set(help.text.match(/--[a-z.-]+/g))].filter((f) => f !== "--help" && f !== "--version");
    expect(flags.length).toBeGreaterThanOrEqual(8);
    const lines = deployment.split("\n");
    for (const flag of flags) {
      const at = lines.findIndex((line) => line.includes(`"${flag}=`));
      expect(at, `${flag} is not in deployment.yaml`).toBeGreaterThanOrEqual(0);
      const line = lines[at] ?? "";
      // The value comes from .Values.config, directly or as the item of a range over a .Values.config list.
      const enclosingRange = lines
        .slice(0, at)
        .reverse()
        .find((l) => /\{\{-? (range|end)\b/.test(l));
      const fromValues = /\.Values\.config\.\w+/.test(line) || /\{\{-? range \.Values\.config\.\w+ -?\}\}/.test(enclosingRange ?? "");
      expect(fromValues, `${flag}: ${line.trim()}`).toBe(true);
    }
  });

  it("probes liveness on /healthz and readiness on /readyz", () => {
    expect(deployment).toMatch(/livenessProbe:\n\s+httpGet:\n\s+path: \/healthz\n\s+port: http\n/);
    expect(deployment).toMatch(/readinessProbe:\n\s+httpGet:\n\s+path: \/readyz\n\s+port: http\n/);
    expect(deployment).toMatch(/- name: http\n\s+containerPort: \{\{ int \.Values\.config\.listenPort \}\}/);
  });

  it("rolls the pods when the configuration changes", () => {
    expect(deployment).toMatch(/checksum\/config: \{\{ .*\.Values\.config.*\| sha256sum \}\}/);
  });
});

describe("files the chart embeds", () => {
  it("builds the PrometheusRule from files/alerts.yaml, swapping the threshold of its vector(691200) rule", () => {
    const template = templates.get("prometheusrule.yaml") ?? "";
    expect(template).toContain('.Files.Get "files/alerts.yaml"');
    expect(template).toContain('replace "vector(691200)"');
    expect(existsSync(join(chartDir, "files", "alerts.yaml")), "helm/ssm-association-exporter/files/alerts.yaml").toBe(true);
    const alerts = read("files", "alerts.yaml");
    expect(alerts.split("vector(691200)").length - 1, "occurrences of vector(691200)").toBe(1);
    expect(Array.isArray(readYaml("files", "alerts.yaml").groups)).toBe(true);
  });

  it("defaults prometheusRule.notExecutedThreshold to the threshold in files/alerts.yaml (691200 s)", () => {
    expect(parseDuration(String(get(values, "prometheusRule.notExecutedThreshold")))).toBe(691_200_000);
    // The template's duration parser accepts what the schema accepts.
    const schemaPattern = (schema as { definitions: { duration: { pattern: string } } }).definitions.duration.pattern;
    expect(templates.get("_helpers.tpl")).toContain(`regexMatch "${schemaPattern}"`);
  });

  it("builds the dashboard ConfigMap from files/dashboard.json", () => {
    const template = templates.get("dashboard-configmap.yaml") ?? "";
    expect(template).toContain('.Files.Get "files/dashboard.json"');
    expect(template).toMatch(/ssm-association-exporter\.json: \{\{ \$dashboard \| toJson \}\}/);
    expect(existsSync(join(chartDir, "files", "dashboard.json")), "helm/ssm-association-exporter/files/dashboard.json").toBe(true);
    expect(() => JSON.parse(read("files", "dashboard.json")) as unknown).not.toThrow();
  });
});

/** The actions of a template, `{{ ... }}` without delimiters and trim markers; throws on unbalanced delimiters. */
function actions(name: string, source: string): string[] {
  const found: string[] = [];
  let at = 0;
  for (;;) {
    const open = source.indexOf("{{", at);
    const strayClose = source.indexOf("}}", at);
    if (open < 0) {
      if (strayClose >= 0) throw new Error(`${name}: "}}" without "{{" at offset ${strayClose}`);
      return found;
    }
    if (strayClose >= 0 && strayClose < open) throw new Error(`${name}: "}}" without "{{" at offset ${strayClose}`);
    const close = source.indexOf("}}", open + 2);
    const next = source.indexOf("{{", open + 2);
    if (close < 0 || (next >= 0 && next < close)) throw new Error(`${name}: "{{" at offset ${open} is not closed`);
    found.push(
      source
        .slice(open + 2, close)
        .replace(/^-\s/, "")
        .replace(/\s-$/, "")
        .trim(),
    );
    at = close + 2;
  }
}

describe("template syntax", () => {
  it.each(templateFiles)("%s has balanced {{ }} and block actions", (name) => {
    const stack: string[] = [];
    for (const action of actions(name, templates.get(name) ?? "")) {
      if (action.startsWith("/*")) {
        expect(action.endsWith("*/"), `${name}: comment ${action.slice(0, 30)}`).toBe(true);
        continue;
      }
      const keyword = /^(if|with|range|define|block|else|end)\b/.exec(action)?.[1];
      if (keyword === "end") {
        expect(stack.pop(), `${name}: {{ end }} without a block`).toBeDefined();
      } else if (keyword === "else") {
        expect(["if", "with", "range"], `${name}: {{ ${action} }} outside if/with/range`).toContain(stack.at(-1));
      } else if (keyword) {
        stack.push(keyword);
      }
    }
    expect(stack, `${name}: blocks left open`).toEqual([]);
  });

  it("includes only templates that _helpers.tpl defines", () => {
    const helpers = templates.get("_helpers.tpl") ?? "";
    const defined = new Set([...helpers.matchAll(/\{\{-? define "([^"]+)" -?\}\}/g)].map((m) => m[1]));
    const included = new Set([...templates.values()].flatMap((src) => [...src.matchAll(/include "([^"]+)"/g)].map((m) => m[1])));
    expect([...included].filter((name) => !defined.has(name))).toEqual([]);
    expect([...defined].filter((name) => !included.has(name))).toEqual([]);
  });
});
