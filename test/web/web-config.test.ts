import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadWebConfig, parseWebConfig, WebConfigError, type WebConfig } from "../../src/web/web-config.js";

const dir = fileURLToPath(new URL("../fixtures/tls/", import.meta.url));
const pem = (name: string) => readFileSync(`${dir}${name}`, "utf8");
const readFixture = (path: string) => readFileSync(path, "utf8");

const parse = (text: string): WebConfig => parseWebConfig(text, dir, readFixture);

function problemsOf(text: string, readFile: (path: string) => string = readFixture): readonly string[] {
  try {
    parseWebConfig(text, dir, readFile);
  } catch (err) {
    if (err instanceof WebConfigError) return err.problems;
    throw err;
  }
  throw new Error("the config was accepted");
}

const TLS = "tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\n";
const MTLS = `${TLS}  client_ca_file: client-ca.pem\n  client_auth_type: RequireAndVerifyClientCert\n`;

describe("web config: the file as a whole", () => {
  it("accepts an empty file: plain HTTP, no auth", () => {
    for (const text of ["", "\n", "# nothing\n", "{}"]) {
      expect(parse(text)).toEqual({ tls: undefined, users: new Map(), headers: {}, http2: true, rateLimit: undefined });
    }
  });

  it("treats empty sections as absent", () => {
    expect(parse("tls_server_config:\nhttp_server_config:\nbasic_auth_users:\nrate_limit:\n")).toEqual({
      tls: undefined,
      users: new Map(),
      headers: {},
      http2: true,
      rateLimit: undefined,
    });
  });

  it("names unknown keys at every level", () => {
    expect(problemsOf("tls_config: {}\n")).toEqual(['web config: unknown key "tls_config"']);
    expect(problemsOf(`${TLS}  client_allowed_san: [a]\n`)).toEqual(['web config: tls_server_config: unknown key "client_allowed_san"']);
    expect(problemsOf("http_server_config:\n  http3: true\n")).toEqual(['web config: http_server_config: unknown key "http3"']);
    expect(problemsOf("rate_limit:\n  interval: 1s\n  burst: 1\n  max: 3\n")).toEqual(['web config: rate_limit: unknown key "max"']);
  });

  it("reports YAML errors with their position, and a file that is not a mapping", () => {
    expect(problemsOf("tls_server_config: [\n")[0]).toMatch(/^web config: line \d+, column \d+: /);
    expect(problemsOf("basic_auth_users:\n  a: x\n  a: y\n")[0]).toMatch(/^web config: line 3, column 3: Map keys must be unique/);
    expect(problemsOf("- a\n")).toEqual(["web config: must be a mapping of tls_server_config, http_server_config, basic_auth_users, rate_limit"]);
    expect(problemsOf("tls_server_config: yes please\n")).toEqual(["web config: tls_server_config: must be a mapping"]);
  });

  it("reports every problem at once, one line each", () => {
    const problems = problemsOf("tls_server_config:\n  min_version: TLS14\n  client_auth_type: Foo\nbasic_auth_users:\n  alice: plain\n");
    expect(problems).toEqual([
      'web config: tls_server_config.client_auth_type: "Foo" is not one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert',
      'web config: tls_server_config.min_version: "TLS14" is not one of TLS10, TLS11, TLS12, TLS13',
      "web config: basic_auth_users.alice: is not a bcrypt hash ($2y$, $2b$ or $2a$, 60 characters, as `htpasswd -nBC 10 USER` writes)",
    ]);
    for (const line of problems) expect(line).not.toContain("\n");
  });
});

describe("web config: tls_server_config", () => {
  it("reads cert_file and key_file relative to the config's folder, with the toolkit's defaults", () => {
    expect(parse(TLS).tls).toEqual({
      cert: pem("server.pem"),
      key: pem("server-key.pem"),
      clientCa: undefined,
      clientAuth: "NoClientCert",
      clientAllowedSans: [],
      minVersion: "TLSv1.2",
      maxVersion: undefined,
      ciphers: undefined,
      ecdhCurve: undefined,
      preferServerCipherSuites: true,
    });
  });

  it("reads absolute paths as they are, and gives readFile absolute paths", () => {
    const asked: string[] = [];
    const config = parseWebConfig(`tls_server_config:\n  cert_file: ${dir}server.pem\n  key_file: ./server-key.pem\n`, dir, (path) => {
      asked.push(path);
      return readFixture(path);
    });
    expect(config.tls?.cert).toBe(pem("server.pem"));
    expect(asked).toEqual([`${dir}server.pem`, `${dir}server-key.pem`]);
  });

  it("accepts the certificate, key and client CA inline", () => {
    const inline = (s: string) => `|\n    ${s.trim().split("\n").join("\n    ")}\n`;
    const text = `tls_server_config:\n  cert: ${inline(pem("server.pem"))}  key: ${inline(pem("server-key.pem"))}  client_ca: ${inline(pem("client-ca.pem"))}  client_auth_type: RequireAndVerifyClientCert\n`;
    const tls = parseWebConfig(text, "/nowhere", () => {
      throw new Error("no file should be read");
    }).tls;
    expect(tls?.cert.trim()).toBe(pem("server.pem").trim());
    expect(tls?.clientCa?.trim()).toBe(pem("client-ca.pem").trim());
  });

  it("loads a config file through loadWebConfig, paths relative to its folder", () => {
    const config = loadWebConfig(`${dir}mtls.web-config.yml`);
    expect(config.tls).toMatchObject({ clientAuth: "RequireAndVerifyClientCert", clientCa: pem("client-ca.pem"), clientAllowedSans: ["prometheus"] });
    expect(loadWebConfig(`${dir}tls.web-config.yml`).tls?.cert).toBe(pem("server.pem"));
  });

  it("turns TLS on with any TLS key, and then needs a certificate and a key", () => {
    expect(problemsOf("tls_server_config:\n  min_version: TLS13\n")).toEqual([
      "web config: tls_server_config: cert_file (or cert) is missing: TLS needs the server certificate",
      "web config: tls_server_config: key_file (or key) is missing: TLS needs the server's private key",
    ]);
    expect(problemsOf("tls_server_config:\n  cert_file: server.pem\n")).toEqual(["web config: tls_server_config: key_file (or key) is missing: TLS needs the server's private key"]);
  });

  it("treats empty strings as unset, as the toolkit does", () => {
    expect(parse('tls_server_config:\n  cert_file: ""\n  key_file: ""\n').tls).toBeUndefined();
  });

  it("refuses a value given both as a file and inline", () => {
    expect(problemsOf(`${TLS}  cert: x\n`)).toEqual(["web config: tls_server_config: cert_file and cert are both set: give the server certificate one way"]);
    expect(problemsOf(`${MTLS}  client_ca: x\n`)).toEqual(["web config: tls_server_config: client_ca_file and client_ca are both set: give the client CA one way"]);
  });

  it("names a file it cannot read, with the absolute path", () => {
    expect(problemsOf("tls_server_config:\n  cert_file: missing.pem\n  key_file: server-key.pem\n")).toEqual([
      `web config: tls_server_config.cert_file: cannot read "${dir}missing.pem" (ENOENT)`,
    ]);
    expect(() => loadWebConfig(`${dir}nope.yml`)).toThrow(new WebConfigError([`web config: cannot read "${dir}nope.yml" (ENOENT)`]));
  });

  it("refuses a certificate or key that does not parse, and a key that does not match", () => {
    const fake = (content: Record<string, string>) => (path: string) => content[path.slice(dir.length)] ?? readFixture(path);
    expect(problemsOf(TLS, fake({ "server.pem": "hello" }))).toEqual([
      "web config: tls_server_config.cert_file: holds no PEM certificate (-----BEGIN CERTIFICATE-----) for the server",
    ]);
    expect(problemsOf(TLS, fake({ "server.pem": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" }))[0]).toMatch(
      /^web config: tls_server_config.cert_file: holds a certificate that does not parse \(.+\)$/,
    );
    expect(problemsOf(TLS, fake({ "server-key.pem": pem("server.pem") }))[0]).toMatch(/^web config: tls_server_config.key_file: holds no usable unencrypted PEM private key \(.+\)$/);
    expect(problemsOf("tls_server_config:\n  cert_file: server.pem\n  key_file: server2-key.pem\n")).toEqual([
      "web config: tls_server_config.key_file: does not match the certificate of cert_file",
    ]);
    expect(problemsOf(`${MTLS}`.replace("client-ca.pem", "client-ca-key.pem"))).toEqual([
      "web config: tls_server_config.client_ca_file: holds no PEM certificate (-----BEGIN CERTIFICATE-----) for the client CA",
    ]);
  });

  it("loads an expired certificate, as Go does (clients refuse it; see tls-options.test.ts)", () => {
    expect(parse("tls_server_config:\n  cert_file: expired.pem\n  key_file: expired-key.pem\n").tls?.cert).toBe(pem("expired.pem"));
  });

  it("maps every client_auth_type, the toolkit's old RequireClientCert included", () => {
    const auth = (type: string, ca = true) => parse(`${TLS}${ca ? "  client_ca_file: client-ca.pem\n" : ""}  client_auth_type: ${type}\n`).tls?.clientAuth;
    expect(auth("NoClientCert", false)).toBe("NoClientCert");
    expect(auth("RequestClientCert")).toBe("RequestClientCert");
    expect(auth("RequireAnyClientCert", false)).toBe("RequireAnyClientCert");
    expect(auth("RequireClientCert", false)).toBe("RequireAnyClientCert");
    expect(auth("VerifyClientCertIfGiven")).toBe("VerifyClientCertIfGiven");
    expect(auth("RequireAndVerifyClientCert")).toBe("RequireAndVerifyClientCert");
  });

  it("needs a client CA to verify against, and a client_auth_type when a client CA is given", () => {
    expect(problemsOf(`${TLS}  client_auth_type: RequireAndVerifyClientCert\n`)).toEqual([
      "web config: tls_server_config: client_ca_file (or client_ca) is missing: client_auth_type RequireAndVerifyClientCert verifies client certificates against it",
    ]);
    expect(problemsOf(`${TLS}  client_auth_type: VerifyClientCertIfGiven\n`)).toHaveLength(1);
    expect(problemsOf(`${TLS}  client_ca_file: client-ca.pem\n`)).toEqual([
      "web config: tls_server_config.client_ca_file: is set but client_auth_type is NoClientCert: set client_auth_type (RequireAndVerifyClientCert to verify clients)",
    ]);
  });

  it("allows client_allowed_sans only when a client certificate is required", () => {
    expect(parse(`${MTLS}  client_allowed_sans: [prometheus, 127.0.0.1]\n`).tls?.clientAllowedSans).toEqual(["prometheus", "127.0.0.1"]);
    expect(parse(`${TLS}  client_auth_type: RequireAnyClientCert\n  client_allowed_sans: [prometheus]\n`).tls?.clientAllowedSans).toEqual(["prometheus"]);
    expect(parse(`${MTLS}  client_allowed_sans: []\n`).tls?.clientAllowedSans).toEqual([]);
    expect(problemsOf(`${TLS}  client_ca_file: client-ca.pem\n  client_auth_type: VerifyClientCertIfGiven\n  client_allowed_sans: [prometheus]\n`)).toEqual([
      "web config: tls_server_config.client_allowed_sans: needs client_auth_type RequireAndVerifyClientCert (or RequireAnyClientCert), not VerifyClientCertIfGiven: otherwise a client may send no certificate at all",
    ]);
    expect(problemsOf(`${MTLS}  client_allowed_sans: prometheus\n`)).toEqual(["web config: tls_server_config.client_allowed_sans: must be a list"]);
  });

  it("maps min_version and max_version, and refuses a max below the min", () => {
    const versions = (extra: string) => {
      const tls = parse(`${TLS}${extra}`).tls;
      return [tls?.minVersion, tls?.maxVersion];
    };
    expect(versions("  min_version: TLS10\n  max_version: TLS11\n")).toEqual(["TLSv1", "TLSv1.1"]);
    expect(versions("  min_version: TLS13\n  max_version: TLS13\n")).toEqual(["TLSv1.3", "TLSv1.3"]);
    expect(versions("  max_version: TLS12\n")).toEqual(["TLSv1.2", "TLSv1.2"]);
    expect(problemsOf(`${TLS}  min_version: TLS13\n  max_version: TLS12\n`)).toEqual(["web config: tls_server_config.max_version: TLS12 is below min_version TLS13"]);
    expect(problemsOf(`${TLS}  max_version: TLS11\n`)).toEqual(["web config: tls_server_config.max_version: TLS11 is below min_version TLS12 (the default)"]);
    expect(problemsOf(`${TLS}  max_version: TLSv1.3\n`)).toEqual(['web config: tls_server_config.max_version: "TLSv1.3" is not one of TLS10, TLS11, TLS12, TLS13']);
  });

  it("maps cipher_suites to OpenSSL names in the given order", () => {
    const tls = parse(`${TLS}  cipher_suites:\n    - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n    - TLS_RSA_WITH_AES_128_CBC_SHA\n`).tls;
    expect(tls?.ciphers).toBe("ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA");
  });

  it("refuses unknown and insecure cipher suite names, naming the entry", () => {
    const problems = problemsOf(`${TLS}  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, ECDHE-RSA-AES128-GCM-SHA256, TLS_AES_128_GCM_SHA256, TLS_RSA_WITH_3DES_EDE_CBC_SHA]\n`);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^web config: tls_server_config.cipher_suites\[1\]: "ECDHE-RSA-AES128-GCM-SHA256" is not one of TLS_RSA_WITH_AES_128_CBC_SHA, .*TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256$/);
    expect(problems[1]).toBe('web config: tls_server_config.cipher_suites[3]: "TLS_RSA_WITH_3DES_EDE_CBC_SHA" is one of Go\'s insecure cipher suites, which the web config does not accept');
  });

  it("accepts TLS 1.3 suite names and ignores them, as Go does (TLS 1.3 suites are not configurable)", () => {
    expect(parse(`${TLS}  cipher_suites: [TLS_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n`).tls?.ciphers).toBe("ECDHE-RSA-AES128-GCM-SHA256");
    expect(parse(`${TLS}  cipher_suites: [TLS_AES_128_GCM_SHA256]\n`).tls?.ciphers).toBeUndefined();
  });

  it("maps curve_preferences to an OpenSSL curve list, and refuses unknown curves", () => {
    expect(parse(`${TLS}  curve_preferences: [X25519, CurveP256, CurveP384, CurveP521]\n`).tls?.ecdhCurve).toBe("X25519:P-256:P-384:P-521");
    expect(problemsOf(`${TLS}  curve_preferences: [P-256]\n`)).toEqual(['web config: tls_server_config.curve_preferences[0]: "P-256" is not one of CurveP256, CurveP384, CurveP521, X25519']);
  });

  it("reads prefer_server_cipher_suites (default true)", () => {
    expect(parse(`${TLS}  prefer_server_cipher_suites: false\n`).tls?.preferServerCipherSuites).toBe(false);
    expect(problemsOf(`${TLS}  prefer_server_cipher_suites: maybe\n`)).toEqual(["web config: tls_server_config.prefer_server_cipher_suites: must be true or false"]);
  });
});

describe("web config: http_server_config", () => {
  it("keeps the allowed headers and leaves blank ones out", () => {
    const config = parse(
      [
        "http_server_config:",
        "  headers:",
        "    Strict-Transport-Security: max-age=31536000; includeSubDomains",
        "    X-Content-Type-Options: nosniff",
        "    X-Frame-Options: sameorigin",
        "    X-XSS-Protection: 0",
        "    Content-Security-Policy: \"\"",
      ].join("\n"),
    );
    expect(config.headers).toEqual({
      "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
      "X-Content-Type-Options": "nosniff",
      "X-Frame-Options": "sameorigin",
      "X-XSS-Protection": "0",
    });
  });

  it("refuses other headers and values outside the allowed ones", () => {
    expect(problemsOf("http_server_config:\n  headers:\n    Server: nginx\n    x-frame-options: deny\n    X-Frame-Options: DENY\n    X-Content-Type-Options: sniff\n")).toEqual([
      "web config: http_server_config.headers.Server: cannot be configured: the headers allowed are Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, Content-Security-Policy",
      "web config: http_server_config.headers.x-frame-options: cannot be configured: the headers allowed are Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, Content-Security-Policy",
      'web config: http_server_config.headers.X-Frame-Options: "DENY" is not one of deny, sameorigin',
      'web config: http_server_config.headers.X-Content-Type-Options: "sniff" is not one of nosniff',
    ]);
    expect(problemsOf('http_server_config:\n  headers:\n    Content-Security-Policy: "a\\nb"\n')).toEqual([
      "web config: http_server_config.headers.Content-Security-Policy: contains a character an HTTP header value cannot hold",
    ]);
  });

  it("reads http2 (default true)", () => {
    expect(parse("http_server_config:\n  http2: false\n").http2).toBe(false);
    expect(problemsOf("http_server_config:\n  http2: off\n")).toEqual(["web config: http_server_config.http2: must be true or false"]);
    expect(parse("http_server_config: {}\n").http2).toBe(true);
    expect(problemsOf("http_server_config:\n  http2: 2\n")).toEqual(["web config: http_server_config.http2: must be true or false"]);
  });
});

describe("web config: basic_auth_users", () => {
  it("reads users and their $2y$, $2b$ and $2a$ hashes", () => {
    const config = loadWebConfig(`${dir}users.web-config.yml`);
    expect([...config.users.keys()]).toEqual(["user2y", "user2b", "user2a"]);
    expect([...config.users.values()].map((h) => h.slice(0, 4))).toEqual(["$2y$", "$2b$", "$2a$"]);
    expect(config.tls).toBeUndefined();
  });

  it("refuses what is not a bcrypt hash, a cost outside 4–31 and a user name with a colon, never echoing the hash", () => {
    const hash = "$2y$10$MKfZCF1glH1euGrM.Pkhs.2nnkPgXjsnnV4QSOx9bR6jkk5lA8FKS";
    const problems = problemsOf(
      `basic_auth_users:\n  a: "${hash.replace("$2y$", "$2x$")}"\n  b: "${hash.replace("$10$", "$03$")}"\n  c: "${hash.slice(0, -1)}"\n  "d:e": "${hash}"\n  f: 12\n`,
    );
    expect(problems).toEqual([
      "web config: basic_auth_users.a: is not a bcrypt hash ($2y$, $2b$ or $2a$, 60 characters, as `htpasswd -nBC 10 USER` writes)",
      "web config: basic_auth_users.b: has bcrypt cost 03, outside 4–31",
      "web config: basic_auth_users.c: is not a bcrypt hash ($2y$, $2b$ or $2a$, 60 characters, as `htpasswd -nBC 10 USER` writes)",
      'web config: basic_auth_users.d:e: contains ":", which basic auth cannot send in a user name',
      "web config: basic_auth_users.f: must be a bcrypt hash (a string)",
    ]);
    for (const line of problems) expect(line).not.toContain("MKfZCF1");
  });

  it("keeps user names as written (YAML 1.2: `no` is a name, not false)", () => {
    const hash = "$2b$04$Wl9qk4nVnkzF74RGc4LQUOe/DAfdapHWQdQY96dARVXrv5JtCez4.";
    expect([...parse(`basic_auth_users:\n  no: "${hash}"\n  "0123": "${hash}"\n`).users.keys()]).toEqual(["no", "0123"]);
  });

  it("accepts basic auth without TLS", () => {
    const hash = "$2b$04$Wl9qk4nVnkzF74RGc4LQUOe/DAfdapHWQdQY96dARVXrv5JtCez4.";
    expect(parse(`basic_auth_users:\n  prometheus: "${hash}"\n`).users).toEqual(new Map([["prometheus", hash]]));
  });
});

describe("web config: rate_limit", () => {
  it("reads interval (Go duration) and burst", () => {
    expect(parse("rate_limit:\n  interval: 1s\n  burst: 10\n").rateLimit).toEqual({ intervalMs: 1000, burst: 10 });
    expect(parse("rate_limit:\n  interval: 1m30s\n  burst: 1\n").rateLimit).toEqual({ intervalMs: 90_000, burst: 1 });
    expect(parse("rate_limit:\n  interval: 1.5s\n  burst: 1\n").rateLimit).toEqual({ intervalMs: 1500, burst: 1 });
  });

  it("turns the limit off with interval 0", () => {
    expect(parse("rate_limit:\n  interval: 0\n  burst: 10\n").rateLimit).toBeUndefined();
    expect(parse("rate_limit:\n  interval: 0s\n").rateLimit).toBeUndefined();
  });

  it("refuses a bad interval, a missing interval and a burst below 1", () => {
    expect(problemsOf("rate_limit:\n  interval: 1 second\n  burst: 1\n")).toEqual([
      'web config: rate_limit.interval: "1 second" is not a duration such as "1s" or "100ms" (0 turns the limit off)',
    ]);
    expect(problemsOf("rate_limit:\n  burst: 5\n")).toEqual(["web config: rate_limit.interval: is missing: burst alone limits nothing (interval 0 turns the limit off)"]);
    expect(problemsOf("rate_limit:\n  interval: 1s\n")).toEqual(["web config: rate_limit.burst: must be at least 1 when interval is set (0 would refuse every request)"]);
    expect(problemsOf("rate_limit:\n  interval: 1s\n  burst: 1.5\n")).toEqual(["web config: rate_limit.burst: must be a whole number"]);
  });
});
