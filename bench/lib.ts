/**
 * Helpers shared by the benchmark's parent (run.ts) and its child processes.
 *
 * Children load the product from dist/ (what `npm run build` just produced and what `node dist/main.js`
 * runs), with types taken from src/: the code measured is the code shipped, and TypeScript still checks
 * every call. Only the small bench scripts themselves go through tsx.
 */
import { once } from "node:events";
import { request } from "node:http";
import { createServer } from "node:net";

/** Imports a module of the built product, e.g. `importDist<typeof import("../src/exporter.js")>("exporter.js")`. */
export async function importDist<T>(path: string): Promise<T> {
  return (await import(new URL(`../dist/${path}`, import.meta.url).href)) as T;
}

/** Imports a module of the built development tools (the simulator), from dist-dev/ (`npm run build:dev`). */
export async function importDevDist<T>(path: string): Promise<T> {
  return (await import(new URL(`../dist-dev/${path}`, import.meta.url).href)) as T;
}

/** A fixed reference time for generated data, so every run (and both servers of part A) see the same bytes. */
export const FIXED_NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0);

export const BENCH_REGION = "us-east-1";
export const BENCH_SEED = 1;

/** Writes one JSON line to stdout: the only thing a child prints there. */
export function emit(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/**
 * Exits when the parent goes away (its end of our stdin closes), or after `maxSeconds` whatever happens:
 * a benchmark child never outlives its run.
 */
export function exitWithParent(maxSeconds: number): void {
  process.stdin.on("end", () => process.exit(0));
  process.stdin.on("close", () => process.exit(0));
  process.stdin.resume();
  setTimeout(() => {
    process.stderr.write(`${process.argv[1] ?? "bench child"}: still running after ${maxSeconds}s, exiting\n`);
    process.exit(3);
  }, maxSeconds * 1000).unref();
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => process.exit(0));
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** A GET that returns the body bytes exactly as sent (no decompression, unlike fetch). */
export function rawGet(url: string, headers: Record<string, string>, timeoutMs = 30_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** How many lines of an exposition start with `prefix`. */
export function countLines(text: string, prefix: string): number {
  let count = 0;
  if (text.startsWith(prefix)) count++;
  const needle = `\n${prefix}`;
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + 1)) count++;
  return count;
}

/** `count` different ports of 127.0.0.1 that were free a moment ago (all bound to port 0 at once, then released). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer().listen(0, "127.0.0.1"));
  try {
    await Promise.all(servers.map((server) => once(server, "listening")));
    return servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === "string") throw new Error("no port");
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}
