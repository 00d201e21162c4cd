/**
 * `npm run bench:memory`: the peak RSS of the built exporter, the figures of the chart README's "Sizing"
 * section. A report, not a test: it exits 1 only when a measurement could not be made.
 *
 * For every case, one after the other: the simulator (`node dist-dev/simulator/cli.js --associations N
 * --regions ... --churn-every 3s`, which also flips a few statuses every 3 s), then the built exporter
 * (`node dist/main.js --poll.interval=3s`) against it, `/metrics` scraped every second (gzip, as Prometheus
 * asks) until every region has BENCH_MEMORY_POLLS successful polls (the exporter's own
 * aws_ssm_exporter_polls_total{outcome="success"}); then the exporter's peak RSS, VmHWM of
 * /proc/<pid>/status. Linux only.
 *
 * Env:
 *   BENCH_MEMORY_SIZES       associations in one region, one case each (default 1000,2000,10000,20000);
 *                            a case of five regions × 2,000 always follows
 *   BENCH_MEMORY_POLLS       successful polls of every region before reading the peak (default 30)
 *   BENCH_MEMORY_NODE        the Node.js binary running both processes (default: the one running this script)
 *   BENCH_MEMORY_NODE_FLAGS  flags of the exporter's Node.js (default "--max-old-space-size=256
 *                            --max-semi-space-size=1", the heap Node.js sizes in a container with a memory
 *                            limit of at most 512Mi; empty = no flags, V8 sizes its heap from this machine)
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, release, totalmem } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { BENCH_REGION, rawGet } from "./lib.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DEFAULT_NODE_FLAGS = "--max-old-space-size=256 --max-semi-space-size=1";
const FIVE_REGIONS = [BENCH_REGION, "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1"];
const FIVE_REGIONS_ASSOCIATIONS = 2_000;
const POLL_INTERVAL_SECONDS = 3;
const SCRAPE_EVERY_MS = 1_000;
const SCRAPE_TIMEOUT_MS = 10_000;
const SIMULATOR_START_TIMEOUT_MS = 60_000;
/** Time for the exporter to start and poll once, on top of the polls themselves. */
const EXPORTER_START_ALLOWANCE_MS = 60_000;
/** A case fails when its polls take more than this many times their interval on average. */
const POLL_SLOWNESS_ALLOWANCE = 3;
const STOP_GRACE_MS = 5_000;
const KILL_WAIT_MS = 2_000;
/** Lines of a child's output kept for an error message. */
const KEPT_OUTPUT_LINES = 5;

class BenchError extends Error {}

// ---------------------------------------------------------------------------------------------------
// Settings

function positiveInteger(name: string, raw: string): number {
  const trimmed = raw.trim();
  if (!/^\d+$/.test(trimmed) || Number(trimmed) === 0) throw new BenchError(`${name} must be a positive integer, got "${raw}"`);
  return Number(trimmed);
}

function readSizes(): number[] {
  const raw = process.env.BENCH_MEMORY_SIZES ?? "1000,2000,10000,20000";
  return raw.split(",").map((size) => positiveInteger("BENCH_MEMORY_SIZES", size));
}

function readPolls(): number {
  return positiveInteger("BENCH_MEMORY_POLLS", process.env.BENCH_MEMORY_POLLS ?? "30");
}

function readNodeFlags(): string[] {
  const raw = process.env.BENCH_MEMORY_NODE_FLAGS ?? DEFAULT_NODE_FLAGS;
  return raw.split(/\s+/).filter((flag) => flag !== "");
}

function readNodeBinary(): string {
  const raw = process.env.BENCH_MEMORY_NODE ?? "";
  return raw.trim() === "" ? process.execPath : raw.trim();
}

function nodeVersion(nodeBinary: string): string {
  try {
    return execFileSync(nodeBinary, ["--version"], { encoding: "utf8", timeout: 10_000 }).trim();
  } catch (err) {
    throw new BenchError(`cannot run ${nodeBinary} --version: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Child processes

interface RunningProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** The last few lines the process printed (stdout and stderr), for error messages. */
  readonly lastLines: string[];
  /** The first line on stdout; undefined when the process ended without one. */
  readonly firstStdoutLine: Promise<string | undefined>;
  /** Set once the process has exited. */
  exitDescription: string | undefined;
  readonly exited: Promise<void>;
}

const liveProcesses = new Set<RunningProcess>();

function startProcess(name: string, nodeBinary: string, args: readonly string[], env: NodeJS.ProcessEnv): RunningProcess {
  const child = spawn(nodeBinary, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let resolveFirstStdoutLine: (line: string | undefined) => void = () => undefined;
  const running: RunningProcess = {
    name,
    child,
    lastLines: [],
    firstStdoutLine: new Promise((resolve) => {
      resolveFirstStdoutLine = resolve;
    }),
    exitDescription: undefined,
    exited: new Promise((resolve) => {
      child.on("exit", (code, signal) => {
        running.exitDescription = signal === null ? `exit code ${code}` : `signal ${signal}`;
        liveProcesses.delete(running);
        resolve();
      });
      child.on("error", (err) => {
        running.exitDescription = `could not start: ${err.message}`;
        liveProcesses.delete(running);
        resolve();
      });
    }),
  };
  liveProcesses.add(running);
  void running.exited.then(() => resolveFirstStdoutLine(undefined)); // no effect once a line came
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    createInterface({ input: stream }).on("line", (line) => {
      if (stream === child.stdout) resolveFirstStdoutLine(line);
      running.lastLines.push(line);
      if (running.lastLines.length > KEPT_OUTPUT_LINES) running.lastLines.shift();
    });
  }
  return running;
}

function lastLine(running: RunningProcess): string {
  return running.lastLines.at(-1) ?? "(no output)";
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when the process has exited, or after `ms`; tells which. */
async function exitedWithin(running: RunningProcess, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([running.exited, timeout]);
  clearTimeout(timer);
  return running.exitDescription !== undefined;
}

/** SIGTERM to this process's own pid; SIGKILL if it is still there after STOP_GRACE_MS. */
async function stopProcess(running: RunningProcess): Promise<void> {
  if (running.exitDescription !== undefined) return;
  running.child.kill("SIGTERM");
  if (await exitedWithin(running, STOP_GRACE_MS)) return;
  running.child.kill("SIGKILL");
  if (!(await exitedWithin(running, KILL_WAIT_MS))) {
    process.stderr.write(`bench/memory: ${running.name} (pid ${running.child.pid}) still running after SIGKILL\n`);
  }
}

async function stopAllProcesses(): Promise<void> {
  await Promise.all([...liveProcesses].map((running) => stopProcess(running)));
}

/** The simulator prints its URL as its first line on stdout. */
async function simulatorUrl(simulator: RunningProcess): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), SIMULATOR_START_TIMEOUT_MS);
  });
  const line = await Promise.race([simulator.firstStdoutLine, timeout]);
  clearTimeout(timer);
  if (line === "timeout") throw new BenchError(`simulator printed no URL within ${SIMULATOR_START_TIMEOUT_MS / 1000}s`);
  if (line === undefined) throw new BenchError(`simulator ended (${simulator.exitDescription}) before printing its URL: ${lastLine(simulator)}`);
  if (!/^http:\/\/\S+$/.test(line.trim())) throw new BenchError(`simulator printed "${line}" instead of its URL`);
  return line.trim();
}

/** A port nobody listens on right now (the OS picks it; the exporter binds it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    const timer = setTimeout(() => reject(new BenchError("could not find a free port within 5s")), 5_000);
    server.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        clearTimeout(timer);
        if (address === null || typeof address === "string") reject(new BenchError("no port from the OS"));
        else resolve(address.port);
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------------
// Measurements

/** The exporter's env: none of this shell's AWS settings, the simulator as SSM and STS, dummy credentials. */
function exporterEnv(simulatorUrlValue: string, region: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("AWS_")) env[key] = value;
  return {
    ...env,
    AWS_ENDPOINT_URL_SSM: simulatorUrlValue,
    AWS_ENDPOINT_URL_STS: simulatorUrlValue,
    AWS_ACCESS_KEY_ID: "AKIDSIZING0000000000",
    AWS_SECRET_ACCESS_KEY: "sizing",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_REGION: region,
  };
}

interface PollCounts {
  /** Successful polls by region. */
  readonly successes: Map<string, number>;
  /** Failed polls, as `region outcome count`. */
  readonly failures: string[];
}

/** aws_ssm_exporter_polls_total from an exposition: `...{account_id="…",region="…",outcome="…"} 12`. */
function pollCounts(exposition: string): PollCounts {
  const successes = new Map<string, number>();
  const failures: string[] = [];
  for (const match of exposition.matchAll(/^aws_ssm_exporter_polls_total\{([^}]*)\} (\S+)/gm)) {
    const labels = match[1] ?? "";
    const count = Number(match[2]);
    const region = /region="([^"]*)"/.exec(labels)?.[1] ?? "?";
    const outcome = /outcome="([^"]*)"/.exec(labels)?.[1] ?? "?";
    if (outcome === "success") successes.set(region, (successes.get(region) ?? 0) + count);
    else if (count > 0) failures.push(`${region} ${outcome} ${count}`);
  }
  return { successes, failures };
}

/** One scrape as Prometheus makes it (gzip); the exposition as text. */
async function scrape(metricsUrl: string): Promise<string> {
  const response = await rawGet(metricsUrl, { "accept-encoding": "gzip" }, SCRAPE_TIMEOUT_MS);
  if (response.status !== 200) throw new Error(`GET ${metricsUrl}: HTTP ${response.status}`);
  const body = response.headers["content-encoding"] === "gzip" ? gunzipSync(response.body) : response.body;
  return body.toString("utf8");
}

/** VmHWM of /proc/<pid>/status, the peak resident set size, in KiB. */
function peakRssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  if (match === null) throw new BenchError(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]);
}

interface Case {
  readonly associations: number;
  readonly regions: readonly string[];
}

interface Result {
  readonly associations: number;
  readonly regions: number;
  readonly pollsPerRegion: number;
  readonly peakRssKiB: number;
  readonly seconds: number;
}

interface Setup {
  readonly nodeBinary: string;
  readonly nodeFlags: readonly string[];
  readonly polls: number;
}

async function measure(benchCase: Case, setup: Setup): Promise<Result> {
  const startedAt = Date.now();
  const label = `${benchCase.associations} associations × ${benchCase.regions.length} region(s)`;
  const regionList = benchCase.regions.join(",");
  const simulator = startProcess(
    "simulator",
    setup.nodeBinary,
    ["dist-dev/simulator/cli.js", "--host", "127.0.0.1", "--port", "0", "--associations", String(benchCase.associations), "--regions", regionList, "--churn-every", `${POLL_INTERVAL_SECONDS}s`],
    process.env,
  );
  let exporter: RunningProcess | undefined;
  try {
    const url = await simulatorUrl(simulator);
    const port = await freePort();
    exporter = startProcess(
      "exporter",
      setup.nodeBinary,
      [...setup.nodeFlags, "dist/main.js", `--aws.region=${regionList}`, `--poll.interval=${POLL_INTERVAL_SECONDS}s`, `--web.listen-address=127.0.0.1:${port}`],
      exporterEnv(url, benchCase.regions[0] ?? BENCH_REGION),
    );
    const metricsUrl = `http://127.0.0.1:${port}/metrics`;
    const timeoutMs = EXPORTER_START_ALLOWANCE_MS + setup.polls * POLL_INTERVAL_SECONDS * 1000 * POLL_SLOWNESS_ALLOWANCE;
    const deadline = Date.now() + timeoutMs;
    let lastProblem = "no scrape yet";
    for (;;) {
      const scrapeStartedAt = Date.now();
      if (exporter.exitDescription !== undefined) throw new BenchError(`${label}: exporter ended (${exporter.exitDescription}): ${lastLine(exporter)}`);
      if (simulator.exitDescription !== undefined) throw new BenchError(`${label}: simulator ended (${simulator.exitDescription}): ${lastLine(simulator)}`);
      let exposition: string | undefined;
      try {
        exposition = await scrape(metricsUrl);
      } catch (err) {
        lastProblem = err instanceof Error ? err.message : String(err); // not listening yet, or a slow answer
      }
      if (exposition !== undefined) {
        const counts = pollCounts(exposition);
        if (counts.failures.length > 0) throw new BenchError(`${label}: failed polls (region outcome count): ${counts.failures.join(", ")}; exporter: ${lastLine(exporter)}`);
        const pollsPerRegion = Math.min(...benchCase.regions.map((region) => counts.successes.get(region) ?? 0));
        lastProblem = `${pollsPerRegion} of ${setup.polls} successful polls in every region`;
        if (pollsPerRegion >= setup.polls) {
          const pid = exporter.child.pid;
          if (pid === undefined) throw new BenchError(`${label}: exporter has no pid`);
          return {
            associations: benchCase.associations * benchCase.regions.length,
            regions: benchCase.regions.length,
            pollsPerRegion,
            peakRssKiB: peakRssKiB(pid),
            seconds: (Date.now() - startedAt) / 1000,
          };
        }
      }
      if (Date.now() >= deadline) throw new BenchError(`${label}: not done within ${timeoutMs / 1000}s (${lastProblem})`);
      await sleep(Math.max(0, scrapeStartedAt + SCRAPE_EVERY_MS - Date.now()));
    }
  } finally {
    if (exporter !== undefined) await stopProcess(exporter);
    await stopProcess(simulator);
  }
}

// ---------------------------------------------------------------------------------------------------
// Report

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), `|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

async function main(): Promise<void> {
  if (process.platform !== "linux") throw new BenchError("needs Linux (peak RSS is read from /proc/<pid>/status)");
  const sizes = readSizes();
  const polls = readPolls();
  const nodeBinary = readNodeBinary();
  const nodeFlags = readNodeFlags();
  const version = nodeVersion(nodeBinary);
  const setup: Setup = { nodeBinary, nodeFlags, polls };
  const cases: Case[] = [...sizes.map((associations) => ({ associations, regions: [BENCH_REGION] })), { associations: FIVE_REGIONS_ASSOCIATIONS, regions: FIVE_REGIONS }];

  const cpuList = cpus();
  console.log("# ssm-association-exporter peak memory (npm run bench:memory)");
  console.log("");
  console.log(`Node.js ${version}: ${nodeBinary}`);
  console.log(`exporter's Node.js flags: ${nodeFlags.length > 0 ? nodeFlags.join(" ") : "(none)"}`);
  console.log(`CPU: ${cpuList[0]?.model ?? "unknown"}, ${cpuList.length} logical cores; memory ${(totalmem() / 1024 ** 3).toFixed(1)} GiB; kernel ${release()}`);
  console.log(`--poll.interval=${POLL_INTERVAL_SECONDS}s, simulator --churn-every ${POLL_INTERVAL_SECONDS}s, /metrics (gzip) every ${SCRAPE_EVERY_MS / 1000}s, ${polls} successful polls of every region`);
  console.log(`started ${new Date().toISOString()}`);
  console.log("");

  const startedAt = Date.now();
  const rows: string[][] = [];
  for (const benchCase of cases) {
    process.stderr.write(`measuring ${benchCase.associations} associations in ${benchCase.regions.join(",")} ...\n`);
    const result = await measure(benchCase, setup);
    rows.push([
      result.associations.toLocaleString("en-US"),
      String(result.regions),
      String(result.pollsPerRegion),
      String(Math.ceil(result.peakRssKiB / 1024)),
      version,
      result.seconds.toFixed(0),
    ]);
  }
  console.log(table(["associations", "regions", "polls per region", "peak RSS MiB (VmHWM, rounded up)", "Node.js", "seconds"], rows));
  console.log("");
  console.log(`run time ${((Date.now() - startedAt) / 1000).toFixed(0)}s`);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    process.stderr.write(`bench/memory: ${signal}, stopping the simulator and the exporter\n`);
    void stopAllProcesses().finally(() => process.exit(130));
  });
}

main().catch(async (err: unknown) => {
  await stopAllProcesses();
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`bench/memory: ${message.replace(/\s*\n\s*/g, " ")}\n`);
  process.exit(1);
});
