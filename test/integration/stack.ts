import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { parseCommandLine } from "../../src/config/config.js";
import { startExporter, type RunningExporter } from "../../src/exporter.js";
import { startSimulator, type RunningSimulator } from "../../dev/simulator/server.js";
import { captureLogger } from "../helpers.js";

export const SIM_ACCESS_KEY = "AKIDSIMULATED0000001";

/**
 * Points the real AWS SDK at a simulator through the standard variables, as a user would. Each vitest
 * file runs in its own process, so this does not leak between files.
 */
export function useSimulatorEndpoint(simulator: RunningSimulator): void {
  process.env.AWS_ENDPOINT_URL_SSM = simulator.url;
  process.env.AWS_ENDPOINT_URL_STS = simulator.url;
  process.env.AWS_ACCESS_KEY_ID = SIM_ACCESS_KEY;
  process.env.AWS_SECRET_ACCESS_KEY = "simulated-secret";
  process.env.AWS_EC2_METADATA_DISABLED = "true";
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
}

export interface Stack {
  readonly simulator: RunningSimulator;
  readonly exporter: RunningExporter;
  readonly logLines: Record<string, unknown>[];
  readonly metricsUrl: string;
  /** Runs one poll now (or joins the running one) and waits until it is published. */
  poll(): Promise<void>;
  scrape(): Promise<string>;
  close(): Promise<void>;
}

export interface StackOptions {
  readonly regions: readonly string[];
  /** Called with the simulator before the exporter starts (and so before its first poll). */
  readonly seed?: (simulator: RunningSimulator) => void;
  readonly flags?: readonly string[];
}

/** The real exporter (real SDK, real HTTP) against an in-process simulator. Polls only when asked. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const simulator = await startSimulator();
  useSimulatorEndpoint(simulator);
  options.seed?.(simulator);
  const commandLine = parseCommandLine(
    ["--web.listen-address=127.0.0.1:0", "--poll.interval=1h", ...options.regions.map((r) => `--aws.region=${r}`), ...(options.flags ?? [])],
    {},
    "0.0.0-test",
    options.regions[0],
  );
  if (commandLine.kind !== "run") throw new Error("unexpected command line");
  const { logger, lines } = captureLogger();
  const build = { name: "ssm-association-exporter", version: "0.0.0-test", revision: "test", nodejsVersion: process.version };
  const exporter = await startExporter(commandLine.config, { logger, build, defaultMetrics: false });
  await exporter.poller.pollOnce(); // the first poll, started by startExporter
  const metricsUrl = `${exporter.server.url}/metrics`;
  return {
    simulator,
    exporter,
    logLines: lines,
    metricsUrl,
    poll: async () => {
      await exporter.poller.pollOnce();
    },
    scrape: async () => {
      const response = await fetch(metricsUrl);
      if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
      return response.text();
    },
    close: async () => {
      await exporter.close();
      await simulator.close();
    },
  };
}

export interface ParsedSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Every sample of the exposition, through a real parser. */
export function samples(exposition: string, name?: string): ParsedSample[] {
  return parsePrometheusTextFormat(exposition)
    .filter((family) => name === undefined || family.name === name)
    .flatMap((family) => family.metrics.map((m) => ({ name: family.name, labels: m.labels ?? {}, value: Number(m.value) })));
}

export function sampleValue(exposition: string, name: string, labels: Record<string, string>): number | undefined {
  return samples(exposition, name).find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}
