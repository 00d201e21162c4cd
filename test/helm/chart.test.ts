/**
 * Static checks of the Helm chart. There is no helm binary on the machines that run these tests, so
 * instead of rendering the chart they check what can be checked from its files: values against the
 * schema, `.Values` references against values.yaml (both ways), the exporter's flags against the
 * Deployment, `config.targets` against the exporter's config-file parser, the hardened defaults, and the
 * template syntax that is cheap to check (balanced actions).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/fields.js";
import { parseTargets } from "../../src/config/file.js";
import { parseCommandLine } from "../../src/config/config.js";
import { parseDuration } from "../../src/config/duration.js";

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

/** values.yaml, and each ci file merged over it, by file name (`values.yaml`, `ci/<file>`). */
const valuesFiles: Array<[string, Values]> = [
  ["values.yaml", values],
  ...ciFiles.map((f): [string, Values] => [`ci/${f}`, mergeValues(values, readYaml("ci", f))]),
];

/** Where the Deployment mounts the targets ConfigMap, and the file the exporter reads from it. */
const TARGETS_DIR = "/etc/ssm-association-exporter";
const TARGETS_FILE = `${TARGETS_DIR}/targets.yaml`;

/** The targets file as templates/targets-configmap.yaml writes it: `dict "targets" .Values.config.targets | toYaml`. */
const targetsFile = (targets: unknown): string => stringifyYaml({ targets });

/** `config.targets` of merged values, [] when unset. */
const targetsOf = (merged: Values): unknown[] => {
  const targets = get(merged, "config.targets");
  return Array.isArray(targets) ? targets : [];
};

/**
 * The action (`if ...`, `range ...`, `with ...`) that opens the innermost block around line `at` of a template,
 * skipping the blocks that close before it; undefined at top level.
 */
function enclosingBlock(lines: readonly string[], at: number): string | undefined {
  let depth = 0;
  for (let i = at - 1; i >= 0; i--) {
    const found = [...(lines[i] ?? "").matchAll(/\{\{-?\s*(.*?)\s*-?\}\}/g)].map((m) => m[1] ?? "").reverse();
    for (const action of found) {
      const keyword = /^(if|with|range|define|block|end)\b/.exec(action)?.[1];
      if (keyword === "end") depth++;
      else if (keyword && depth === 0) return action;
      else if (keyword) depth--;
    }
  }
  return undefined;
}

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
    ["pollConcurrency 0", { config: { pollConcurrency: 0 } }],
    ["pollConcurrency above 64", { config: { pollConcurrency: 65 } }],
    ["pollConcurrency as a string", { config: { pollConcurrency: "5" } }],
    ["targets that is no list", { config: { targets: { regions: ["us-east-1"] } } }],
    ["a target without regions", { config: { targets: [{ role_arn: "arn:aws:iam::222233334444:role/r" }] } }],
    ["a target with no region", { config: { targets: [{ regions: [] }] } }],
    ["a target region that is no region name", { config: { targets: [{ regions: ["EU-WEST-1"] }] } }],
    ["a target with an unknown key", { config: { targets: [{ regions: ["us-east-1"], region: "us-east-1" }] } }],
    ["a role_arn that is no role ARN", { config: { targets: [{ role_arn: "arn:aws:iam::2222:role/r", regions: ["us-east-1"] }] } }],
    ["a role_arn of a user", { config: { targets: [{ role_arn: "arn:aws:iam::222233334444:user/u", regions: ["us-east-1"] }] } }],
    ["an external_id without role_arn", { config: { targets: [{ external_id: "abc", regions: ["us-east-1"] }] } }],
    ["a session_name without role_arn", { config: { targets: [{ session_name: "abc", regions: ["us-east-1"] }] } }],
    ["a session_name with a space", { config: { targets: [{ role_arn: "arn:aws:iam::222233334444:role/r", session_name: "a b", regions: ["us-east-1"] }] } }],
    ["a target filter with an unknown key", { config: { targets: [{ regions: ["us-east-1"], filters: ["Nope=x"] }] } }],
    ["a target filter without value", { config: { targets: [{ regions: ["us-east-1"], filters: ["Name="] }] } }],
    ["targets next to config.regions", { config: { regions: ["us-east-1"], targets: [{ regions: ["eu-west-1"] }] } }],
    ["targets next to config.filters", { config: { filters: ["Name=x"], targets: [{ regions: ["eu-west-1"] }] } }],
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
    const result = parseCommandLine([], {}, "0", "us-east-1");
    if (result.kind !== "run") throw new Error("the exporter's defaults do not parse");
    const { config } = result;
    expect(get(values, "config.listenPort")).toBe(config.web.listenPort);
    expect(get(values, "config.telemetryPath")).toBe(config.web.telemetryPath);
    expect(parseDuration(String(get(values, "config.pollInterval")))).toBe(config.poll.intervalMs);
    // No regions: the exporter takes the one of the AWS SDK chain (here us-east-1), as it does without --aws.region.
    expect(get(values, "config.regions")).toEqual([]);
    expect(config.targets[0]?.regions).toEqual(["us-east-1"]);
    expect(get(values, "config.pollTimeout")).toBe("");
    expect(config.poll.timeoutMs).toBe(Math.min(config.poll.intervalMs, 300_000));
    expect(parseDuration(String(get(values, "config.pollMaxStaleness")))).toBe(config.poll.maxStalenessMs);
    expect(parseDuration(String(get(values, "config.requestTimeout")))).toBe(config.aws.requestTimeoutMs);
    expect(get(values, "config.maxAttempts")).toBe(config.aws.maxAttempts);
    expect(get(values, "config.filters")).toEqual([...(config.targets[0]?.filters ?? [])]);
    expect(get(values, "config.logLevel")).toBe(config.log.level);
    expect(get(values, "service.port")).toBe(config.web.listenPort);
    expect(get(values, "config.pollConcurrency")).toBe(config.poll.concurrency);
    expect(get(values, "config.targets")).toEqual([]);
    expect(config.configFile).toBeUndefined();
  });

  const scratch = mkdtempSync(join(tmpdir(), "chart-test-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it.each(valuesFiles)("gives the exporter a valid configuration (%s)", (file, merged) => {
    const c = (key: string) => get(merged, `config.${key}`);
    const list = (key: string) => (Array.isArray(c(key)) ? (c(key) as unknown[]).map(String) : []);
    // With config.targets, the file the ConfigMap holds; the exporter reads it at --config.file.
    const targets = targetsOf(merged);
    const configFile = join(scratch, `${file.replace(/\W/g, "_")}.targets.yaml`);
    if (targets.length > 0) writeFileSync(configFile, targetsFile(targets));
    // The arguments templates/deployment.yaml builds from `config`.
    const args = [
      `--web.listen-address=:${String(c("listenPort"))}`,
      `--web.telemetry-path=${String(c("telemetryPath"))}`,
      `--poll.interval=${String(c("pollInterval"))}`,
      `--poll.concurrency=${String(c("pollConcurrency"))}`,
      ...(c("pollTimeout") ? [`--poll.timeout=${String(c("pollTimeout"))}`] : []),
      `--poll.max-staleness=${String(c("pollMaxStaleness"))}`,
      ...(targets.length > 0 ? [`--config.file=${configFile}`] : []),
      ...list("regions").map((r) => `--aws.region=${r}`),
      `--aws.request-timeout=${String(c("requestTimeout"))}`,
      `--aws.max-attempts=${String(c("maxAttempts"))}`,
      ...list("filters").map((f) => `--ssm.filter=${f}`),
      `--log.level=${String(c("logLevel"))}`,
      ...(Array.isArray(merged.extraArgs) ? merged.extraArgs.map(String) : []),
    ];
    const result = parseCommandLine(args, {}, "0", "us-east-1");
    expect(result.kind).toBe("run");
    if (result.kind === "run" && targets.length > 0) expect(result.config.targets).toHaveLength(targets.length);
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
      // The value comes from .Values.config: directly, as the item of a range over a .Values.config list, or
      // (--config.file, a fixed path) under an `if` on the .Values.config key that it stands for.
      const block = enclosingBlock(lines, at) ?? "";
      const fromValues = /\.Values\.config\.\w+/.test(line) || /^(range|if) \.Values\.config\.\w+$/.test(block);
      expect(fromValues, `${flag}: ${line.trim()} (in {{ ${block} }})`).toBe(true);
    }
  });

  it("probes liveness on /healthz and readiness on /readyz", () => {
    expect(deployment).toMatch(/livenessProbe:\n\s+httpGet:\n\s+path: \/healthz\n\s+port: http\n/);
    expect(deployment).toMatch(/readinessProbe:\n\s+httpGet:\n\s+path: \/readyz\n\s+port: http\n/);
    expect(deployment).toMatch(/- name: http\n\s+containerPort: \{\{ int \.Values\.config\.listenPort \}\}/);
  });

  it("rolls the pods when the configuration changes, config.targets included", () => {
    expect(deployment).toMatch(/checksum\/config: \{\{ .*\.Values\.config.*\| sha256sum \}\}/);
    // The whole of .Values.config is hashed, not a few keys: the targets ConfigMap alone does not roll the pods.
    const checksum = /checksum\/config: \{\{ (.*) \}\}/.exec(deployment)?.[1] ?? "";
    expect(checksum).toMatch(/\.Values\.config(?![.\w])/);
  });
});

describe("config.targets", () => {
  const configMap = templates.get("targets-configmap.yaml") ?? "";
  const lines = deployment.split("\n");

  it("is set in a ci file, which lists role targets and a default one with filters", () => {
    const withTargets = valuesFiles.filter(([, merged]) => targetsOf(merged).length > 0).map(([file]) => file);
    expect(withTargets).toContain("ci/multi-account-values.yaml");
    const targets = targetsOf(mergeValues(values, readYaml("ci", "multi-account-values.yaml"))) as Values[];
    expect(targets.filter((t) => "role_arn" in t).length).toBeGreaterThanOrEqual(2);
    expect(targets.some((t) => !("role_arn" in t))).toBe(true);
    expect(targets.some((t) => Array.isArray(t.filters) && t.filters.length > 0)).toBe(true);
  });

  it.each(valuesFiles.filter(([, merged]) => targetsOf(merged).length > 0))("of %s is a config file the exporter accepts", (file, merged) => {
    const targets = targetsOf(merged);
    expect(parseTargets(targetsFile(targets), file)).toHaveLength(targets.length);
  });

  it("in the commented example of values.yaml is valid for the schema and the exporter", () => {
    const lines = read("values.yaml").split("\n");
    const start = lines.indexOf("  # targets:");
    expect(start, "`  # targets:` in values.yaml").toBeGreaterThan(0);
    const block: string[] = [];
    for (let i = start; i < lines.length && /^ {2}#( |$)/.test(lines[i] ?? "") && !(lines[i] ?? "").startsWith("  # -- "); i++) {
      block.push((lines[i] ?? "").replace(/^ {2}# ?/, ""));
    }
    const example: unknown = parseYaml(block.join("\n"));
    if (!isRecord(example) || !Array.isArray(example.targets)) throw new Error("the example is no `targets:` list");
    const validate = validator();
    const merged = mergeValues(values, { config: { targets: example.targets } });
    expect(validate(merged), JSON.stringify(validate.errors)).toBe(true);
    expect(parseTargets(targetsFile(example.targets), "values.yaml example")).toHaveLength(example.targets.length);
  });

  it("with a region typo passes the schema but not the exporter", () => {
    const targets = [{ regions: ["us-eest-1"] }];
    const validate = validator();
    expect(validate(mergeValues(values, { config: { targets } }))).toBe(true);
    let error: unknown;
    try {
      parseTargets(targetsFile(targets), "targets.yaml");
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toContain('targets.yaml: targets[0].regions[0]: "us-eest-1" is not a region');
  });

  it("is written by targets-configmap.yaml as `targets.yaml`, only when set", () => {
    expect(configMap).toContain(".Values.config.targets");
    expect(configMap.split("\n")[0]).toBe("{{- if .Values.config.targets }}");
    expect(configMap.trimEnd().split("\n").at(-1)).toBe("{{- end }}");
    expect(configMap).toMatch(/^kind: ConfigMap$/m);
    expect(configMap).toMatch(/^ {2}name: \{\{ include "ssm-association-exporter\.fullname" \. \}\}-targets$/m);
    expect(configMap).toMatch(/^ {2}targets\.yaml: \|\n {4}\{\{- dict "targets" \.Values\.config\.targets \| toYaml \| nindent 4 \}\}$/m);
  });

  it("is mounted by the Deployment and passed as --config.file, only when set", () => {
    const guarded = (pattern: RegExp) => {
      const at = lines.findIndex((l) => pattern.test(l));
      expect(at, String(pattern)).toBeGreaterThanOrEqual(0);
      return enclosingBlock(lines, at);
    };
    expect(deployment).toContain(`- "--config.file=${TARGETS_FILE}"`);
    expect(guarded(/"--config\.file=/)).toBe("if .Values.config.targets");
    expect(deployment).toMatch(new RegExp(`- name: targets\\n {14}mountPath: ${TARGETS_DIR}\\n {14}readOnly: true\\n`));
    expect(guarded(/mountPath: \/etc\/ssm-association-exporter$/)).toBe("if .Values.config.targets");
    expect(deployment).toMatch(/- name: targets\n {10}configMap:\n {12}name: \{\{ include "ssm-association-exporter\.fullname" \. \}\}-targets\n/);
    expect(guarded(/configMap:$/)).toBe("if .Values.config.targets");
    // The file name the exporter reads is the ConfigMap's key.
    expect(TARGETS_FILE.slice(TARGETS_DIR.length + 1)).toBe("targets.yaml");
  });

  it("fails the render next to config.regions or config.filters", () => {
    expect(deployment).toMatch(
      /\{\{- if and \.Values\.config\.targets \(or \.Values\.config\.regions \.Values\.config\.filters\) \}\}\n\{\{- fail "config\.targets cannot be combined with config\.regions or config\.filters[^"]*" \}\}\n\{\{- end \}\}/,
    );
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
