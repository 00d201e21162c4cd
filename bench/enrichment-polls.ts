/**
 * Child process of part D: the real exporter (startExporter, from dist/) with the flags it is given,
 * polled on command, in a process of its own so that its CPU and memory are its own. The parent points
 * the AWS SDK at the simulator (AWS_ENDPOINT_URL_SSM/STS, dummy credentials, no IMDS), counts the calls
 * there and churns the data between polls.
 *
 * Prints one JSON line for its first poll (from just before startExporter, which starts it, to its
 * publish), then one JSON line per command read from stdin, one command at a time:
 *   poll          one more poll of the target: CPU (process.cpuUsage, user + system of every thread), wall
 *   advance <ms>  moves the clock of the --ssm.describe-interval rule (describeNow) on by <ms>
 *   report        memory (after a forced GC: run with --expose-gc), peak RSS, and /metrics: its size,
 *                 series and the exporter's own aws_ssm_exporter_api_requests_total by operation
 *
 *   node --expose-gc --import tsx bench/enrichment-polls.ts <expected associations> [exporter flags...]
 */
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { gzipSync } from "node:zlib";
import type * as ConfigModule from "../src/config/config.js";
import type { Snapshot } from "../src/domain/snapshot.js";
import type * as Exporter from "../src/exporter.js";
import type * as Log from "../src/log.js";
import type * as Version from "../src/version.js";
import { BENCH_REGION, emit, exitWithParent, importDist, rawGet } from "./lib.js";

exitWithParent(1800);

const expected = Number(process.argv[2]);
if (!Number.isInteger(expected) || expected < 0) throw new Error("usage: enrichment-polls.ts <expected associations> [exporter flags...]");
const flags = process.argv.slice(3);

const [{ parseCommandLine }, { startExporter }, { createLogger }, { readBuildInfo }] = await Promise.all([
  importDist<typeof ConfigModule>("config/config.js"),
  importDist<typeof Exporter>("exporter.js"),
  importDist<typeof Log>("log.js"),
  importDist<typeof Version>("version.js"),
]);

const build = readBuildInfo();
// A long interval: no timer tick starts a poll of its own; every poll after the first is one we ask for.
const commandLine = parseCommandLine(
  [`--aws.region=${BENCH_REGION}`, "--web.listen-address=127.0.0.1:0", "--poll.interval=1h", "--log.level=warn", ...flags],
  {},
  build.version,
);
if (commandLine.kind !== "run") throw new Error(`unexpected command line result: ${commandLine.kind}`);
const logger = createLogger("warn", { write: (line: string) => process.stderr.write(line) });

let clockOffsetMs = 0;
const cpuSeconds = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1e6;

/** What a poll's snapshot says; a poll that failed, or lost associations, is no measurement. */
function summary(snapshot: Snapshot): { associations: number; details: number; tags: number; failedTargetAssociations: number } {
  const state = snapshot.targets[0];
  if (snapshot.targets.length !== 1 || state === undefined || !state.up) {
    throw new Error(`poll did not succeed: ${JSON.stringify(snapshot.targets.map((t) => ({ up: t.up, error: t.lastError?.message })))}`);
  }
  if (state.associations.length !== expected) throw new Error(`poll listed ${state.associations.length} associations, expected ${expected}`);
  return {
    associations: state.associations.length,
    details: state.enrichment?.details?.size ?? 0,
    tags: state.enrichment?.tags?.size ?? 0,
    failedTargetAssociations: state.enrichment?.failedTargets?.size ?? 0,
  };
}

const cpuBefore = process.cpuUsage();
const wallBefore = performance.now();
const exporter = await startExporter(commandLine.config, { logger, build, describeNow: () => Date.now() + clockOffsetMs });
const first = await exporter.poller.pollOnce();
emit({ cpuSeconds: cpuSeconds(process.cpuUsage(cpuBefore)), wallSeconds: (performance.now() - wallBefore) / 1000, ...summary(first) });

/** VmHWM of /proc/self/status (peak resident set size) in bytes; NaN off Linux. */
function peakRssBytes(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    return match === null ? Number.NaN : Number(match[1]) * 1024;
  } catch {
    return Number.NaN;
  }
}

async function report(): Promise<unknown> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with --expose-gc");
  gc();
  const memory = process.memoryUsage();
  const response = await rawGet(`${exporter.server.url}/metrics`, { "accept-encoding": "identity" });
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  const text = response.body.toString("utf8");
  const apiRequests: Record<string, number> = {};
  let series = 0;
  let associationSeries = 0;
  const enrichmentSeries: Record<string, number> = {};
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    series++;
    if (line.startsWith("aws_ssm_association_")) associationSeries++;
    const family = /^aws_ssm_association_(describe_info|last_successful_execution_timestamp_seconds|failed_target_info|failed_targets_left_out)[{ ]/.exec(line)?.[1];
    if (family !== undefined) enrichmentSeries[family] = (enrichmentSeries[family] ?? 0) + 1;
    const call = /^aws_ssm_exporter_api_requests_total\{([^}]*)\} (\S+)$/.exec(line);
    const operation = call && /operation="([^"]*)"/.exec(call[1] ?? "")?.[1];
    if (call && operation) apiRequests[operation] = (apiRequests[operation] ?? 0) + Number(call[2]);
  }
  return {
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    externalBytes: memory.external,
    peakRssBytes: peakRssBytes(),
    metricsBytes: response.body.length,
    metricsGzipBytes: gzipSync(response.body).length,
    series,
    associationSeries,
    enrichmentSeries,
    apiRequests,
  };
}

async function handle(command: string): Promise<unknown> {
  const [verb, arg] = command.trim().split(/\s+/);
  if (verb === "poll") {
    const before = process.cpuUsage();
    const wall = performance.now();
    const snapshot = await exporter.poller.pollOnce();
    return { cpuSeconds: cpuSeconds(process.cpuUsage(before)), wallSeconds: (performance.now() - wall) / 1000, ...summary(snapshot) };
  }
  if (verb === "advance") {
    const ms = Number(arg);
    if (!Number.isFinite(ms)) throw new Error(`advance needs milliseconds, got ${arg}`);
    clockOffsetMs += ms;
    return { clockOffsetMs };
  }
  if (verb === "report") return report();
  throw new Error(`unknown command ${JSON.stringify(command)}`);
}

// One command at a time: the parent waits for each answer before it sends the next.
let queue = Promise.resolve();
createInterface({ input: process.stdin }).on("line", (line) => {
  queue = queue
    .then(async () => emit(await handle(line)))
    .catch(async (err: unknown) => {
      process.stderr.write(`enrichment-polls: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      await exporter.close();
      process.exit(1);
    });
});
