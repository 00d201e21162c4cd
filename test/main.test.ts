import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { startSimulator, type RunningSimulator } from "../dev/simulator/server.js";
import { isSupportedNode } from "../src/node-support.js";
import { waitFor } from "./helpers.js";
import { freePort, isListening, simulatorEnv, spawnExporter } from "./process.js";
import { promtoolCheckMetrics } from "./promtool.js";

describe("the exporter process: bad configuration", () => {
  it("exits 2 with one line per problem, and never listens", async () => {
    const port = await freePort();
    const run = spawnExporter([`--web.listen-address=127.0.0.1:${port}`, "--nope", "--poll.interval=banana", "--ssm.filter", "Nope=x"], {
      SSM_EXPORTER_WEB_LISTEN_ADDRESS: ":70000",
      AWS_REGION: "us-east-1",
    });
    expect(await run.exited()).toEqual({ code: 2, signal: null });
    expect(run.stderr()).toBe(
      [
        "ssm-association-exporter: unknown flag --nope (see --help)",
        'ssm-association-exporter: --poll.interval: "banana" is not a duration (use e.g. 30s, 5m, 1h)',
        'ssm-association-exporter: --ssm.filter: unknown filter key "Nope" (one of InstanceId, Name, AssociationId, AssociationStatusName, LastExecutedBefore, LastExecutedAfter, AssociationName, ResourceGroupName, CloudConnectorId)',
        "",
      ].join("\n"),
    );
    expect(run.stdout()).toBe("");
    expect(await isListening(port)).toBe(false);
  });

  it("exits 2 for port 70000", async () => {
    const run = spawnExporter(["--web.listen-address=:70000"], { AWS_REGION: "us-east-1" });
    expect(await run.exited()).toEqual({ code: 2, signal: null });
    expect(run.stderr()).toBe("ssm-association-exporter: --web.listen-address: port 70000 is out of range (0 to 65535)\n");
  });

  it("exits 2 when no region can be found", async () => {
    const run = spawnExporter(["--web.listen-address=127.0.0.1:0"], { AWS_CONFIG_FILE: "/nonexistent", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent" });
    expect(await run.exited()).toEqual({ code: 2, signal: null });
    expect(run.stderr()).toBe("ssm-association-exporter: no AWS region: set --aws.region, SSM_EXPORTER_AWS_REGION or AWS_REGION\n");
  });

  it("prints help and version, exit 0", async () => {
    const help = spawnExporter(["--help"]);
    expect((await help.exited()).code).toBe(0);
    expect(help.stdout()).toContain("--poll.interval <duration>");
    const version = spawnExporter(["--version"]);
    expect((await version.exited()).code).toBe(0);
    expect(version.stdout()).toMatch(/^ssm-association-exporter \d+\.\d+\.\d+ \(revision unknown, Node\.js v\d+/);
  });
});

describe("the exporter process against the simulator", () => {
  let simulator: RunningSimulator;
  beforeAll(async () => {
    simulator = await startSimulator();
    simulator.sim.generate({ region: "us-east-1" }, 120, 1);
    simulator.sim.generate({ region: "eu-west-1" }, 30, 2);
  });
  afterAll(() => simulator.close());

  const env = () => simulatorEnv(simulator.url, ["us-east-1", "eu-west-1"]);

  it("serves metrics that promtool accepts (default process metrics included), then exits 0 within 5 s of SIGTERM", async () => {
    const port = await freePort();
    const run = spawnExporter([`--web.listen-address=127.0.0.1:${port}`, "--poll.interval=2s"], env());
    onTestFinished(() => {
      run.child.kill("SIGKILL"); // a no-op once it has exited; never leave an exporter behind a failed assertion
    });
    const ready = await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 15_000, "readyz 200");
    expect(ready).toBe(true);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toContain('aws_ssm_exporter_up{account_id="123456789012",region="eu-west-1"} 1');
    expect(text).toContain("process_cpu_seconds_total");
    expect(text.match(/^aws_ssm_association_status\{/gm)).toHaveLength(3 * 150);
    expect(promtoolCheckMetrics(text)).toBe("");
    const started = JSON.parse(run.stdout().split("\n").find((l) => l.includes('"exporter started"')) ?? "{}") as Record<string, unknown>;
    expect(started).toMatchObject({ level: "info", msg: "exporter started", regions: ["us-east-1", "eu-west-1"] });

    const sent = performance.now();
    run.child.kill("SIGTERM");
    const exit = await run.exited();
    const tookMs = performance.now() - sent;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(tookMs).toBeLessThan(5_000);
    expect(run.stdout()).toContain('"msg":"stopped"');
    expect(await isListening(port)).toBe(false);
  });

  it("keeps the AWS SDK's Node.js version warning out of its output; an unsupported Node.js gets one log line", async () => {
    const port = await freePort();
    // Node's own warnings on (spawnExporter turns them off by default), as a user would run it.
    const run = spawnExporter([`--web.listen-address=127.0.0.1:${port}`, "--poll.interval=2s"], { ...env(), NODE_NO_WARNINGS: "" });
    onTestFinished(() => {
      run.child.kill("SIGKILL");
    });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 15_000, "readyz 200");
    run.child.kill("SIGTERM");
    expect((await run.exited()).code).toBe(0);
    expect(run.stderr()).toBe("");
    const warnings = run.stdout().split("\n").filter((l) => l.includes("is not supported"));
    if (isSupportedNode(process.version)) {
      expect(warnings).toEqual([]);
    } else {
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0] ?? "{}")).toMatchObject({ level: "warn", node: process.version, supported: ">=22.12.0" });
    }
  });

  it("exits 0 on SIGTERM in the middle of a slow poll", async () => {
    simulator.sim.injectFault({ kind: "ThrottlingException", count: Infinity, operation: "ListAssociations" });
    try {
      const port = await freePort();
      const run = spawnExporter([`--web.listen-address=127.0.0.1:${port}`, "--aws.max-attempts=10"], env());
      onTestFinished(() => {
        run.child.kill("SIGKILL");
      });
      await waitFor(() => simulator.sim.callCount("ListAssociations") > 0 && isListening(port), 10_000, "a poll in flight");
      const sent = performance.now();
      run.child.kill("SIGTERM");
      expect(await run.exited()).toEqual({ code: 0, signal: null });
      expect(performance.now() - sent).toBeLessThan(5_000);
    } finally {
      simulator.sim.clearFaults();
    }
  });

  it("logs SIGHUP and keeps serving (without --web.config.file there is nothing to reload)", async () => {
    const port = await freePort();
    const run = spawnExporter([`--web.listen-address=127.0.0.1:${port}`, "--poll.interval=2s"], env());
    onTestFinished(() => {
      run.child.kill("SIGKILL");
    });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 15_000, "readyz 200");
    run.child.kill("SIGHUP");
    await waitFor(() => run.stdout().includes("SIGHUP ignored"), 5_000, "the SIGHUP log line");
    const line = run.stdout().split("\n").find((l) => l.includes("SIGHUP ignored")) ?? "{}";
    expect(JSON.parse(line)).toMatchObject({
      level: "warn",
      signal: "SIGHUP",
      msg: "SIGHUP ignored: there is no --web.config.file to reload; other configuration is read only at start, restart the exporter to apply changes",
    });
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    run.child.kill("SIGTERM");
    expect(await run.exited()).toEqual({ code: 0, signal: null });
  });
});

describe("the exporter process at trace level", () => {
  it("never logs AWS credentials: neither its own secret nor the assumed role's secret and session token", async () => {
    const simulator = await startSimulator();
    onTestFinished(() => simulator.close());
    simulator.sim.generate({ region: "us-east-1", accountId: "111122223333" }, 5, 1);
    const dir = mkdtempSync(join(tmpdir(), "trace-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "targets.yaml");
    writeFileSync(file, "targets:\n  - role_arn: arn:aws:iam::111122223333:role/reader\n    regions: [us-east-1]\n");
    const port = await freePort();
    const run = spawnExporter([`--web.listen-address=127.0.0.1:${port}`, `--config.file=${file}`, "--log.level=trace"], {
      AWS_ENDPOINT_URL_SSM: simulator.url,
      AWS_ENDPOINT_URL_STS: simulator.url,
      AWS_ACCESS_KEY_ID: "AKIDSIMULATED0000001",
      AWS_SECRET_ACCESS_KEY: "own-secret-never-logged",
      AWS_EC2_METADATA_DISABLED: "true",
    });
    onTestFinished(() => {
      run.child.kill("SIGKILL");
    });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 15_000, "readyz 200");
    await fetch(`http://127.0.0.1:${port}/metrics`);
    run.child.kill("SIGTERM");
    expect(await run.exited()).toEqual({ code: 0, signal: null });
    const issued = simulator.sim.issuedCredentials();
    expect(issued.length).toBeGreaterThan(0);
    const log = run.stdout() + run.stderr();
    expect(log).toContain('"msg":"poll succeeded"');
    for (const secret of ["own-secret-never-logged", ...issued.flatMap((c) => [c.secretAccessKey, c.sessionToken])]) expect(log).not.toContain(secret);
  });
});

describe("the exporter process without AWS credentials", () => {
  const scratch = mkdtempSync(join(tmpdir(), "no-credentials-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const noCredentials = {
    AWS_CONFIG_FILE: "/nonexistent",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_ENDPOINT_URL_SSM: "http://127.0.0.1:9",
    AWS_ENDPOINT_URL_STS: "http://127.0.0.1:9",
  };

  async function run(targets: string): Promise<{ text: string; log: string }> {
    const file = join(scratch, `${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, targets);
    const port = await freePort();
    const exporter = spawnExporter([`--web.listen-address=127.0.0.1:${port}`, `--config.file=${file}`, "--aws.max-attempts=1"], noCredentials);
    onTestFinished(() => {
      exporter.child.kill("SIGKILL");
    });
    // Readiness means serving: every target's first poll has finished, here by failing.
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 15_000, "readyz 200");
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(promtoolCheckMetrics(text)).toBe("");
    expect(text).not.toContain('account_id=""');
    exporter.child.kill("SIGTERM");
    expect(await exporter.exited()).toEqual({ code: 0, signal: null });
    return { text, log: exporter.stdout() };
  }

  it("counts the credential-provider failure under a configured account id, with up 0", async () => {
    const { text, log } = await run('targets:\n  - account_id: "123456789012"\n    regions: [us-east-1]\n');
    expect(log).toContain('"operation":"ListAssociations","aws_error":"CredentialsProviderError"');
    expect(text).toContain('aws_ssm_exporter_up{account_id="123456789012",region="us-east-1"} 0');
    expect(text).toMatch(/^aws_ssm_exporter_api_requests_total\{account_id="123456789012",region="us-east-1",operation="ListAssociations",outcome="CredentialsProviderError"\} 1$/m);
    expect(text).toMatch(/^aws_ssm_exporter_polls_total\{account_id="123456789012",region="us-east-1",outcome="CredentialsProviderError"\} 1$/m);
    expect(text).toContain("aws_ssm_exporter_unidentified_targets 0");
  }, 30_000);

  it("exports no per-target series while the account is unknown, and counts the region as unidentified", async () => {
    const { text, log } = await run("targets:\n  - regions: [us-east-1, eu-west-1]\n");
    expect(log).toContain('"operation":"GetCallerIdentity","aws_error":"CredentialsProviderError"');
    expect(text).toContain("aws_ssm_exporter_unidentified_targets 2");
    expect(text).not.toMatch(/^aws_ssm_exporter_up\{/m);
    expect(text).not.toMatch(/^aws_ssm_exporter_api_requests_total\{/m);
  }, 30_000);
});
