import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { waitFor } from "../helpers.js";
import { freePort } from "../process.js";

/** A program of Debian's prometheus / prometheus-alertmanager packages, run on loopback with its own config and data folder. */
export interface Peer {
  readonly url: string;
  readonly dir: string;
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

async function startPeer(binary: string, args: (dir: string, port: number) => string[], files: Record<string, string>, readyPath: string): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), "ssm-e2e-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const port = await freePort();
  const child = spawn(binary, args(dir, port), { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  const spawnError = once(child, "error").then(([err]) => {
    throw new Error(`${binary} could not start (apt-get install prometheus prometheus-alertmanager): ${String(err)}`);
  });
  const url = `http://127.0.0.1:${port}`;
  const peer: Peer = {
    url,
    dir,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, "exit");
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.race([
      spawnError,
      waitFor(async () => (await fetch(`${url}${readyPath}`).catch(() => undefined))?.ok, 30_000, `${binary} ready`),
    ]);
  } catch (err) {
    await peer.stop();
    throw new Error(`${String(err)}\n${output.slice(-3000)}`);
  }
  return peer;
}

export interface AlertmanagerOptions {
  /** Where notifications go: a webhook receiver (see startWebhookReceiver). */
  readonly webhookUrl: string;
  /** An Alertmanager configuration fragment with `inhibit_rules:` (the shipped alertmanager-inhibit-rules.yaml). */
  readonly inhibitRules?: string;
}

/**
 * One notification group per association (alerts of exporter targets group by account and region), sent
 * to the webhook 2 s after its first alert (group_wait) and again within 1 s of any change.
 */
export function startAlertmanager(options: AlertmanagerOptions): Promise<Peer> {
  const inhibit = options.inhibitRules === undefined ? {} : (parse(options.inhibitRules) as { inhibit_rules?: unknown });
  if (options.inhibitRules !== undefined && !Array.isArray(inhibit.inhibit_rules)) throw new Error("the inhibit rules file has no inhibit_rules: list");
  const config = stringify({
    route: {
      receiver: "webhook",
      group_by: ["account_id", "region", "association_id"],
      group_wait: "2s",
      group_interval: "1s",
      repeat_interval: "1h",
    },
    receivers: [{ name: "webhook", webhook_configs: [{ url: options.webhookUrl, send_resolved: true }] }],
    ...(inhibit.inhibit_rules !== undefined && { inhibit_rules: inhibit.inhibit_rules }),
  });
  return startPeer(
    "prometheus-alertmanager",
    (dir, port) => [
      `--config.file=${join(dir, "alertmanager.yml")}`,
      `--storage.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
    ],
    { "alertmanager.yml": config },
    "/-/ready",
  );
}

/** What Alertmanager's webhook receiver POSTs (version 4): one notification of one alert group. */
export interface AmNotification {
  status: "firing" | "resolved";
  groupKey: string;
  groupLabels: Record<string, string>;
  alerts: { status: "firing" | "resolved"; labels: Record<string, string>; annotations: Record<string, string> }[];
}

export interface WebhookReceiver {
  readonly url: string;
  /** Every notification received so far, in order. */
  readonly notifications: AmNotification[];
  close(): Promise<void>;
}

/** A tiny HTTP server on 127.0.0.1 that records the notifications Alertmanager POSTs to it. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const notifications: AmNotification[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      try {
        notifications.push(JSON.parse(body) as AmNotification);
        res.writeHead(200).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    notifications,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

export interface PrometheusOptions {
  readonly exporterAddress: string; // host:port
  readonly alertmanagerAddress: string; // host:port
  readonly rules: string; // rule file content
  readonly jobName: string;
}

export function startPrometheus(options: PrometheusOptions): Promise<Peer> {
  const config = [
    "global:",
    "  scrape_interval: 2s",
    "  scrape_timeout: 2s",
    "  evaluation_interval: 1s",
    "rule_files: [rules.yml]",
    "alerting:",
    "  alertmanagers:",
    `    - static_configs: [{ targets: ["${options.alertmanagerAddress}"] }]`,
    "scrape_configs:",
    `  - job_name: ${options.jobName}`,
    `    static_configs: [{ targets: ["${options.exporterAddress}"] }]`,
    "",
  ].join("\n");
  return startPeer(
    "prometheus",
    (dir, port) => [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--rules.alert.resend-delay=1s",
    ],
    { "prometheus.yml": config, "rules.yml": options.rules },
    "/-/ready",
  );
}

/**
 * A Prometheus with only the scrape jobs given (Prometheus' own `scrape_configs` entries, e.g. with
 * `scheme`, `tls_config` and `basic_auth`), no rules and no Alertmanager; scrapes every 2 s. File paths in
 * the jobs should be absolute.
 */
export function startPrometheusScraping(scrapeConfigs: readonly Record<string, unknown>[]): Promise<Peer> {
  const config = stringify({
    global: { scrape_interval: "2s", scrape_timeout: "2s", evaluation_interval: "1s" },
    scrape_configs: scrapeConfigs,
  });
  return startPeer(
    "prometheus",
    (dir, port) => [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`],
    { "prometheus.yml": config },
    "/-/ready",
  );
}

/** One scrape target as Prometheus' /api/v1/targets reports it. */
export interface PromTarget {
  labels: Record<string, string>;
  scrapeUrl: string;
  health: "up" | "down" | "unknown";
  lastError: string;
}

export async function prometheusTargets(prometheusUrl: string): Promise<PromTarget[]> {
  const body = (await (await fetch(`${prometheusUrl}/api/v1/targets?state=active`)).json()) as { status: string; data: { activeTargets: PromTarget[] } };
  if (body.status !== "success") throw new Error(`GET /api/v1/targets: ${JSON.stringify(body)}`);
  return body.data.activeTargets;
}

/** Every `for:` in a rule file set to 1s, so alerts fire within seconds. */
export function shortenForDurations(rules: string): string {
  return rules.replace(/^(\s*for:\s*)\S+\s*$/gm, "$11s");
}

export interface PromVectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

export async function promQuery(prometheusUrl: string, expr: string): Promise<PromVectorSample[]> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: unknown } };
  if (body.status !== "success") throw new Error(`query failed: ${expr}: ${body.error ?? response.status}`);
  if (body.data?.resultType === "scalar") return [{ metric: {}, value: body.data.result as [number, string] }];
  return (body.data?.result ?? []) as PromVectorSample[];
}

export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: string };
}

export async function alertmanagerAlerts(alertmanagerUrl: string): Promise<AmAlert[]> {
  const response = await fetch(`${alertmanagerUrl}/api/v2/alerts?active=true&silenced=false&inhibited=false`);
  return (await response.json()) as AmAlert[];
}

/** Every alert Prometheus holds (pending or firing), from its own API. */
export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: "pending" | "firing";
}

export async function prometheusAlerts(prometheusUrl: string): Promise<PromAlert[]> {
  const body = (await (await fetch(`${prometheusUrl}/api/v1/alerts`)).json()) as { status: string; data: { alerts: PromAlert[] } };
  if (body.status !== "success") throw new Error(`GET /api/v1/alerts: ${JSON.stringify(body)}`);
  return body.data.alerts;
}

/** Active alerts in Alertmanager, inhibited and silenced ones included; `status.inhibitedBy` says which. */
export async function alertmanagerAllAlerts(alertmanagerUrl: string): Promise<(AmAlert & { status: { inhibitedBy: string[] } })[]> {
  const response = await fetch(`${alertmanagerUrl}/api/v2/alerts?active=true&silenced=true&inhibited=true`);
  return (await response.json()) as (AmAlert & { status: { inhibitedBy: string[] } })[];
}
