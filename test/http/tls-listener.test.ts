import { X509Certificate } from "node:crypto";
import express from "express";
import { describe, expect, it } from "vitest";
import { listen } from "../../src/http/server.js";
import type { WebTlsConfig } from "../../src/web/web-config.js";
import { fixture, httpsError, httpsGet } from "../web-server/harness.js";

const tls = (clientAuth: WebTlsConfig["clientAuth"]): WebTlsConfig => ({
  cert: fixture("server.pem"),
  key: fixture("server-key.pem"),
  clientCa: fixture("client-ca.pem"),
  clientAuth,
  clientAllowedSans: [],
  minVersion: "TLSv1.2",
  maxVersion: undefined,
  ciphers: undefined,
  ecdhCurve: undefined,
  preferServerCipherSuites: true,
});

describe("an HTTPS listener's updateTls (a reloaded web config)", () => {
  it("applies a new client_auth_type and certificate to the next connection", async () => {
    const app = express();
    app.get("/", (_req, res) => void res.send("ok"));
    const server = await listen(app, "127.0.0.1", 0, { tls: tls("NoClientCert") });
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = fixture("ca.pem");
      expect((await httpsGet(`${server.url}/`, { ca })).status).toBe(200);
      server.updateTls(tls("RequireAndVerifyClientCert"));
      expect((await httpsError(`${server.url}/`, { ca }))?.code).toBe("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED");
      expect((await httpsGet(`${server.url}/`, { ca, cert: fixture("client.pem"), key: fixture("client-key.pem") })).status).toBe(200);
      server.updateTls({ ...tls("NoClientCert"), cert: fixture("server2.pem"), key: fixture("server2-key.pem") });
      const rotated = await httpsGet(`${server.url}/`, { ca });
      expect(rotated.status).toBe(200);
      expect(rotated.peer.fingerprint256).toBe(new X509Certificate(fixture("server2.pem")).fingerprint256);
    } finally {
      await server.close();
    }
  });
});
