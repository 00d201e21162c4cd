/**
 * webConfig: /metrics behind the exporter-toolkit web config (--web.config.file), as real Helm v4 renders it.
 * The web config file and the certificates come from Secrets mounted as whole directories (a renewed
 * certificate or an edited password reaches the running pod), the paths in the chart-rendered file are the
 * mounted files, the probes move to the plain-HTTP probe port (--web.probe-listen-address), the Service does
 * not expose that port, and the ServiceMonitor scrapes with https, a client certificate and basic auth from
 * Secrets. Bad values are refused by values.schema.json or by the templates, naming the value; with
 * webConfig disabled nothing of it is rendered.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parse as parseYaml } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { parseCommandLine } from "../../src/config/config.js";
import { CHART_DIR, REPO, lint, only, template, templateRun, type K8sObject } from "./helm.js";
import { validateObject } from "./kubernetes-schemas.js";

type Json = { [key: string]: unknown };

interface Mount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
}
interface Volume {
  name: string;
  secret?: { secretName: string; defaultMode?: number; items?: Array<{ key: string; path: string }> };
  [source: string]: unknown;
}
interface Container {
  args: string[];
  ports: Array<{ name: string; containerPort: number; protocol: string }>;
  livenessProbe: { httpGet: Json };
  readinessProbe: { httpGet: Json };
  volumeMounts: Mount[];
}
interface Pod {
  containers: Container[];
  volumes: Volume[];
}
interface Endpoint {
  port: string;
  path: string;
  scheme?: string;
  tlsConfig?: Json;
  basicAuth?: Json;
}

const CI = "ci/web-config-values.yaml";
const WEB_DIR = "/etc/ssm-association-exporter/web";
const TLS_DIR = "/etc/ssm-association-exporter/tls";
const CLIENT_CA_DIR = "/etc/ssm-association-exporter/client-ca";
const WEB_VOLUMES = ["web-config", "tls", "client-ca"];
const ciValues = parseYaml(readFileSync(join(CHART_DIR, CI), "utf8")) as {
  webConfig: { config: Json; tls: { secretName: string; clientCASecretName: string }; probePort: number };
  serviceMonitor: { tlsConfig: Json; basicAuth: Json };
};

const podOf = (objects: readonly K8sObject[]) => (only(objects, "Deployment").spec as { template: { spec: Pod } }).template.spec;
const containerOf = (objects: readonly K8sObject[]) => {
  const containers = podOf(objects).containers;
  expect(containers).toHaveLength(1);
  return containers[0] as Container;
};
const flagValue = (args: readonly string[], flag: string) =>
  args
    .filter((a) => a.startsWith(`${flag}=`))
    .at(-1)
    ?.slice(flag.length + 1);
const endpointOf = (objects: readonly K8sObject[]) => {
  const endpoints = (only(objects, "ServiceMonitor").spec as { endpoints: Endpoint[] }).endpoints;
  expect(endpoints).toHaveLength(1);
  return endpoints[0] as Endpoint;
};
const secretData = (secret: K8sObject) => Object.fromEntries(Object.entries((secret.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));

/**
 * The Secret key behind a file of the exporter container: the Secret volume mounted (read-only, as a whole
 * directory) at the file's folder, and the key projected to the file's name (an `items` entry, else the key
 * of that name).
 */
function secretFile(objects: readonly K8sObject[], path: string): { secretName: string; key: string } {
  expect(isAbsolute(path), path).toBe(true);
  const mount = containerOf(objects).volumeMounts.find((m) => m.mountPath === dirname(path));
  expect(mount, `a volume mounted at ${dirname(path)}`).toBeDefined();
  expect(mount?.readOnly, `${dirname(path)} read-only`).toBe(true);
  expect(mount?.subPath, `${dirname(path)} mounted as a directory`).toBeUndefined();
  const volume = podOf(objects).volumes.find((v) => v.name === mount?.name);
  expect(volume?.secret, `the Secret volume ${mount?.name ?? "?"}`).toBeDefined();
  const secret = volume?.secret ?? { secretName: "" };
  const item = secret.items?.find((i) => i.path === basename(path));
  if (secret.items !== undefined) expect(item, `${basename(path)} among the items of ${secret.secretName}`).toBeDefined();
  return { secretName: secret.secretName, key: item?.key ?? basename(path) };
}

/** The chart-rendered web config file the exporter reads: --web.config.file, through its mount, in the rendered Secret. */
function renderedWebConfig(objects: readonly K8sObject[]): { path: string; text: string; config: Json } {
  const path = flagValue(containerOf(objects).args, "--web.config.file") ?? "";
  const { secretName, key } = secretFile(objects, path);
  const secret = only(objects, "Secret", "-web-config");
  expect(secret.metadata.name).toBe(secretName);
  const text = secretData(secret)[key];
  expect(text, `${key} in Secret ${secretName}`).toBeDefined();
  return { path, text: text ?? "", config: parseYaml(text ?? "") as Json };
}

const rejected = async (values: object) => {
  const result = await templateRun({ values });
  expect(result.ok).toBe(false);
  return result.stderr;
};

let ci: K8sObject[] = [];
let defaults: K8sObject[] = [];
beforeAll(async () => {
  [ci, defaults] = await Promise.all([template({ files: [CI] }), template({ values: { config: { regions: ["us-east-1"] }, serviceMonitor: { enabled: true } } })]);
});

describe(`webConfig of ${CI}`, () => {
  it("lints, and renders objects that validate, the web config Secret among them", async () => {
    const result = await lint({ files: [CI] });
    expect(result.ok, result.stdout + result.stderr).toBe(true);
    for (const object of ci) validateObject(object);
    expect(ci.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      "Deployment/demo-ssm-association-exporter",
      "Secret/demo-ssm-association-exporter-web-config",
      "Service/demo-ssm-association-exporter",
      "ServiceAccount/demo-ssm-association-exporter",
      "ServiceMonitor/demo-ssm-association-exporter",
    ]);
    expect(only(ci, "Secret").type).toBe("Opaque");
  });

  it("passes --web.config.file (the mounted file) and --web.probe-listen-address, which the exporter accepts", () => {
    const args = containerOf(ci).args;
    expect(flagValue(args, "--web.config.file")).toBe(`${WEB_DIR}/web-config.yml`);
    expect(flagValue(args, "--web.probe-listen-address")).toBe(`:${ciValues.webConfig.probePort}`);
    const parsed = parseCommandLine(args, {}, "0.0.0", "us-east-1");
    if (parsed.kind !== "run") throw new Error(parsed.kind);
    expect(parsed.config.web).toMatchObject({ configFile: `${WEB_DIR}/web-config.yml`, probe: { host: undefined, port: ciValues.webConfig.probePort } });
  });

  it("mounts the web config and the certificates from Secrets, read-only, as directories", () => {
    const mounts = containerOf(ci).volumeMounts.filter((m) => WEB_VOLUMES.includes(m.name));
    expect(mounts).toEqual([
      { name: "web-config", mountPath: WEB_DIR, readOnly: true },
      { name: "tls", mountPath: TLS_DIR, readOnly: true },
      { name: "client-ca", mountPath: CLIENT_CA_DIR, readOnly: true },
    ]);
    const volumes = podOf(ci).volumes.filter((v) => WEB_VOLUMES.includes(v.name));
    // 0440: the files are root's, readable by the pod's fsGroup (65534), which the exporter runs as.
    expect(volumes).toEqual([
      { name: "web-config", secret: { secretName: "demo-ssm-association-exporter-web-config", defaultMode: 0o440, items: [{ key: "web-config.yml", path: "web-config.yml" }] } },
      // The whole kubernetes.io/tls Secret (tls.crt, tls.key, ca.crt), no items: what cert-manager renews.
      { name: "tls", secret: { secretName: ciValues.webConfig.tls.secretName, defaultMode: 0o440 } },
      { name: "client-ca", secret: { secretName: ciValues.webConfig.tls.clientCASecretName, defaultMode: 0o440, items: [{ key: "ca.crt", path: "ca.crt" }] } },
    ]);
  });

  it("renders the web config file: the values, with the absolute paths of the mounted certificates", () => {
    const { config } = renderedWebConfig(ci);
    const values = ciValues.webConfig.config as { tls_server_config: Json };
    expect(config).toEqual({
      ...values,
      tls_server_config: { ...values.tls_server_config, cert_file: `${TLS_DIR}/tls.crt`, key_file: `${TLS_DIR}/tls.key`, client_ca_file: `${CLIENT_CA_DIR}/ca.crt` },
    });
    const server = config.tls_server_config as Record<string, string>;
    expect(secretFile(ci, server.cert_file ?? "")).toEqual({ secretName: ciValues.webConfig.tls.secretName, key: "tls.crt" });
    expect(secretFile(ci, server.key_file ?? "")).toEqual({ secretName: ciValues.webConfig.tls.secretName, key: "tls.key" });
    expect(secretFile(ci, server.client_ca_file ?? "")).toEqual({ secretName: ciValues.webConfig.tls.clientCASecretName, key: "ca.crt" });
  });

  it("probes /healthz and /readyz over plain HTTP on the probe port, which the Service does not expose", () => {
    const container = containerOf(ci);
    expect(container.ports).toEqual([
      { name: "http", containerPort: 9877, protocol: "TCP" },
      { name: "probe", containerPort: ciValues.webConfig.probePort, protocol: "TCP" },
    ]);
    expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "probe", scheme: "HTTP" });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "probe", scheme: "HTTP" });
    const service = only(ci, "Service").spec as { ports: Json[] };
    expect(service.ports).toEqual([{ name: "http", port: 9877, targetPort: "http", protocol: "TCP" }]);
  });

  it("has the ServiceMonitor scrape with https, the tlsConfig and the basicAuth of the values", () => {
    expect(endpointOf(ci)).toMatchObject({
      port: "http",
      path: "/metrics",
      scheme: "https",
      tlsConfig: ciValues.serviceMonitor.tlsConfig,
      basicAuth: ciValues.serviceMonitor.basicAuth,
    });
  });

  const webConfigModule = join(REPO, "src", "web", "web-config.ts");
  const pems = join(REPO, "test", "fixtures", "tls");
  it.skipIf(!existsSync(webConfigModule) || !existsSync(join(pems, "server.pem")))("is accepted by the exporter's own web config parser, reading the mounted files", async () => {
    const { path, text } = renderedWebConfig(ci);
    // The mounted files, as the Secrets would hold them: the fixtures' certificates.
    const files = new Map([
      [`${TLS_DIR}/tls.crt`, "server.pem"],
      [`${TLS_DIR}/tls.key`, "server-key.pem"],
      [`${CLIENT_CA_DIR}/ca.crt`, "client-ca.pem"],
    ]);
    const read: string[] = [];
    const readFile = (file: string) => {
      const absolute = resolve(dirname(path), file);
      const fixture = files.get(absolute);
      if (fixture === undefined) throw Object.assign(new Error(`ENOENT: ${absolute}`), { code: "ENOENT" });
      read.push(absolute);
      return readFileSync(join(pems, fixture), "utf8");
    };
    const { parseWebConfig } = (await import(pathToFileURL(webConfigModule).href)) as { parseWebConfig: (text: string, baseDir: string, readFile: (file: string) => string) => unknown };
    expect(parseWebConfig(text, dirname(path), readFile)).toBeDefined();
    expect([...new Set(read)].sort()).toEqual([...files.keys()].sort());
  });
});

describe("webConfig variants", () => {
  it("with only a cert-manager Secret: TLS from its tls.crt and tls.key, client certificates verified against its ca.crt", async () => {
    const objects = await template({
      values: {
        config: { regions: ["us-east-1"] },
        webConfig: { enabled: true, tls: { secretName: "exporter-tls" }, config: { tls_server_config: { client_auth_type: "VerifyClientCertIfGiven" } } },
        serviceMonitor: { enabled: true },
      },
    });
    for (const object of objects) validateObject(object);
    const { config } = renderedWebConfig(objects);
    expect(config).toEqual({ tls_server_config: { cert_file: `${TLS_DIR}/tls.crt`, key_file: `${TLS_DIR}/tls.key`, client_auth_type: "VerifyClientCertIfGiven", client_ca_file: `${TLS_DIR}/ca.crt` } });
    expect(secretFile(objects, `${TLS_DIR}/ca.crt`)).toEqual({ secretName: "exporter-tls", key: "ca.crt" });
    expect(podOf(objects).volumes.map((v) => v.name)).toEqual(["tmp", "web-config", "tls"]);
    expect(endpointOf(objects).scheme).toBe("https");
  });

  it("with basic auth only: no TLS, no certificate volume, the ServiceMonitor scrapes http", async () => {
    const users = ciValues.webConfig.config.basic_auth_users as Json;
    const objects = await template({
      values: { config: { regions: ["us-east-1"] }, webConfig: { enabled: true, config: { basic_auth_users: users } }, serviceMonitor: { enabled: true, basicAuth: ciValues.serviceMonitor.basicAuth } },
    });
    expect(renderedWebConfig(objects).config).toEqual({ basic_auth_users: users });
    expect(podOf(objects).volumes.map((v) => v.name)).toEqual(["tmp", "web-config"]);
    const endpoint = endpointOf(objects);
    expect(endpoint.scheme).toBeUndefined();
    expect(endpoint.basicAuth).toEqual(ciValues.serviceMonitor.basicAuth);
  });

  it("with an existing Secret: mounted under its key as web-config.yml, no Secret rendered, the scheme as set", async () => {
    const objects = await template({
      values: {
        config: { regions: ["us-east-1"] },
        webConfig: { enabled: true, existingSecret: "my-web-config", existingSecretKey: "web.yml", tls: { secretName: "exporter-tls" } },
        serviceMonitor: { enabled: true, scheme: "https", tlsConfig: { ca: { secret: { name: "exporter-tls", key: "ca.crt" } }, serverName: "exporter.example" } },
      },
    });
    for (const object of objects) validateObject(object);
    expect(objects.filter((o) => o.kind === "Secret")).toEqual([]);
    expect(secretFile(objects, flagValue(containerOf(objects).args, "--web.config.file") ?? "")).toEqual({ secretName: "my-web-config", key: "web.yml" });
    expect(secretFile(objects, `${TLS_DIR}/tls.crt`)).toEqual({ secretName: "exporter-tls", key: "tls.crt" });
    expect(endpointOf(objects)).toMatchObject({ scheme: "https", tlsConfig: { serverName: "exporter.example" } });
  });

  it("next to config.targets: both mounted, the web config inside the targets' folder", async () => {
    const objects = await template({ files: [CI], values: { config: { regions: [], targets: [{ regions: ["eu-west-1"] }] } } });
    const mounts = containerOf(objects).volumeMounts.map((m) => m.mountPath);
    expect(mounts).toEqual(expect.arrayContaining(["/etc/ssm-association-exporter", WEB_DIR, TLS_DIR, CLIENT_CA_DIR]));
    expect(flagValue(containerOf(objects).args, "--config.file")).toBe("/etc/ssm-association-exporter/targets.yaml");
    expect(renderedWebConfig(objects).path).toBe(`${WEB_DIR}/web-config.yml`);
  });

  it("without an fsGroup: the Secret files readable by all (0444), since they are root's", async () => {
    const objects = await template({ files: [CI], values: { podSecurityContext: { fsGroup: null } } });
    expect(podOf(objects).volumes.filter((v) => v.secret).map((v) => v.secret?.defaultMode)).toEqual([0o444, 0o444, 0o444]);
  });

  it.each([
    ["an existing Secret and config together", { existingSecret: "x", config: { basic_auth_users: ciValues.webConfig.config.basic_auth_users } }, "webConfig.existingSecret cannot be combined with webConfig.config"],
    ["nothing to protect with", {}, "webConfig.enabled needs webConfig.existingSecret, webConfig.config or webConfig.tls.secretName"],
    ["the probe port on the listen port", { tls: { secretName: "t" }, probePort: 9877 }, "webConfig.probePort 9877 is config.listenPort"],
    ["a cert_file next to tls.secretName", { tls: { secretName: "t" }, config: { tls_server_config: { cert_file: "a.crt", key_file: "a.key" } } }, "webConfig.config.tls_server_config.cert_file cannot be combined with webConfig.tls.secretName"],
    ["a client CA without a verifying client_auth_type", { tls: { secretName: "t", clientCASecretName: "ca" } }, "webConfig.tls.clientCASecretName needs webConfig.config.tls_server_config.client_auth_type"],
    ["a verifying client_auth_type without a CA", { config: { tls_server_config: { cert_file: "a.crt", key_file: "a.key", client_auth_type: "RequireAndVerifyClientCert" } } }, "client_auth_type RequireAndVerifyClientCert needs a client CA"],
    ["a tls_server_config without a certificate", { config: { tls_server_config: { min_version: "TLS13" } } }, "webConfig.config.tls_server_config has no certificate"],
  ])("fails the render with %s, naming the value", async (_name, webConfig, message) => {
    expect(await rejected({ config: { regions: ["us-east-1"] }, webConfig: { enabled: true, ...webConfig } })).toContain(message);
  });

  it.each([
    ["a plain password among basic_auth_users", { webConfig: { config: { basic_auth_users: { prometheus: "secret" } } } }, "at '/webConfig/config/basic_auth_users/prometheus'"],
    ["a user name with a colon", { webConfig: { config: { basic_auth_users: { "a:b": "$2y$10$ghHcxyFiCRDhjOURwMnFYePIO.2/JfPDfR.RwsBwv85Z7sf6zHUu2" } } } }, "at '/webConfig/config/basic_auth_users': additional properties 'a:b' not allowed"],
    ["an unknown key of the web config", { webConfig: { config: { tls_config: {} } } }, "additional properties 'tls_config' not allowed"],
    ["an unknown client_auth_type", { webConfig: { config: { tls_server_config: { client_auth_type: "RequireClientCert" } } } }, "at '/webConfig/config/tls_server_config/client_auth_type'"],
    ["a min_version in OpenSSL's spelling", { webConfig: { config: { tls_server_config: { min_version: "TLSv1.2" } } } }, "at '/webConfig/config/tls_server_config/min_version'"],
    ["a cert_file without key_file", { webConfig: { config: { tls_server_config: { cert_file: "a.crt" } } } }, "at '/webConfig/config/tls_server_config'"],
    ["a header the toolkit does not allow", { webConfig: { config: { http_server_config: { headers: { Server: "x" } } } } }, "additional properties 'Server' not allowed"],
    ["a probe port out of range", { webConfig: { probePort: 70000 } }, "at '/webConfig/probePort'"],
    ["a TLS Secret name that is no Kubernetes name", { webConfig: { tls: { secretName: "My_TLS" } } }, "at '/webConfig/tls/secretName'"],
    ["an unknown key under webConfig", { webConfig: { secretName: "x" } }, "at '/webConfig': additional properties 'secretName' not allowed"],
    ["an unknown scrape scheme", { serviceMonitor: { scheme: "tls" } }, "at '/serviceMonitor/scheme'"],
    ["a CA file path (not SafeTLSConfig)", { serviceMonitor: { tlsConfig: { caFile: "/etc/ca.crt" } } }, "additional properties 'caFile' not allowed"],
    ["a client certificate without its key", { serviceMonitor: { tlsConfig: { cert: { secret: { name: "c", key: "tls.crt" } } } } }, "at '/serviceMonitor/tlsConfig'"],
    ["a CA from a Secret and a ConfigMap at once", { serviceMonitor: { tlsConfig: { ca: { secret: { name: "c", key: "ca.crt" }, configMap: { name: "c", key: "ca.crt" } } } } }, "at '/serviceMonitor/tlsConfig/ca'"],
    ["a basic auth password in plain text", { serviceMonitor: { basicAuth: { username: { name: "s", key: "u" }, password: "secret" } } }, "at '/serviceMonitor/basicAuth/password': got string, want object"],
    ["a basic auth username without password", { serviceMonitor: { basicAuth: { username: { name: "s", key: "u" } } } }, "at '/serviceMonitor/basicAuth'"],
  ])("rejects %s in values.schema.json, naming the key", async (_name, values, message) => {
    const stderr = await rejected(values);
    expect(stderr).toContain("values don't meet the specifications of the schema");
    expect(stderr).toContain(message);
  });
});

describe("webConfig disabled (the default)", () => {
  it("renders no web config: no Secret, no flags, no probe port, no volumes, probes on http, a plain ServiceMonitor", () => {
    expect(defaults.filter((o) => o.kind === "Secret")).toEqual([]);
    const container = containerOf(defaults);
    expect(container.args.filter((a) => a.startsWith("--web.config.file") || a.startsWith("--web.probe-listen-address"))).toEqual([]);
    expect(container.ports.map((p) => p.name)).toEqual(["http"]);
    expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" });
    expect(podOf(defaults).volumes.map((v) => v.name)).toEqual(["tmp"]);
    expect(container.volumeMounts.map((m) => m.name)).toEqual(["tmp"]);
    const endpoint = endpointOf(defaults);
    expect(endpoint.scheme).toBeUndefined();
    expect(endpoint.tlsConfig).toBeUndefined();
    expect(endpoint.basicAuth).toBeUndefined();
  });

  it("ignores the other webConfig values", async () => {
    const objects = await template({ values: { config: { regions: ["us-east-1"] }, webConfig: { enabled: false, tls: { secretName: "exporter-tls" }, config: { basic_auth_users: ciValues.webConfig.config.basic_auth_users } } } });
    expect(objects.filter((o) => o.kind === "Secret")).toEqual([]);
    expect(podOf(objects).volumes.map((v) => v.name)).toEqual(["tmp"]);
  });
});
