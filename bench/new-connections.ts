/**
 * Load with a new TCP (and TLS) connection for every request, for part C of bench/run.ts: the worst case
 * of a scraper that keeps no connection alive, where a TLS server pays a full handshake per scrape.
 *
 * autocannon cannot measure this: its `reconnectRate` resets the connection before it emits `response`,
 * so with a reset after every request it counts no responses at all. Here each request goes through its
 * own throwaway Agent (`agent: false`: `Connection: close`, no TLS session to resume), as a Go client
 * without a ClientSessionCache (Prometheus) would connect; the server certificate is verified.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";

export interface NewConnectionTarget {
  /** http://… or https://…, the full URL (path included). */
  readonly url: string;
  readonly headers: Record<string, string>;
  /** For https: the CA to verify the server with, and a client certificate and key for mutual TLS. */
  readonly tls?: { readonly ca: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
}

export interface NewConnectionResult {
  /** Every response's latency in ms (connect + handshake + request + whole body), ascending. */
  readonly latencies: number[];
  /** Responses by status code. */
  readonly statuses: ReadonlyMap<number, number>;
  readonly errors: number;
  /** Body bytes received (as sent: gzip stays gzip). */
  readonly bodyBytes: number;
  readonly seconds: number;
}

/** One request on a connection of its own; resolves with the status and body size when the body has ended. */
export function oneRequest(target: NewConnectionTarget, timeoutMs = 30_000): Promise<{ status: number; bodyBytes: number }> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage) => {
      let bodyBytes = 0;
      res.on("data", (chunk: Buffer) => (bodyBytes += chunk.length));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, bodyBytes }));
      res.on("error", reject);
    };
    const options = { method: "GET", headers: target.headers, agent: false as const, timeout: timeoutMs };
    const req = target.url.startsWith("https:")
      ? httpsRequest(target.url, { ...options, ca: target.tls?.ca, cert: target.tls?.cert, key: target.tls?.key }, onResponse)
      : httpRequest(target.url, options, onResponse);
    req.on("timeout", () => req.destroy(new Error(`GET ${target.url}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** `connections` loops, each sending one request at a time on a new connection, for `seconds`. */
export async function newConnectionLoad(target: NewConnectionTarget, connections: number, seconds: number): Promise<NewConnectionResult> {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let errors = 0;
  let bodyBytes = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const response = await oneRequest(target);
        latencies.push(performance.now() - t0);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        bodyBytes += response.bodyBytes;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  latencies.sort((a, b) => a - b);
  return { latencies, statuses, errors, bodyBytes, seconds: (performance.now() - started) / 1000 };
}
