import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../dev/simulator/server.js";
import { waitFor } from "../helpers.js";
import { fixture, httpsError, httpsGet, scratchWithFixtures, simulatorEnv, skipWithoutTool, startExporterProcess, TLS_FIXTURES, cleanupAfterAll, type RunningExporterProcess } from "./harness.js";

const CA = fixture("ca.pem");
const WRONG_CA = fixture("client-ca.pem");
const serial = (pem: string) => new X509Certificate(pem).serialNumber.toUpperCase();
const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;


const killAfterAll = cleanupAfterAll();

let simulator: RunningSimulator;
beforeAll(async () => {
  simulator = await startSimulator();
  simulator.sim.generate({ region: "us-east-1" }, 5, 1);
});
afterAll(() => simulator.close());

describe("HTTPS with tls.web-config.yml", () => {
  let exporter: RunningExporterProcess;
  let url: string;
  beforeAll(async () => {
    exporter = await startExporterProcess([`--web.config.file=${join(TLS_FIXTURES, "tls.web-config.yml")}`], simulatorEnv(simulator.url), killAfterAll);
    url = `https://127.0.0.1:${exporter.port}`;
  });

  it("logs the mode it started in, without secrets", () => {
    const started = exporter.log().find((line) => line.msg === "exporter started");
    expect(started).toMatchObject({ url: `${url}/metrics`, tls: true, client_auth: "NoClientCert", basic_auth_users: 0, web_config_file: join(TLS_FIXTURES, "tls.web-config.yml") });
  });

  it("serves metrics to Node's https client trusting the CA, presenting server.pem", async () => {
    const reply = await httpsGet(`${url}/metrics`, { ca: CA });
    expect(reply.status).toBe(200);
    expect(reply.body).toContain("aws_ssm_exporter_build_info{");
    expect(reply.body).toContain("aws_ssm_exporter_web_config_last_reload_successful 1");
    expect(reply.peer.serialNumber.toUpperCase()).toBe(serial(fixture("server.pem")));
  });

  it("is refused by a client trusting another CA", async () => {
    const err = await httpsError(`${url}/metrics`, { ca: WRONG_CA });
    expect(err?.code).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  });

  it("refuses TLS 1.1 (min_version defaults to TLS 1.2)", async () => {
    // SECLEVEL=0: OpenSSL 3 clients refuse TLS 1.1 themselves otherwise; the refusal must come from the server.
    const err = await httpsError(`${url}/metrics`, { ca: CA, minVersion: "TLSv1.1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" });
    expect(err?.message).toMatch(/alert protocol version/);
    expect((await httpsGet(`${url}/healthz`, { ca: CA, maxVersion: "TLSv1.2" })).status).toBe(200);
  });

  it.skipIf(skipWithoutTool("curl"))("answers curl --cacert, and curl without the CA fails verification", () => {
    const good = spawnSync("curl", ["-sS", "--cacert", join(TLS_FIXTURES, "ca.pem"), `${url}/healthz`], { encoding: "utf8", timeout: 10_000 });
    expect(good.status).toBe(0);
    expect(good.stdout).toBe("ok\n");
    const bad = spawnSync("curl", ["-sS", `${url}/healthz`], { encoding: "utf8", timeout: 10_000 });
    expect(bad.status).toBe(60); // CURLE_PEER_FAILED_VERIFICATION
  });

  it.skipIf(skipWithoutTool("openssl"))("verifies with openssl s_client, which cannot connect with -tls1_1", () => {
    const connect = ["s_client", "-connect", `127.0.0.1:${exporter.port}`, "-CAfile", join(TLS_FIXTURES, "ca.pem"), "-verify_return_error"];
    const good = spawnSync("openssl", connect, { input: "", encoding: "utf8", timeout: 10_000 });
    expect(good.stdout).toContain("Verify return code: 0 (ok)");
    const old = spawnSync("openssl", [...connect, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"], { input: "", encoding: "utf8", timeout: 10_000 });
    expect(old.status).not.toBe(0);
    expect(old.stderr).toMatch(/alert protocol version|unsupported protocol|no protocols available/);
  });
});

describe("mutual TLS with mtls.web-config.yml (RequireAndVerifyClientCert, SAN prometheus)", () => {
  let exporter: RunningExporterProcess;
  let url: string;
  beforeAll(async () => {
    exporter = await startExporterProcess([`--web.config.file=${join(TLS_FIXTURES, "mtls.web-config.yml")}`, "--log.level=debug"], simulatorEnv(simulator.url), killAfterAll);
    url = `https://127.0.0.1:${exporter.port}`;
  });
  const client = (name: string) => ({ ca: CA, cert: fixture(`${name}.pem`), key: fixture(`${name}-key.pem`) });

  it("logs the client auth type at start", () => {
    expect(exporter.log().find((line) => line.msg === "exporter started")).toMatchObject({ tls: true, client_auth: "RequireAndVerifyClientCert" });
  });

  it("serves a client with a certificate from the client CA whose SAN is allowed", async () => {
    const reply = await httpsGet(`${url}/metrics`, client("client"));
    expect(reply.status).toBe(200);
    expect(reply.body).toContain("aws_ssm_exporter_build_info{");
  });

  it("refuses a client without a certificate", async () => {
    const err = await httpsError(`${url}/metrics`, { ca: CA });
    expect(err).toBeDefined();
    expect(err?.message).toMatch(/alert certificate required|alert handshake failure|socket hang up|ECONNRESET/);
  });

  it("refuses a certificate of a CA it does not trust, and one whose SAN is not allowed", async () => {
    expect(await httpsError(`${url}/metrics`, client("client-unknown-ca"))).toBeDefined();
    expect(await httpsError(`${url}/metrics`, client("client-other"))).toBeDefined();
    await waitFor(() => exporter.log().some((line) => line.msg === "TLS client refused"), 5_000, "the debug line of the refused SAN");
  });

  it.skipIf(skipWithoutTool("curl"))("answers curl --cert, not curl without one", () => {
    const base = ["-sS", "--cacert", join(TLS_FIXTURES, "ca.pem")];
    const good = spawnSync("curl", [...base, "--cert", join(TLS_FIXTURES, "client.pem"), "--key", join(TLS_FIXTURES, "client-key.pem"), `${url}/healthz`], { encoding: "utf8", timeout: 10_000 });
    expect(good.stdout).toBe("ok\n");
    const bad = spawnSync("curl", [...base, `${url}/healthz`], { encoding: "utf8", timeout: 10_000 });
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toBe("");
  });
});

describe("certificate rotation without a restart", () => {
  it("presents the new certificate on the next connection after a Kubernetes-style symlink swap", async () => {
    // A Secret volume: the files are links into ..data, a link to a timestamped folder swapped atomically.
    const dir = scratchWithFixtures();
    for (const [version, cert] of [["v1", "server"], ["v2", "server2"]] as const) {
      mkdirSync(join(dir, version));
      writeFileSync(join(dir, version, "tls.crt"), fixture(`${cert}.pem`));
      writeFileSync(join(dir, version, "tls.key"), fixture(`${cert}-key.pem`));
    }
    symlinkSync("v1", join(dir, "..data"));
    symlinkSync("..data/tls.crt", join(dir, "tls.crt"));
    symlinkSync("..data/tls.key", join(dir, "tls.key"));
    writeFileSync(join(dir, "web.yml"), "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n");
    const exporter = await startExporterProcess([`--web.config.file=${join(dir, "web.yml")}`], simulatorEnv(simulator.url));
    const url = `https://127.0.0.1:${exporter.port}/healthz`;
    const before = await httpsGet(url, { ca: CA });
    expect(before.peer.fingerprint256).toBe(fingerprint(fixture("server.pem")));

    symlinkSync("v2", join(dir, "..data_tmp"));
    renameSync(join(dir, "..data_tmp"), join(dir, "..data"));
    await waitFor(async () => (await httpsGet(url, { ca: CA })).peer.fingerprint256 === fingerprint(fixture("server2.pem")), 5_000, "the rotated certificate");
    expect((await httpsGet(url, { ca: CA })).peer.serialNumber.toUpperCase()).toBe(serial(fixture("server2.pem")));
    await waitFor(() => exporter.log().some((line) => line.msg === "web config reloaded"), 5_000, "the reloaded log line");
    expect(exporter.log().filter((line) => line.msg === "web config reloaded")).toMatchObject([{ level: "info", trigger: "change", tls: true }]);
    expect(exporter.run.child.exitCode).toBeNull();
  });
});
