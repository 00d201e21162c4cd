import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

export function startAlertmanager(): Promise<Peer> {
  const config = [
    "route:",
    "  receiver: blackhole",
    "  group_by: [alertname, account_id, region, association_id]",
    "  group_wait: 1s",
    "  group_interval: 1s",
    "  repeat_interval: 1h",
    "receivers:",
    "  - name: blackhole",
    "",
  ].join("\n");
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
