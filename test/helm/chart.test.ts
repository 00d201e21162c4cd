/**
 * The chart as real Helm v4 renders it (test/helm/helm.ts), for its defaults and every ci/*.yaml: `helm lint
 * --strict` passes, every rendered object validates against the Kubernetes and Prometheus Operator schemas,
 * and the rendered objects say what the chart promises: a hardened pod, probes on the named port, the IRSA
 * annotation, arguments and a targets file the exporter's own parsers accept, and the rule and dashboard
 * files embedded unchanged.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCommandLine, type Config } from "../../src/config/config.js";
import { parseDuration } from "../../src/config/duration.js";
import { ConfigError } from "../../src/config/fields.js";
import { parseConfigFile, parseTargets } from "../../src/config/file.js";
import { CHART_DIR, CI_FILES, NAMESPACE, REPO, lint, only, template, templateRun, type Inputs, type K8sObject } from "./helm.js";
import { validateObject } from "./kubernetes-schemas.js";

type Json = { [key: string]: unknown };

/** The chart's defaults (no values file) and each chart-testing values file. */
const CASES: Array<[string, Inputs]> = [["defaults", {}], ...CI_FILES.map((file): [string, Inputs] => [file, { files: [file] }])];

const chartFile = (...path: string[]) => readFileSync(join(CHART_DIR, ...path), "utf8");
const chartYaml = (...path: string[]) => parseYaml(chartFile(...path)) as Json;
const pkgVersion = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;

/** The rendered objects of every case, rendered once. */
const rendered = new Map<string, K8sObject[]>();
beforeAll(async () => {
  await Promise.all(CASES.map(async ([name, inputs]) => rendered.set(name, await template(inputs))));
});
const objectsOf = (name: string): K8sObject[] => {
  const objects = rendered.get(name);
  if (objects === undefined) throw new Error(`${name} was not rendered`);
  return objects;
};

// --- Accessors for the parts of the workload (a Deployment, or a StatefulSet when sharded) the tests look at

interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: Json }>;
  ports?: Array<{ name?: string; containerPort: number; protocol?: string }>;
  livenessProbe?: Json;
  readinessProbe?: Json;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Json;
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: Json;
  containers: Container[];
  initContainers?: unknown[];
  volumes?: Array<{ name: string; emptyDir?: Json; configMap?: { name: string } }>;
  [field: string]: unknown;
}
interface WorkloadSpec {
  replicas?: number;
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
  [field: string]: unknown;
}

/** The exporter's one workload: the Deployment, or (sharding.enabled) the StatefulSet; never both. */
function workload(objects: readonly K8sObject[]): K8sObject {
  const found = objects.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet");
  if (found.length !== 1) throw new Error(`${found.length} Deployments and StatefulSets, expected 1`);
  return found[0] as K8sObject;
}
const deploymentOf = (objects: readonly K8sObject[]) => workload(objects).spec as WorkloadSpec;
const podOf = (objects: readonly K8sObject[]) => deploymentOf(objects).template.spec;
/** The Service in front of the exporter (not the StatefulSet's headless one). */
const serviceOf = (objects: readonly K8sObject[]) => only(objects.filter((o) => !o.metadata.name.endsWith("-headless")), "Service");
function exporterContainer(objects: readonly K8sObject[]): Container {
  const containers = podOf(objects).containers;
  expect(containers.map((c) => c.name)).toEqual(["exporter"]);
  return containers[0] as Container;
}
const argsOf = (objects: readonly K8sObject[]) => exporterContainer(objects).args ?? [];
const envOf = (objects: readonly K8sObject[], name: string) => exporterContainer(objects).env?.find((e) => e.name === name)?.value;
const dataOf = (configMap: K8sObject) => (configMap.data ?? {}) as Record<string, string>;

/** The value of the last `--flag=value` argument (the exporter, like most CLIs, takes the last one). */
const flagValue = (args: readonly string[], flag: string) =>
  args
    .filter((a) => a.startsWith(`${flag}=`))
    .at(-1)
    ?.slice(flag.length + 1);

const scratch = mkdtempSync(join(tmpdir(), "chart-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * The exporter's own parse of the rendered arguments, as the pod would run them: `--config.file` points at
 * the rendered targets ConfigMap's file (after checking that the pod mounts it there), the SDK's default
 * region is the pod's AWS_REGION (us-east-1 when unset, as if the node's environment supplied one), and
 * `$(POD_NAME)`, which the kubelet expands from the downward API, is the StatefulSet's pod of ordinal `ordinal`.
 */
function exporterConfig(name: string, objects: readonly K8sObject[], ordinal = 1): Config {
  const podName = exporterContainer(objects).env?.find((e) => e.name === "POD_NAME");
  const args = argsOf(objects).map((a) => {
    if (!a.includes("$(POD_NAME)")) return a;
    expect(podName?.valueFrom, "POD_NAME from the downward API").toEqual({ fieldRef: { fieldPath: "metadata.name" } });
    expect(workload(objects).kind).toBe("StatefulSet");
    return a.replaceAll("$(POD_NAME)", `${workload(objects).metadata.name}-${ordinal}`);
  });
  const file = flagValue(args, "--config.file");
  if (file !== undefined) {
    const local = join(scratch, `${name.replace(/\W/g, "_")}.targets.yaml`);
    writeFileSync(local, mountedFile(objects, file));
    args.splice(args.indexOf(`--config.file=${file}`), 1, `--config.file=${local}`);
  }
  const result = parseCommandLine(args, {}, pkgVersion, envOf(objects, "AWS_REGION") ?? "us-east-1");
  if (result.kind !== "run") throw new Error(`the exporter does not run with ${JSON.stringify(args)}: ${result.kind}`);
  return result.config;
}

/** The content of `path` in the exporter container: a key of a ConfigMap mounted at its directory. */
function mountedFile(objects: readonly K8sObject[], path: string): string {
  const mount = exporterContainer(objects).volumeMounts?.find((m) => m.mountPath === dirname(path));
  expect(mount, `a volume mounted at ${dirname(path)}`).toBeDefined();
  expect(mount?.readOnly).toBe(true);
  const volume = podOf(objects).volumes?.find((v) => v.name === mount?.name);
  const configMap = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === volume?.configMap?.name);
  expect(configMap, `the ConfigMap of volume ${mount?.name ?? "?"}`).toBeDefined();
  const content = dataOf(configMap as K8sObject)[basename(path)];
  expect(content, `${basename(path)} in ConfigMap ${configMap?.metadata.name ?? "?"}`).toBeDefined();
  return content ?? "";
}

// --- Tests -----------------------------------------------------------------------------------------------

describe("helm lint --strict", () => {
  it.each(CASES)("passes for %s", async (_name, inputs) => {
    const result = await lint(inputs);
    expect(result.ok, result.stdout + result.stderr).toBe(true);
    expect(result.stdout).toContain("1 chart(s) linted, 0 chart(s) failed");
  });
});

describe("helm template", () => {
  it("renders every case: the defaults and every ci/*.yaml", () => {
    expect(CI_FILES).toEqual(expect.arrayContaining(["ci/default-values.yaml", "ci/full-values.yaml", "ci/irsa-values.yaml", "ci/multi-account-values.yaml"]));
    expect([...rendered.keys()].sort()).toEqual(CASES.map(([name]) => name).sort());
  });

  it.each(CASES)("of %s gives objects that validate against the Kubernetes schemas", (name) => {
    const objects = objectsOf(name);
    for (const object of objects) validateObject(object);
    const kinds = objects.map((o) => o.kind);
    const sharded = kinds.includes("StatefulSet");
    const expected: Record<string, number> = { ServiceAccount: 1, Service: sharded ? 2 : 1, Deployment: sharded ? 0 : 1, StatefulSet: sharded ? 1 : 0 };
    for (const [kind, count] of Object.entries(expected)) expect(kinds.filter((k) => k === kind), kind).toHaveLength(count);
    const ids = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(ids).size, ids.join(", ")).toBe(ids.length);
  });

  it.each(CASES)("of %s labels every object and puts it in the release namespace", (name) => {
    for (const object of objectsOf(name)) {
      expect(object.metadata.namespace, `${object.kind} ${object.metadata.name}`).toBe(NAMESPACE);
      expect(object.metadata.labels, `${object.kind} ${object.metadata.name}`).toMatchObject({
        "helm.sh/chart": `ssm-association-exporter-${String(chartYaml("Chart.yaml").version)}`,
        "app.kubernetes.io/instance": "demo",
        "app.kubernetes.io/version": pkgVersion,
        "app.kubernetes.io/managed-by": "Helm",
      });
    }
  });

  it("runs the image of the chart's appVersion, which is the exporter's version", async () => {
    const chart = chartYaml("Chart.yaml");
    expect(chart).toMatchObject({ apiVersion: "v2", name: "ssm-association-exporter", type: "application", kubeVersion: ">=1.23.0-0" });
    expect(chart.appVersion).toBe(pkgVersion);
    expect(exporterContainer(objectsOf("defaults")).image).toBe(`ghcr.io/ssm-association-exporter/ssm-association-exporter:${pkgVersion}`);
    const digest = `sha256:${"0".repeat(64)}`;
    expect(exporterContainer(await template({ values: { image: { digest } } })).image).toBe(`ghcr.io/ssm-association-exporter/ssm-association-exporter@${digest}`);
  });

  it("renders the opt-in objects only when enabled", () => {
    const kinds = (name: string) => objectsOf(name).map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds("defaults")).toEqual(["Deployment/demo-ssm-association-exporter", "Service/demo-ssm-association-exporter", "ServiceAccount/demo-ssm-association-exporter"]);
    expect(kinds("ci/full-values.yaml")).toEqual([
      "AlertmanagerConfig/ssm-exporter-full",
      "ConfigMap/ssm-exporter-full-dashboard",
      "Deployment/ssm-exporter-full",
      "PrometheusRule/ssm-exporter-full",
      "Service/ssm-exporter-full",
      "ServiceAccount/ssm-exporter",
      "ServiceMonitor/ssm-exporter-full",
    ]);
  });
});

describe("the pod", () => {
  it.each(CASES)("of %s is hardened", (name) => {
    const objects = objectsOf(name);
    const pod = podOf(objects);
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } });
    expect(exporterContainer(objects).securityContext).toEqual({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    });
    for (const field of ["hostNetwork", "hostPID", "hostIPC", "initContainers", "shareProcessNamespace"]) expect(pod[field], field).toBeUndefined();
    // The exporter never calls the Kubernetes API: no token, neither by the pod nor by its ServiceAccount.
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(only(objects, "ServiceAccount").automountServiceAccountToken).toBe(false);
    // The root filesystem is read-only; /tmp is a writable emptyDir.
    expect(exporterContainer(objects).volumeMounts).toContainEqual({ name: "tmp", mountPath: "/tmp" });
    expect(pod.volumes).toContainEqual({ name: "tmp", emptyDir: {} });
  });

  it.each(CASES)("of %s probes /healthz and /readyz on the named port the exporter listens on", (name) => {
    const objects = objectsOf(name);
    const container = exporterContainer(objects);
    const web = exporterConfig(name, objects).web;
    const http = { name: "http", containerPort: web.listenPort, protocol: "TCP" };
    if (web.probe === undefined) {
      expect(container.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "http" });
      expect(container.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "http" });
      expect(container.ports).toEqual([http]);
    } else {
      // A web config protects every path of the http port: the probes use the plain-HTTP probe listener.
      expect(web.configFile).toBeDefined();
      expect(container.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "probe", scheme: "HTTP" });
      expect(container.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "probe", scheme: "HTTP" });
      expect(container.ports).toEqual([http, { name: "probe", containerPort: web.probe.port, protocol: "TCP" }]);
    }
    const service = serviceOf(objects).spec as { ports: Array<{ name: string; targetPort: unknown }>; selector: Record<string, string> };
    expect(service.ports.map((p) => [p.name, p.targetPort])).toEqual([["http", "http"]]);
  });

  it.each(CASES)("of %s is selected by its Deployment (or StatefulSet) and Service", (name) => {
    const objects = objectsOf(name);
    const deployment = deploymentOf(objects);
    const podLabels = deployment.template.metadata.labels;
    expect(podLabels).toMatchObject(deployment.selector.matchLabels);
    expect(podLabels).toMatchObject((serviceOf(objects).spec as { selector: Record<string, string> }).selector);
  });

  it.each(CASES)("of %s has a memory request and limit and no CPU limit", (name) => {
    const resources = exporterContainer(objectsOf(name)).resources ?? {};
    const mebibytes = (quantity: string | undefined) => Number(/^(\d+)Mi$/.exec(quantity ?? "")?.[1] ?? Number.NaN);
    const request = mebibytes(resources.requests?.memory);
    const limit = mebibytes(resources.limits?.memory);
    expect(request).toBeGreaterThan(0);
    expect(limit).toBeGreaterThanOrEqual(request);
    // A CPU limit throttles the poll's burst of SDK work and rendering; a request is enough.
    expect(resources.requests?.cpu).toBeDefined();
    expect(resources.limits?.cpu).toBeUndefined();
  });
});

describe("the exporter's arguments", () => {
  it.each(CASES)("of %s are accepted by the exporter, which has targets to poll or an organization to discover", (name) => {
    const config = exporterConfig(name, objectsOf(name));
    expect(config.targets.length > 0 || config.discovery !== undefined).toBe(true);
  });

  it("of the defaults are the exporter's own defaults", () => {
    const defaults = parseCommandLine([], {}, pkgVersion, "us-east-1");
    if (defaults.kind !== "run") throw new Error("the exporter's defaults do not parse");
    expect(exporterConfig("defaults", objectsOf("defaults"))).toEqual(defaults.config);
  });

  it("cover every flag of the exporter across the ci files", () => {
    const help = parseCommandLine(["--help"], {}, pkgVersion);
    if (help.kind !== "help") throw new Error("--help gave no help text");
    // One-shot mode is for cron and the textfile collector, never for a Deployment. A fixed --shard is for a
    // hand-written workload per shard; the chart's StatefulSet gives each pod its shard by --shard.pod-name.
    const notForADeployment = new Set(["--help", "--version", "--once", "--once.output", "--shard"]);
    const flags = [...new Set([...help.text.matchAll(/^\s*(--[a-z][a-z.-]*)/gm)].map((m) => m[1] ?? ""))].filter((f) => !notForADeployment.has(f)).sort();
    expect(flags.length).toBeGreaterThanOrEqual(8);
    const passed = new Set(CASES.flatMap(([name]) => argsOf(objectsOf(name)).map((a) => a.split("=")[0] ?? "")));
    expect(flags.filter((f) => !passed.has(f))).toEqual([]);
  });

  it("of ci/full-values.yaml carry its config", () => {
    const config = exporterConfig("full", objectsOf("ci/full-values.yaml"));
    const values = chartYaml("ci", "full-values.yaml").config as Json;
    const ms = (key: string) => parseDuration(String(values[key]));
    expect(config.web).toEqual({ listenHost: undefined, listenPort: values.listenPort, telemetryPath: values.telemetryPath });
    expect(config.poll).toEqual({ intervalMs: ms("pollInterval"), timeoutMs: ms("pollTimeout"), maxStalenessMs: ms("pollMaxStaleness"), concurrency: values.pollConcurrency });
    expect(config.aws).toEqual({ requestTimeoutMs: ms("requestTimeout"), maxAttempts: values.maxAttempts });
    expect(config.targets).toHaveLength(1);
    expect(config.targets[0]?.regions).toEqual(values.regions);
    expect(config.targets[0]?.filters.map((f) => `${f.key}=${f.value}`)).toEqual(values.filters);
    expect(config.log.level).toBe(values.logLevel);
    const failedTargets = values.failedTargets as Json;
    expect(values.tags).toEqual(["team", "cost-center", "owner"]);
    expect(config.enrichment).toEqual({
      describe: true,
      // Ordered by label.
      tags: [
        { key: "cost-center", label: "tag_cost_center" },
        { key: "owner", label: "tag_owner" },
        { key: "team", label: "tag_team" },
      ],
      failedTargets: { maxPerAssociation: failedTargets.maxPerAssociation, maxPerAccountRegion: failedTargets.maxPerAccountRegion },
      intervalMs: ms("describeInterval"),
      concurrency: values.enrichmentConcurrency,
    });
    // Not the exporter's defaults, so that the test above shows the values at work.
    expect(failedTargets.maxPerAssociation).not.toBe(20);
    expect(failedTargets.maxPerAccountRegion).not.toBe(1000);
    expect(values.enrichmentConcurrency).not.toBe(4);
  });
});

describe("config enrichment: describeAssociations, tags, failedTargets", () => {
  /** The enrichment flags among the arguments, in order. */
  const enrichmentArgs = (objects: readonly K8sObject[]) => argsOf(objects).filter((a) => /^--ssm\.(?!filter=)/.test(a));
  const configOf = async (config: Json) => {
    const objects = await template({ values: { config } });
    return { args: enrichmentArgs(objects), enrichment: exporterConfig(JSON.stringify(config), objects).enrichment };
  };
  const interval = parseDuration("1h");

  it.each(CASES.filter(([name]) => name !== "ci/full-values.yaml"))("of %s are off: no enrichment flag, and the exporter reads nothing more", (name) => {
    expect(enrichmentArgs(objectsOf(name))).toEqual([]);
    expect(exporterConfig(name, objectsOf(name)).enrichment).toBeUndefined();
  });

  it("passes the interval and the concurrency with describeAssociations alone", async () => {
    const { args, enrichment } = await configOf({ describeAssociations: true, enrichmentConcurrency: 7 });
    expect(args).toEqual(["--ssm.describe-associations", "--ssm.describe-interval=1h", "--ssm.enrichment-concurrency=7"]);
    expect(enrichment).toEqual({ describe: true, tags: undefined, failedTargets: undefined, intervalMs: interval, concurrency: 7 });
  });

  it("turns tags into --ssm.tags and one --ssm.tag per key, spaces and symbols kept, which the exporter labels", async () => {
    const tags = ["team", "Cost Center", "cost-center", "cost.center", "aws:cloudformation:stack-name", "owner@org/+="];
    const { args, enrichment } = await configOf({ tags, describeInterval: "30m" });
    expect(args).toEqual(["--ssm.tags", ...tags.map((key) => `--ssm.tag=${key}`), "--ssm.describe-interval=30m", "--ssm.enrichment-concurrency=4"]);
    expect(enrichment).toEqual({
      describe: false,
      tags: [
        { key: "Cost Center", label: "tag_Cost_Center" },
        { key: "aws:cloudformation:stack-name", label: "tag_aws_cloudformation_stack_name" },
        // Alike after sanitising: numbered in the code-point order of the keys ("-" before ".").
        { key: "cost-center", label: "tag_cost_center_conflict1" },
        { key: "cost.center", label: "tag_cost_center_conflict2" },
        { key: "owner@org/+=", label: "tag_owner_org___" },
        { key: "team", label: "tag_team" },
      ],
      failedTargets: undefined,
      intervalMs: parseDuration("30m"),
      concurrency: 4,
    });
  });

  it("turns failedTargets.enabled into --ssm.failed-targets with both caps", async () => {
    const { args, enrichment } = await configOf({ failedTargets: { enabled: true, maxPerAssociation: 1, maxPerAccountRegion: 100_000 } });
    expect(args).toEqual([
      "--ssm.failed-targets",
      "--ssm.failed-targets.max-per-association=1",
      "--ssm.failed-targets.max-per-account-region=100000",
      "--ssm.describe-interval=1h",
      "--ssm.enrichment-concurrency=4",
    ]);
    expect(enrichment).toEqual({ describe: false, tags: undefined, failedTargets: { maxPerAssociation: 1, maxPerAccountRegion: 100_000 }, intervalMs: interval, concurrency: 4 });
  });

  it("passes the exporter's own default caps by default", async () => {
    const { enrichment } = await configOf({ failedTargets: { enabled: true } });
    const defaults = parseCommandLine(["--ssm.failed-targets"], {}, pkgVersion, "us-east-1");
    if (defaults.kind !== "run") throw new Error("--ssm.failed-targets alone does not parse");
    expect(enrichment).toEqual(defaults.config.enrichment);
  });

  it("passes no caps, interval or concurrency while every kind is off, whatever they are set to", async () => {
    const { args, enrichment } = await configOf({ tags: [], failedTargets: { enabled: false, maxPerAssociation: 5, maxPerAccountRegion: 50 }, describeInterval: "2h", enrichmentConcurrency: 9 });
    expect(args).toEqual([]);
    expect(enrichment).toBeUndefined();
  });
});

describe("the ServiceAccount", () => {
  it("carries the IRSA role annotation of ci/irsa-values.yaml, and the pod runs as it", () => {
    const objects = objectsOf("ci/irsa-values.yaml");
    const account = only(objects, "ServiceAccount");
    expect(account.metadata.name).toBe("ssm-association-exporter");
    expect(account.metadata.annotations).toEqual({ "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/ssm-association-exporter" });
    expect(podOf(objects).serviceAccountName).toBe("ssm-association-exporter");
    expect(envOf(objects, "AWS_REGION")).toBe("eu-west-1");
    // No config.regions: the exporter polls the region of AWS_REGION.
    expect(exporterConfig("irsa", objects).targets.map((t) => t.regions)).toEqual([["eu-west-1"]]);
  });

  it("has no annotations by default, and the pod runs as it", () => {
    const objects = objectsOf("defaults");
    const account = only(objects, "ServiceAccount");
    expect(account.metadata.annotations).toBeUndefined();
    expect(podOf(objects).serviceAccountName).toBe(account.metadata.name);
  });

  it("is not created with serviceAccount.create false; the pod then runs as the named one", async () => {
    const objects = await template({ values: { serviceAccount: { create: false, name: "existing" } } });
    expect(objects.filter((o) => o.kind === "ServiceAccount")).toEqual([]);
    expect(podOf(objects).serviceAccountName).toBe("existing");
  });
});

const MULTI = "ci/multi-account-values.yaml";
const ORGANIZATION = "ci/organization-values.yaml";

describe("config.targets", () => {
  const targetsOf = (file: string) => (chartYaml(...file.split("/")).config as Json).targets as Json[];

  it(`of ${MULTI} lists role targets and a default one with filters`, () => {
    const targets = targetsOf(MULTI);
    expect(targets.filter((t) => "role_arn" in t).length).toBeGreaterThanOrEqual(2);
    expect(targets.some((t) => !("role_arn" in t))).toBe(true);
    expect(targets.some((t) => Array.isArray(t.filters) && t.filters.length > 0)).toBe(true);
  });

  it(`of ${MULTI} become the targets ConfigMap, which the exporter reads at --config.file`, () => {
    const objects = objectsOf(MULTI);
    const configMap = only(objects, "ConfigMap", "-targets");
    const file = dataOf(configMap)["targets.yaml"] ?? "";
    expect(parseYaml(file)).toEqual({ targets: targetsOf(MULTI) });
    expect(parseTargets(file, "targets.yaml")).toHaveLength(targetsOf(MULTI).length);
    const args = argsOf(objects);
    expect(flagValue(args, "--config.file")).toBe("/etc/ssm-association-exporter/targets.yaml");
    expect(mountedFile(objects, "/etc/ssm-association-exporter/targets.yaml")).toBe(file);
    expect(args.filter((a) => a.startsWith("--aws.region=") || a.startsWith("--ssm.filter="))).toEqual([]);
    const config = exporterConfig("multi", objects);
    expect(config.targets.map((t) => [t.roleArn, t.regions])).toEqual(targetsOf(MULTI).map((t) => [t.role_arn, t.regions]));
  });

  it.each(CASES.filter(([name]) => name !== MULTI && name !== ORGANIZATION))("of %s are unset: no ConfigMap, no --config.file, no mount", (name) => {
    const objects = objectsOf(name);
    expect(objects.filter((o) => o.metadata.name.endsWith("-targets"))).toEqual([]);
    expect(flagValue(argsOf(objects), "--config.file")).toBeUndefined();
    // The volumes of webConfig (test/helm/web-config.test.ts) aside.
    expect(podOf(objects).volumes?.map((v) => v.name).filter((v) => !["web-config", "tls", "client-ca"].includes(v))).toEqual(["tmp"]);
  });

  it("roll the pods when they change: only the checksum annotation tells the Deployment", async () => {
    const changed = await template({ files: [MULTI], values: { config: { targets: [{ regions: ["ap-southeast-2"] }] } } });
    const before = deploymentOf(objectsOf(MULTI)).template;
    const after = deploymentOf(changed).template;
    expect(after.spec.containers[0]?.args).toEqual(before.spec.containers[0]?.args);
    expect(after.metadata.annotations?.["checksum/config"]).toMatch(/^[0-9a-f]{64}$/);
    expect(after.metadata.annotations?.["checksum/config"]).not.toBe(before.metadata.annotations?.["checksum/config"]);
  });

  it("in the commented example of values.yaml render to a file the exporter accepts", async () => {
    const lines = chartFile("values.yaml").split("\n");
    const start = lines.indexOf("  # targets:");
    expect(start, "`  # targets:` in values.yaml").toBeGreaterThan(0);
    const block: string[] = [];
    for (let i = start; i < lines.length && /^ {2}#( |$)/.test(lines[i] ?? "") && !(lines[i] ?? "").startsWith("  # -- "); i++) {
      block.push((lines[i] ?? "").replace(/^ {2}# ?/, ""));
    }
    const example = parseYaml(block.join("\n")) as { targets: unknown[] };
    expect(Array.isArray(example.targets)).toBe(true);
    const objects = await template({ values: { config: example } });
    expect(exporterConfig("example", objects).targets).toHaveLength(example.targets.length);
  });

  it("with a region typo render, but the exporter refuses the file", async () => {
    const objects = await template({ values: { config: { targets: [{ regions: ["us-eest-1"] }] } } });
    let error: unknown;
    try {
      parseTargets(dataOf(only(objects, "ConfigMap", "-targets"))["targets.yaml"] ?? "", "targets.yaml");
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toContain('targets.yaml: targets[0].regions[0]: "us-eest-1" is not a region');
  });

  it.each([
    ["config.regions", { regions: ["us-east-1"] }, "at '/config/regions'"],
    ["config.filters", { filters: ["Name=x"] }, "at '/config/filters'"],
  ])("next to %s fail the render", async (_key, extra, message) => {
    const result = await templateRun({ values: { config: { targets: [{ regions: ["eu-west-1"] }], ...extra } } });
    expect(result.ok).toBe(false);
    expect(result.stderr).toContain(message);
  });
});

describe("config.organization (account discovery)", () => {
  const orgValues = () => chartYaml("ci", "organization-values.yaml").config as Json;
  const fileOf = (objects: readonly K8sObject[]) => dataOf(only(objects, "ConfigMap", "-targets"))["targets.yaml"] ?? "";
  /** The exporter's parse of a values organization section: the config file's own keys, as the chart writes them. */
  const expected = (org: Json, intervalMs: number | undefined) => ({
    organization: parseConfigFile(JSON.stringify({ organization: org }), "values").organization,
    intervalMs,
  });

  it(`of ${ORGANIZATION} sets every key of the section, next to a target, sharded`, () => {
    const org = orgValues().organization as Json;
    expect(Object.keys(org).sort()).toEqual(
      [
        "role_arn",
        "external_id",
        "session_name",
        "member_role",
        "member_external_id",
        "member_session_name",
        "regions",
        "filters",
        "include_accounts",
        "exclude_accounts",
        "organizational_units",
      ].sort(),
    );
    expect(orgValues().targets).toHaveLength(1);
    expect(workload(objectsOf(ORGANIZATION)).kind).toBe("StatefulSet");
  });

  it(`of ${ORGANIZATION} becomes the targets ConfigMap next to the targets, which the exporter reads at --config.file`, () => {
    const objects = objectsOf(ORGANIZATION);
    const file = fileOf(objects);
    expect(parseYaml(file)).toEqual({ targets: orgValues().targets, organization: orgValues().organization });
    const parsed = parseConfigFile(file, "targets.yaml");
    expect(parsed.targets).toHaveLength(1);
    expect(parsed.organization).toEqual({
      roleArn: "arn:aws:iam::111122223333:role/organizations-reader",
      externalId: "ssm-exporter-org",
      sessionName: "ssm-exporter-discovery",
      memberRole: "arn:aws:iam::{account_id}:role/ssm-association-exporter-member",
      memberExternalId: "ssm-exporter-member",
      memberSessionName: "ssm-exporter-member",
      regions: ["us-east-1", "eu-west-1"],
      filters: [{ key: "AssociationStatusName", value: "Failed" }],
      includeAccounts: ["222233334444", "555566667777"],
      excludeAccounts: ["444455556666"],
      organizationalUnits: ["ou-ab12-abcdefgh", "r-ab12"],
    });
    const args = argsOf(objects);
    expect(flagValue(args, "--config.file")).toBe("/etc/ssm-association-exporter/targets.yaml");
    expect(mountedFile(objects, "/etc/ssm-association-exporter/targets.yaml")).toBe(file);
    expect(flagValue(args, "--discovery.interval")).toBe("30m");
    expect(args.filter((a) => a.startsWith("--aws.region=") || a.startsWith("--ssm.filter="))).toEqual([]);
    for (const ordinal of [0, 1]) {
      const config = exporterConfig(ORGANIZATION, objects, ordinal);
      expect(config.discovery).toEqual(expected(orgValues().organization as Json, parseDuration("30m")));
      expect(config.targets.map((t) => t.accountId)).toEqual(["111122223333"]);
      expect(config.shard).toEqual({ index: ordinal, total: 2 });
    }
  });

  it("alone, without targets, is the whole file; --discovery.interval is the default 1h", async () => {
    const organization = { member_role: "arn:aws:iam::{account_id}:role/ssm-association-exporter", regions: ["eu-west-1"] };
    const objects = await template({ values: { config: { organization } } });
    expect(parseYaml(fileOf(objects))).toEqual({ organization });
    expect(argsOf(objects).filter((a) => /^--(config\.file|discovery\.interval)=/.test(a))).toEqual([
      "--config.file=/etc/ssm-association-exporter/targets.yaml",
      "--discovery.interval=1h",
    ]);
    const config = exporterConfig("organization alone", objects);
    expect(config.targets).toEqual([]);
    expect(config.discovery).toEqual(expected(organization, parseDuration("1h")));
  });

  it.each(CASES.filter(([name]) => name !== ORGANIZATION))("of %s is unset: no --discovery.interval, no discovery", (name) => {
    const objects = objectsOf(name);
    expect(flagValue(argsOf(objects), "--discovery.interval")).toBeUndefined();
    expect(exporterConfig(name, objects).discovery).toBeUndefined();
  });

  it("set to null (to drop a default or an earlier values file) is unset", async () => {
    const objects = await template({ files: [ORGANIZATION], values: { config: { organization: null } } });
    expect(parseYaml(fileOf(objects))).toEqual({ targets: orgValues().targets });
    expect(flagValue(argsOf(objects), "--discovery.interval")).toBeUndefined();
    expect(exporterConfig("organization null", objects).discovery).toBeUndefined();
  });

  it("rolls the pods when it changes: only the checksum annotation tells the workload", async () => {
    const changed = await template({ files: [ORGANIZATION], values: { config: { organization: { regions: ["ap-southeast-2"] } } } });
    const before = deploymentOf(objectsOf(ORGANIZATION)).template;
    const after = deploymentOf(changed).template;
    expect(after.spec.containers[0]?.args).toEqual(before.spec.containers[0]?.args);
    expect(after.metadata.annotations?.["checksum/config"]).not.toBe(before.metadata.annotations?.["checksum/config"]);
  });

  it("in the commented example of values.yaml renders to a file the exporter accepts", async () => {
    const lines = chartFile("values.yaml").split("\n");
    const start = lines.indexOf("  # organization:");
    expect(start, "`  # organization:` in values.yaml").toBeGreaterThan(0);
    const block: string[] = [];
    for (let i = start; i < lines.length && /^ {2}#( |$)/.test(lines[i] ?? "") && !(lines[i] ?? "").startsWith("  # -- "); i++) {
      block.push((lines[i] ?? "").replace(/^ {2}# ?/, ""));
    }
    const example = parseYaml(block.join("\n")) as { organization: Json };
    const objects = await template({ values: { config: example } });
    expect(exporterConfig("organization example", objects).discovery).toEqual(expected(example.organization, parseDuration("1h")));
  });

  it("with a region typo renders, but the exporter refuses the file", async () => {
    const objects = await template({ values: { config: { organization: { member_role: "arn:aws:iam::{account_id}:role/r", regions: ["us-eest-1"] } } } });
    let error: unknown;
    try {
      parseConfigFile(fileOf(objects), "targets.yaml");
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toContain('targets.yaml: organization.regions[0]: "us-eest-1" is not a region');
  });

  it.each<[string, Json, string]>([
    // values.schema.json refuses these first; the template's own check stands behind it.
    ["next to config.regions", { regions: ["us-east-1"] }, "at '/config/regions'"],
    ["next to config.filters", { filters: ["Name=x"] }, "at '/config/filters'"],
    [
      "with an account both included and excluded",
      { organization: { include_accounts: ["222233334444", "444455556666"] } },
      'config.organization.include_accounts: "444455556666" is also in config.organization.exclude_accounts',
    ],
  ])("%s fails the render, naming the keys", async (_name, config, message) => {
    const result = await templateRun({ files: [ORGANIZATION], values: { config: { targets: [], ...config } } });
    expect(result.ok).toBe(false);
    expect(result.stderr).toContain(message);
  });
});

describe("the Grafana dashboard ConfigMap", () => {
  it("of ci/full-values.yaml holds files/dashboard.json byte for byte, with the sidecar's label", () => {
    const configMap = only(objectsOf("ci/full-values.yaml"), "ConfigMap", "-dashboard");
    expect(Object.keys(dataOf(configMap))).toEqual(["ssm-association-exporter.json"]);
    expect(dataOf(configMap)["ssm-association-exporter.json"]).toBe(chartFile("files", "dashboard.json"));
    expect(configMap.metadata.labels).toMatchObject({ grafana_dashboard: "1" });
    expect(configMap.metadata.annotations).toEqual({ grafana_folder: "AWS" });
  });
});

describe("the ServiceMonitor", () => {
  it("of ci/full-values.yaml scrapes the Service's http port at the exporter's telemetry path", () => {
    const objects = objectsOf("ci/full-values.yaml");
    const monitor = only(objects, "ServiceMonitor").spec as {
      selector: { matchLabels: Record<string, string> };
      namespaceSelector: { matchNames: string[] };
      endpoints: Json[];
    };
    const service = serviceOf(objects);
    expect(service.metadata.labels).toMatchObject(monitor.selector.matchLabels);
    expect(monitor.namespaceSelector.matchNames).toEqual([NAMESPACE]);
    expect(monitor.endpoints).toHaveLength(1);
    const values = chartYaml("ci", "full-values.yaml").serviceMonitor as Json;
    expect(monitor.endpoints[0]).toMatchObject({
      port: "http",
      path: exporterConfig("full", objects).web.telemetryPath,
      interval: values.interval,
      scrapeTimeout: values.scrapeTimeout,
      relabelings: values.relabelings,
      metricRelabelings: values.metricRelabelings,
    });
  });
});

describe("sharding", () => {
  const SHARDED = "ci/sharded-values.yaml";
  const shards = (chartYaml("ci", "sharded-values.yaml").sharding as { replicas: number }).replicas;

  it("is off by default: one Deployment of one pod, no StatefulSet, no headless Service, no shard flags", () => {
    const objects = objectsOf("defaults");
    expect(only(objects, "Deployment").spec).toMatchObject({ replicas: 1 });
    expect(objects.filter((o) => o.kind === "StatefulSet" || o.metadata.name.endsWith("-headless"))).toEqual([]);
    expect(argsOf(objects).filter((a) => a.includes("shard"))).toEqual([]);
    expect(exporterContainer(objects).env).toBeUndefined();
    expect(exporterConfig("defaults", objects).shard).toEqual({ index: 0, total: 1 });
  });

  it(`of ${SHARDED} renders a StatefulSet of sharding.replicas pods, started in parallel, governed by a headless Service`, () => {
    const objects = objectsOf(SHARDED);
    expect(shards).toBeGreaterThan(2);
    expect(objects.filter((o) => o.kind === "Deployment")).toEqual([]);
    const statefulSet = only(objects, "StatefulSet");
    expect(statefulSet.metadata.name).toBe("demo-ssm-association-exporter");
    const spec = statefulSet.spec as WorkloadSpec;
    expect(spec).toMatchObject({ replicas: shards, serviceName: "demo-ssm-association-exporter-headless", podManagementPolicy: "Parallel" });
    // Nothing is stored: no volume claims.
    expect(spec.volumeClaimTemplates).toBeUndefined();
    const headless = only(objects, "Service", "-headless");
    expect(headless.metadata.name).toBe(spec.serviceName);
    expect(headless.spec).toMatchObject({ clusterIP: "None", ports: [{ name: "http", targetPort: "http" }] });
    expect(spec.template.metadata.labels).toMatchObject((headless.spec as { selector: Record<string, string> }).selector);
    expect(spec.template.metadata.labels).toMatchObject(spec.selector.matchLabels);
  });

  it(`of ${SHARDED} runs the same pod as the Deployment, plus POD_NAME and the two shard flags`, async () => {
    const sharded = objectsOf(SHARDED);
    const { sharding: _sharding, ...unshardedValues } = chartYaml("ci", "sharded-values.yaml");
    const unsharded = await template({ values: unshardedValues });
    const container = exporterContainer(sharded);
    expect(container.env?.[0]).toEqual({ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } });
    const shardArgs = ["--shard.pod-name=$(POD_NAME)", `--total-shards=${shards}`];
    expect(argsOf(sharded).filter((a) => !argsOf(unsharded).includes(a))).toEqual(shardArgs);
    // Apart from those, the pod template is the Deployment's, byte for byte.
    const withoutShardBits = structuredClone(deploymentOf(sharded).template);
    const c = withoutShardBits.spec.containers[0] as Container;
    c.args = c.args?.filter((a) => !shardArgs.includes(a));
    c.env = c.env?.filter((e) => e.name !== "POD_NAME");
    if (c.env?.length === 0) delete c.env;
    expect(withoutShardBits).toEqual(deploymentOf(unsharded).template);
  });

  it.each([0, 1, 2])(`of ${SHARDED} gives the pod of ordinal %i that shard of sharding.replicas, as the exporter parses it`, (ordinal) => {
    expect(exporterConfig(SHARDED, objectsOf(SHARDED), ordinal).shard).toEqual({ index: ordinal, total: shards });
  });

  it("passes sharding.replicas as --total-shards, up to 1000 (the exporter's limit)", async () => {
    const objects = await template({ values: { config: { regions: ["us-east-1"] }, sharding: { enabled: true, replicas: 1000 } } });
    expect((only(objects, "StatefulSet").spec as WorkloadSpec).replicas).toBe(1000);
    expect(exporterConfig("thousand", objects, 999).shard).toEqual({ index: 999, total: 1000 });
  });

  it(`of ${SHARDED}: the ServiceMonitor scrapes every shard through the plain Service, never twice through the headless one`, () => {
    const objects = objectsOf(SHARDED);
    const monitor = only(objects, "ServiceMonitor").spec as {
      selector: { matchLabels: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> };
    };
    /** Does the ServiceMonitor's label selector select this Service? (matchLabels and DoesNotExist are all it uses.) */
    const selects = (service: K8sObject) => {
      const labels = service.metadata.labels ?? {};
      const expressions = monitor.selector.matchExpressions ?? [];
      for (const e of expressions) expect(e.operator).toBe("DoesNotExist");
      return Object.entries(monitor.selector.matchLabels).every(([k, v]) => labels[k] === v) && expressions.every((e) => !(e.key in labels));
    };
    const services = objects.filter((o) => o.kind === "Service");
    expect(services.filter(selects).map((o) => o.metadata.name)).toEqual([serviceOf(objects).metadata.name]);
    // The plain Service selects every pod of the StatefulSet: each is its own endpoint, so each shard is scraped.
    expect(deploymentOf(objects).template.metadata.labels).toMatchObject((serviceOf(objects).spec as { selector: Record<string, string> }).selector);
    // Unsharded, the ServiceMonitor's selector is as it always was.
    expect(only(objectsOf("ci/full-values.yaml"), "ServiceMonitor").spec).not.toHaveProperty("selector.matchExpressions");
  });

  it("keeps the headless Service's name within 63 characters", async () => {
    const objects = await template({ values: { fullnameOverride: "x".repeat(63), config: { regions: ["us-east-1"] }, sharding: { enabled: true } } });
    const name = only(objects, "Service", "-headless").metadata.name;
    expect(name).toBe(`${"x".repeat(54)}-headless`);
    expect((only(objects, "StatefulSet").spec as WorkloadSpec).serviceName).toBe(name);
  });

  it.each<[string, object, string]>([
    ["replicaCount 2 without sharding", { replicaCount: 2 }, "replicaCount 2 without sharding.enabled"],
    ["replicaCount 2 with sharding", { replicaCount: 2, sharding: { enabled: true } }, "replicaCount 2 cannot be combined with sharding.enabled"],
    ["replicaCount 0 with sharding", { replicaCount: 0, sharding: { enabled: true } }, "replicaCount 0 cannot be combined with sharding.enabled"],
  ])("refuses %s, naming the keys", async (_name, values, message) => {
    const result = await templateRun({ values: { config: { regions: ["us-east-1"] }, ...values } });
    expect(result.ok).toBe(false);
    expect(result.stderr).toContain(message);
  });

  it("lets replicaCount 0 stop the unsharded Deployment", async () => {
    expect(only(await template({ values: { replicaCount: 0 } }), "Deployment").spec).toMatchObject({ replicas: 0 });
  });
});

/** config.organization values the schema refuses, each on top of a valid section. */
const ORG = { member_role: "arn:aws:iam::{account_id}:role/ssm-association-exporter", regions: ["us-east-1"] };
const organizationBad: Array<[string, object, string]> = [
  ["organization as a list", { config: { organization: [ORG] } }, "at '/config/organization': got array, want object"],
  ["an organization without member_role", { config: { organization: { regions: ["us-east-1"] } } }, "at '/config/organization': missing property 'member_role'"],
  ["an organization without regions", { config: { organization: { member_role: ORG.member_role } } }, "at '/config/organization': missing property 'regions'"],
  ["a member_role without {account_id}", { config: { organization: { ...ORG, member_role: "arn:aws:iam::222233334444:role/r" } } }, "at '/config/organization/member_role'"],
  ["a member_role that is no role ARN", { config: { organization: { ...ORG, member_role: "{account_id}" } } }, "at '/config/organization/member_role'"],
  ["an organization role_arn that is no role ARN", { config: { organization: { ...ORG, role_arn: "arn:aws:iam::1111:role/r" } } }, "at '/config/organization/role_arn'"],
  ["an organization external_id without role_arn", { config: { organization: { ...ORG, external_id: "abc" } } }, "'role_arn' required, if 'external_id' exists"],
  ["an organization session_name without role_arn", { config: { organization: { ...ORG, session_name: "abc" } } }, "'role_arn' required, if 'session_name' exists"],
  ["a member_session_name with a space", { config: { organization: { ...ORG, member_session_name: "a b" } } }, "at '/config/organization/member_session_name'"],
  ["a member_external_id of one character", { config: { organization: { ...ORG, member_external_id: "x" } } }, "at '/config/organization/member_external_id'"],
  ["no organization region", { config: { organization: { ...ORG, regions: [] } } }, "at '/config/organization/regions'"],
  ["an organization region twice", { config: { organization: { ...ORG, regions: ["us-east-1", "us-east-1"] } } }, "at '/config/organization/regions': items at 0 and 1 are equal"],
  ["an organization filter with an unknown key", { config: { organization: { ...ORG, filters: ["Nope=x"] } } }, "at '/config/organization/filters/0'"],
  ["an account id as a number (unquoted)", { config: { organization: { ...ORG, include_accounts: [222233334444] } } }, "at '/config/organization/include_accounts/0': got number, want string"],
  ["an account id of 11 digits", { config: { organization: { ...ORG, exclude_accounts: ["22223333444"] } } }, "at '/config/organization/exclude_accounts/0'"],
  ["an empty include_accounts", { config: { organization: { ...ORG, include_accounts: [] } } }, "at '/config/organization/include_accounts'"],
  ["an organizational unit id that is an account id", { config: { organization: { ...ORG, organizational_units: ["222233334444"] } } }, "at '/config/organization/organizational_units/0'"],
  ["an organizational unit id in capitals", { config: { organization: { ...ORG, organizational_units: ["ou-AB12-abcdefgh"] } } }, "at '/config/organization/organizational_units/0'"],
  ["an unknown key in organization", { config: { organization: { ...ORG, accounts: ["222233334444"] } } }, "at '/config/organization': additional properties 'accounts' not allowed"],
  ["a camelCase key in organization", { config: { organization: { ...ORG, memberRole: ORG.member_role } } }, "additional properties 'memberRole' not allowed"],
  ["a discoveryInterval that is no duration", { config: { discoveryInterval: "hourly" } }, "at '/config/discoveryInterval'"],
];

describe("values.schema.json, as Helm applies it", () => {
  const bad: Array<[string, object, string]> = [
    ["service.port as a string", { service: { port: "9877" } }, "at '/service/port': got string, want integer"],
    ["an unknown top-level key", { replicas: 2 }, "additional properties 'replicas' not allowed"],
    ["an unknown pullPolicy", { image: { pullPolicy: "Sometimes" } }, "at '/image/pullPolicy'"],
    ["a pollInterval that is no duration", { config: { pollInterval: "banana" } }, "at '/config/pollInterval'"],
    ["a pollInterval without unit", { config: { pollInterval: "60" } }, "at '/config/pollInterval'"],
    ["a port out of range", { config: { listenPort: 70000 } }, "at '/config/listenPort'"],
    ["an unknown log level", { config: { logLevel: "verbose" } }, "at '/config/logLevel'"],
    ["an unknown filter key", { config: { filters: ["Nope=x"] } }, "at '/config/filters/0'"],
    ["a region that is no region name", { config: { regions: ["EU-WEST-1"] } }, "at '/config/regions/0'"],
    ["maxAttempts above 10", { config: { maxAttempts: 11 } }, "at '/config/maxAttempts'"],
    ["a telemetry path taken by the health checks", { config: { telemetryPath: "/healthz" } }, "at '/config/telemetryPath'"],
    ["an overdue grace in plain seconds", { prometheusRule: { overdueGrace: 3600 } }, "at '/prometheusRule/overdueGrace'"],
    ["the removed notExecutedThreshold", { prometheusRule: { notExecutedThreshold: "8d" } }, "additional properties 'notExecutedThreshold' not allowed"],
    ["the renamed describeConcurrency", { config: { describeConcurrency: 8 } }, "at '/config/describeConcurrency': value must be 'renamed to config.enrichmentConcurrency in chart 0.5.0'"],
    ["the renamed describeConcurrency, even set to its message", { config: { describeConcurrency: "renamed to config.enrichmentConcurrency in chart 0.5.0" } }, "at '/config/describeConcurrency'"],
    ["enrichmentConcurrency 0", { config: { enrichmentConcurrency: 0 } }, "at '/config/enrichmentConcurrency'"],
    ["enrichmentConcurrency above 32", { config: { enrichmentConcurrency: 33 } }, "at '/config/enrichmentConcurrency'"],
    ["tags as one comma-separated string", { config: { tags: "team,owner" } }, "at '/config/tags': got string, want array"],
    ["a tag key with a comma", { config: { tags: ["team", "cost,center"] } }, "at '/config/tags/1': 'cost,center' does not match pattern"],
    ["a tag key with a character AWS does not allow", { config: { tags: ["team#1"] } }, "at '/config/tags/0': 'team#1' does not match pattern"],
    ["an empty tag key", { config: { tags: [""] } }, "at '/config/tags/0': minLength"],
    ["a tag key longer than 128", { config: { tags: ["k".repeat(129)] } }, "at '/config/tags/0': maxLength"],
    ["a tag key twice", { config: { tags: ["team", "team"] } }, "at '/config/tags': items at 0 and 1 are equal"],
    ["failedTargets as a switch", { config: { failedTargets: true } }, "at '/config/failedTargets': got boolean, want object"],
    ["failedTargets.maxPerAssociation 0", { config: { failedTargets: { maxPerAssociation: 0 } } }, "at '/config/failedTargets/maxPerAssociation'"],
    ["failedTargets.maxPerAssociation above 1000", { config: { failedTargets: { maxPerAssociation: 1001 } } }, "at '/config/failedTargets/maxPerAssociation'"],
    ["failedTargets.maxPerAccountRegion 0", { config: { failedTargets: { maxPerAccountRegion: 0 } } }, "at '/config/failedTargets/maxPerAccountRegion'"],
    ["failedTargets.maxPerAccountRegion above 100000", { config: { failedTargets: { maxPerAccountRegion: 100_001 } } }, "at '/config/failedTargets/maxPerAccountRegion'"],
    ["an unknown key under failedTargets", { config: { failedTargets: { max: 5 } } }, "at '/config/failedTargets': additional properties 'max' not allowed"],
    ["an alert the chart does not have", { prometheusRule: { alerts: { SsmAssociationOverDue: { enabled: false } } } }, "additional properties 'SsmAssociationOverDue' not allowed"],
    ["an alert's for: in the exporter's days", { prometheusRule: { alerts: { SsmAssociationFailed: { for: "1h30" } } } }, "at '/prometheusRule/alerts/SsmAssociationFailed/for'"],
    ["an empty severity", { prometheusRule: { alerts: { SsmAssociationFailed: { severity: "" } } } }, "at '/prometheusRule/alerts/SsmAssociationFailed/severity'"],
    ["severity among an alert's labels", { prometheusRule: { alerts: { SsmExporterAbsent: { labels: { severity: "page" } } } } }, "at '/prometheusRule/alerts/SsmExporterAbsent/labels/severity'"],
    ["alertname among alertLabels", { prometheusRule: { alertLabels: { alertname: "x" } } }, "at '/prometheusRule/alertLabels/alertname'"],
    ["a label name with a dash", { prometheusRule: { alertLabels: { "team-name": "x" } } }, "at '/prometheusRule/alertLabels': additional properties 'team-name' not allowed"],
    ["a label value that is no string", { prometheusRule: { alertLabels: { page: true } } }, "at '/prometheusRule/alertLabels/page'"],
    ["a threshold on an alert without one", { prometheusRule: { alerts: { SsmAssociationFailed: { threshold: 1 } } } }, "additional properties 'threshold' not allowed"],
    ["a negative failed-targets threshold", { prometheusRule: { alerts: { SsmAssociationTargetsFailed: { threshold: -1 } } } }, "at '/prometheusRule/alerts/SsmAssociationTargetsFailed/threshold'"],
    ["a stale-data threshold without unit", { prometheusRule: { alerts: { SsmExporterDataStale: { threshold: "900" } } } }, "at '/prometheusRule/alerts/SsmExporterDataStale/threshold'"],
    ["an empty exporter job regex", { prometheusRule: { exporterJobRegex: "" } }, "at '/prometheusRule/exporterJobRegex'"],
    ["an alertmanagerConfig namespace (it must be the release's)", { alertmanagerConfig: { namespace: "other" } }, "additional properties 'namespace' not allowed"],
    ["an unknown key under service", { service: { nodePort: 30000 } }, "at '/service': additional properties 'nodePort' not allowed"],
    ["sharding.replicas 1 (one shard is no sharding)", { sharding: { enabled: true, replicas: 1 } }, "at '/sharding/replicas': minimum"],
    ["sharding.replicas above 1000", { sharding: { replicas: 1001 } }, "at '/sharding/replicas': maximum"],
    ["sharding.replicas as a string", { sharding: { replicas: "3" } }, "at '/sharding/replicas': got string, want integer"],
    ["sharding as a switch", { sharding: true }, "at '/sharding': got boolean, want object"],
    ["an unknown key under sharding", { sharding: { shards: 3 } }, "at '/sharding': additional properties 'shards' not allowed"],
    ["a negative replicaCount", { replicaCount: -1 }, "at '/replicaCount': minimum"],
    ["pollConcurrency 0", { config: { pollConcurrency: 0 } }, "at '/config/pollConcurrency'"],
    ["pollConcurrency above 64", { config: { pollConcurrency: 65 } }, "at '/config/pollConcurrency'"],
    ["pollConcurrency as a string", { config: { pollConcurrency: "5" } }, "at '/config/pollConcurrency': got string, want integer"],
    ["a memory limit that is no quantity", { resources: { limits: { memory: "lots" } } }, "at '/resources/limits/memory'"],
    ["targets that is no list", { config: { targets: { regions: ["us-east-1"] } } }, "at '/config/targets': got object, want array"],
    ["a target without regions", { config: { targets: [{ role_arn: "arn:aws:iam::222233334444:role/r" }] } }, "missing property 'regions'"],
    ["a target with no region", { config: { targets: [{ regions: [] }] } }, "at '/config/targets/0/regions'"],
    ["a target region that is no region name", { config: { targets: [{ regions: ["EU-WEST-1"] }] } }, "at '/config/targets/0/regions/0'"],
    ["a target with an unknown key", { config: { targets: [{ regions: ["us-east-1"], region: "us-east-1" }] } }, "additional properties 'region' not allowed"],
    ["a role_arn that is no role ARN", { config: { targets: [{ role_arn: "arn:aws:iam::2222:role/r", regions: ["us-east-1"] }] } }, "at '/config/targets/0/role_arn'"],
    ["a role_arn of a user", { config: { targets: [{ role_arn: "arn:aws:iam::222233334444:user/u", regions: ["us-east-1"] }] } }, "at '/config/targets/0/role_arn'"],
    ["an external_id without role_arn", { config: { targets: [{ external_id: "abc", regions: ["us-east-1"] }] } }, "'role_arn' required, if 'external_id' exists"],
    ["a session_name without role_arn", { config: { targets: [{ session_name: "abc", regions: ["us-east-1"] }] } }, "'role_arn' required, if 'session_name' exists"],
    [
      "a session_name with a space",
      { config: { targets: [{ role_arn: "arn:aws:iam::222233334444:role/r", session_name: "a b", regions: ["us-east-1"] }] } },
      "at '/config/targets/0/session_name'",
    ],
    ["a target filter with an unknown key", { config: { targets: [{ regions: ["us-east-1"], filters: ["Nope=x"] }] } }, "at '/config/targets/0/filters/0'"],
    ["a target filter without value", { config: { targets: [{ regions: ["us-east-1"], filters: ["Name="] }] } }, "at '/config/targets/0/filters/0'"],
    ...organizationBad,
  ];

  it.each(bad)("rejects %s in helm template, naming the key", async (_name, values, message) => {
    const result = await templateRun({ values });
    expect(result.ok).toBe(false);
    expect(result.stderr).toContain("values don't meet the specifications of the schema");
    expect(result.stderr).toContain(message);
  });

  it("rejects a value of the wrong type in helm lint --strict, naming the key", async () => {
    const result = await lint({ values: { service: { port: "9877" } } });
    expect(result.ok).toBe(false);
    expect(result.stdout).toContain("[ERROR] values.yaml: - at '/service/port': got string, want integer");
  });

  it("rejects the renamed config.describeConcurrency in helm lint --strict, naming the new key", async () => {
    const result = await lint({ values: { config: { describeConcurrency: 4 } } });
    expect(result.ok).toBe(false);
    expect(result.stdout).toContain("[ERROR] values.yaml: - at '/config/describeConcurrency': value must be 'renamed to config.enrichmentConcurrency in chart 0.5.0'");
  });
});
