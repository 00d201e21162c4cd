import { readFileSync } from "node:fs";
import { connect, createSecureContext, createServer, getCiphers, type ConnectionOptions, type Server } from "node:tls";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { GO_CIPHER_SUITES, GO_CURVES } from "../../src/web/go-tls-names.js";
import { clientCertProblem, clientCertServerOptions, secureContextOptions, subjectAltNames } from "../../src/web/tls-options.js";
import { parseWebConfig, type WebTlsConfig } from "../../src/web/web-config.js";

const dir = fileURLToPath(new URL("../fixtures/tls/", import.meta.url));
const pem = (name: string) => readFileSync(`${dir}${name}`, "utf8");

/** A WebTlsConfig from web config YAML lines under tls_server_config (server.pem unless given). */
function tlsConfig(...lines: string[]): WebTlsConfig {
  const body = lines.some((l) => l.startsWith("cert_file")) ? lines : ["cert_file: server.pem", "key_file: server-key.pem", ...lines];
  const tls = parseWebConfig(`tls_server_config:\n${body.map((l) => `  ${l}\n`).join("")}`, dir, (p) => readFileSync(p, "utf8")).tls;
  if (tls === undefined) throw new Error("no TLS in the test config");
  return tls;
}
const MTLS = ["client_ca_file: client-ca.pem", "client_auth_type: RequireAndVerifyClientCert"];

interface Outcome {
  /** The server let the client through (it received the server's "ok"). */
  readonly served: boolean;
  readonly protocol: string | null;
  readonly cipher: string | undefined;
  readonly curve: string | undefined;
  readonly clientError: string | undefined;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

/** Serves "ok" to every connection the options let through, as the exporter's server will. */
async function serve(tls: WebTlsConfig): Promise<{ port: number; refusals: string[] }> {
  const refusals: string[] = [];
  const server = createServer({ ...secureContextOptions(tls), ...clientCertServerOptions(tls) }, (socket) => {
    const problem = clientCertProblem(tls, socket);
    if (problem === undefined) socket.end("ok");
    else {
      refusals.push(problem);
      socket.destroy();
    }
  });
  server.on("tlsClientError", (err) => refusals.push(`handshake: ${err.message}`));
  servers.push(server);
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  return { port: (server.address() as AddressInfo).port, refusals };
}

function client(port: number, cert?: string, options: ConnectionOptions = {}): Promise<Outcome> {
  return new Promise((done) => {
    const certificate = cert === undefined ? {} : { cert: pem(`${cert}.pem`), key: pem(`${cert}-key.pem`) };
    const socket = connect({ host: "127.0.0.1", port, servername: "localhost", ca: pem("ca.pem"), ...certificate, ...options });
    let data = "";
    let clientError: string | undefined;
    let protocol: string | null = null;
    let cipher: string | undefined;
    let curve: string | undefined;
    socket.on("secureConnect", () => {
      protocol = socket.getProtocol();
      cipher = socket.getCipher().standardName;
      const key = socket.getEphemeralKeyInfo();
      curve = key !== null && "name" in key ? String(key.name) : undefined;
    });
    socket.on("data", (chunk: Buffer) => (data += chunk.toString()));
    socket.on("error", (err) => (clientError = err.message));
    socket.on("close", () => done({ served: data === "ok", protocol, cipher, curve, clientError }));
  });
}

describe("secureContextOptions", () => {
  it("passes the PEM text, versions, ciphers, curves and cipher order to Node", () => {
    const tls = tlsConfig(...MTLS, "min_version: TLS13", "max_version: TLS13", "cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]", "curve_preferences: [X25519]", "prefer_server_cipher_suites: false");
    expect(secureContextOptions(tls)).toEqual({
      cert: pem("server.pem"),
      key: pem("server-key.pem"),
      ca: pem("client-ca.pem"),
      minVersion: "TLSv1.3",
      maxVersion: "TLSv1.3",
      ciphers: "ECDHE-RSA-AES128-GCM-SHA256",
      ecdhCurve: "X25519",
      honorCipherOrder: false,
    });
  });

  it("leaves out what is not configured, so Node's defaults (and no CA at all) apply", () => {
    expect(secureContextOptions(tlsConfig())).toEqual({ cert: pem("server.pem"), key: pem("server-key.pem"), minVersion: "TLSv1.2", honorCipherOrder: true });
  });

  it("maps every Go cipher suite and curve to a name this Node's OpenSSL knows", () => {
    const known = new Set(getCiphers());
    for (const openssl of Object.values(GO_CIPHER_SUITES)) expect(known, openssl).toContain(openssl.toLowerCase());
    expect(() => createSecureContext({ ecdhCurve: Object.values(GO_CURVES).join(":") })).not.toThrow();
  });
});

describe("clientCertServerOptions", () => {
  it("asks for a certificate unless NoClientCert, and lets OpenSSL refuse only under RequireAndVerifyClientCert", () => {
    const options = (type: string, ca = true) => clientCertServerOptions(tlsConfig(...(ca ? ["client_ca_file: client-ca.pem"] : []), `client_auth_type: ${type}`));
    expect(clientCertServerOptions(tlsConfig())).toEqual({ requestCert: false, rejectUnauthorized: false });
    expect(options("RequestClientCert")).toEqual({ requestCert: true, rejectUnauthorized: false });
    expect(options("RequireAnyClientCert", false)).toEqual({ requestCert: true, rejectUnauthorized: false });
    expect(options("VerifyClientCertIfGiven")).toEqual({ requestCert: true, rejectUnauthorized: false });
    expect(options("RequireAndVerifyClientCert")).toEqual({ requestCert: true, rejectUnauthorized: true });
  });
});

describe("subjectAltNames", () => {
  it("reads DNS, IP, e-mail and URI values, quoted ones included, and skips other kinds", () => {
    expect(subjectAltNames('DNS:a.example, IP Address:127.0.0.1, email:x@y.z, URI:spiffe://c/d, DNS:"e, f", othername:1.2.3;UTF8:x')).toEqual([
      "a.example",
      "127.0.0.1",
      "x@y.z",
      "spiffe://c/d",
      "e, f",
    ]);
    expect(subjectAltNames(undefined)).toEqual([]);
  });
});

describe("TLS with real connections", () => {
  it("serves TLS 1.3 by default, with the server certificate the client verifies", async () => {
    const { port } = await serve(tlsConfig());
    expect(await client(port)).toMatchObject({ served: true, protocol: "TLSv1.3" });
  });

  it("serves the expired certificate it loaded, and a verifying client refuses it", async () => {
    const { port } = await serve(tlsConfig("cert_file: expired.pem", "key_file: expired-key.pem"));
    expect(await client(port)).toMatchObject({ served: false, clientError: "certificate has expired" });
  });

  it("refuses TLS 1.1 under the default min_version TLS12, and TLS 1.2 under min_version TLS13", async () => {
    const { port, refusals } = await serve(tlsConfig());
    // SECLEVEL=0: newer OpenSSL builds (Node 24) would otherwise not even offer TLS 1.1, and the server would see nothing.
    const tls11 = await client(port, undefined, { minVersion: "TLSv1.1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" });
    expect(tls11.served).toBe(false);
    expect(tls11.clientError).toMatch(/protocol version|no protocols available|unsupported protocol/i);
    expect(refusals.join()).toMatch(/unsupported protocol|wrong version|version too low/i);
    expect(await client(port, undefined, { maxVersion: "TLSv1.2" })).toMatchObject({ served: true, protocol: "TLSv1.2" });

    const only13 = await serve(tlsConfig("min_version: TLS13"));
    expect((await client(only13.port, undefined, { maxVersion: "TLSv1.2" })).served).toBe(false);
  });

  it("caps the version at max_version", async () => {
    const { port } = await serve(tlsConfig("max_version: TLS12"));
    expect(await client(port)).toMatchObject({ served: true, protocol: "TLSv1.2" });
  });

  it("negotiates only the configured cipher suites for TLS 1.2, and keeps TLS 1.3 working", async () => {
    const { port } = await serve(tlsConfig("cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]"));
    expect(await client(port, undefined, { maxVersion: "TLSv1.2" })).toMatchObject({ served: true, cipher: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" });
    expect((await client(port, undefined, { maxVersion: "TLSv1.2", ciphers: "ECDHE-RSA-AES256-GCM-SHA384" })).served).toBe(false);
    expect(await client(port)).toMatchObject({ served: true, protocol: "TLSv1.3" });
  });

  it("uses the configured curves", async () => {
    const { port } = await serve(tlsConfig("curve_preferences: [CurveP384]"));
    expect(await client(port, undefined, { maxVersion: "TLSv1.2" })).toMatchObject({ served: true, curve: "secp384r1" });
    expect((await client(port, undefined, { ecdhCurve: "X25519" })).served).toBe(false);
  });

  describe("RequireAndVerifyClientCert", () => {
    it("serves a client with a certificate from the client CA", async () => {
      const { port } = await serve(tlsConfig(...MTLS));
      expect(await client(port, "client")).toMatchObject({ served: true });
      expect(await client(port, "client", { maxVersion: "TLSv1.2" })).toMatchObject({ served: true });
    });

    it("refuses a client without a certificate, and one from an unknown CA (TLS 1.3 and 1.2)", async () => {
      const { port, refusals } = await serve(tlsConfig(...MTLS));
      for (const maxVersion of ["TLSv1.3", "TLSv1.2"] as const) {
        expect((await client(port, undefined, { maxVersion })).served).toBe(false);
        expect((await client(port, "client-unknown-ca", { maxVersion })).served).toBe(false);
      }
      // OpenSSL refuses both in the handshake: the exporter's code never sees these clients.
      expect(refusals).toHaveLength(4);
      expect(refusals.every((r) => r.startsWith("handshake: "))).toBe(true);
      expect(refusals.join("\n")).toMatch(/peer did not return a certificate/);
    });

    it("refuses a verified certificate whose SANs are not in client_allowed_sans", async () => {
      const { port, refusals } = await serve(tlsConfig(...MTLS, "client_allowed_sans: [prometheus, 10.0.0.1]"));
      expect((await client(port, "client")).served).toBe(true);
      expect((await client(port, "client-other")).served).toBe(false);
      expect(refusals).toEqual(["client certificate SANs [grafana] include none of client_allowed_sans [prometheus, 10.0.0.1]"]);
    });
  });

  describe("RequireAnyClientCert", () => {
    it("needs a certificate but does not verify it", async () => {
      const { port, refusals } = await serve(tlsConfig("client_auth_type: RequireAnyClientCert"));
      expect((await client(port, "client-unknown-ca")).served).toBe(true);
      expect((await client(port)).served).toBe(false);
      expect(refusals).toEqual(["client certificate required (client_auth_type RequireAnyClientCert)"]);
    });

    it("checks client_allowed_sans", async () => {
      const { port } = await serve(tlsConfig("client_auth_type: RequireAnyClientCert", "client_allowed_sans: [grafana]"));
      expect((await client(port, "client-other")).served).toBe(true);
      expect((await client(port, "client")).served).toBe(false);
    });
  });

  describe("VerifyClientCertIfGiven", () => {
    it("serves a client without a certificate or with a verified one, and refuses an unverified one", async () => {
      const { port, refusals } = await serve(tlsConfig("client_ca_file: client-ca.pem", "client_auth_type: VerifyClientCertIfGiven"));
      expect((await client(port)).served).toBe(true);
      expect((await client(port, "client")).served).toBe(true);
      expect((await client(port, "client-unknown-ca")).served).toBe(false);
      expect(refusals).toHaveLength(1);
      expect(refusals[0]).toMatch(/^client certificate not verified by the client CA \(UNABLE_TO_\w+\)$/);
    });
  });

  describe("RequestClientCert", () => {
    it("serves every client, with or without a certificate, verified or not", async () => {
      const { port } = await serve(tlsConfig("client_ca_file: client-ca.pem", "client_auth_type: RequestClientCert"));
      expect((await client(port)).served).toBe(true);
      expect((await client(port, "client-unknown-ca")).served).toBe(true);
    });
  });

  describe("NoClientCert", () => {
    it("does not ask for a certificate", async () => {
      const { port } = await serve(tlsConfig());
      expect((await client(port, "client-unknown-ca")).served).toBe(true);
    });
  });
});
