/**
 * One scraper: a worker thread (started through soak/worker-bootstrap.js) that GETs /metrics in a
 * loop, cycling through the four variants, checks every response (soak/exposition-check.ts) and posts
 * a compact result to the soak. Parsing a multi-megabyte exposition takes ~100 ms; in worker threads
 * it never delays the in-process simulator that the exporter is polling.
 */
import { mkdirSync, readlinkSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { getPriority, setPriority } from "node:os";
import { join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { checkResponse, describeModelDiff, digestOf, findMarkers, requestHeaders, VARIANTS, type RawResponse, type Variant } from "./exposition-check.js";

export interface ScraperData {
  readonly entry: string;
  readonly url: string;
  readonly index: number;
  readonly timeoutMs: number;
  /** Where to write the first few failing responses (headers, violations, body); none when undefined. */
  readonly dumpDir: string | undefined;
  /** Nice value for this thread (higher = lower priority); undefined leaves it. */
  readonly nice: number | undefined;
}

export type ToScraper =
  | { readonly type: "expect"; readonly poll: number; readonly lines: readonly (readonly [string, string])[] }
  | { readonly type: "pause"; readonly id: number }
  | { readonly type: "resume" }
  | { readonly type: "stop" };

export interface ScrapeResult {
  readonly type: "result";
  readonly scraper: number;
  readonly variant: Variant;
  readonly status: number;
  readonly latencyMs: number;
  readonly wireBytes: number;
  readonly textBytes: number;
  readonly violations: readonly string[];
  readonly version: number | undefined;
  readonly poll: number | undefined;
  readonly infoCount: number;
  readonly exporterAssociations: number;
  readonly pollDurationSeconds: number | undefined;
  readonly digest: string;
  /** When the served model differs from the expectation this worker holds for `poll`. */
  readonly diff: string | undefined;
}

/**
 * Posted as soon as a body is decoded, before its checks: the poll and churn step it serves. A result
 * for the same response always follows (the scraper finishes a check before it pauses or stops).
 */
export interface Captured {
  readonly type: "captured";
  readonly version: number;
  readonly poll: number;
}

export type FromScraper = ScrapeResult | Captured | { readonly type: "paused"; readonly id: number } | { readonly type: "stopped"; readonly scraper: number };

const KEPT_EXPECTATIONS = 16;
const MAX_DUMPS = 5;

function rawGet(url: string, headers: Record<string, string>, agent: Agent, timeoutMs: number): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", headers, agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no complete answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/**
 * Checking a response costs far more CPU than serving it. At a lower priority (Linux: a nice value per
 * thread) the checks use idle CPU and do not starve the exporter's polls or the in-process simulator,
 * which would otherwise miss their --poll.timeout on a small machine. The exporter still gets the same
 * requests, concurrently. Returns the nice value set, or undefined where threads cannot be reniced.
 */
function lowerPriority(nice: number): number | undefined {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (!Number.isInteger(tid) || tid <= 0) return undefined;
    setPriority(tid, nice);
    return getPriority(tid);
  } catch {
    return undefined;
  }
}

async function run(port: NonNullable<typeof parentPort>, data: ScraperData): Promise<void> {
  if (data.nice !== undefined) lowerPriority(data.nice);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const expectations = new Map<number, { lines: Map<string, string>; digest: string }>();
  let pauseId: number | undefined;
  let stopping = false;
  let wake: (() => void) | undefined;
  port.on("message", (msg: ToScraper) => {
    if (msg.type === "expect") {
      const lines = new Map(msg.lines);
      expectations.set(msg.poll, { lines, digest: digestOf(lines.values()) });
      for (const p of expectations.keys()) if (p <= msg.poll - KEPT_EXPECTATIONS) expectations.delete(p);
      return;
    }
    if (msg.type === "pause") pauseId = msg.id;
    if (msg.type === "resume") pauseId = undefined;
    if (msg.type === "stop") stopping = true;
    wake?.();
  });

  let n = data.index;
  let dumps = 0;
  while (!stopping) {
    if (pauseId !== undefined) {
      port.postMessage({ type: "paused", id: pauseId } satisfies FromScraper);
      const id = pauseId;
      while (pauseId === id && !stopping) await new Promise<void>((resolve) => (wake = resolve));
      continue;
    }
    const variant = VARIANTS[n++ % VARIANTS.length] as Variant;
    const started = performance.now();
    let result: ScrapeResult;
    try {
      const res = await rawGet(data.url, requestHeaders(variant), agent, data.timeoutMs);
      const latencyMs = performance.now() - started;
      const checked = checkResponse(variant, res, (text) => {
        const markers = findMarkers(text);
        if (markers) port.postMessage({ type: "captured", ...markers } satisfies FromScraper);
      });
      const expected = checked.poll === undefined ? undefined : expectations.get(checked.poll);
      const diff = expected && expected.digest !== checked.digest ? describeModelDiff(checked.model, expected.lines) : undefined;
      if ((checked.violations.length > 0 || diff !== undefined) && data.dumpDir !== undefined && dumps < MAX_DUMPS) {
        dumps++;
        mkdirSync(data.dumpDir, { recursive: true });
        const head = [`variant: ${variant}`, `status: ${res.status}`, `headers: ${JSON.stringify(res.headers)}`, ...checked.violations.map((v) => `violation: ${v}`)];
        if (diff !== undefined) head.push(`model diff: ${diff}`);
        writeFileSync(join(data.dumpDir, `scraper${data.index}-${dumps}-${variant}.txt`), `${head.join("\n")}\n\n${checked.text}`);
      }
      result = {
        type: "result",
        scraper: data.index,
        variant,
        status: checked.status,
        latencyMs,
        wireBytes: checked.wireBytes,
        textBytes: checked.textBytes,
        violations: checked.violations,
        version: checked.version,
        poll: checked.poll,
        infoCount: checked.infoCount,
        exporterAssociations: checked.exporterAssociations,
        pollDurationSeconds: checked.pollDurationSeconds,
        digest: checked.digest,
        diff,
      };
    } catch (err) {
      result = {
        type: "result",
        scraper: data.index,
        variant,
        status: 0,
        latencyMs: performance.now() - started,
        wireBytes: 0,
        textBytes: 0,
        violations: [`GET /metrics failed: ${err instanceof Error ? err.message : String(err)}`],
        version: undefined,
        poll: undefined,
        infoCount: 0,
        exporterAssociations: 0,
        pollDurationSeconds: undefined,
        digest: "",
        diff: undefined,
      };
    }
    port.postMessage(result);
  }
  agent.destroy();
  port.postMessage({ type: "stopped", scraper: data.index } satisfies FromScraper);
}

if (parentPort) {
  const port = parentPort;
  run(port, workerData as ScraperData).catch((err: unknown) => {
    throw err;
  });
}
