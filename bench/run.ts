/**
 * `npm run bench`: one run's figures, measured side by side on this machine. A report, not a test: it
 * exits 0 when a target is missed, 1 only when a measurement could not be made (a child failed, a check
 * did not hold).
 *
 * A. /metrics at static-file speed: the exporter's HTTP app (bench/serve-exporter.ts) against a bare
 *    node:http server sending the same bytes from memory (bench/serve-bare.ts), each in its own process,
 *    loaded by autocannon in this process.
 * B. Poll + render cost: the real exporter path (bench/poll-once.ts) against the simulator
 *    (bench/serve-simulator.ts), fresh process per run.
 *
 * Env: BENCH_DURATION_SECONDS (default 10) per load run of part A; BENCH_SIZES (default 2000,10000,50000)
 * for part B; BENCH_PARTS (default AB).
 */
import autocannon from "autocannon";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { BENCH_SEED, BENCH_REGION } from "./lib.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DURATION_SECONDS = positiveNumber("BENCH_DURATION_SECONDS", 10);
const WARMUP_SECONDS = Math.min(2, Math.max(1, Math.round(DURATION_SECONDS / 5)));
const SIZES = (process.env.BENCH_SIZES ?? "2000,10000,50000").split(",").map((s) => Number(s.trim()));
const PARTS = (process.env.BENCH_PARTS ?? "AB").toUpperCase();
const PART_A_ASSOCIATIONS = 10_000;
const POLL_TIMEOUT_MS = 300_000;

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`${name} must be a positive number, got ${raw}`);
  return n;
}

// ---------------------------------------------------------------------------------------------------
// Child processes: each prints JSON lines on stdout; stderr goes straight to ours.

const live = new Set<Child>();

class Child {
  readonly proc: ChildProcess;
  private readonly lines: string[] = [];
  private wake: (() => void) | undefined;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;

  constructor(
    readonly label: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.proc = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["pipe", "pipe", "inherit"] });
    live.add(this);
    this.exited = new Promise((resolve) => {
      this.proc.on("exit", (code, signal) => {
        this.exit = { code, signal };
        live.delete(this);
        this.wake?.();
        resolve();
      });
    });
    this.proc.on("error", (err) => process.stderr.write(`${label}: ${err.message}\n`));
    const stdout = this.proc.stdout;
    if (stdout === null) throw new Error("no stdout pipe");
    createInterface({ input: stdout }).on("line", (line) => {
      this.lines.push(line);
      this.wake?.();
    });
  }

  /** A bench script of this folder, run through tsx (which loads only the script; the product comes from dist/). */
  static script(name: string, args: readonly string[] = [], env?: NodeJS.ProcessEnv): Child {
    return new Child(name, ["--import", "tsx", join("bench", name), ...args], env);
  }

  /** The next JSON line the child prints. Other lines are passed on to our stderr. */
  async nextJson<T>(timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) {
        if (line.trimStart().startsWith("{")) return JSON.parse(line) as T;
        process.stderr.write(`${this.label}: ${line}\n`);
        continue;
      }
      if (this.exit) throw new Error(`${this.label} exited (code ${this.exit.code}, signal ${this.exit.signal}) without printing its result`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.label}: no result within ${timeoutMs / 1000}s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  send(line: string): void {
    this.proc.stdin?.write(`${line}\n`);
  }

  /** Waits for the child to exit by itself, killing it after timeoutMs. */
  async waitExit(timeoutMs: number): Promise<number | null> {
    const timer = setTimeout(() => void this.stop(), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    return this.exit?.code ?? null;
  }

  /** SIGTERM, then SIGKILL if it is still there after 3 s. Only ever signals this child's own pid. */
  async stop(): Promise<void> {
    if (this.exit) return;
    this.proc.kill("SIGTERM");
    const killer = setTimeout(() => this.proc.kill("SIGKILL"), 3_000);
    await this.exited;
    clearTimeout(killer);
  }
}

async function stopAll(): Promise<void> {
  await Promise.all([...live].map((child) => child.stop()));
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    process.stderr.write(`\n${signal}: stopping the benchmark's child processes\n`);
    void stopAll().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------------
// Formatting

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
const verdict = (ok: boolean) => (ok ? "PASS" : "MISS");

function machineFacts(): void {
  const cpuList = cpus();
  const autocannonVersion = (JSON.parse(readFileSync(join(ROOT, "node_modules/autocannon/package.json"), "utf8")) as { version: string }).version;
  console.log("# ssm-association-exporter benchmark");
  console.log("");
  console.log(`node ${process.version} (${process.platform}/${process.arch}, kernel ${release()})`);
  console.log(`CPU: ${cpuList[0]?.model ?? "unknown"}, ${cpuList.length} logical cores (availableParallelism ${availableParallelism()})`);
  console.log(`memory: ${(totalmem() / 1024 ** 3).toFixed(1)} GiB; autocannon ${autocannonVersion}; load duration ${DURATION_SECONDS}s per run after ${WARMUP_SECONDS}s warm-up`);
  console.log(`started ${new Date().toISOString()}, load average ${loadavg().map((l) => l.toFixed(2)).join(" ")} (other processes on this machine share its cores)`);
}

// ---------------------------------------------------------------------------------------------------
// Part A: /metrics against a static-file baseline

interface Load {
  /** autocannon's requests/s: the mean of its per-second counts of completed requests. */
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  bytesPerResponse: number;
  errors: number;
  non2xx: number;
  /** CPU seconds of the server process during the run (from /proc; NaN elsewhere). */
  serverCpuSeconds: number;
  /** CPU seconds of this process (autocannon) during the run. */
  clientCpuSeconds: number;
  seconds: number;
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux architecture the bench runs on

/** utime + stime of another process in seconds, from /proc/<pid>/stat (Linux); NaN when unavailable. */
function processCpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields from `state` on: utime is the 12th, stime the 13th
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** Nearest-rank percentile of ascending `sorted`. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/**
 * autocannon's client, as shipped, appends every body chunk to a JS string (`req.body += chunk`, in
 * PipelinedRequestsQueue.addBody) so that it can compare bodies. With 1.8–21 MB bodies that string
 * decoding is the whole run's bottleneck: on this 2-core machine it capped both servers at ~30 (identity)
 * and ~40 (gzip) responses/s, a quarter and a tenth of what they serve to a client that skips it. We compare no bodies, so every client gets a
 * no-op addBody: bytes are still counted and latency still spans request to last body byte.
 * Latencies are taken from the client's `response` event (fractional ms), not autocannon's histogram,
 * which keeps whole milliseconds: too coarse for ~1 ms gzip responses.
 */
function instrumentClient(latencies: number[]): (client: autocannon.Client) => void {
  return (client) => {
    const queue = (client as unknown as { pipelinedRequests?: { addBody?: unknown } }).pipelinedRequests;
    if (typeof queue?.addBody !== "function") throw new Error("autocannon internals changed: no pipelinedRequests.addBody to disable");
    queue.addBody = () => undefined;
    client.on("response", (_status: number, _bytes: number, ms: number) => latencies.push(ms));
  };
}

async function load(server: Child, url: string, connections: number, gzip: boolean, seconds: number): Promise<Load> {
  const latencies: number[] = [];
  const serverCpuBefore = processCpuSeconds(server.proc.pid);
  const clientCpuBefore = process.cpuUsage();
  const result = await autocannon({
    url: `${url}/metrics`,
    connections,
    duration: seconds,
    timeout: 30,
    headers: { "accept-encoding": gzip ? "gzip" : "identity" },
    setupClient: instrumentClient(latencies),
  });
  const serverCpuSeconds = processCpuSeconds(server.proc.pid) - serverCpuBefore;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  latencies.sort((a, b) => a - b);
  const ok = result["2xx"];
  return {
    rps: result.requests.average,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    requests: ok,
    bytesPerResponse: ok > 0 ? result.throughput.total / ok : 0,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    serverCpuSeconds,
    clientCpuSeconds: (clientCpu.user + clientCpu.system) / 1e6,
    seconds: result.duration,
  };
}

interface ExporterInfo {
  url: string;
  associations: number;
  series: number;
  textBytes: number;
  textChunks: number;
  /** Further numeric fields of the Exposition (e.g. the compressed size), whatever they are called. */
  [field: string]: number | string;
}

interface BareInfo {
  url: string;
  identityBytes: number;
  gzipBytes: number;
  decodedGzipBytes: number;
}

async function partA(): Promise<void> {
  console.log("");
  console.log(`## A. /metrics at static-file speed (${PART_A_ASSOCIATIONS.toLocaleString("en")} associations, default metrics on)`);
  console.log("");
  const exporterChild = Child.script("serve-exporter.ts", [String(PART_A_ASSOCIATIONS)]);
  const exporter = await exporterChild.nextJson<ExporterInfo>(120_000);
  const bareChild = Child.script("serve-bare.ts", [`${exporter.url}/metrics`]);
  const bare = await bareChild.nextJson<BareInfo>(60_000);
  const known = new Set(["url", "associations", "series", "textBytes", "textChunks", "textLength", "seriesCount"]);
  const others = Object.entries(exporter)
    .filter(([key]) => !known.has(key) && !/crc/i.test(key))
    .map(([key, value]) => `${key} ${typeof value === "number" ? value.toLocaleString("en") : value}`);
  console.log(
    `exporter: ${exporter.series.toLocaleString("en")} series; cached association text ${exporter.textBytes.toLocaleString("en")} B (${mib(exporter.textBytes)}) ` +
      `in ${exporter.textChunks} chunks${others.length > 0 ? `; ${others.join(", ")}` : ""}`,
  );
  console.log(
    `bare (bytes fetched once from the exporter): identity body ${bare.identityBytes.toLocaleString("en")} B, gzip body ${bare.gzipBytes.toLocaleString("en")} B ` +
      `(gunzips to ${bare.decodedGzipBytes.toLocaleString("en")} B)`,
  );
  console.log(`self-metrics tail of that scrape: ${(bare.identityBytes - exporter.textBytes).toLocaleString("en")} B of text`);
  console.log("load: autocannon in this process, bodies counted but not kept (see instrumentClient); exporter run first, then bare, each after a warm-up;");
  console.log("req/s = autocannon's mean of per-second counts; p50/p99 = nearest-rank over every response's latency.");
  console.log("");

  const cases = [
    { connections: 1, gzip: false },
    { connections: 1, gzip: true },
    { connections: 8, gzip: false },
    { connections: 8, gzip: true },
  ];
  const rows: string[][] = [];
  const sizeRows: string[][] = [];
  const problems: string[] = [];
  for (const { connections, gzip } of cases) {
    const name = `c=${connections} ${gzip ? "gzip" : "identity"}`;
    const measured: Record<"exporter" | "bare", Load> = {} as Record<"exporter" | "bare", Load>;
    for (const [which, child, url] of [["exporter", exporterChild, exporter.url], ["bare", bareChild, bare.url]] as const) {
      await load(child, url, connections, gzip, WARMUP_SECONDS);
      const result = await load(child, url, connections, gzip, DURATION_SECONDS);
      if (result.errors > 0 || result.non2xx > 0) problems.push(`${name} ${which}: ${result.errors} errors/timeouts, ${result.non2xx} non-2xx`);
      measured[which] = result;
    }
    const e = measured.exporter;
    const b = measured.bare;
    const ratio = e.rps / b.rps;
    const p99Ratio = e.p99 / b.p99;
    rows.push([
      name,
      fixed(e.rps, 1),
      fixed(b.rps, 1),
      fixed(ratio, 2),
      fixed(e.p50, 2),
      fixed(b.p50, 2),
      fixed(e.p99, 2),
      fixed(b.p99, 2),
      fixed(p99Ratio, 2),
      `${verdict(ratio >= 0.8)} / ${verdict(p99Ratio <= 1.5)}`,
    ]);
    const perResponseMs = (l: Load) => fixed((1000 * l.serverCpuSeconds) / l.requests, 3);
    const percent = (cpu: number, l: Load) => `${fixed((100 * cpu) / l.seconds, 0)}%`;
    sizeRows.push([
      name,
      `${Math.round(e.bytesPerResponse).toLocaleString("en")} / ${Math.round(b.bytesPerResponse).toLocaleString("en")}`,
      `${e.requests} / ${b.requests}`,
      `${perResponseMs(e)} / ${perResponseMs(b)}`,
      `${percent(e.serverCpuSeconds, e)} / ${percent(b.serverCpuSeconds, b)}`,
      `${percent(e.clientCpuSeconds, e)} / ${percent(b.clientCpuSeconds, b)}`,
    ]);
  }
  await Promise.all([exporterChild.stop(), bareChild.stop()]);

  console.log(
    table(
      ["case", "exporter req/s", "bare req/s", "ratio", "exporter p50 ms", "bare p50 ms", "exporter p99 ms", "bare p99 ms", "p99 ratio", "thr ≥0.8× / p99 ≤1.5×"],
      rows,
    ),
  );
  console.log("");
  console.log("Per run, exporter / bare: bytes per response as autocannon read them (headers + body), 2xx responses, the server");
  console.log("process's CPU per response and CPU use (% of one core), and autocannon's own CPU use (this process, one thread):");
  console.log("");
  console.log(table(["case", "bytes/response", "responses", "server CPU ms/resp", "server CPU", "autocannon CPU"], sizeRows));
  for (const problem of problems) console.log(`WARNING: ${problem}`);
}

// ---------------------------------------------------------------------------------------------------
// Part B: poll + render cost

interface PollResult {
  associations: number;
  infoLines: number;
  metricsBytes: number;
  startupCpuSeconds: number;
  startupRssMiB: number;
  first: { cpuSeconds: number; userSeconds: number; systemSeconds: number; wallSeconds: number; peakRssMiB: number };
  steady: { cpuSeconds: number; wallSeconds: number; peakRssMiB: number };
}

function pollEnv(simulatorUrl: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith("AWS_") || key.startsWith("SSM_EXPORTER_")) continue;
    env[key] = value;
  }
  const missing = join(tmpdir(), "ssm-exporter-bench-no-such-file");
  return {
    ...env,
    AWS_ENDPOINT_URL_SSM: simulatorUrl,
    AWS_ENDPOINT_URL_STS: simulatorUrl,
    AWS_ACCESS_KEY_ID: "AKIDBENCHMARK0000000",
    AWS_SECRET_ACCESS_KEY: "bench-not-a-secret",
    AWS_EC2_METADATA_DISABLED: "true",
    // The SDK's one-off notice that its 2027 releases need Node ≥ 22: true, and no part of the figures.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    AWS_CONFIG_FILE: missing,
    AWS_SHARED_CREDENTIALS_FILE: missing,
  };
}

async function simulatorCpu(simulator: Child): Promise<number> {
  simulator.send("cpu");
  return (await simulator.nextJson<{ cpuSeconds: number }>(10_000)).cpuSeconds;
}

async function partB(): Promise<void> {
  console.log("");
  console.log("## B. Poll + render cost (real exporter path against the simulator, fresh process per run)");
  console.log("");
  const simulator = Child.script("serve-simulator.ts");
  const { url } = await simulator.nextJson<{ url: string }>(60_000);
  const rows: string[][] = [];
  const detail: string[][] = [];
  try {
    for (const n of SIZES) {
      const generated = await fetch(`${url}/_sim/generate?region=${BENCH_REGION}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ count: n, seed: BENCH_SEED }),
        signal: AbortSignal.timeout(60_000),
      });
      const { count } = (await generated.json()) as { count: number };
      if (!generated.ok || count !== n) throw new Error(`simulator generate ${n}: HTTP ${generated.status}, count ${count}`);

      const runs: { result: PollResult; simulatorCpuSeconds: number }[] = [];
      for (let run = 1; run <= 2; run++) {
        const simBefore = await simulatorCpu(simulator);
        const child = Child.script("poll-once.ts", [String(n)], pollEnv(url));
        const result = await child.nextJson<PollResult>(POLL_TIMEOUT_MS);
        const code = await child.waitExit(30_000);
        if (code !== 0) throw new Error(`poll-once ${n} exited with code ${code}`);
        runs.push({ result, simulatorCpuSeconds: (await simulatorCpu(simulator)) - simBefore });
      }
      const [first, second] = runs;
      if (first === undefined || second === undefined) throw new Error("missing run");
      const r = second.result;
      const checks = n === 10_000 ? `${verdict(r.first.cpuSeconds <= 1)} / ${verdict(r.first.peakRssMiB <= 300)}` : "";
      rows.push([n.toLocaleString("en"), fixed(r.first.cpuSeconds, 3), fixed(r.first.wallSeconds, 3), fixed(r.first.peakRssMiB, 1), fixed(r.steady.cpuSeconds, 3), fixed(r.steady.wallSeconds, 3), checks]);
      detail.push([
        n.toLocaleString("en"),
        `${fixed(first.result.first.cpuSeconds, 3)} / ${fixed(second.result.first.cpuSeconds, 3)}`,
        `${fixed(r.first.userSeconds, 3)} + ${fixed(r.first.systemSeconds, 3)}`,
        fixed(second.simulatorCpuSeconds, 3),
        `${fixed(r.startupCpuSeconds, 3)} s, ${fixed(r.startupRssMiB, 1)} MiB`,
        fixed(r.steady.peakRssMiB, 1),
        mib(r.metricsBytes),
        r.infoLines.toLocaleString("en"),
      ]);
    }
  } finally {
    await simulator.stop();
  }
  console.log("Figures of the second of two runs (each a fresh process); \"2nd poll\" = a further poll in that same process (steady state).");
  console.log("CPU = process.cpuUsage() user+system of the whole exporter process (threadpool gzip included), from just before startExporter");
  console.log("to the publish of the first poll; wall includes the simulator's time; peak RSS = maxRSS at that point (includes module loading,");
  console.log("and tsx, which loads only the bench script but adds ~20-40 MiB; the product itself runs from dist/).");
  console.log("");
  console.log(table(["N", "poll+render CPU s", "wall s", "peak RSS MiB", "2nd poll CPU s", "2nd poll wall s", "10,000: CPU ≤1 s / RSS ≤300 MiB"], rows));
  console.log("");
  console.log(
    table(["N", "CPU run 1 / run 2", "user + system s (run 2)", "simulator CPU s (run 2)", "before start: CPU, RSS", "RSS after 2nd poll MiB", "/metrics body", "info lines"], detail),
  );
}

// ---------------------------------------------------------------------------------------------------

let failed = false;
try {
  machineFacts();
  for (const [part, run] of [["A", partA], ["B", partB]] as const) {
    if (!PARTS.includes(part)) continue;
    try {
      await run();
    } catch (err) {
      failed = true;
      console.log("");
      console.log(`PART ${part} FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      await stopAll();
    }
  }
} finally {
  await stopAll();
}
console.log("");
console.log(`finished ${new Date().toISOString()}, load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
process.exit(failed ? 1 : 0);
