/**
 * Child process of part A, the baseline: a bare node:http server answering every request with bytes
 * held in memory, as a static file server would. The bytes are fetched once from the exporter under
 * test (so they are exactly what it sends: cached association chunks + the self-metrics tail, and for
 * gzip its gzip members), then served with Content-Type, Content-Length (and Content-Encoding).
 * Prints one JSON line `{ url, ... }` on stdout, then serves until the parent goes away.
 *
 *   node --import tsx bench/serve-bare.ts <exporter-metrics-url>
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { emit, exitWithParent, rawGet } from "./lib.js";

exitWithParent(3600);

const source = process.argv[2];
if (source === undefined) throw new Error("usage: serve-bare.ts <exporter /metrics URL>");

const identity = await rawGet(source, { "accept-encoding": "identity" });
const gzip = await rawGet(source, { "accept-encoding": "gzip" });
if (identity.status !== 200 || gzip.status !== 200) throw new Error(`exporter answered ${identity.status} / ${gzip.status}`);
if (identity.headers["content-encoding"] !== undefined) throw new Error("identity request got an encoded body");
if (gzip.headers["content-encoding"] !== "gzip") throw new Error("gzip request got no gzip body");
const contentType = String(identity.headers["content-type"]);
const decodedGzipBytes = gunzipSync(gzip.body).length; // every member, as Prometheus would read them

const server = createServer((req, res) => {
  const gz = /\bgzip\b/.test(req.headers["accept-encoding"] ?? "");
  const body = gz ? gzip.body : identity.body;
  const headers: Record<string, string | number> = { "Content-Type": contentType, "Content-Length": body.length };
  if (gz) headers["Content-Encoding"] = "gzip";
  res.writeHead(200, headers);
  res.end(body);
});
await new Promise<void>((resolve, reject) => {
  server.once("error", reject);
  server.listen(0, "127.0.0.1", () => resolve());
});
const { port } = server.address() as AddressInfo;
emit({ url: `http://127.0.0.1:${port}`, identityBytes: identity.body.length, gzipBytes: gzip.body.length, decodedGzipBytes });
