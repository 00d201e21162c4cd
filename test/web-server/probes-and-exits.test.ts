import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../dev/simulator/server.js";
import { waitFor } from "../helpers.js";
import { freePort, isListening, spawnExporter } from "../process.js";
import { scratchWithFixtures, simulatorEnv, startExporterProcess, TLS_FIXTURES } from "./harness.js";

let simulator: RunningSimulator;
beforeAll(async () => {
  simulator = await startSimulator();
  simulator.sim.generate({ region: "us-east-1" }, 5, 1);
});
afterAll(() => simulator.close());

describe("the probe listener (--web.probe-listen-address)", () => {
  it("serves /healthz and /readyz without credentials and nothing else, while the main listener wants them everywhere", async () => {
    const probePort = await freePort();
    const exporter = await startExporterProcess(
      [`--web.config.file=${join(TLS_FIXTURES, "users.web-config.yml")}`, `--web.probe-listen-address=127.0.0.1:${probePort}`],
      simulatorEnv(simulator.url),
    );
    const probe = `http://127.0.0.1:${probePort}`;
    expect(exporter.log().find((line) => line.msg === "exporter started")).toMatchObject({ probe_url: probe, basic_auth_users: 3 });

    expect((await fetch(`${probe}/healthz`)).status).toBe(200);
    await waitFor(async () => (await fetch(`${probe}/readyz`)).status === 200, 15_000, "probe readyz 200");
    for (const path of ["/metrics", "/", "/nope"]) {
      const reply = await fetch(`${probe}${path}`);
      expect(reply.status, path).toBe(404);
      expect(await reply.text()).toBe(`404 not found: ${path}\n`);
    }
    expect((await fetch(`${probe}/healthz`, { method: "POST" })).status).toBe(405);

    const main = `http://127.0.0.1:${exporter.port}`;
    for (const path of ["/healthz", "/readyz", "/metrics"]) expect((await fetch(`${main}${path}`)).status, path).toBe(401);
    const authorization = `Basic ${Buffer.from("user2y:secret").toString("base64")}`;
    expect((await fetch(`${main}/healthz`, { headers: { authorization } })).status).toBe(200);

    exporter.run.child.kill("SIGTERM");
    expect(await exporter.run.exited()).toEqual({ code: 0, signal: null });
    expect(await isListening(probePort)).toBe(false);
  });

  it("without a web config, /healthz stays on the main listener too, as before", async () => {
    const probePort = await freePort();
    const exporter = await startExporterProcess([`--web.probe-listen-address=127.0.0.1:${probePort}`], simulatorEnv(simulator.url));
    expect((await fetch(`http://127.0.0.1:${exporter.port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${probePort}/healthz`)).status).toBe(200);
    expect(exporter.log().find((line) => line.msg === "exporter started")).toMatchObject({ web_config_file: null, tls: false, basic_auth_users: 0 });
  });
});

describe("a bad web config or probe address: exit 2, nothing listening", () => {
  async function exits(args: (port: number) => string[], expected: string | RegExp | ((port: number) => string)): Promise<void> {
    const port = await freePort();
    const run = spawnExporter([`--web.listen-address=127.0.0.1:${port}`, ...args(port)], simulatorEnv(simulator.url));
    expect(await run.exited()).toEqual({ code: 2, signal: null });
    const stderr = typeof expected === "function" ? expected(port) : expected;
    if (typeof stderr === "string") expect(run.stderr()).toBe(stderr);
    else expect(run.stderr()).toMatch(stderr);
    // Nothing started, so nothing logged (but the warning about an unsupported Node.js, logged first).
    expect(run.stdout().split("\n").filter((line) => line !== "" && !line.includes("is not supported"))).toEqual([]);
    expect(await isListening(port)).toBe(false);
  }

  it("a missing file", async () => {
    await exits(() => ["--web.config.file=/nonexistent/web.yml"], 'ssm-association-exporter: web config: cannot read "/nonexistent/web.yml" (ENOENT)\n');
  });

  it("an unknown key, naming it", async () => {
    const dir = scratchWithFixtures();
    writeFileSync(join(dir, "web.yml"), "tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\n  cert_flie: x\n");
    await exits(() => [`--web.config.file=${join(dir, "web.yml")}`], /^ssm-association-exporter: web config: tls_server_config: unknown key "cert_flie"\n$/);
  });

  it("invalid YAML and an invalid value, one line per problem", async () => {
    const dir = scratchWithFixtures();
    writeFileSync(join(dir, "broken.yml"), "basic_auth_users: [\n");
    await exits(() => [`--web.config.file=${join(dir, "broken.yml")}`], /^ssm-association-exporter: web config: line \d+, column \d+: .+\n$/);
    writeFileSync(join(dir, "bad.yml"), "tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\n  client_auth_type: Sometimes\n");
    await exits(
      () => [`--web.config.file=${join(dir, "bad.yml")}`],
      'ssm-association-exporter: web config: tls_server_config.client_auth_type: "Sometimes" is not one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert\n',
    );
  });

  it("a certificate file that is missing and a key that does not match, one line each", async () => {
    const dir = scratchWithFixtures();
    writeFileSync(join(dir, "web.yml"), "tls_server_config:\n  cert_file: missing.pem\n  key_file: server-key.pem\n");
    await exits(() => [`--web.config.file=${join(dir, "web.yml")}`], `ssm-association-exporter: web config: tls_server_config.cert_file: cannot read "${join(dir, "missing.pem")}" (ENOENT)\n`);
    writeFileSync(join(dir, "web.yml"), "tls_server_config:\n  cert_file: server.pem\n  key_file: server2-key.pem\n");
    await exits(() => [`--web.config.file=${join(dir, "web.yml")}`], /^ssm-association-exporter: web config: tls_server_config\.key_file: [^\n]+\n$/);
  });

  it("the same port for the main and the probe listener", async () => {
    await exits(
      (port) => [`--web.probe-listen-address=:${port}`],
      (port) => `ssm-association-exporter: --web.probe-listen-address: port ${port} is the port of --web.listen-address; the probe listener needs a port of its own\n`,
    );
  });
});
