/**
 * One scraper: a worker thread (started through soak/worker-bootstrap.js) that GETs /metrics in a
 * loop, cycling through the four variants, checks every response (soak/exposition-check.ts) and posts
 * a compact result to the soak. Parsing a multi-megabyte exposition takes ~100 ms; in worker threads
 * it never delays the in-process simulator that the exporter is polling.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { checkResponse, describeModelDiff, digestOf, requestHeaders, VARIANTS, type RawResponse, type Variant } from "./exposition-check.js";

export interface ScraperData {
  readonly entry: string;
  readonly url: string;
  readonly index: number;
  readonly timeoutMs: number;
  /** Where to write the first few failing responses (headers, violations, body); none when undefined. */
  readonly dumpDir: string | undefined;
}

export type ToScraper =
  | { readonly type: "expect"; readonly version: number; readonly lines: readonly (readonly [string, string])[] }
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
  readonly infoCount: number;
  readonly exporterAssociations: number;
  readonly digest: string;
  /** When the served model differs from the expectation this worker holds for `version`. */
  readonly diff: string | undefined;
}

export type FromScraper = ScrapeResult | { readonly type: "paused"; readonly id: number } | { readonly type: "stopped"; readonly scraper: number };

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

async function run(port: NonNullable<typeof parentPort>, data: ScraperData): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const expectations = new Map<number, { lines: Map<string, string>; digest: string }>();
  let pauseId: number | undefined;
  let stopping = false;
  let wake: (() => void) | undefined;
  port.on("message", (msg: ToScraper) => {
    if (msg.type === "expect") {
      const lines = new Map(msg.lines);
      expectations.set(msg.version, { lines, digest: digestOf(lines.values()) });
      for (const v of expectations.keys()) if (v <= msg.version - KEPT_EXPECTATIONS) expectations.delete(v);
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
      const checked = checkResponse(variant, res);
      const expected = checked.version === undefined ? undefined : expectations.get(checked.version);
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
        infoCount: checked.infoCount,
        exporterAssociations: checked.exporterAssociations,
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
        infoCount: 0,
        exporterAssociations: 0,
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
