import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { demoSimulatorOptions, demoTargetsFile } from "../../dev/demo-dataset.js";
import { runCli, type RunningCli } from "../../dev/simulator/cli.js";
import { skipWithout } from "../debian-tools.js";
import { waitFor } from "../helpers.js";
import { freePort, spawnExporter, type Spawned } from "../process.js";
import { prometheusTargets, promQuery, startPrometheusScraping, type Peer, type PromTarget } from "./peers.js";

/** test/fixtures/tls (see its README): CA, server and client certificates, bcrypt hashes of "secret". */
const TLS = fileURLToPath(new URL("../fixtures/tls/", import.meta.url));
const fixture = (name: string) => join(TLS, name);

const USER = "prometheus";
const PASSWORD = "secret";
const JOBS = { secure: "ssm-web-config", wrongPassword: "ssm-web-config-wrong-password", noClientCert: "ssm-web-config-no-client-cert" } as const;

const missingPeer = skipWithout("prometheus");

/**
 * The exporter behind an exporter-toolkit web config (--web.config.file) as a platform team would run it:
 * TLS, client certificates required and verified (mutual TLS), and basic auth; Kubernetes-style probes on
 * the plain-HTTP --web.probe-listen-address. A real Prometheus scrapes it with `scheme: https`,
 * `tls_config` and `basic_auth`, plus two jobs that must be refused: a wrong password (401) and no client
 * certificate (TLS handshake refused).
 */
describe.skipIf(missingPeer)("end to end: Prometheus scrapes the exporter over mutual TLS with basic auth (--web.config.file)", () => {
  let simulator: RunningCli;
  let exporter: Spawned;
  let prometheus: Peer;
  let dir: string;
  let port: number;
  let associations: number;

  beforeAll(async () => {
    simulator = await runCli(demoSimulatorOptions({ churnEveryMs: undefined }), { out: () => undefined, err: () => undefined });
    const sim = simulator.running.sim;
    associations = sim.scopes().reduce((n, scope) => n + sim.getAssociations(scope).length, 0);

    dir = mkdtempSync(join(tmpdir(), "ssm-e2e-web-config-"));
    writeFileSync(join(dir, "targets.yaml"), demoTargetsFile());
    // The web config and its files in one folder, as a chart mounts them from Secrets; relative paths.
    const web = join(dir, "web");
    mkdirSync(web);
    for (const name of ["server.pem", "server-key.pem", "client-ca.pem"]) copyFileSync(fixture(name), join(web, name));
    const users = parse(readFileSync(fixture("users.web-config.yml"), "utf8")) as { basic_auth_users: Record<string, string> };
    const hash = users.basic_auth_users.user2y; // `htpasswd -nBC 10` style ($2y$) hash of "secret"
    if (hash === undefined) throw new Error("users.web-config.yml has no user2y");
    writeFileSync(
      join(web, "web-config.yml"),
      stringify({
        tls_server_config: {
          cert_file: "server.pem",
          key_file: "server-key.pem",
          client_ca_file: "client-ca.pem",
          client_auth_type: "RequireAndVerifyClientCert",
          client_allowed_sans: ["prometheus"],
        },
        basic_auth_users: { [USER]: hash },
      }),
    );
    writeFileSync(join(dir, "password"), `${PASSWORD}\n`);

    port = await freePort();
    // freePort releases its port: a second call can hand out the same one again.
    let probePort = await freePort();
    while (probePort === port) probePort = await freePort();
    exporter = spawnExporter(
      [
        `--web.listen-address=127.0.0.1:${port}`,
        `--web.probe-listen-address=127.0.0.1:${probePort}`,
        `--web.config.file=${join(web, "web-config.yml")}`,
        `--config.file=${join(dir, "targets.yaml")}`,
        "--poll.interval=2s",
        "--aws.max-attempts=2",
        "--log.level=debug",
      ],
      {
        AWS_ENDPOINT_URL_SSM: simulator.running.url,
        AWS_ENDPOINT_URL_STS: simulator.running.url,
        AWS_ACCESS_KEY_ID: "AKIDSIMULATEDE2E0002",
        AWS_SECRET_ACCESS_KEY: "simulated",
        AWS_EC2_METADATA_DISABLED: "true",
      },
    );
    // The probe listener: plain HTTP, no credentials, as a kubelet probes it.
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${probePort}/readyz`).catch(() => undefined))?.status === 200 || (exporter.child.exitCode !== null && "exited"),
      15_000,
      "exporter ready on its probe listener",
    );
    if (exporter.child.exitCode !== null) throw new Error(`exporter exited with code ${exporter.child.exitCode}:\n${exporter.stdout().slice(-2000)}\n${exporter.stderr().slice(-2000)}`);

    const target = { static_configs: [{ targets: [`127.0.0.1:${port}`] }], scheme: "https" };
    const clientCert = { ca_file: fixture("ca.pem"), cert_file: fixture("client.pem"), key_file: fixture("client-key.pem") };
    prometheus = await startPrometheusScraping([
      { job_name: JOBS.secure, ...target, tls_config: clientCert, basic_auth: { username: USER, password_file: join(dir, "password") } },
      { job_name: JOBS.wrongPassword, ...target, tls_config: clientCert, basic_auth: { username: USER, password: "not-the-password" } },
      { job_name: JOBS.noClientCert, ...target, tls_config: { ca_file: fixture("ca.pem") }, basic_auth: { username: USER, password_file: join(dir, "password") } },
    ]);
  }, 60_000);

  afterAll(async () => {
    exporter?.child.kill("SIGTERM");
    await Promise.all([prometheus?.stop(), exporter?.exited()]);
    await simulator?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** The job's target once Prometheus has scraped it at least once. */
  async function scraped(job: string): Promise<PromTarget> {
    return waitFor(
      async () => (await prometheusTargets(prometheus.url)).find((t) => t.labels.job === job && t.health !== "unknown"),
      20_000,
      `a scrape of job ${job}`,
    );
  }

  it("Prometheus scrapes it with scheme https, a client certificate and basic auth: up 1, every association in Prometheus", async () => {
    const started = performance.now();
    const target = await waitFor(
      async () => (await prometheusTargets(prometheus.url)).find((t) => t.labels.job === JOBS.secure && t.health === "up"),
      20_000,
      "the https target up in Prometheus",
    ).catch(async (err: unknown) => {
      throw new Error(`${String(err)}; targets: ${JSON.stringify(await prometheusTargets(prometheus.url))}`);
    });
    console.log(`e2e web config: Prometheus → exporter over mutual TLS + basic auth up in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    expect(target.scrapeUrl).toBe(`https://127.0.0.1:${port}/metrics`);
    expect(target.lastError).toBe("");
    expect(await promQuery(prometheus.url, `up{job="${JOBS.secure}"}`)).toEqual([expect.objectContaining({ value: [expect.any(Number), "1"] })]);

    const count = await waitFor(
      async () => (await promQuery(prometheus.url, `count(aws_ssm_association_info{job="${JOBS.secure}"})`))[0]?.value[1],
      10_000,
      "association series in Prometheus",
    );
    expect(Number(count)).toBe(associations);
    expect(associations).toBeGreaterThan(0);
    const statuses = await promQuery(prometheus.url, `count(aws_ssm_association_status{job="${JOBS.secure}"} == 1)`);
    expect(Number(statuses[0]?.value[1])).toBe(associations);
  });

  it("a wrong password: the target is down with a 401 in /api/v1/targets' lastError", async () => {
    const target = await scraped(JOBS.wrongPassword);
    console.log(`e2e web config: wrong password → lastError "${target.lastError}"`);
    expect(target.health).toBe("down");
    expect(target.lastError).toMatch(/\b401\b/);
    expect(await promQuery(prometheus.url, `up{job="${JOBS.wrongPassword}"}`)).toEqual([expect.objectContaining({ value: [expect.any(Number), "0"] })]);
  });

  it("no client certificate under RequireAndVerifyClientCert: the target is down, refused before HTTP (no 401)", async () => {
    const target = await scraped(JOBS.noClientCert);
    console.log(`e2e web config: no client certificate → lastError "${target.lastError}"`);
    expect(target.health).toBe("down");
    expect(target.lastError).not.toBe("");
    expect(target.lastError).not.toMatch(/\b401\b/);
    expect(await promQuery(prometheus.url, `up{job="${JOBS.noClientCert}"}`)).toEqual([expect.objectContaining({ value: [expect.any(Number), "0"] })]);
  });

  it("logs no credential: neither password nor the Authorization header of any scrape", () => {
    const log = exporter.stdout() + exporter.stderr();
    // The good scrapes were logged (debug request logs), so there was something to leak.
    expect(log).toContain('"user-agent":"Prometheus/');
    // ("secret" itself is too common a word to look for; its Basic credentials are not.)
    for (const secret of ["not-the-password", Buffer.from(`${USER}:${PASSWORD}`).toString("base64"), Buffer.from(`${USER}:not-the-password`).toString("base64")]) {
      expect(log.includes(secret), secret).toBe(false);
    }
  });
});
