import bcrypt from "bcryptjs";
import { afterEach, describe, expect, it } from "vitest";
import { createApp, createProbeApp, listen, ListenError, type RunningServer } from "../../src/http/server.js";
import { TokenBucket } from "../../src/http/web-security.js";
import { SelfMetrics } from "../../src/exposition/self-metrics.js";
import { ExpositionStore } from "../../src/exposition/store.js";
import { BasicAuth } from "../../src/web/basic-auth.js";
import type { WebConfig } from "../../src/web/web-config.js";
import { captureLogger } from "../helpers.js";

const build = { name: "ssm-association-exporter", version: "9.9.9", revision: "abc123", nodejsVersion: "v20.0.0" };
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

function webConfig(overrides: Partial<WebConfig> = {}): WebConfig {
  return { tls: undefined, users: new Map(), headers: {}, http2: true, rateLimit: undefined, files: [], ...overrides } as WebConfig;
}

describe("TokenBucket (the toolkit's rate_limit)", () => {
  it("allows a burst, then one request per interval", () => {
    let now = 0;
    const bucket = new TokenBucket(1_000, 2, () => now);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
    now = 999;
    expect(bucket.take()).toBe(false);
    now = 1_000;
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    now = 60_000;
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
  });
});

describe("the main listener with a web config", () => {
  const servers: RunningServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function start(current: () => WebConfig): Promise<string> {
    const store = new ExpositionStore(new SelfMetrics(build, { defaultMetrics: false }));
    const app = createApp({ telemetryPath: "/metrics", store, build, logger: captureLogger().logger, security: { config: current, basicAuth: new BasicAuth() } });
    const server = await listen(app, "127.0.0.1", 0);
    servers.push(server);
    return server.url;
  }

  it("reads the config per request: users and headers change for the next request", async () => {
    let config = webConfig({ users: new Map([["alice", bcrypt.hashSync("one", 4)]]), headers: { "X-Frame-Options": "deny" } });
    const url = await start(() => config);
    const first = await fetch(`${url}/metrics`, { headers: { authorization: basic("alice", "one") } });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-frame-options")).toBe("deny");

    config = webConfig({ users: new Map([["alice", bcrypt.hashSync("two", 4)]]) });
    const old = await fetch(`${url}/metrics`, { headers: { authorization: basic("alice", "one") } });
    expect(old.status).toBe(401);
    expect(old.headers.get("www-authenticate")).toBe("Basic");
    expect(old.headers.get("x-frame-options")).toBeNull();
    expect((await fetch(`${url}/metrics`, { headers: { authorization: basic("alice", "two") } })).status).toBe(200);

    config = webConfig();
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
  });

  it("answers 429 beyond rate_limit, with the configured headers, before checking credentials", async () => {
    const url = await start(() => webConfig({ rateLimit: { intervalMs: 60_000, burst: 2 }, headers: { "X-Content-Type-Options": "nosniff" }, users: new Map([["a", bcrypt.hashSync("b", 4)]]) }));
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${url}/healthz`, { headers: { authorization: basic("a", "b") } })).status);
    expect(statuses).toEqual([200, 200, 429]);
    const limited = await fetch(`${url}/healthz`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await limited.text()).toBe("Too Many Requests\n");
  });
});

describe("the probe listener", () => {
  it("serves /healthz and /readyz only; a taken port is a ListenError naming the address", async () => {
    const store = new ExpositionStore(new SelfMetrics(build, { defaultMetrics: false }));
    const server = await listen(createProbeApp({ store, logger: captureLogger().logger }), "127.0.0.1", 0);
    try {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
      expect((await fetch(`${server.url}/`)).status).toBe(404);
      const taken = await listen(createProbeApp({ store, logger: captureLogger().logger }), "127.0.0.1", server.port).catch((err: unknown) => err);
      expect(taken).toBeInstanceOf(ListenError);
      expect((taken as ListenError).message).toBe(`cannot listen on 127.0.0.1:${server.port}: EADDRINUSE`);
    } finally {
      await server.close();
    }
  });
});
