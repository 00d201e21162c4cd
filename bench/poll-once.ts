/**
 * Child process of part B: the real exporter path, once, in a fresh process. The parent points the
 * AWS SDK at the simulator (AWS_ENDPOINT_URL_SSM/STS, dummy credentials, no IMDS).
 *
 * Measures, from just before startExporter to the moment the first poll is published (rendered, gzipped,
 * swapped in): this process's CPU time (process.cpuUsage: user + system of every thread, so the
 * threadpool's gzip work counts), wall time and peak RSS. Then checks /metrics holds one
 * aws_ssm_association_info line per association, polls once more in the same process (steady state:
 * SDK client, sockets and credentials warm), and prints one JSON line.
 *
 * With BENCH_CPU_PROFILE_DIR set, the measured first poll is also CPU-profiled (V8 inspector, in process;
 * the profiler's overhead then inflates the figures) into <dir>/poll-once-<N>-<pid>.cpuprofile.
 *
 *   node --import tsx bench/poll-once.ts <expected associations>
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import type * as ConfigModule from "../src/config/config.js";
import type * as Exporter from "../src/exporter.js";
import type * as Log from "../src/log.js";
import type * as Version from "../src/version.js";
import { countLines, emit, exitWithParent, importDist, rawGet } from "./lib.js";

exitWithParent(600);

const expected = Number(process.argv[2]);
if (!Number.isInteger(expected) || expected < 0) throw new Error("usage: poll-once.ts <expected associations>");

const [{ parseCommandLine }, { startExporter }, { createLogger }, { readBuildInfo }] = await Promise.all([
  importDist<typeof ConfigModule>("config/config.js"),
  importDist<typeof Exporter>("exporter.js"),
  importDist<typeof Log>("log.js"),
  importDist<typeof Version>("version.js"),
]);

const build = readBuildInfo();
// A long interval: no timer tick may start a poll of its own while we measure (pollOnce joins the
// first poll, which startExporter starts right away).
const commandLine = parseCommandLine(["--aws.region=us-east-1", "--web.listen-address=127.0.0.1:0", "--poll.interval=1h"], {}, build.version);
if (commandLine.kind !== "run") throw new Error(`unexpected command line result: ${commandLine.kind}`);
const { config } = commandLine;
const logger = createLogger("error", { write: (line: string) => process.stderr.write(line) });

const cpuSeconds = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1e6;
const maxRssMiB = () => process.resourceUsage().maxRSS / 1024;
const startupCpuSeconds = cpuSeconds(process.cpuUsage());
const startupRssMiB = maxRssMiB();

const profileDir = process.env.BENCH_CPU_PROFILE_DIR;
const profiler = profileDir ? new Session() : undefined;
if (profiler) {
  profiler.connect();
  await profiler.post("Profiler.enable");
  await profiler.post("Profiler.start");
}

const cpuBefore = process.cpuUsage();
const wallBefore = performance.now();
const exporter = await startExporter(config, { logger, build });
const snapshot = await exporter.poller.pollOnce();
const firstCpu = process.cpuUsage(cpuBefore);
const firstWallMs = performance.now() - wallBefore;
const firstPeakRssMiB = maxRssMiB();
if (profiler && profileDir) {
  const { profile } = await profiler.post("Profiler.stop");
  writeFileSync(join(profileDir, `poll-once-${expected}-${process.pid}.cpuprofile`), JSON.stringify(profile));
  profiler.disconnect();
}

try {
  const state = snapshot.targets[0];
  if (snapshot.targets.length !== 1 || state === undefined || !state.up) {
    throw new Error(`poll did not succeed: ${JSON.stringify(snapshot.targets.map((t) => ({ up: t.up, error: t.lastError?.message })))}`);
  }
  const metrics = await rawGet(`${exporter.server.url}/metrics`, { "accept-encoding": "identity" });
  const infoLines = countLines(metrics.body.toString("utf8"), "aws_ssm_association_info{");
  if (metrics.status !== 200 || infoLines !== expected) {
    throw new Error(`/metrics answered ${metrics.status} with ${infoLines} aws_ssm_association_info lines, expected ${expected}`);
  }

  const steadyBefore = process.cpuUsage();
  const steadyWallBefore = performance.now();
  await exporter.poller.pollOnce();
  const steadyCpu = process.cpuUsage(steadyBefore);
  const steadyWallMs = performance.now() - steadyWallBefore;

  emit({
    associations: expected,
    infoLines,
    metricsBytes: metrics.body.length,
    startupCpuSeconds,
    startupRssMiB,
    first: { cpuSeconds: cpuSeconds(firstCpu), userSeconds: firstCpu.user / 1e6, systemSeconds: firstCpu.system / 1e6, wallSeconds: firstWallMs / 1000, peakRssMiB: firstPeakRssMiB },
    steady: { cpuSeconds: cpuSeconds(steadyCpu), wallSeconds: steadyWallMs / 1000, peakRssMiB: maxRssMiB() },
  });
} finally {
  await exporter.close();
}
process.exit(0);
