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
 * C. What --web.config.file costs per scrape: the real exporter (dist/main.js) over plain HTTP, basic auth,
 *    TLS, TLS + basic auth and mutual TLS + basic auth (test/fixtures/tls), on kept-alive connections
 *    (autocannon) and with a new connection per request (bench/new-connections.ts), against one bcrypt.
 *
 * D. What the enrichment flags cost (--ssm.describe-associations, --ssm.tags, --ssm.failed-targets): the real exporter
 *    (bench/enrichment-polls.ts, its own process) against the simulator, enrichment off and all on: API calls, CPU and
 *    wall of the first poll, of steady-state polls with a little churn between them (checked against what the refresh
 *    rules predict) and of the hourly --ssm.describe-interval refresh; memory and /metrics size after them.
 *
 * Env: BENCH_DURATION_SECONDS (default 10) per load run of parts A and C; BENCH_SIZES (default
 * 2000,10000,50000) for part B; BENCH_PARTS (default ABCD). Part D: BENCH_ENRICHMENT_SIZES (default BENCH_SIZES
 * when that is set, else 2000,10000), BENCH_ENRICHMENT_POLLS (steady-state polls, default 10),
 * BENCH_ENRICHMENT_CHURN_PERCENT (associations churned before each, default 0.5), BENCH_ENRICHMENT_CONCURRENCY
 * (the "all on" rows, default 4,16), BENCH_ENRICHMENT_NODE_FLAGS (the exporter's Node.js flags, default
 * "--max-old-space-size=256 --max-semi-space-size=1" as bench/memory.ts).
 */
import autocannon from "autocannon";
import { spawn, type ChildProcess } from "node:child_process";
import bcrypt from "bcryptjs";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { BENCH_SEED, BENCH_REGION, freePorts, rawGet } from "./lib.js";
import { newConnectionLoad, oneRequest } from "./new-connections.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DURATION_SECONDS = positiveNumber("BENCH_DURATION_SECONDS", 10);
const WARMUP_SECONDS = Math.min(2, Math.max(1, Math.round(DURATION_SECONDS / 5)));
const SIZES = (process.env.BENCH_SIZES ?? "2000,10000,50000").split(",").map((s) => Number(s.trim()));
const PARTS = (process.env.BENCH_PARTS ?? "ABCDE").toUpperCase();
const PART_A_ASSOCIATIONS = 10_000;
const PART_C_ASSOCIATIONS = 2_000;
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
  /** Bytes read in the whole run (headers + bodies), every status included. */
  bytes: number;
  /** Responses by status code. */
  statuses: Record<string, number>;
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

/** What part C adds to a load run: request headers (Authorization) and TLS client options (CA, client certificate). */
interface LoadExtras {
  readonly headers?: Record<string, string>;
  readonly tlsOptions?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
}

async function load(server: Child, url: string, connections: number, gzip: boolean, seconds: number, extras: LoadExtras = {}): Promise<Load> {
  const latencies: number[] = [];
  const serverCpuBefore = processCpuSeconds(server.proc.pid);
  const clientCpuBefore = process.cpuUsage();
  const result = await autocannon({
    url: `${url}/metrics`,
    connections,
    duration: seconds,
    timeout: 30,
    headers: { "accept-encoding": gzip ? "gzip" : "identity", ...extras.headers },
    ...(extras.tlsOptions && { tlsOptions: extras.tlsOptions }),
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
    bytes: result.throughput.total,
    statuses: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat.count ?? 0])),
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
// Part C: what TLS, mutual TLS and basic auth (--web.config.file) cost per scrape

const TLS_FIXTURES = join(ROOT, "test/fixtures/tls");
const BENCH_USER = "prometheus";
const BENCH_PASSWORD = "secret"; // the password of every hash in test/fixtures/tls/users.web-config.yml

interface SecureSetup {
  readonly name: string;
  readonly tls: boolean;
  readonly clientCert: boolean;
  readonly basicAuth: boolean;
}

const SECURE_SETUPS: readonly SecureSetup[] = [
  { name: "plain HTTP", tls: false, clientCert: false, basicAuth: false },
  { name: "basic auth", tls: false, clientCert: false, basicAuth: true },
  { name: "TLS", tls: true, clientCert: false, basicAuth: false },
  { name: "TLS + basic auth", tls: true, clientCert: false, basicAuth: true },
  { name: "mTLS + basic auth", tls: true, clientCert: true, basicAuth: true },
];

/** The `$2y$` (htpasswd -B) cost-10 hash of BENCH_PASSWORD from the test fixtures. */
function fixtureHash(): string {
  const users = (parseYaml(readFileSync(join(TLS_FIXTURES, "users.web-config.yml"), "utf8")) as { basic_auth_users?: Record<string, string> }).basic_auth_users;
  const hash = users?.user2y;
  if (hash === undefined) throw new Error("test/fixtures/tls/users.web-config.yml has no user2y");
  return hash;
}

/** An exporter-toolkit web config for `setup`, with absolute paths to the fixtures; undefined for plain HTTP. */
function webConfigFor(setup: SecureSetup, hash: string): string | undefined {
  if (!setup.tls && !setup.basicAuth) return undefined;
  const fixture = (name: string) => join(TLS_FIXTURES, name);
  return stringifyYaml({
    ...(setup.tls && {
      tls_server_config: {
        cert_file: fixture("server.pem"),
        key_file: fixture("server-key.pem"),
        ...(setup.clientCert && { client_ca_file: fixture("client-ca.pem"), client_auth_type: "RequireAndVerifyClientCert" }),
      },
    }),
    ...(setup.basicAuth && { basic_auth_users: { [BENCH_USER]: hash } }),
  });
}

/**
 * CPU milliseconds (user + system of this process, so other processes on the cores do not inflate it) of
 * one bcryptjs compare of BENCH_PASSWORD against `hash`, the exporter's own bcrypt: median of 5.
 */
async function bcryptCpuMs(hash: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const before = process.cpuUsage();
    if (!(await bcrypt.compare(BENCH_PASSWORD, hash))) throw new Error("the fixture hash does not match its password");
    const used = process.cpuUsage(before);
    times.push((used.user + used.system) / 1000);
  }
  return percentile(times.sort((a, b) => a - b), 50);
}

const signed = (n: number, digits: number) => `${n >= 0 ? "+" : "−"}${fixed(Math.abs(n), digits)}`;

/** The real exporter (dist/main.js) against the simulator, with `webConfigFile` if given, ready to scrape. */
async function startSecureExporter(label: string, simulatorUrl: string, webConfigFile: string | undefined): Promise<{ child: Child; url: string }> {
  const [port, probePort] = await freePorts(2);
  if (port === undefined || probePort === undefined) throw new Error("no ports");
  const child = new Child(
    label,
    [
      join(ROOT, "dist/main.js"),
      `--aws.region=${BENCH_REGION}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.probe-listen-address=127.0.0.1:${probePort}`,
      ...(webConfigFile === undefined ? [] : [`--web.config.file=${webConfigFile}`]),
      // One poll at start, then none while we measure.
      "--poll.interval=1h",
      "--log.level=warn",
    ],
    pollEnv(simulatorUrl),
  );
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${probePort}/readyz`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
    if (ready?.status === 200) break;
    if (child.proc.exitCode !== null) throw new Error(`${label} exited with code ${child.proc.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${label}: not ready within 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, url: `${webConfigFile !== undefined && readFileSync(webConfigFile, "utf8").includes("tls_server_config") ? "https" : "http"}://127.0.0.1:${port}` };
}

interface SecureRow {
  setup: string;
  connection: "keep-alive" | "new per request";
  credentials: string;
  responses: number;
  non2xx: number;
  errors: number;
  /** "4696 × 200" */
  statuses: string;
  scrapesPerSecond: number;
  p50: number;
  p99: number;
  serverCpuMs: number;
  clientCpuMs: number;
  bodyBytes: number;
}

function describeStatuses(statuses: Record<string | number, number>, errors: number): string {
  const parts = Object.entries(statuses)
    .filter(([, n]) => n > 0)
    .map(([code, n]) => `${n} × ${code}`);
  if (errors > 0) parts.push(`${errors} errors`);
  return parts.join(", ") || "none";
}

async function partC(): Promise<void> {
  const associations = PART_C_ASSOCIATIONS;
  console.log("");
  console.log(`## C. What TLS, mutual TLS and basic auth cost per scrape (--web.config.file; ${associations.toLocaleString("en")} associations, gzip)`);
  console.log("");
  const hash = fixtureHash();
  const oneBcryptMs = await bcryptCpuMs(hash);
  const ca = readFileSync(join(TLS_FIXTURES, "ca.pem"));
  const clientCert = { cert: readFileSync(join(TLS_FIXTURES, "client.pem")), key: readFileSync(join(TLS_FIXTURES, "client-key.pem")) };
  const basic = (password: string) => `Basic ${Buffer.from(`${BENCH_USER}:${password}`).toString("base64")}`;
  const dir = mkdtempSync(join(tmpdir(), "ssm-exporter-bench-web-"));
  const simulator = Child.script("serve-simulator.ts");
  const rows: SecureRow[] = [];
  const problems: string[] = [];
  try {
    const { url: simulatorUrl } = await simulator.nextJson<{ url: string }>(60_000);
    const generated = await fetch(`${simulatorUrl}/_sim/generate?region=${BENCH_REGION}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ count: associations, seed: BENCH_SEED }),
      signal: AbortSignal.timeout(60_000),
    });
    const { count } = (await generated.json()) as { count: number };
    if (!generated.ok || count !== associations) throw new Error(`simulator generate ${associations}: HTTP ${generated.status}, count ${count}`);

    for (const setup of SECURE_SETUPS) {
      const config = webConfigFor(setup, hash);
      const file = config === undefined ? undefined : join(dir, `${setup.name.replace(/\W+/g, "-")}.web-config.yml`);
      if (file !== undefined && config !== undefined) writeFileSync(file, config);
      const exporter = await startSecureExporter(`exporter (${setup.name})`, simulatorUrl, file);
      try {
        const tls = setup.tls ? { ca, ...(setup.clientCert && clientCert) } : undefined;
        const variants: { credentials: string; password: string | undefined; expect: number; seconds: number }[] = [
          { credentials: setup.basicAuth ? "right password" : "none", password: setup.basicAuth ? BENCH_PASSWORD : undefined, expect: 200, seconds: DURATION_SECONDS },
        ];
        // A wrong password is never cached: every request pays a bcrypt (one at a time), the contrast to the cache.
        if (setup.basicAuth && !setup.tls) variants.push({ credentials: "wrong password", password: "not-the-password", expect: 401, seconds: Math.min(DURATION_SECONDS, 5) });
        for (const variant of variants) {
          const headers: Record<string, string> = { "accept-encoding": "gzip", ...(variant.password !== undefined && { authorization: basic(variant.password) }) };
          const target = { url: `${exporter.url}/metrics`, headers, tls };
          const check = await oneRequest(target);
          if (check.status !== variant.expect) throw new Error(`${setup.name}, ${variant.credentials}: HTTP ${check.status}, expected ${variant.expect}`);

          // Keep-alive connections (how Prometheus scrapes): autocannon, one connection.
          const extras: LoadExtras = { headers, ...(tls && { tlsOptions: tls }) };
          await load(exporter.child, exporter.url, 1, true, WARMUP_SECONDS, extras);
          const kept = await load(exporter.child, exporter.url, 1, true, variant.seconds, extras);
          const keptResponses = kept.requests + kept.non2xx;
          rows.push({
            setup: setup.name,
            connection: "keep-alive",
            credentials: variant.credentials,
            responses: keptResponses,
            non2xx: kept.non2xx,
            errors: kept.errors,
            statuses: describeStatuses(kept.statuses, kept.errors),
            scrapesPerSecond: keptResponses / kept.seconds,
            p50: kept.p50,
            p99: kept.p99,
            serverCpuMs: (1000 * kept.serverCpuSeconds) / keptResponses,
            clientCpuMs: (1000 * kept.clientCpuSeconds) / keptResponses,
            bodyBytes: kept.bytes / Math.max(1, keptResponses),
          });
          if (variant.expect !== 200) {
            if (kept.requests > 0) problems.push(`${setup.name}, ${variant.credentials}: ${kept.requests} responses were 2xx`);
            continue;
          }
          if (kept.errors > 0 || kept.non2xx > 0) problems.push(`${setup.name}, keep-alive: ${kept.errors} errors/timeouts, ${kept.non2xx} non-2xx`);

          // A new connection (and TLS handshake) per request: the worst case.
          await newConnectionLoad(target, 1, WARMUP_SECONDS);
          const serverCpuBefore = processCpuSeconds(exporter.child.proc.pid);
          const clientCpuBefore = process.cpuUsage();
          const fresh = await newConnectionLoad(target, 1, DURATION_SECONDS);
          const serverCpuSeconds = processCpuSeconds(exporter.child.proc.pid) - serverCpuBefore;
          const clientCpu = process.cpuUsage(clientCpuBefore);
          const freshResponses = fresh.latencies.length;
          const freshOk = fresh.statuses.get(200) ?? 0;
          if (fresh.errors > 0 || freshOk !== freshResponses) problems.push(`${setup.name}, new connection per request: ${fresh.errors} errors, ${freshResponses - freshOk} non-200`);
          rows.push({
            setup: setup.name,
            connection: "new per request",
            credentials: variant.credentials,
            responses: freshResponses,
            non2xx: freshResponses - freshOk,
            errors: fresh.errors,
            statuses: describeStatuses(Object.fromEntries(fresh.statuses), fresh.errors),
            scrapesPerSecond: freshResponses / fresh.seconds,
            p50: percentile(fresh.latencies, 50),
            p99: percentile(fresh.latencies, 99),
            serverCpuMs: (1000 * serverCpuSeconds) / freshResponses,
            clientCpuMs: (1000 * (clientCpu.user + clientCpu.system)) / 1e6 / freshResponses,
            bodyBytes: fresh.bodyBytes / Math.max(1, freshResponses),
          });
        }
      } finally {
        await exporter.child.stop();
      }
    }
  } finally {
    await simulator.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const baseline = (connection: SecureRow["connection"]) => rows.find((r) => r.setup === "plain HTTP" && r.connection === connection && r.credentials === "none");
  console.log("The real exporter (dist/main.js, one poll of the simulator at start, none during the runs), one process per setup, with");
  console.log("--web.config.file pointing at test/fixtures/tls (server.pem; RequireAndVerifyClientCert against client-ca.pem for mTLS; one");
  console.log("basic_auth_users entry, the $2y$ cost-10 hash). One client at a time, Accept-Encoding gzip as Prometheus sends it.");
  console.log("keep-alive: autocannon, one connection reused (how Prometheus scrapes); new per request: node:https with agent: false, a full");
  console.log("TCP + TLS handshake per scrape (no session resumption), server certificate verified. scrapes/s = responses / run seconds;");
  console.log("server CPU = the exporter process's user+system CPU (/proc) per response; Δ = minus plain HTTP with the same connection mode;");
  console.log("bytes/response: headers + body as autocannon reads them (keep-alive), the body alone (new per request).");
  console.log("");
  console.log(
    table(
      ["setup", "connection", "credentials", "scrapes/s", "p50 ms", "p99 ms", "server CPU ms/scrape", "Δ vs plain ms", "client CPU ms/scrape", "responses", "bytes/response"],
      rows.map((r) => {
        const base = baseline(r.connection);
        return [
          r.setup,
          r.connection,
          r.credentials,
          fixed(r.scrapesPerSecond, 1),
          fixed(r.p50, 2),
          fixed(r.p99, 2),
          fixed(r.serverCpuMs, 3),
          base === undefined || r === base ? "" : signed(r.serverCpuMs - base.serverCpuMs, 3),
          fixed(r.clientCpuMs, 3),
          r.statuses,
          Math.round(r.bodyBytes).toLocaleString("en"),
        ];
      }),
    ),
  );
  console.log("");
  const find = (setup: string, connection: SecureRow["connection"], credentials?: string) =>
    rows.find((r) => r.setup === setup && r.connection === connection && (credentials === undefined || r.credentials === credentials));
  const authDelta = (withAuth: string, without: string) => {
    const a = find(withAuth, "keep-alive", "right password");
    const b = find(without, "keep-alive");
    return a && b ? a.serverCpuMs - b.serverCpuMs : Number.NaN;
  };
  const plainAuth = authDelta("basic auth", "plain HTTP");
  const tlsAuth = authDelta("TLS + basic auth", "TLS");
  const worst = Math.max(plainAuth, tlsAuth);
  const wrong = find("basic auth", "keep-alive", "wrong password");
  console.log(`One bcrypt compare at cost 10 (bcryptjs, in this process): ${fixed(oneBcryptMs, 1)} ms of CPU.`);
  console.log(
    `Basic auth per scrape with the right password (cached after the first): ${signed(plainAuth, 3)} ms CPU against plain HTTP, ${signed(tlsAuth, 3)} ms against TLS ` +
      `(at most ${fixed((100 * Math.max(0, worst)) / oneBcryptMs, 2)}% of one bcrypt): ${verdict(worst <= oneBcryptMs / 10)} (target: ≤ 10% of one bcrypt, bcrypt off the hot path).`,
  );
  if (wrong) console.log(`A wrong password is never cached: ${fixed(wrong.serverCpuMs, 1)} ms CPU per 401, ${fixed(wrong.scrapesPerSecond, 1)} answers/s (one bcrypt at a time).`);
  const tlsKept = find("TLS", "keep-alive");
  const tlsFresh = find("TLS", "new per request");
  const plainFresh = find("plain HTTP", "new per request");
  const mtlsFresh = find("mTLS + basic auth", "new per request");
  const authFresh = find("TLS + basic auth", "new per request");
  if (tlsKept && tlsFresh && plainFresh) {
    console.log(
      `TLS on a kept-alive connection: ${signed(tlsKept.serverCpuMs - (baseline("keep-alive")?.serverCpuMs ?? Number.NaN), 3)} ms CPU per scrape (encrypting the body); ` +
        `with a new connection per scrape: ${signed(tlsFresh.serverCpuMs - plainFresh.serverCpuMs, 3)} ms (handshake and encryption)` +
        (mtlsFresh && authFresh ? `, and verifying a client certificate ${signed(mtlsFresh.serverCpuMs - authFresh.serverCpuMs, 3)} ms more.` : "."),
    );
  }
  for (const problem of problems) console.log(`WARNING: ${problem}`);
  if (problems.length > 0) throw new Error(`part C: ${problems.length} check(s) did not hold`);
}

// ---------------------------------------------------------------------------------------------------
// Part D: what the enrichment flags cost: API calls per poll, CPU and memory

const SIM_OPERATIONS = ["ListAssociations", "DescribeAssociation", "ListTagsForResource", "DescribeAssociationExecutions", "DescribeAssociationExecutionTargets", "GetCallerIdentity"] as const;
type SimOperationName = (typeof SIM_OPERATIONS)[number];
type Calls = Record<SimOperationName, number>;
const OPERATION_CODES: Record<SimOperationName, string> = {
  ListAssociations: "LA",
  DescribeAssociation: "DA",
  ListTagsForResource: "LT",
  DescribeAssociationExecutions: "DAE",
  DescribeAssociationExecutionTargets: "DAET",
  GetCallerIdentity: "GCI",
};
/** ListAssociations' page size as the exporter asks for it (src/aws/ssm-source.ts PAGE_SIZE). */
const LIST_PAGE_SIZE = 50;
const HOUR_MS = 3_600_000;
const ENRICHMENT_FAMILIES = ["describe_info", "last_successful_execution_timestamp_seconds", "failed_target_info", "failed_targets_left_out"] as const;
const ENRICHMENT_FLAGS = ["--ssm.describe-associations", "--ssm.tags", "--ssm.tag=team,owner", "--ssm.failed-targets"];
/**
 * The exporter's Node.js flags in part D: the heap Node.js sizes in a container with a memory limit of
 * at most 512Mi, as bench/memory.ts (the chart's sizing figures) runs it.
 */
const PART_D_NODE_FLAGS = (process.env.BENCH_ENRICHMENT_NODE_FLAGS ?? "--max-old-space-size=256 --max-semi-space-size=1").split(/\s+/).filter((f) => f !== "");

function integerList(name: string, fallback: string, min: number, max: number): number[] {
  const raw = process.env[name] ?? fallback;
  return raw.split(",").map((part) => {
    const n = Number(part.trim());
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be a comma-separated list of integers ${min}–${max}, got ${raw}`);
    return n;
  });
}

interface Variant {
  readonly name: string;
  readonly flags: readonly string[];
  readonly enriched: boolean;
}

function partDVariants(): Variant[] {
  const concurrencies = integerList("BENCH_ENRICHMENT_CONCURRENCY", "4,16", 1, 32);
  return [
    { name: "off", flags: [], enriched: false },
    ...concurrencies.map((c) => ({ name: `all on, c=${c}`, flags: [...ENRICHMENT_FLAGS, `--ssm.enrichment-concurrency=${c}`], enriched: true })),
  ];
}

interface PolledFigures {
  cpuSeconds: number;
  wallSeconds: number;
  associations: number;
  details: number;
  tags: number;
  failedTargetAssociations: number;
}

interface ExporterReport {
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  peakRssBytes: number;
  metricsBytes: number;
  metricsGzipBytes: number;
  series: number;
  associationSeries: number;
  /** Series of the families only enrichment adds, by family (describe_info, last_successful_execution_timestamp_seconds, ...). */
  enrichmentSeries: Record<string, number>;
  apiRequests: Record<string, number>;
}

interface VariantResult {
  size: number;
  churnPerPoll: number;
  variant: Variant;
  first: PolledFigures & { calls: Calls; simulatorCpuSeconds: number };
  steady: (PolledFigures & { calls: Calls; predicted: Calls })[];
  refresh: PolledFigures & { calls: Calls };
  report: ExporterReport;
}

interface WireChanged {
  AssociationId: string;
  Overview?: { AssociationStatusAggregatedCount?: Record<string, number> };
}

async function simJson<T>(simulatorUrl: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${simulatorUrl}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(60_000),
  });
  if (!response.ok) throw new Error(`simulator ${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function simCalls(simulatorUrl: string): Promise<Calls> {
  const { total } = await simJson<{ total: Record<string, number> }>(simulatorUrl, "/_sim/calls");
  return Object.fromEntries(SIM_OPERATIONS.map((op) => [op, total[op] ?? 0])) as Calls;
}

const noCalls = (): Calls => Object.fromEntries(SIM_OPERATIONS.map((op) => [op, 0])) as Calls;
const callsMinus = (a: Calls, b: Calls): Calls => Object.fromEntries(SIM_OPERATIONS.map((op) => [op, a[op] - b[op]])) as Calls;
const callsTotal = (c: Calls) => SIM_OPERATIONS.reduce((sum, op) => sum + c[op], 0);
function callsMean(list: readonly Calls[]): Calls {
  return Object.fromEntries(SIM_OPERATIONS.map((op) => [op, list.reduce((sum, c) => sum + c[op], 0) / Math.max(1, list.length)])) as Calls;
}
/** "1,234 (LA 40, DA 10, ...)", the operations that were called. */
function describeCalls(c: Calls, digits = 0, codes = true): string {
  const parts = SIM_OPERATIONS.filter((op) => c[op] !== 0).map((op) => `${codes ? OPERATION_CODES[op] : op} ${num(c[op], digits)}`);
  return `${num(callsTotal(c), digits)} (${parts.join(", ") || "none"})`;
}
const num = (n: number, digits = 0) => n.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/**
 * The calls the refresh rules predict for a poll after a churn: a page per 50 associations; with
 * enrichment, DescribeAssociation and ListTagsForResource for every changed association (its
 * LastExecutionDate moved), and for each one whose counts now show failed targets one
 * DescribeAssociationExecutions and one DescribeAssociationExecutionTargets page (MaxResults =
 * --ssm.failed-targets.max-per-association 20 ≤ 50, so the first page reaches the cap or the end).
 */
function predictedCalls(size: number, enriched: boolean, changed: readonly WireChanged[]): Calls {
  const calls = noCalls();
  calls.ListAssociations = Math.max(1, Math.ceil(size / LIST_PAGE_SIZE));
  if (!enriched) return calls;
  const ids = new Set(changed.map((a) => a.AssociationId));
  calls.DescribeAssociation = ids.size;
  calls.ListTagsForResource = ids.size;
  const failing = new Set(changed.filter((a) => (a.Overview?.AssociationStatusAggregatedCount?.Failed ?? 0) > 0).map((a) => a.AssociationId));
  calls.DescribeAssociationExecutions = failing.size;
  calls.DescribeAssociationExecutionTargets = failing.size;
  return calls;
}

async function measureVariant(simulator: Child, simulatorUrl: string, size: number, variant: Variant, polls: number, churnPerPoll: number, problems: string[]): Promise<VariantResult> {
  const label = `${size.toLocaleString("en")} ${variant.name}`;
  // Every variant starts from the same data and sees the same churn (same seeds).
  const generated = await simJson<{ count: number }>(simulatorUrl, `/_sim/generate?region=${BENCH_REGION}`, { count: size, seed: BENCH_SEED });
  if (generated.count !== size) throw new Error(`simulator generate ${size}: count ${generated.count}`);
  const callsAtStart = await simCalls(simulatorUrl);
  const simBefore = await simulatorCpu(simulator);
  const child = new Child(`enrichment-polls (${label})`, [...PART_D_NODE_FLAGS, "--expose-gc", "--import", "tsx", join("bench", "enrichment-polls.ts"), String(size), ...variant.flags], pollEnv(simulatorUrl));
  try {
    const firstFigures = await child.nextJson<PolledFigures>(POLL_TIMEOUT_MS);
    const simulatorCpuSeconds = (await simulatorCpu(simulator)) - simBefore;
    let before = await simCalls(simulatorUrl);
    const first = { ...firstFigures, calls: callsMinus(before, callsAtStart), simulatorCpuSeconds };
    if (variant.enriched && (first.details !== size || first.tags !== size)) {
      problems.push(`${label}: the first poll enriched ${first.details} (describe) and ${first.tags} (tags) of ${size} associations`);
    }

    const steady: VariantResult["steady"] = [];
    for (let k = 1; k <= polls; k++) {
      const { changed } = await simJson<{ changed: WireChanged[] }>(simulatorUrl, `/_sim/churn?region=${BENCH_REGION}`, { count: churnPerPoll, seed: k });
      child.send("poll");
      const figures = await child.nextJson<PolledFigures>(POLL_TIMEOUT_MS);
      const after = await simCalls(simulatorUrl);
      steady.push({ ...figures, calls: callsMinus(after, before), predicted: predictedCalls(size, variant.enriched, changed) });
      before = after;
    }

    // The --ssm.describe-interval (1h) refresh: move the rule's clock on by an hour, poll once, no churn.
    child.send(`advance ${HOUR_MS}`);
    await child.nextJson<unknown>(10_000);
    child.send("poll");
    const refreshFigures = await child.nextJson<PolledFigures>(POLL_TIMEOUT_MS);
    const afterRefresh = await simCalls(simulatorUrl);
    const refresh = { ...refreshFigures, calls: callsMinus(afterRefresh, before) };

    child.send("report");
    const report = await child.nextJson<ExporterReport>(60_000);

    // The exporter's own count of its calls must be the simulator's.
    const simulated = callsMinus(afterRefresh, callsAtStart);
    for (const op of SIM_OPERATIONS) {
      const own = report.apiRequests[op] ?? 0;
      if (own !== simulated[op]) problems.push(`${label}: aws_ssm_exporter_api_requests_total{operation="${op}"} is ${own}, the simulator counted ${simulated[op]}`);
    }
    for (const [i, poll] of steady.entries()) {
      const off = SIM_OPERATIONS.filter((op) => poll.calls[op] !== poll.predicted[op]);
      if (off.length > 0) {
        problems.push(`${label}, steady poll ${i + 1}: ${off.map((op) => `${op} ${poll.calls[op]} (refresh rules predict ${poll.predicted[op]})`).join(", ")}`);
      }
    }
    if (variant.enriched) {
      const expectedRefresh = predictedCalls(size, false, []);
      expectedRefresh.DescribeAssociation = size;
      expectedRefresh.ListTagsForResource = size;
      const off = SIM_OPERATIONS.filter((op) => refresh.calls[op] !== expectedRefresh[op]);
      if (off.length > 0) problems.push(`${label}, interval refresh poll: ${off.map((op) => `${op} ${refresh.calls[op]} (expected ${expectedRefresh[op]})`).join(", ")}`);
    }
    return { size, churnPerPoll, variant, first, steady, refresh, report };
  } finally {
    await child.stop();
  }
}

async function partD(): Promise<void> {
  // BENCH_SIZES, when set, sets part D's sizes too: CI's smoke run (BENCH_SIZES=2000) measures 2,000 only.
  const sizes = integerList("BENCH_ENRICHMENT_SIZES", process.env.BENCH_SIZES ?? "2000,10000", 1, 100_000);
  const polls = integerList("BENCH_ENRICHMENT_POLLS", "10", 1, 1000)[0] ?? 10;
  const churnPercent = positiveNumber("BENCH_ENRICHMENT_CHURN_PERCENT", 0.5);
  const variants = partDVariants();
  console.log("");
  console.log(`## D. What enrichment costs: API calls per poll, CPU and memory (${sizes.map((s) => s.toLocaleString("en")).join(" and ")} associations, one region)`);
  console.log("");
  const simulator = Child.script("serve-simulator.ts");
  const results: VariantResult[] = [];
  const problems: string[] = [];
  try {
    const { url } = await simulator.nextJson<{ url: string }>(60_000);
    for (const size of sizes) {
      const churnPerPoll = Math.max(1, Math.round((size * churnPercent) / 100));
      for (const variant of variants) {
        process.stderr.write(`part D: ${size} associations, enrichment ${variant.name} ...\n`);
        results.push(await measureVariant(simulator, url, size, variant, polls, churnPerPoll, problems));
      }
    }
  } finally {
    await simulator.stop();
  }

  const off = (r: VariantResult) => results.find((o) => o.size === r.size && !o.variant.enriched);
  const mean = (list: readonly number[]) => list.reduce((a, b) => a + b, 0) / Math.max(1, list.length);
  const steadyCpu = (r: VariantResult) => mean(r.steady.map((p) => p.cpuSeconds));
  const steadyWall = (r: VariantResult) => mean(r.steady.map((p) => p.wallSeconds));
  const steadyCalls = (r: VariantResult) => callsMean(r.steady.map((p) => p.calls));
  const delta = (r: VariantResult, value: (x: VariantResult) => number, format: (n: number) => string) => {
    const base = off(r);
    return base === undefined || base === r ? "" : `${value(r) - value(base) >= 0 ? "+" : "−"}${format(Math.abs(value(r) - value(base)))}`;
  };
  const mibOf = (bytes: number) => fixed(bytes / 1024 / 1024, 1);
  const size = (r: VariantResult) => r.size.toLocaleString("en");

  console.log("The real exporter (startExporter from dist/, in bench/enrichment-polls.ts) in a child process of its own, against the simulator");
  console.log("(bench/serve-simulator.ts, another process) through the real SDK and HTTP; a fresh exporter per row, the same generated data");
  console.log(`(seed ${BENCH_SEED}) and the same churn for every row. Enrichment "all on": ${ENRICHMENT_FLAGS.join(" ")} with`);
  console.log(`--ssm.enrichment-concurrency as shown (default 4); every other flag at its default (failed targets: 20 per association, 1,000`);
  console.log(`per account×region; --ssm.describe-interval 1h). Exporter's Node.js flags: ${[...PART_D_NODE_FLAGS, "--expose-gc"].join(" ")}.`);
  console.log(`Steady state: ${polls} polls, each after POST /_sim/churn of ${churnPercent}% of the associations (a status flip and a new`);
  console.log("LastExecutionDate each, i.e. a new execution). No poll of the bench reaches the 1h describe interval on the wall clock: steady");
  console.log("state costs only what changed. The interval refresh poll afterwards moves the rule's clock (describeNow) on by 1h, no churn.");
  console.log("API calls: counted by the simulator (/_sim/calls) per poll, and checked against the exporter's aws_ssm_exporter_api_requests_total;");
  console.log("LA ListAssociations, DA DescribeAssociation, LT ListTagsForResource, DAE DescribeAssociationExecutions, DAET");
  console.log("DescribeAssociationExecutionTargets, GCI STS GetCallerIdentity. CPU = the exporter process's process.cpuUsage() (user + system,");
  console.log("threadpool included) over the poll; wall includes the simulator's time (it shares this machine's cores).");
  console.log("");
  console.log("First poll (from startExporter to the publish of its first poll; loading modules excluded):");
  console.log("");
  console.log(
    table(
      ["N", "enrichment", "API calls", "wall s", "CPU s", "Δ CPU vs off s", "simulator CPU s"],
      results.map((r) => [size(r), r.variant.name, describeCalls(r.first.calls), fixed(r.first.wallSeconds, 2), fixed(r.first.cpuSeconds, 2), delta(r, (x) => x.first.cpuSeconds, (n) => fixed(n, 2)), fixed(r.first.simulatorCpuSeconds, 2)]),
    ),
  );
  console.log("");
  console.log(`Steady state (mean of ${polls} polls) and the interval refresh poll:`);
  console.log("");
  console.log(
    table(
      ["N", "enrichment", "churn/poll", "API calls/poll", "as predicted", "CPU ms/poll", "Δ CPU vs off ms", "wall ms/poll", "refresh poll: API calls", "refresh CPU s", "refresh wall s"],
      results.map((r) => {
        const exact = r.steady.every((p) => SIM_OPERATIONS.every((op) => p.calls[op] === p.predicted[op]));
        return [
          size(r),
          r.variant.name,
          num(r.churnPerPoll),
          describeCalls(steadyCalls(r), 1),
          exact ? "yes" : "NO",
          fixed(1000 * steadyCpu(r), 0),
          delta(r, (x) => 1000 * steadyCpu(x), (n) => fixed(n, 0)),
          fixed(1000 * steadyWall(r), 0),
          describeCalls(r.refresh.calls),
          fixed(r.refresh.cpuSeconds, 2),
          fixed(r.refresh.wallSeconds, 2),
        ];
      }),
    ),
  );
  console.log("");
  console.log("Memory after all those polls (heap and RSS right after a forced GC; peak RSS = VmHWM of the whole run, first poll included;");
  console.log("the child runs tsx for its own script, the same ~20-40 MiB in every row, so the Δ is the enrichment's) and /metrics (identity):");
  console.log("");
  console.log(
    table(
      ["N", "enrichment", "RSS MiB", "Δ RSS", "heap used MiB", "Δ heap", "peak RSS MiB", "Δ peak", "/metrics bytes", "gzip bytes", "series", "Δ series", "enrichment families DI / LS / FT / LO"],
      results.map((r) => [
        size(r),
        r.variant.name,
        mibOf(r.report.rssBytes),
        delta(r, (x) => x.report.rssBytes, mibOf),
        mibOf(r.report.heapUsedBytes),
        delta(r, (x) => x.report.heapUsedBytes, mibOf),
        mibOf(r.report.peakRssBytes),
        delta(r, (x) => x.report.peakRssBytes, mibOf),
        num(r.report.metricsBytes),
        num(r.report.metricsGzipBytes),
        num(r.report.series),
        delta(r, (x) => x.report.series, (n) => num(n)),
        ENRICHMENT_FAMILIES.map((family) => num(r.report.enrichmentSeries[family] ?? 0)).join(" / "),
      ]),
    ),
  );
  console.log("DI aws_ssm_association_describe_info, LS ..._last_successful_execution_timestamp_seconds, FT ..._failed_target_info");
  console.log("(at most 20 per association, 1,000 per account×region), LO ..._failed_targets_left_out. The simulator generates LastExecutionDate");
  console.log("from the wall clock, so rows made at different moments may differ by a few series (e.g. a one-time at() schedule coming due).");
  console.log("");
  for (const r of results) {
    if (!r.variant.enriched) continue;
    const base = off(r);
    const calls = steadyCalls(r);
    const baseCalls = base ? callsTotal(steadyCalls(base)) : Number.NaN;
    // What one enrichment call costs the exporter, from the first poll (thousands of calls; steady-state differences drown in noise).
    const extraFirstCalls = base ? callsTotal(r.first.calls) - callsTotal(base.first.calls) : Number.NaN;
    const msPerCall = base ? (1000 * (r.first.cpuSeconds - base.first.cpuSeconds)) / extraFirstCalls : Number.NaN;
    const extraSteadyCalls = callsTotal(calls) - baseCalls;
    console.log(
      `${size(r)} associations, ${r.variant.name}: steady state ${describeCalls(calls, 1, false).replace(" (", " API calls/poll (")}, ` +
        `${signedNumber(extraSteadyCalls, 1)} vs off; ${fixed(1000 * steadyCpu(r), 0)} ms CPU/poll (${delta(r, (x) => 1000 * steadyCpu(x), (n) => fixed(n, 0))} ms vs off, measured; ` +
        `${fixed(msPerCall, 2)} ms CPU per enrichment call in the first poll × ${num(extraSteadyCalls, 1)} calls ≈ +${fixed(msPerCall * extraSteadyCalls, 0)} ms expected); ` +
        `first poll ${num(callsTotal(r.first.calls))} calls in ${fixed(r.first.wallSeconds, 1)} s, ${fixed(r.first.cpuSeconds, 2)} s CPU; ` +
        `peak RSS ${mibOf(r.report.peakRssBytes)} MiB (${delta(r, (x) => x.report.peakRssBytes, mibOf)} MiB vs off), heap ${delta(r, (x) => x.report.heapUsedBytes, mibOf)} MiB; ` +
        `hourly refresh poll ${num(callsTotal(r.refresh.calls))} calls.`,
    );
  }
  for (const problem of problems) console.log(`WARNING: ${problem}`);
  if (problems.length > 0) throw new Error(`part D: ${problems.length} check(s) did not hold`);
}

// ---------------------------------------------------------------------------------------------------
// Part E: memory and CPU from dist (no loader in the measured process), against the SDK's own cost, and a
// scale run of 400 targets

/** The NODE_OPTIONS the image sets (Dockerfile `ENV NODE_OPTIONS=...`), so that part E measures what ships; [] when none. */
function imageNodeFlags(): string[] {
  const match = /^ENV NODE_OPTIONS="([^"]*)"/m.exec(readFileSync(join(ROOT, "Dockerfile"), "utf8"));
  return (match?.[1] ?? "").split(/\s+/).filter((flag) => flag !== "");
}

/** Peak RSS (VmHWM) and RSS (VmRSS) of another process in KiB, from /proc/<pid>/status; NaN when unavailable. */
function procMemoryKiB(pid: number | undefined): { peak: number; rss: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
    return { peak: field("VmHWM"), rss: field("VmRSS") };
  } catch {
    return { peak: Number.NaN, rss: Number.NaN };
  }
}

async function generateOn(url: string, region: string, count: number, seed: number, account?: string): Promise<void> {
  const query = `region=${region}${account === undefined ? "" : `&account=${account}`}`;
  const generated = await fetch(`${url}/_sim/generate?${query}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ count, seed }),
    signal: AbortSignal.timeout(60_000),
  });
  const { count: made } = (await generated.json()) as { count: number };
  if (!generated.ok || made !== count) throw new Error(`simulator generate ${count} in ${query}: HTTP ${generated.status}, count ${made}`);
}

/** `node <flags> dist/main.js <args>`: the shipped entry point, nothing loaded in front of it; ready once /readyz answers 200. */
async function startDistExporter(label: string, nodeFlags: readonly string[], args: readonly string[], env: NodeJS.ProcessEnv, readyWithinMs: number): Promise<{ child: Child; url: string }> {
  const [port, probePort] = await freePorts(2);
  if (port === undefined || probePort === undefined) throw new Error("no ports");
  const child = new Child(label, [...nodeFlags, join(ROOT, "dist/main.js"), `--web.listen-address=127.0.0.1:${port}`, `--web.probe-listen-address=127.0.0.1:${probePort}`, "--log.level=error", ...args], env);
  const deadline = Date.now() + readyWithinMs;
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${probePort}/readyz`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
    if (ready?.status === 200) break;
    if (child.proc.exitCode !== null) throw new Error(`${label} exited with code ${child.proc.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${label}: not ready within ${readyWithinMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { child, url: `http://127.0.0.1:${port}` };
}

interface TargetSample {
  readonly successes: number;
  readonly failures: number;
  readonly lastSuccess: number;
  readonly duration: number;
}

/** Per `account_id/region`: successful and failed polls, last success time and last poll duration, from one exposition. */
function targetSamples(text: string): Map<string, TargetSample> {
  const out = new Map<string, { successes: number; failures: number; lastSuccess: number; duration: number }>();
  const get = (labels: string) => {
    const account = /account_id="([^"]*)"/.exec(labels)?.[1] ?? "";
    const region = /region="([^"]*)"/.exec(labels)?.[1] ?? "";
    const key = `${account}/${region}`;
    let sample = out.get(key);
    if (!sample) {
      sample = { successes: 0, failures: 0, lastSuccess: Number.NaN, duration: Number.NaN };
      out.set(key, sample);
    }
    return sample;
  };
  for (const m of text.matchAll(/^(aws_ssm_exporter_(?:polls_total|last_success_timestamp_seconds|poll_duration_seconds))\{([^}]*)\} (\S+)$/gm)) {
    const [, name, labels = "", raw] = m;
    const value = Number(raw);
    const sample = get(labels);
    if (name === "aws_ssm_exporter_polls_total") {
      if (/outcome="success"/.test(labels)) sample.successes += value;
      else sample.failures += value;
    } else if (name === "aws_ssm_exporter_last_success_timestamp_seconds") sample.lastSuccess = value;
    else sample.duration = value;
  }
  return out;
}

async function scrapeText(url: string): Promise<string> {
  const response = await rawGet(`${url}/metrics`, { "accept-encoding": "gzip" }, 30_000);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return (response.headers["content-encoding"] === "gzip" ? gunzipSync(response.body) : response.body).toString("utf8");
}

interface MemoryRun {
  size: number;
  flags: string;
  polls: number;
  interval: number;
  failures: number;
  peakMiB: number;
  rssMiB: number;
  cpuSeconds: number;
  seconds: number;
  scrapes: number;
}

/**
 * The memory runs' --poll.interval (and so --poll.timeout, which may not exceed it), well above a poll's wall
 * time on a busy 2-core machine: 2 s below 5,000 associations (CI's smoke run fits in its 90 s), else 5 s, 1 s
 * more per 3,500 associations above 17,500 (15 s at 50,000).
 */
function memoryPollIntervalSeconds(size: number): number {
  return size < 5_000 ? 2 : Math.max(5, Math.ceil(size / 3_500));
}

/** dist/main.js polling one region of `size` associations every few seconds, /metrics (gzip) scraped every second, until `polls` successful polls. */
async function memoryRun(simulatorUrl: string, size: number, nodeFlags: readonly string[], polls: number): Promise<MemoryRun> {
  const started = Date.now();
  const interval = memoryPollIntervalSeconds(size);
  const { child, url } = await startDistExporter(`exporter (${size}, ${nodeFlags.join(" ") || "no flags"})`, nodeFlags, [`--aws.region=${BENCH_REGION}`, `--poll.interval=${interval}s`], pollEnv(simulatorUrl), 300_000);
  let scrapes = 0;
  let failures = 0;
  try {
    const deadline = Date.now() + 120_000 + 3 * polls * interval * 1000;
    for (;;) {
      const sample = [...targetSamples(await scrapeText(url)).values()][0];
      scrapes++;
      failures = sample?.failures ?? 0;
      if ((sample?.successes ?? 0) >= polls) break;
      if (failures > polls) throw new Error(`${child.label}: ${failures} failed polls`);
      if (Date.now() > deadline) throw new Error(`${child.label}: ${sample?.successes ?? 0} of ${polls} polls within ${(deadline - started) / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const memory = procMemoryKiB(child.proc.pid);
    return { size, flags: nodeFlags.join(" ") || "(none)", polls, interval, failures, peakMiB: memory.peak / 1024, rssMiB: memory.rss / 1024, cpuSeconds: processCpuSeconds(child.proc.pid), seconds: (Date.now() - started) / 1000, scrapes };
  } finally {
    await child.stop();
  }
}

interface CpuPolls {
  mode: string;
  polls: { cpuSeconds: number; wallSeconds: number }[];
  peakRssMiB: number;
}

/** bench/poll-cpu.mjs in a fresh `node` process (no loader), for the exporter or the bare SDK loop. */
async function cpuPolls(simulatorUrl: string, mode: "exporter" | "sdk", size: number, polls: number): Promise<CpuPolls> {
  const child = new Child(`poll-cpu ${mode} ${size}`, [join(ROOT, "bench/poll-cpu.mjs"), mode, String(size), String(polls)], pollEnv(simulatorUrl));
  const result = await child.nextJson<CpuPolls>(POLL_TIMEOUT_MS);
  const code = await child.waitExit(30_000);
  if (code !== 0) throw new Error(`poll-cpu ${mode} ${size} exited with code ${code}`);
  return result;
}

interface ScaleRound {
  readonly round: number;
  spanSeconds: number;
  slowestPollSeconds: number;
  completedAt: number;
  cpuSeconds: number;
}

/** Sizes of the scale run's targets: mixed, 40,000 in all over 400 targets (20 × 1,000, 60 × 150, 120 × 50, 200 × 25). */
function scaleSizes(targets: number): number[] {
  const pattern = [
    ...Array<number>(1).fill(1_000),
    ...Array<number>(3).fill(150),
    ...Array<number>(6).fill(50),
    ...Array<number>(10).fill(25),
  ]; // 20 targets, 2,000 associations
  return Array.from({ length: targets }, (_, i) => pattern[i % pattern.length] ?? 25);
}

async function scaleRun(simulatorUrl: string, nodeFlags: readonly string[], rounds: number, dir: string) {
  const accounts = 100;
  const regions = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1"];
  const sizes = scaleSizes(accounts * regions.length);
  const account = (i: number) => String(100_000_000_000 + i).padStart(12, "0");
  let i = 0;
  for (let a = 0; a < accounts; a++) {
    for (const region of regions) {
      await generateOn(simulatorUrl, region, sizes[i] ?? 0, BENCH_SEED + i, account(a));
      i++;
    }
  }
  const total = sizes.reduce((sum, n) => sum + n, 0);
  const configFile = join(dir, "scale-targets.yml");
  writeFileSync(configFile, stringifyYaml({ targets: Array.from({ length: accounts }, (_, a) => ({ role_arn: `arn:aws:iam::${account(a)}:role/bench`, regions })) }));
  const started = Date.now();
  const { child, url } = await startDistExporter("exporter (scale)", nodeFlags, [`--config.file=${configFile}`], pollEnv(simulatorUrl), 600_000);
  const readyAfter = (Date.now() - started) / 1000;
  // Per round k, per target: the latest sample that shows k successful polls. The latest, not the first: the
  // polls counter is a self-metric counted as the poll finishes, the timestamps are rendered with the data when
  // the snapshot is published (serialised, a moment later), so the first scrape may pair k with poll k−1's times.
  const byRound = new Map<number, Map<string, TargetSample>>();
  const result: ScaleRound[] = [];
  let scrapes = 0;
  let lastCpu = 0;
  let failures = 0;
  try {
    const deadline = Date.now() + 120_000 + rounds * 90_000;
    while (result.length < rounds) {
      if (Date.now() > deadline) throw new Error(`scale run: ${result.length} of ${rounds} rounds within ${(deadline - started) / 1000} s`);
      const samples = targetSamples(await scrapeText(url));
      scrapes++;
      failures = 0;
      for (const [key, sample] of samples) {
        failures += sample.failures;
        if (sample.successes < 1) continue;
        let round = byRound.get(sample.successes);
        if (!round) byRound.set(sample.successes, (round = new Map()));
        round.set(key, sample);
      }
      const next = result.length + 1;
      const round = byRound.get(next);
      if (round && round.size === sizes.length) {
        const cpu = processCpuSeconds(child.proc.pid);
        result.push({ round: next, spanSeconds: Number.NaN, slowestPollSeconds: Number.NaN, completedAt: (Date.now() - started) / 1000, cpuSeconds: cpu - lastCpu });
        lastCpu = cpu;
      }
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
    // One more scrape after the last publishes, then each round's times from the samples that settled.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    for (const [key, sample] of targetSamples(await scrapeText(url))) byRound.get(sample.successes)?.set(key, sample);
    for (const r of result) {
      const values = [...(byRound.get(r.round)?.values() ?? [])];
      const end = Math.max(...values.map((s) => s.lastSuccess));
      r.spanSeconds = end - Math.min(...values.map((s) => s.lastSuccess - s.duration));
      r.slowestPollSeconds = Math.max(...values.map((s) => s.duration));
    }
    const memory = procMemoryKiB(child.proc.pid);
    return { targets: sizes.length, total, largest: Math.max(...sizes), readyAfter, rounds: result, peakMiB: memory.peak / 1024, rssMiB: memory.rss / 1024, scrapes, failures };
  } finally {
    await child.stop();
  }
}

async function partE(): Promise<void> {
  const smoke = Math.max(...SIZES) < 10_000 && process.env.BENCH_E_SIZES !== "none";
  // BENCH_E_SIZES=none: the scale run only.
  const memorySizes = process.env.BENCH_E_SIZES === "none" ? [] : SIZES;
  const polls = integerList("BENCH_E_POLLS", "10", 1, 100)[0] ?? 10;
  const imageFlags = imageNodeFlags();
  const flagSets: string[][] = [[], ...(imageFlags.length > 0 ? [imageFlags] : [])];
  console.log("");
  console.log(`## E. Memory and CPU from dist (no loader in the measured process) against the SDK's own cost; scale run`);
  console.log("");
  const simulator = Child.script("serve-simulator.ts");
  const dir = mkdtempSync(join(tmpdir(), "ssm-exporter-bench-e-"));
  const memoryRows: string[][] = [];
  const cpuRows: string[][] = [];
  let scale: Awaited<ReturnType<typeof scaleRun>> | undefined;
  let scaleSkipped: string | undefined;
  try {
    const { url } = await simulator.nextJson<{ url: string }>(60_000);
    for (const size of memorySizes) {
      await generateOn(url, BENCH_REGION, size, BENCH_SEED);
      // CPU: the exporter's first poll (start included) and steady polls against a bare paginateListAssociations loop, 3 polls each, alternating twice.
      const exporterRuns: CpuPolls[] = [];
      const sdkRuns: CpuPolls[] = [];
      for (let run = 0; run < 2; run++) {
        process.stderr.write(`part E: CPU at ${size} associations, run ${run + 1} ...\n`);
        sdkRuns.push(await cpuPolls(url, "sdk", size, 3));
        exporterRuns.push(await cpuPolls(url, "exporter", size, 3));
      }
      const median = (list: number[]) => percentile([...list].sort((a, b) => a - b), 50);
      const first = (runs: CpuPolls[]) => median(runs.map((r) => r.polls[0]?.cpuSeconds ?? Number.NaN));
      const steady = (runs: CpuPolls[]) => median(runs.flatMap((r) => r.polls.slice(1).map((p) => p.cpuSeconds)));
      const firstRatio = first(exporterRuns) / first(sdkRuns);
      const steadyRatio = steady(exporterRuns) / steady(sdkRuns);
      cpuRows.push([
        num(size),
        `${fixed(first(exporterRuns), 3)} / ${fixed(first(sdkRuns), 3)}`,
        fixed(firstRatio, 2),
        `${fixed(steady(exporterRuns), 3)} / ${fixed(steady(sdkRuns), 3)}`,
        fixed(steadyRatio, 2),
        exporterRuns.map((r) => r.polls.map((p) => fixed(p.cpuSeconds, 2)).join(" ")).join(" | "),
        sdkRuns.map((r) => r.polls.map((p) => fixed(p.cpuSeconds, 2)).join(" ")).join(" | "),
        size === 10_000 ? verdict(firstRatio <= 1.3) : "",
      ]);
      for (const flags of flagSets) {
        process.stderr.write(`part E: memory at ${size} associations, Node.js flags ${flags.join(" ") || "(none)"} ...\n`);
        const m = await memoryRun(url, size, flags, polls);
        const limit = size === 10_000 ? 200 : size === 50_000 ? 500 : undefined;
        memoryRows.push([num(size), m.flags, `${m.polls} (${m.failures} failed)`, `${m.interval} s`, fixed(m.peakMiB, 1), fixed(m.rssMiB, 1), fixed(m.cpuSeconds, 1), String(m.scrapes), fixed(m.seconds, 0), limit === undefined ? "" : `${verdict(m.peakMiB <= limit)} (≤ ${limit})`]);
      }
    }
    const rounds = integerList("BENCH_E_SCALE_ROUNDS", "3", 2, 20)[0] ?? 3;
    const forced = process.env.BENCH_E_SCALE;
    if (forced === "0") scaleSkipped = "BENCH_E_SCALE=0";
    else if (smoke && forced !== "1") scaleSkipped = `BENCH_SIZES has no size of 10,000 or more (the CI smoke run): the scale run takes ${rounds} rounds of the 60 s poll interval (~${rounds + 1} min); BENCH_E_SCALE=1 runs it anyway`;
    else {
      process.stderr.write(`part E: scale run, 400 targets, ${rounds} rounds of 60 s ...\n`);
      scale = await scaleRun(url, imageFlags, rounds, dir);
    }
  } finally {
    await simulator.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  console.log("CPU: bench/poll-cpu.mjs, plain `node` importing dist/ (no tsx), one fresh process per run, 2 runs × 3 polls of one region (pages");
  console.log("of 50) against the simulator: the exporter (startExporter + pollOnce: pages, validation, snapshot, render, gzip, swap) and a");
  console.log("bare `paginateListAssociations` loop through an SSMClient with the exporter's client options (sdkClientOptions, default");
  console.log("--aws.* settings) that drops each page. process.cpuUsage() user + system (threadpool included); modules loaded before measuring;");
  console.log("the first poll includes creating the client (the exporter's: also its HTTP server and the STS call). Medians of the runs.");
  console.log("");
  console.log(table(["N", "first poll CPU s exporter / SDK", "ratio", "steady poll CPU s exporter / SDK", "ratio", "exporter polls s (run 1 | run 2)", "SDK polls s (run 1 | run 2)", "10,000: first ≤1.3×"], cpuRows));
  console.log("");
  console.log(`Memory: \`node <flags> dist/main.js --poll.interval=<interval>\` (nothing loaded in front of it) against the simulator, one region, /metrics`);
  console.log(`(gzip) scraped every second, until ${polls} successful polls; peak RSS = VmHWM of /proc/<pid>/status, RSS = VmRSS at the end, CPU = the`);
  console.log(`whole process's. Flags: none, and the image's NODE_OPTIONS (${imageFlags.join(" ") || "the Dockerfile sets none"}).`);
  console.log("");
  console.log(table(["N", "Node.js flags", "polls", "interval", "peak RSS MiB", "RSS at end MiB", "CPU s", "scrapes", "seconds", "target"], memoryRows));
  console.log("");
  if (scale === undefined) {
    console.log(`Scale run skipped: ${scaleSkipped ?? "not run"}.`);
    return;
  }
  console.log(`Scale run: \`node ${imageFlags.join(" ")} dist/main.js --config.file=<100 role_arn targets × 4 regions>\` at the defaults (--poll.interval 60s,`);
  console.log(`--poll.concurrency 5), ${num(scale.targets)} account×region targets, ${num(scale.total)} associations (sizes 1,000 / 150 / 50 / 25, largest ${num(scale.largest)}),`);
  console.log("every role assumed through the simulator's STS; /metrics (gzip) scraped every 2 s. Round span = last success of the round minus the");
  console.log("earliest poll start of the round (last success − poll duration, per target); CPU = the exporter process's, from the previous");
  console.log(`round's completion (round 1: from process start, module loading and ${num(scale.targets)} AssumeRole calls included).`);
  console.log("");
  console.log(
    table(
      ["round", "span s (all targets polled)", "within 60 s", "slowest target poll s", "CPU s", "CPU % of a core over 60 s"],
      scale.rounds.map((r) => [String(r.round), fixed(r.spanSeconds, 1), verdict(r.spanSeconds <= 60), fixed(r.slowestPollSeconds, 2), fixed(r.cpuSeconds, 1), `${fixed((100 * r.cpuSeconds) / 60, 0)}%`]),
    ),
  );
  console.log("");
  console.log(`ready after ${fixed(scale.readyAfter, 1)} s; peak RSS ${fixed(scale.peakMiB, 1)} MiB, RSS at end ${fixed(scale.rssMiB, 1)} MiB; ${scale.scrapes} scrapes; failed polls ${scale.failures}.`);
}

const signedNumber = (n: number, digits: number) => `${n >= 0 ? "+" : "−"}${num(Math.abs(n), digits)}`;

// ---------------------------------------------------------------------------------------------------

let failed = false;
try {
  machineFacts();
  for (const [part, run] of [["A", partA], ["B", partB], ["C", partC], ["D", partD], ["E", partE]] as const) {
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
