import { request } from "node:http";
import { gunzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp, listen, type RunningServer } from "../../src/http/server.js";
import type { Snapshot } from "../../src/domain/snapshot.js";
import { SelfMetrics } from "../../src/exposition/self-metrics.js";
import { ExpositionStore } from "../../src/exposition/store.js";
import { fixedSnapshot } from "../fixtures/associations.js";
import { captureLogger, waitFor } from "../helpers.js";

const build = { name: "ssm-association-exporter", version: "9.9.9", revision: "abc123", nodejsVersion: "v20.0.0" };

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Raw node:http so nothing decodes gzip behind our back. */
function get(url: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? "GET", headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("HTTP server", () => {
  let server: RunningServer;
  let store: ExpositionStore;

  beforeEach(async () => {
    store = new ExpositionStore(new SelfMetrics(build, { defaultMetrics: false }));
    const app = createApp({ telemetryPath: "/metrics", store, build, logger: captureLogger().logger });
    server = await listen(app, "127.0.0.1", 0);
  });
  afterEach(() => server.close());

  const publish = (snapshot: Snapshot) => store.publish(snapshot);

  it("serves a landing page linking the metrics", async () => {
    const reply = await get(`${server.url}/`);
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toMatch(/^text\/html/);
    expect(reply.body.toString()).toContain('<a href="./metrics">Metrics</a>');
    expect(reply.body.toString()).toContain("Version 9.9.9");
  });

  it("serves self-metrics before the first poll, with build info", async () => {
    const reply = await get(`${server.url}/metrics`);
    expect(reply.status).toBe(200);
    const text = reply.body.toString();
    expect(text).toContain('aws_ssm_exporter_build_info{version="9.9.9",revision="abc123",nodejs_version="v20.0.0"} 1');
    expect(text).not.toContain("aws_ssm_association_status{");
  });

  it("serves the rendered snapshot plus per-region self-metrics with explicit headers", async () => {
    await publish(fixedSnapshot);
    const reply = await get(`${server.url}/metrics`);
    const text = reply.body.toString();
    expect(reply.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(Number(reply.headers["content-length"])).toBe(reply.body.length);
    expect(reply.headers.etag).toBeUndefined();
    expect(text).toContain('status="Failed"} 1');
    expect(text).toContain('aws_ssm_exporter_up{account_id="123456789012",region="eu-west-1"} 1');
    expect(text).toContain('aws_ssm_exporter_associations{account_id="123456789012",region="us-east-1"} 2');
    expect(text).toContain('aws_ssm_exporter_poll_duration_seconds{account_id="123456789012",region="eu-west-1"} 0.25');
  });

  it("serves gzip when asked, decoding to the same exposition", async () => {
    await publish(fixedSnapshot);
    const plain = await get(`${server.url}/metrics`);
    const zipped = await get(`${server.url}/metrics`, { headers: { "Accept-Encoding": "gzip" } });
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(zipped.headers.vary).toBe("Accept, Accept-Encoding");
    expect(Number(zipped.headers["content-length"])).toBe(zipped.body.length);
    expect(gunzipSync(zipped.body).toString()).toBe(plain.body.toString());
  });

  it("serves OpenMetrics when the scraper prefers it, as Prometheus does, and the classic format to anything else", async () => {
    await publish(fixedSnapshot);
    const prometheusAccept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    const om = await get(`${server.url}/metrics`, { headers: { Accept: prometheusAccept } });
    expect(om.headers["content-type"]).toBe("application/openmetrics-text; version=1.0.0; charset=utf-8");
    const text = om.body.toString();
    expect(text.endsWith("# EOF\n")).toBe(true);
    expect(text.match(/^# EOF$/gm)).toHaveLength(1);
    expect(text).toContain("# TYPE aws_ssm_exporter_api_requests counter");
    expect(text).toContain('aws_ssm_association_status{account_id="123456789012",region="us-east-1",association_id="8dfe3659-4309-493a-8755-0123456789ab",association_name="patch-prod-fleet",document_name="AWS-RunPatchBaseline",status="Failed"} 1');
    expect(Number(om.headers["content-length"])).toBe(om.body.length);
    const zipped = await get(`${server.url}/metrics`, { headers: { Accept: prometheusAccept, "Accept-Encoding": "gzip" } });
    expect(gunzipSync(zipped.body).toString()).toBe(text);

    for (const accept of ["*/*", "text/plain", "text/html,*/*;q=0.8"]) {
      const classic = await get(`${server.url}/metrics`, { headers: { Accept: accept } });
      expect(classic.headers["content-type"], accept).toBe("text/plain; version=0.0.4; charset=utf-8");
      expect(classic.body.toString()).not.toContain("# EOF");
    }
  });

  it("answers HEAD with headers and no body", async () => {
    await publish(fixedSnapshot);
    const reply = await get(`${server.url}/metrics`, { method: "HEAD" });
    expect(reply.status).toBe(200);
    expect(Number(reply.headers["content-length"])).toBeGreaterThan(1000);
    expect(reply.body.length).toBe(0);
  });

  it("is live at once, and ready once every target's first poll has finished, successfully or not", async () => {
    expect((await get(`${server.url}/healthz`)).status).toBe(200);
    const before = await get(`${server.url}/readyz`);
    expect(before.status).toBe(503);
    expect(before.body.toString()).toBe("not ready: waiting for the first poll\n");

    const [east, west] = fixedSnapshot.targets;
    if (!east || !west) throw new Error("fixture");
    await publish({ ...fixedSnapshot, targets: [east, { ...west, pending: true, accountId: undefined, up: false, lastSuccessSeconds: undefined }] });
    const partly = await get(`${server.url}/readyz`);
    expect(partly.status).toBe(503);
    expect(partly.body.toString()).toBe("not ready: waiting for the first poll of: eu-west-1\n");

    // A target whose first poll failed (even one whose account is still unknown) does not hold readiness back.
    await publish({ ...fixedSnapshot, targets: [east, { ...west, accountId: undefined, up: false, lastSuccessSeconds: undefined }] });
    expect((await get(`${server.url}/readyz`)).status).toBe(200);
  });

  it("serves each format right whatever was scraped before: text keeps _total after OpenMetrics scrapes", async () => {
    await publish(fixedSnapshot);
    const accept = { om: "application/openmetrics-text;version=1.0.0", text: "text/plain;version=0.0.4" };
    const order = ["om", "text", "om", "text", "text", "om"] as const;
    const replies = await Promise.all(
      order.flatMap((format) => ([{}, { "Accept-Encoding": "gzip" }] as Record<string, string>[]).map(async (extra) => ({ format, reply: await get(`${server.url}/metrics`, { headers: { Accept: accept[format], ...extra } }) }))),
    );
    for (const { format, reply } of replies) {
      const text = (reply.headers["content-encoding"] === "gzip" ? gunzipSync(reply.body) : reply.body).toString();
      if (format === "text") {
        expect(text).toContain("# TYPE aws_ssm_exporter_api_requests_total counter");
        expect(text).not.toMatch(/^aws_ssm_exporter_polls_skipped\{/m);
      } else {
        expect(text).toContain("# TYPE aws_ssm_exporter_api_requests counter");
      }
    }
  });

  it("answers 404 for other paths and 405 for other methods", async () => {
    expect((await get(`${server.url}/nope`)).status).toBe(404);
    const post = await get(`${server.url}/metrics`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET, HEAD");
    expect((await get(`${server.url}/readyz`, { method: "DELETE" })).status).toBe(405);
  });
});

describe("HTTP request log (debug level)", () => {
  it("never carries the scraper's credentials, cookies or query string", async () => {
    const { logger, lines } = captureLogger("debug");
    const store = new ExpositionStore(new SelfMetrics(build, { defaultMetrics: false }));
    const server = await listen(createApp({ telemetryPath: "/metrics", store, build, logger }), "127.0.0.1", 0);
    try {
      await get(`${server.url}/metrics?token=sekrit-query`, {
        headers: { Authorization: "Basic c2VrcmV0LXVzZXI6c2VrcmV0LXBhc3M=", Cookie: "session=sekrit-cookie", "Proxy-Authorization": "Bearer sekrit-proxy" },
      });
      await waitFor(() => lines.some((l) => (l.req as { url?: string } | undefined)?.url !== undefined), 2_000, "a request log line");
    } finally {
      await server.close();
    }
    const logged = JSON.stringify(lines);
    expect(logged).not.toMatch(/sekrit|c2VrcmV0/);
    const request = lines.find((l) => l.req !== undefined)?.req as { url: string; headers: Record<string, string> };
    expect(request.url).toBe("/metrics?[REDACTED]");
    expect(request.headers).toMatchObject({ authorization: "[REDACTED]", cookie: "[REDACTED]", "proxy-authorization": "[REDACTED]" });
  });
});
