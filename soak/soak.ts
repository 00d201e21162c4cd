/**
 * The soak: the real exporter process (node dist/main.js) against an in-process simulator, churned at
 * the start of polls, scraped continuously by worker threads in all four formats, for a bounded number
 * of polls. See soak/README.md for what is checked and why the checks are deterministic.
 *
 * runSoak() never throws for a failed check: it returns a report listing every violation. It throws
 * only when the soak itself cannot start (no dist/, bad options). It always stops the exporter, the
 * scrapers, the proxy and the simulator before it returns.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { startSimulator, type RunningSimulator } from "../dev/simulator/server.js";
import type { SimScope } from "../dev/simulator/types.js";
import { Churner, type ChurnStats } from "./churn.js";
import { API_REQUESTS, checkResponse, digestOf, expectedModelLine, VARIANTS, type RawResponse, type Variant } from "./exposition-check.js";
import { startGateProxy, type GateProxy } from "./gate-proxy.js";
import type { FromScraper, ScrapeResult, ScraperData, ToScraper } from "./scraper.js";

export const MAIN_JS = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const GC_PROBE = new URL("./gc-probe.js", import.meta.url);
const WORKER_BOOTSTRAP = new URL("./worker-bootstrap.js", import.meta.url);
const SCRAPER = new URL("./scraper.ts", import.meta.url);

const REGION = "us-east-1";
const PAGE_SIZE = 50;
/** A poll held at the gate for a heap reading longer than this is a violation (readings take ~0.1 s). */
const HOLD_MAX_MS = 5_000;
/** No new poll seen for this long: the exporter stopped polling or publishing. */
const STALL_MS = 30_000;
const SCRAPE_TIMEOUT_MS = 30_000;
const PAUSE_TIMEOUT_MS = 35_000;
const PROBE_TIMEOUT_MS = 20_000;
const STARTUP_TIMEOUT_MS = 20_000;
/** Tries to find a moment with no poll in flight for a heap reading. */
const QUIET_ATTEMPTS = 60;
/** Nice value of the scraper threads: checking a response costs far more CPU than serving it. */
const SCRAPER_NICE = 19;

export interface SoakOptions {
  /** Associations seeded (the sentinel included); churn keeps the count near it. */
  readonly associations: number;
  /**
   * Churned polls to run and check: each is an exporter poll (a ListAssociations listing) that starts
   * with a churn step. Exporter polls that start before the previous step's data was captured by a
   * scrape read that data again without churn (repeats) and do not count.
   */
  readonly polls: number;
  /** Concurrent scraper loops (worker threads). */
  readonly scrapers: number;
  /** --poll.interval of the exporter. Default 1s. */
  readonly pollInterval?: string;
  /** The early heap reading is taken once this churned poll has been seen (default 10, or the last if fewer). */
  readonly heapBaselinePoll?: number;
  /** Allowed growth of heapUsed from the baseline reading to the last (default 0.10). */
  readonly heapTolerance?: number;
  /** Also read the heap every this many churned polls, for the trend in the summary (default: never). */
  readonly heapEvery?: number;
  /** Whole-run bound; default 120 s + 6 s per poll. */
  readonly deadlineSeconds?: number;
  readonly seed?: number;
  /** Where scrapers write the first few failing responses (default: nowhere). */
  readonly dumpDir?: string;
  /** Progress lines (default: none). */
  readonly progress?: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface ViolationKind {
  readonly kind: string;
  count: number;
  readonly examples: string[];
}

interface MemoryReading {
  readonly rss: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** Bytes used per V8 heap space. */
  readonly spaces?: Record<string, number>;
}

interface VariantStats {
  scrapes: number;
  failed: number;
  wireBytes: number;
  textBytes: number;
  latencies: number[];
}

export interface SoakReport {
  readonly ok: boolean;
  readonly violationCount: number;
  readonly violations: readonly ViolationKind[];
  /** Churned polls asked for, and those whose data a scrape showed and the checks covered (all, unless the run failed). */
  readonly pollsExpected: number;
  readonly pollsObserved: number;
  /** ListAssociations polls the exporter started (churned and repeats), and those a scrape showed. */
  readonly exporterPolls: number;
  readonly exporterPollsObserved: number;
  /** Exporter polls that started before the previous churned poll had been captured: no churn, same data. */
  readonly repeatPolls: number;
  /** Polls the exporter reports as failed (aws_ssm_exporter_polls_total{outcome!="success"}), undefined if unknown. */
  readonly failedPolls: number | undefined;
  readonly exactChecksPassed: number;
  readonly scrapes: number;
  readonly heapBaseline: MemoryReading | undefined;
  readonly heapLast: MemoryReading | undefined;
  readonly heapRatio: number | undefined;
  readonly wallSeconds: number;
  /** The printable summary. */
  readonly summary: string;
}

class Violations {
  readonly kinds = new Map<string, ViolationKind>();
  total = 0;

  add(kind: string, detail: string): void {
    this.total++;
    const entry = this.kinds.get(kind) ?? { kind, count: 0, examples: [] };
    entry.count++;
    if (entry.examples.length < 3) entry.examples.push(detail);
    this.kinds.set(kind, entry);
  }
}

/** A message with its numbers and quoted parts blanked: one kind per kind of problem. */
function kindOf(message: string): string {
  return message
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/\d+(\.\d+)?/g, "#")
    .slice(0, 120);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

function get(url: string, headers: Record<string, string>, timeoutMs: number): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const ms = (value: number): string => `${value.toFixed(1)} ms`;

/** wait(ms) resolves at the next notify() or after ms, whichever is first. */
class Notifier {
  private waiters: (() => void)[] = [];

  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  wait(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      const waiters = this.waiters;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      waiters.push(done);
    });
  }
}

interface PollExpectation {
  /** The churn step whose data this poll reads. */
  readonly version: number;
  /** aws_ssm_association_info series this poll must serve. */
  readonly count: number;
  readonly digest: string;
  /** ListAssociations pages the simulator computed for this poll. */
  pages: number;
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const N = options.associations;
  const POLLS = options.polls;
  if (!Number.isInteger(N) || N < 2) throw new RangeError(`associations must be an integer ≥ 2, got ${N}`);
  if (!Number.isInteger(POLLS) || POLLS < 1) throw new RangeError(`polls must be an integer ≥ 1, got ${POLLS}`);
  if (!Number.isInteger(options.scrapers) || options.scrapers < 1) throw new RangeError(`scrapers must be an integer ≥ 1, got ${options.scrapers}`);
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run npm run build first`);
  const baselinePoll = Math.min(options.heapBaselinePoll ?? 10, POLLS);
  const tolerance = options.heapTolerance ?? 0.1;
  const deadlineMs = (options.deadlineSeconds ?? 120 + 6 * POLLS) * 1000;
  const progress = options.progress ?? (() => undefined);
  const startedAt = performance.now();
  const elapsed = (): string => `${((performance.now() - startedAt) / 1000).toFixed(1)} s`;

  const violations = new Violations();
  const variants = new Map<Variant, VariantStats>(VARIANTS.map((v) => [v, { scrapes: 0, failed: 0, wireBytes: 0, textBytes: 0, latencies: [] }]));
  /** Per poll (first pages counted by the hook, 1, 2, ...): what it must serve. */
  const expected = new Map<number, PollExpectation>();
  const observedPolls = new Set<number>();
  const observedVersions = new Set<number>();
  /** Churn steps captured by a scraper (their check may still be running; its result always follows). */
  const capturedVersions = new Set<number>();
  /** [poll, ms] of aws_ssm_exporter_poll_duration_seconds at the poll's first sighting. */
  const pollDurations: [number, number][] = [];
  const repeats: number[] = [];
  let version = 0;
  let lastObservedPoll = 0;
  let exactChecksPassed = 0;
  let hookPolls = 0;
  /** A poll reaching the gate waits while this is set (a heap reading is being taken). */
  let held = false;
  /** Set at the final reading (and on a fatal error): polls reaching the gate wait until teardown. */
  let finalHold = false;
  let measuring = false;
  let finished = false;
  let lastProgressAt = performance.now();
  const holds: number[] = [];
  const changed = new Notifier();
  const exporterLog = new Map<string, number>();
  const exporterStderr: string[] = [];
  const probeLines: { seq: number; reading?: MemoryReading; error?: string }[] = [];
  const probeArrived = new Notifier();
  let heapBaseline: MemoryReading | undefined;
  /** [churned poll, heapUsed] of every reading, in order. */
  const heapTrend: [number, number][] = [];
  let heapLast: MemoryReading | undefined;
  let quietAttempts = 0;
  let apiLine = "";
  let pagesLine = "";
  let failedPolls: number | undefined;
  let failedLine = "";
  let churn: ChurnStats | undefined;
  let finalCount = 0;

  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  /** Resolved once the exporter is gone: a request held at the gate is dropped only then. */
  let releaseHeld: () => void = () => undefined;
  const heldUntilTeardown = new Promise<void>((resolve) => (releaseHeld = resolve));
  const fatal = (kind: string, detail: string): void => {
    violations.add(kind, detail);
    progress(`FATAL ${kind}: ${detail}`);
    finished = true;
    finalHold = true;
    changed.notify();
    resolveDone();
  };

  let simulator: RunningSimulator | undefined;
  let proxy: GateProxy | undefined;
  let child: ChildProcess | undefined;
  let childExited: Promise<void> = Promise.resolve();
  let tearingDown = false;
  const workers: Worker[] = [];
  const pauseAcks = new Map<number, Set<number>>();
  const pauseNotifier = new Notifier();
  const stopped = new Set<number>();
  let pauseSeq = 0;
  const timers: NodeJS.Timeout[] = [];
  let unhook: (() => void) | undefined;
  const onAbort = (): void => fatal("aborted", "the soak was interrupted");

  try {
    // --- simulator, churn, gate ------------------------------------------------------------------
    simulator = await startSimulator();
    const sim = simulator.sim;
    const scope: SimScope = { region: REGION };
    const churner = new Churner(sim, scope, N, options.seed ?? 1);
    churner.seedData();
    churn = churner.stats;

    const post = (msg: ToScraper): void => {
      for (const w of workers) w.postMessage(msg);
    };
    // Runs synchronously before each ListAssociations page is computed: the poll that follows reads
    // exactly the data left here. A churn step is applied only once a scraper has captured a response
    // with the previous step's data (and so will check it): every step's data is checked, and the
    // exporter is never made to wait. A poll that starts earlier reads the same data again.
    unhook = sim.onBeforeList((site, firstPage) => {
      if (site.region !== REGION || site.accountId !== sim.defaultAccountId) {
        violations.add("unexpected scope", `ListAssociations for ${site.accountId}/${site.region}`);
        return;
      }
      if (!firstPage) {
        const e = expected.get(hookPolls);
        if (e) e.pages++;
        return;
      }
      hookPolls++;
      const poll = hookPolls;
      try {
        if (version < POLLS) {
          if (version === 0 || capturedVersions.has(version)) churner.step(++version);
          else repeats.push(poll);
        }
        const data = churner.markPoll(poll);
        const lines = data.map((a) => [a.AssociationId, expectedModelLine(a)] as const);
        expected.set(poll, { version, count: data.length, digest: digestOf(lines.map(([, l]) => l)), pages: 1 });
        finalCount = data.length;
        post({ type: "expect", poll, lines });
      } catch (err) {
        fatal("churn step failed", `poll ${poll}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
    });

    const gate = async (): Promise<void> => {
      const since = performance.now();
      while (held && !finalHold) {
        const left = HOLD_MAX_MS - (performance.now() - since);
        if (left <= 0) {
          violations.add("heap reading held a poll too long", `a poll waited ${HOLD_MAX_MS} ms for a heap reading`);
          break;
        }
        await changed.wait(left);
      }
      if (finalHold) {
        // The soak is over: hold it until the exporter is gone, then drop it.
        await heldUntilTeardown;
        throw new Error("soak finished");
      }
      const waited = performance.now() - since;
      if (waited > 0.5) holds.push(waited);
    };
    proxy = await startGateProxy(simulator.url, gate);

    // --- the exporter ------------------------------------------------------------------------------
    const port = await freePort();
    const metricsUrl = `http://127.0.0.1:${port}/metrics`;
    const proc = spawn(
      process.execPath,
      [
        "--expose-gc",
        "--import",
        GC_PROBE.href,
        MAIN_JS,
        `--web.listen-address=127.0.0.1:${port}`,
        `--aws.region=${REGION}`,
        `--poll.interval=${options.pollInterval ?? "1s"}`,
        "--log.level=warn",
      ],
      {
        env: {
          PATH: process.env.PATH,
          AWS_ENDPOINT_URL_SSM: proxy.url,
          AWS_ENDPOINT_URL_STS: proxy.url,
          AWS_ACCESS_KEY_ID: "AKIDSOAKSIMULATED001",
          AWS_SECRET_ACCESS_KEY: "simulated-secret",
          AWS_EC2_METADATA_DISABLED: "true",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child = proc;
    childExited = new Promise((resolve) => proc.once("exit", () => resolve()));
    proc.once("exit", (code, signal) => {
      if (!tearingDown) fatal("exporter exited", `code ${code ?? "-"}, signal ${signal ?? "-"}; stderr: ${exporterStderr.slice(-5).join(" | ")}`);
    });
    proc.once("error", (err) => fatal("exporter did not start", err.message));
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      if (finalHold) return; // the held poll's end at shutdown is no finding
      let key = line.slice(0, 200);
      try {
        const entry = JSON.parse(line) as { level?: string; msg?: string };
        key = `${entry.level ?? "?"}: ${entry.msg ?? line.slice(0, 200)}`;
        if (entry.level === "error" || entry.level === "fatal") violations.add(`exporter logged ${entry.level}`, line.slice(0, 500));
      } catch {
        // not JSON: counted as is
      }
      exporterLog.set(key, (exporterLog.get(key) ?? 0) + 1);
    });
    createInterface({ input: proc.stderr as NodeJS.ReadableStream }).on("line", (line) => {
      if (line.startsWith("SOAK_HEAP_PROBE ")) {
        const data = JSON.parse(line.slice("SOAK_HEAP_PROBE ".length)) as MemoryReading & { seq: number; error?: string };
        probeLines.push(data.error === undefined ? { seq: data.seq, reading: data } : { seq: data.seq, error: data.error });
        probeArrived.notify();
      } else if (exporterStderr.length < 200) {
        exporterStderr.push(line);
      }
    });

    options.signal?.addEventListener("abort", onAbort);
    if (options.signal?.aborted) onAbort();
    timers.push(setTimeout(() => fatal("deadline", `the soak did not finish within ${deadlineMs / 1000} s (${observedVersions.size}/${POLLS} polls seen)`), deadlineMs));
    timers.push(
      setInterval(() => {
        if (!finished && !measuring && performance.now() - lastProgressAt > STALL_MS) {
          fatal("stalled", `no new poll seen for ${STALL_MS / 1000} s (last seen: poll ${lastObservedPoll}; polls started: ${hookPolls})`);
        }
      }, 1_000),
    );

    // Wait for /healthz before scraping: connection refused before the listener exists is no finding.
    const startupDeadline = performance.now() + STARTUP_TIMEOUT_MS;
    for (;;) {
      if (finished) break;
      try {
        const res = await get(`http://127.0.0.1:${port}/healthz`, {}, 2_000);
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
      if (performance.now() > startupDeadline) {
        fatal("exporter did not start", `no /healthz within ${STARTUP_TIMEOUT_MS / 1000} s; stderr: ${exporterStderr.slice(-5).join(" | ")}`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // --- heap readings -----------------------------------------------------------------------------
    const pauseScrapers = async (): Promise<void> => {
      const id = ++pauseSeq;
      pauseAcks.set(id, new Set());
      post({ type: "pause", id });
      const until = performance.now() + PAUSE_TIMEOUT_MS;
      while ((pauseAcks.get(id)?.size ?? 0) < workers.length) {
        if (performance.now() > until) throw new Error(`scrapers did not pause within ${PAUSE_TIMEOUT_MS / 1000} s`);
        await pauseNotifier.wait(until - performance.now());
      }
    };
    const resumeScrapers = (): void => post({ type: "resume" });
    const readHeap = async (): Promise<MemoryReading> => {
      const seq = probeLines.length + 1;
      proc.kill("SIGUSR2");
      const until = performance.now() + PROBE_TIMEOUT_MS;
      for (;;) {
        const line = probeLines.find((p) => p.seq === seq);
        if (line?.reading) return line.reading;
        if (line?.error) throw new Error(`gc probe: ${line.error}`);
        if (performance.now() > until) throw new Error(`no heap reading within ${PROBE_TIMEOUT_MS / 1000} s of SIGUSR2`);
        await probeArrived.wait(until - performance.now());
      }
    };
    /**
     * Pauses the scrapers (their in-flight responses finished) at a moment when no poll is in flight:
     * the newest poll that started has been published and seen. From that moment a poll reaching the
     * gate waits (`final`: until teardown). Tries again after the next poll otherwise.
     */
    const quiesce = async (final: boolean): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        quietAttempts++;
        await pauseScrapers();
        if (lastObservedPoll === hookPolls) {
          if (final) finalHold = true;
          else held = true;
          return;
        }
        resumeScrapers();
        if (attempt >= QUIET_ATTEMPTS) throw new Error(`no moment without a poll in flight in ${QUIET_ATTEMPTS} tries`);
        const seen = lastObservedPoll;
        const until = performance.now() + 10_000;
        while (lastObservedPoll === seen && performance.now() < until && !finished) await changed.wait(until - performance.now());
        if (finished) throw new Error("the soak ended during a heap reading");
      }
    };
    const measureAt = async (step: number, baseline: boolean): Promise<void> => {
      measuring = true;
      try {
        await quiesce(false);
        const reading = await readHeap();
        if (baseline) heapBaseline = reading;
        heapTrend.push([step, reading.heapUsed]);
        progress(`heap after poll ${step} (exporter poll ${lastObservedPoll}): heapUsed ${mib(reading.heapUsed)} (rss ${mib(reading.rss)}) at ${elapsed()}`);
      } finally {
        held = false;
        changed.notify();
        resumeScrapers();
        lastProgressAt = performance.now();
        measuring = false;
      }
    };
    const finish = async (): Promise<void> => {
      measuring = true;
      await quiesce(true);
      // Nothing is in flight and the next poll waits at the gate: the last polls' numbers are final.
      const lastPoll = hookPolls;
      const abandonedBefore = proxy?.abandoned() ?? 0;
      const res = await get(metricsUrl, { accept: "text/plain" }, SCRAPE_TIMEOUT_MS);
      const heldAbandoned = (proxy?.abandoned() ?? 0) - abandonedBefore;
      heapLast = await readHeap();
      heapTrend.push([POLLS, heapLast.heapUsed]);
      if (baselinePoll >= POLLS && heapBaseline === undefined) heapBaseline = heapLast;
      const checked = checkResponse("text", res);
      for (const v of checked.violations) violations.add(`final scrape: ${kindOf(v)}`, v);
      const last = expected.get(lastPoll);
      if (checked.poll !== lastPoll) violations.add("final scrape", `serves poll ${String(checked.poll)}, not the last poll ${lastPoll}`);
      if (last && checked.infoCount !== last.count) violations.add("final scrape", `${checked.infoCount} info series, expected ${last.count}`);

      // Failed polls, as the exporter counts them (the poll held at the gate excluded).
      if (checked.pollsByOutcome !== undefined) {
        const failed = Object.entries(checked.pollsByOutcome).filter(([outcome, n]) => outcome !== "success" && n > 0);
        failedPolls = Math.max(0, failed.reduce((sum, [, n]) => sum + n, 0) - heldAbandoned);
        failedLine = `exporter polls: ${Object.entries(checked.pollsByOutcome).map(([o, n]) => `${o}=${n}`).join(", ")}${heldAbandoned > 0 ? " (one of them the poll held at the end)" : ""}`;
        if (failedPolls > 0) violations.add("exporter polls failed", failedLine);
      }

      // One page per 50 associations (at least one) per poll, nothing else; every attempt a success.
      let pages = 0;
      let hookPageSum = 0;
      for (let k = 1; k <= lastPoll; k++) {
        const e = expected.get(k);
        pages += Math.max(1, Math.ceil((e?.count ?? 0) / PAGE_SIZE));
        hookPageSum += e?.pages ?? 0;
      }
      const served = checked.apiRequests["ListAssociations/success"] ?? 0;
      const other = Object.entries(checked.apiRequests).filter(([k, n]) => k.startsWith("ListAssociations/") && k !== "ListAssociations/success" && n > 0);
      apiLine = `exporter ${API_REQUESTS}{operation="ListAssociations",outcome="success"} = ${served}, expected Σ max(1, ⌈n/50⌉) over ${lastPoll} polls = ${pages} (${(pages / lastPoll).toFixed(2)} per poll); simulator counted ${sim.callCount("ListAssociations")}`;
      if (other.length > 0) apiLine += `; other outcomes: ${other.map(([k, v]) => `${k}=${v}`).join(", ")}`;
      pagesLine = `first pages: simulator hook ${hookPolls}, gate proxy ${proxy?.firstPages() ?? 0} (${(proxy?.firstPages() ?? 0) - hookPolls} held at the end); pages of polls 1..${lastPoll} computed by the simulator: ${hookPageSum}; requests the exporter abandoned: ${proxy?.abandoned() ?? 0}`;
      if ((failedPolls ?? 0) === 0) {
        if (served !== pages) violations.add("ListAssociations calls", apiLine);
        if (hookPageSum !== pages) violations.add("ListAssociations pages", pagesLine);
        if (sim.callCount("ListAssociations") !== served) violations.add("ListAssociations calls", `simulator counted ${sim.callCount("ListAssociations")}, exporter ${served}`);
        if (other.length > 0) violations.add("ListAssociations failures", apiLine);
      }
      resolveDone();
    };
    let measurements: Promise<void> = Promise.resolve();
    let baselineStarted = false;
    let finishStarted = false;
    /** A churned poll's data has been seen and checked for the first time. */
    const onObservedVersion = (step: number, count: number): void => {
      if (!finishStarted && step >= POLLS) {
        finishStarted = true;
        measurements = measurements.then(finish).catch((err: unknown) => fatal("final checks failed", String(err)));
      } else if (!baselineStarted && step >= baselinePoll) {
        baselineStarted = true;
        measurements = measurements.then(() => measureAt(step, true)).catch((err: unknown) => fatal("heap reading failed", String(err)));
      } else if (options.heapEvery !== undefined && step % options.heapEvery === 0 && step > baselinePoll) {
        measurements = measurements.then(() => measureAt(step, false)).catch((err: unknown) => fatal("heap reading failed", String(err)));
      }
      if (step % Math.max(1, Math.floor(POLLS / 20)) === 0 || step === POLLS) {
        const scrapes = [...variants.values()].reduce((n, v) => n + v.scrapes, 0);
        progress(`poll ${step}/${POLLS} seen: ${count} associations; ${hookPolls} exporter polls, ${repeats.length} repeats; ${scrapes} scrapes, ${violations.total} violations, ${elapsed()}`);
      }
    };

    // --- scrapers ----------------------------------------------------------------------------------
    const onResult = (r: ScrapeResult): void => {
      const stats = variants.get(r.variant);
      if (stats) {
        stats.scrapes++;
        stats.wireBytes += r.wireBytes;
        stats.textBytes += r.textBytes;
        stats.latencies.push(r.latencyMs);
        if (r.violations.length > 0) stats.failed++;
      }
      if (finalHold) return; // a response cut short by the teardown is no finding
      for (const v of r.violations) violations.add(`scrape (${r.variant}): ${kindOf(v)}`, `${r.variant}: ${v}`);
      if (r.poll === undefined || r.version === undefined) {
        if (r.status === 200 && r.infoCount > 0) violations.add("sentinel missing", `${r.variant}: ${r.infoCount} associations but no sentinel series`);
        return;
      }
      const e = expected.get(r.poll);
      if (e === undefined || r.poll > hookPolls) {
        violations.add("unknown poll", `${r.variant}: serves poll ${r.poll}, but ${hookPolls} polls have started`);
        return;
      }
      if (r.version !== e.version) violations.add("wrong data for the poll", `poll ${r.poll} (${r.variant}): churn step ${r.version}, expected ${e.version}`);
      if (r.infoCount === e.count) exactChecksPassed++;
      else violations.add("exact series count", `poll ${r.poll} (${r.variant}): ${r.infoCount} aws_ssm_association_info series, expected ${e.count}`);
      if (r.digest !== e.digest) violations.add("served data differs from the poll's data", `poll ${r.poll} (${r.variant}): ${r.diff ?? "digest differs"}`);
      if (!observedPolls.has(r.poll)) {
        observedPolls.add(r.poll);
        if (r.pollDurationSeconds !== undefined) pollDurations.push([r.poll, r.pollDurationSeconds * 1000]);
        if (r.poll > lastObservedPoll) {
          lastObservedPoll = r.poll;
          lastProgressAt = performance.now();
        }
        changed.notify();
      }
      if (!observedVersions.has(r.version)) {
        observedVersions.add(r.version);
        onObservedVersion(r.version, r.infoCount);
      }
    };
    if (!finished) {
      for (let i = 0; i < options.scrapers; i++) {
        const data: ScraperData = { entry: SCRAPER.href, url: metricsUrl, index: i, timeoutMs: SCRAPE_TIMEOUT_MS, dumpDir: options.dumpDir, nice: SCRAPER_NICE };
        const worker = new Worker(WORKER_BOOTSTRAP, { workerData: data, execArgv: [] });
        worker.on("message", (msg: FromScraper) => {
          if (msg.type === "result") onResult(msg);
          else if (msg.type === "captured") capturedVersions.add(msg.version);
          else if (msg.type === "paused") {
            pauseAcks.get(msg.id)?.add(i);
            pauseNotifier.notify();
          } else if (msg.type === "stopped") {
            stopped.add(i);
            pauseNotifier.notify();
          }
        });
        worker.on("error", (err) => fatal("scraper crashed", `scraper ${i}: ${err.stack ?? err.message}`));
        workers.push(worker);
      }
    }
    await done;
  } finally {
    tearingDown = true;
    finished = true;
    finalHold = true;
    resolveDone();
    changed.notify();
    options.signal?.removeEventListener("abort", onAbort);
    for (const t of timers) clearTimeout(t);
    unhook?.();
    for (const w of workers) w.postMessage({ type: "stop" } satisfies ToScraper);
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const exited = await Promise.race([childExited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 6_000))]);
      if (!exited) {
        child.kill("SIGKILL");
        await childExited;
      }
    }
    releaseHeld();
    const stopBy = performance.now() + 5_000;
    while (stopped.size < workers.length && performance.now() < stopBy) await pauseNotifier.wait(stopBy - performance.now());
    await Promise.all(workers.map((w) => w.terminate()));
    await proxy?.close();
    await simulator?.close();
  }

  for (const e of proxy?.errors() ?? []) violations.add("gate proxy", e);
  const unseenSteps: number[] = [];
  for (let v = 1; v <= version; v++) if (!observedVersions.has(v)) unseenSteps.push(v);
  if (unseenSteps.length > 0) violations.add("churned polls never seen", `polls ${unseenSteps.slice(0, 20).join(", ")}${unseenSteps.length > 20 ? ", ..." : ""}`);
  if (version < POLLS || !observedVersions.has(POLLS)) violations.add("run incomplete", `${observedVersions.size} of ${POLLS} churned polls seen`);
  let heapRatio: number | undefined;
  if (heapBaseline && heapLast) {
    heapRatio = heapLast.heapUsed / heapBaseline.heapUsed;
    if (heapRatio > 1 + tolerance) {
      violations.add("heap grew", `heapUsed ${mib(heapBaseline.heapUsed)} after poll ${baselinePoll} → ${mib(heapLast.heapUsed)} at the end: ×${heapRatio.toFixed(3)} > ×${(1 + tolerance).toFixed(2)}`);
    }
  } else {
    violations.add("heap not measured", `baseline ${heapBaseline ? "taken" : "missing"}, last ${heapLast ? "taken" : "missing"}`);
  }

  // --- summary -------------------------------------------------------------------------------------
  const wallSeconds = (performance.now() - startedAt) / 1000;
  const all = [...variants.values()].flatMap((v) => v.latencies).sort((a, b) => a - b);
  const scrapes = all.length;
  const unseenExporterPolls = Math.max(0, hookPolls - observedPolls.size);
  const out: string[] = [];
  out.push("=== soak summary ===");
  out.push(`result: ${violations.total === 0 ? "PASS" : `FAIL (${violations.total} violations)`}`);
  out.push(`associations: seeded ${N}, final ${finalCount}, range during the run ${churn?.minCount ?? "?"}..${churn?.maxCount ?? "?"}`);
  out.push(`polls: ${version - unseenSteps.length}/${POLLS} churned polls seen and checked (interval ${options.pollInterval ?? "1s"})`);
  out.push(
    `exporter polls: ${hookPolls} started, ${observedPolls.size} seen by a scrape${unseenExporterPolls > 0 ? ` (${unseenExporterPolls} not: replaced before a scrape, failed, or held at the end)` : ""}; ${repeats.length} repeats (started before the previous churned poll was captured: no churn)`,
  );
  if (churn) {
    out.push(
      `churn: ${churn.steps} steps; ${churn.creates} creates, ${churn.deletes} deletes, ${churn.renames} renames, ${churn.statusFlips} status changes, ${churn.countMapChanges} count-map changes`,
    );
  }
  out.push(`exact-count checks passed: ${exactChecksPassed} responses`);
  const sortedDurations = pollDurations.map(([, d]) => d).sort((a, b) => a - b);
  if (sortedDurations.length > 0) {
    const slowest = [...pollDurations].sort((a, b) => b[1] - a[1]).slice(0, 5);
    out.push(
      `poll duration (aws_ssm_exporter_poll_duration_seconds of the polls seen): p50 ${ms(percentile(sortedDurations, 50))}, p99 ${ms(percentile(sortedDurations, 99))}, max ${ms(sortedDurations.at(-1) ?? 0)}; slowest: ${slowest.map(([p, d]) => `poll ${p} ${ms(d)}`).join(", ")}`,
    );
  }
  if (failedLine) out.push(failedLine.replace("exporter polls:", "exporter poll outcomes:"));
  const sortedHolds = [...holds].sort((a, b) => a - b);
  out.push(`polls held at the gate for a heap reading: ${holds.length}, max ${ms(sortedHolds.at(-1) ?? 0)}; quiet-moment attempts: ${quietAttempts}`);
  out.push(`scrapes: ${scrapes} with ${options.scrapers} scrapers; latency p50 ${ms(percentile(all, 50))}, p99 ${ms(percentile(all, 99))}, max ${ms(all.at(-1) ?? Number.NaN)}`);
  for (const [variant, s] of variants) {
    const sorted = [...s.latencies].sort((a, b) => a - b);
    out.push(
      `  ${variant.padEnd(17)} ${String(s.scrapes).padStart(6)} scrapes, ${String(s.failed).padStart(4)} with violations, ${mib(s.wireBytes).padStart(11)} received (${mib(s.textBytes)} text), p50 ${ms(percentile(sorted, 50))}, p99 ${ms(percentile(sorted, 99))}, max ${ms(sorted.at(-1) ?? Number.NaN)}`,
    );
  }
  const heapLine = (r: MemoryReading | undefined): string =>
    r ? `heapUsed ${mib(r.heapUsed)} (heapTotal ${mib(r.heapTotal)}, external ${mib(r.external)}, arrayBuffers ${mib(r.arrayBuffers)}, rss ${mib(r.rss)})` : "not measured";
  out.push(`heap after poll ${baselinePoll}: ${heapLine(heapBaseline)}`);
  out.push(`heap at the end:    ${heapLine(heapLast)}`);
  out.push(`heap ratio (heapUsed end / after poll ${baselinePoll}): ${heapRatio === undefined ? "n/a" : heapRatio.toFixed(3)} (limit ${(1 + tolerance).toFixed(2)})`);
  if (heapBaseline?.spaces && heapLast?.spaces) {
    const base = heapBaseline.spaces;
    const diff = Object.entries(heapLast.spaces)
      .map(([space, used]) => [space, used - (base[space] ?? 0)] as const)
      .filter(([, d]) => Math.abs(d) >= 16 * 1024)
      .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
    out.push(`heap change by V8 space: ${diff.length === 0 ? "none above 16 KiB" : diff.map(([space, d]) => `${space} ${d >= 0 ? "+" : ""}${(d / 1024).toFixed(0)} KiB`).join(", ")}`);
  }
  if (heapTrend.length > 2) {
    // Least-squares slope of heapUsed over polls: a leak grows steadily, warm-up and noise do not.
    const n = heapTrend.length;
    const mx = heapTrend.reduce((a, [x]) => a + x, 0) / n;
    const my = heapTrend.reduce((a, [, y]) => a + y, 0) / n;
    const slope = heapTrend.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / heapTrend.reduce((a, [x]) => a + (x - mx) ** 2, 0);
    out.push(`heap trend (poll: heapUsed MiB): ${heapTrend.map(([x, y]) => `${x}: ${(y / 1024 / 1024).toFixed(2)}`).join(", ")}; slope ${(slope / 1024).toFixed(2)} KiB per poll`);
  }
  out.push(`API: ${apiLine || "not checked (the run did not reach its last poll)"}`);
  if (pagesLine) out.push(`     ${pagesLine}`);
  out.push(`exporter log (warn and above): ${exporterLog.size === 0 ? "none" : [...exporterLog].map(([k, v]) => `${v}× ${k}`).join("; ")}`);
  if (exporterStderr.length > 0) out.push(`exporter stderr (${exporterStderr.length} lines): ${exporterStderr.slice(0, 8).join(" | ").slice(0, 600)}`);
  out.push(`wall time: ${wallSeconds.toFixed(1)} s`);
  if (violations.total > 0) {
    if (options.dumpDir !== undefined) out.push(`failing responses (up to 5 per scraper) dumped to ${options.dumpDir}`);
    out.push(`violations (${violations.total}):`);
    for (const v of violations.kinds.values()) {
      out.push(`  ${v.count}× ${v.kind}`);
      for (const e of v.examples) out.push(`      e.g. ${e.slice(0, 1000)}`);
    }
  }
  return {
    ok: violations.total === 0,
    violationCount: violations.total,
    violations: [...violations.kinds.values()],
    pollsExpected: POLLS,
    pollsObserved: version - unseenSteps.length,
    exporterPolls: hookPolls,
    exporterPollsObserved: observedPolls.size,
    repeatPolls: repeats.length,
    failedPolls,
    exactChecksPassed,
    scrapes,
    heapBaseline,
    heapLast,
    heapRatio,
    wallSeconds,
    summary: out.join("\n"),
  };
}
