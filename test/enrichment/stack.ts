import { afterEach } from "vitest";
import { startSimulator, type RunningSimulator } from "../../dev/simulator/server.js";
import type { SimOperation } from "../../dev/simulator/types.js";
import { parseCommandLine } from "../../src/config/config.js";
import { startExporter, type RunningExporter } from "../../src/exporter.js";
import { captureLogger } from "../helpers.js";
import { useSimulatorEndpoint } from "../integration/stack.js";

export const REGION = "eu-west-1";
export const SCOPE = { region: REGION };

/** The real exporter (real SDK, real HTTP) against the simulator, polling only when asked. */
export interface EnrichmentStack {
  readonly simulator: RunningSimulator;
  readonly exporter: RunningExporter;
  readonly logLines: Record<string, unknown>[];
  /** The clock of the --ssm.describe-interval refresh rule. */
  readonly clock: { ms: number };
  poll(): Promise<void>;
  scrape(): Promise<string>;
  /** Calls the simulator answered for this operation (every attempt). */
  calls(operation: SimOperation): number;
  /** The simulator's AssociationId at this listing position. */
  idOf(i: number): string;
}

let stacks: EnrichmentStack[] = [];

/** Registers the afterEach that stops every stack a test started. Call once at the top of a test file. */
export function closeStacksAfterEach(): void {
  afterEach(async () => {
    for (const s of stacks) {
      await s.exporter.close();
      await s.simulator.close();
    }
    stacks = [];
  });
}

/** `count` generated associations (seed `seed`), the exporter started with `flags` and polled once. */
export async function startEnrichmentStack(
  flags: readonly string[],
  count: number,
  seed = 7,
  /** Called with the simulator before the exporter starts (and so before its first poll). */
  beforeStart?: (simulator: RunningSimulator) => void,
): Promise<EnrichmentStack> {
  const simulator = await startSimulator();
  useSimulatorEndpoint(simulator);
  simulator.sim.generate(SCOPE, count, seed);
  beforeStart?.(simulator);
  const commandLine = parseCommandLine(["--web.listen-address=127.0.0.1:0", "--poll.interval=1h", `--aws.region=${REGION}`, ...flags], {}, "0.0.0-test", REGION);
  if (commandLine.kind !== "run") throw new Error("unexpected command line");
  const { logger, lines } = captureLogger();
  const clock = { ms: Date.parse("2030-01-01T00:00:00Z") };
  const build = { name: "ssm-association-exporter", version: "0.0.0-test", revision: "test", nodejsVersion: process.version };
  const exporter = await startExporter(commandLine.config, { logger, build, defaultMetrics: false, describeNow: () => clock.ms });
  await exporter.poller.pollOnce();
  const stack: EnrichmentStack = {
    simulator,
    exporter,
    logLines: lines,
    clock,
    poll: async () => void (await exporter.poller.pollOnce()),
    scrape: async () => (await fetch(`${exporter.server.url}/metrics`)).text(),
    calls: (operation) => simulator.sim.callCount(operation),
    idOf: (i) => {
      const id = simulator.sim.getAssociations(SCOPE)[i]?.AssociationId;
      if (id === undefined) throw new Error(`no association ${i}`);
      return id;
    },
  };
  stacks.push(stack);
  return stack;
}
