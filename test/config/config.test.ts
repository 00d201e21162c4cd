import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, parseCommandLine, type Config } from "../../src/config/config.js";

/** The AWS SDK region chain's answer in these tests, as AWS_REGION would give it. */
const SDK_REGION = "us-west-2";

function run(argv: string[], env: NodeJS.ProcessEnv = {}, defaultRegion: string | undefined = SDK_REGION): Config {
  const result = parseCommandLine(argv, env, "1.2.3", defaultRegion);
  if (result.kind !== "run") throw new Error(`expected a run, got ${result.kind}`);
  return result.config;
}

function problems(argv: string[], env: NodeJS.ProcessEnv = {}, defaultRegion: string | undefined = SDK_REGION): readonly string[] {
  try {
    parseCommandLine(argv, env, "1.2.3", defaultRegion);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("parseCommandLine", () => {
  it("has the documented defaults", () => {
    expect(run([])).toEqual({
      web: { listenHost: undefined, listenPort: 9877, telemetryPath: "/metrics", configFile: undefined, probe: undefined },
      poll: { intervalMs: 60_000, timeoutMs: 60_000, maxStalenessMs: 0, concurrency: 5 },
      aws: { requestTimeoutMs: 10_000, maxAttempts: 3 },
      targets: [{ roleArn: undefined, externalId: undefined, sessionName: "ssm-association-exporter", accountId: undefined, regions: [SDK_REGION], filters: [] }],
      configFile: undefined,
      log: { level: "info" },
      once: undefined,
      shard: { index: 0, total: 1 },
      describe: undefined,
    });
  });

  it("reads every flag", () => {
    const config = run([
      "--web.listen-address=127.0.0.1:9000",
      "--web.telemetry-path",
      "/m",
      "--web.config.file=/etc/web.yml",
      "--web.probe-listen-address=:9001",
      "--poll.interval=1m30s",
      "--poll.concurrency=8",
      "--poll.timeout=45s",
      "--poll.max-staleness=1h",
      "--aws.region=us-east-1",
      "--aws.region",
      "eu-west-1,ap-southeast-2",
      "--aws.request-timeout=5s",
      "--aws.max-attempts=5",
      "--ssm.filter",
      "Name=AWS-RunPatchBaseline",
      "--ssm.filter=LastExecutedAfter=2026-01-31T00:00:00Z",
      "--log.level=debug",
    ]);
    expect(config).toEqual({
      web: { listenHost: "127.0.0.1", listenPort: 9000, telemetryPath: "/m", configFile: "/etc/web.yml", probe: { host: undefined, port: 9001 } },
      poll: { intervalMs: 90_000, timeoutMs: 45_000, maxStalenessMs: 3_600_000, concurrency: 8 },
      aws: { requestTimeoutMs: 5_000, maxAttempts: 5 },
      targets: [
        {
          roleArn: undefined,
          externalId: undefined,
          sessionName: "ssm-association-exporter",
          accountId: undefined,
          regions: ["us-east-1", "eu-west-1", "ap-southeast-2"],
          filters: [
            { key: "Name", value: "AWS-RunPatchBaseline" },
            { key: "LastExecutedAfter", value: "2026-01-31T00:00:00Z" },
          ],
        },
      ],
      configFile: undefined,
      log: { level: "debug" },
      once: undefined,
      shard: { index: 0, total: 1 },
      describe: undefined,
    });
  });

  it("reads SSM_EXPORTER_* variables, and a flag wins over its variable", () => {
    const env = {
      SSM_EXPORTER_POLL_INTERVAL: "5m",
      SSM_EXPORTER_AWS_REGION: "us-east-1, eu-central-1",
      SSM_EXPORTER_SSM_FILTER: "AssociationStatusName=Failed",
      SSM_EXPORTER_LOG_LEVEL: "warn",
    };
    const config = run(["--log.level=error"], env);
    expect(config.poll.intervalMs).toBe(300_000);
    expect(config.targets[0]?.regions).toEqual(["us-east-1", "eu-central-1"]);
    expect(config.targets[0]?.filters).toEqual([{ key: "AssociationStatusName", value: "Failed" }]);
    expect(config.log.level).toBe("error");
  });

  it("reads the web config and probe flags from their variables", () => {
    const config = run([], { SSM_EXPORTER_WEB_CONFIG_FILE: "web.yml", SSM_EXPORTER_WEB_PROBE_LISTEN_ADDRESS: "127.0.0.1:9878" });
    expect(config.web).toMatchObject({ configFile: "web.yml", probe: { host: "127.0.0.1", port: 9878 } });
  });

  it("refuses a probe listener on the main listener's port, or an address that is not [host]:port", () => {
    expect(problems(["--web.probe-listen-address=127.0.0.1:9877"])).toEqual([
      "--web.probe-listen-address: port 9877 is the port of --web.listen-address; the probe listener needs a port of its own",
    ]);
    expect(problems(["--web.listen-address=:9000"], { SSM_EXPORTER_WEB_PROBE_LISTEN_ADDRESS: ":9000" })).toEqual([
      "SSM_EXPORTER_WEB_PROBE_LISTEN_ADDRESS: port 9000 is the port of --web.listen-address; the probe listener needs a port of its own",
    ]);
    expect(problems(["--web.probe-listen-address=9878"])).toEqual(['--web.probe-listen-address: "9878" is not [host]:port (e.g. :9877, 127.0.0.1:9877)']);
    // Port 0 asks for a free port for each listener: they never clash.
    expect(run(["--web.listen-address=127.0.0.1:0", "--web.probe-listen-address=127.0.0.1:0"]).web.probe).toEqual({ host: "127.0.0.1", port: 0 });
  });

  it("accepts IPv6 listen addresses", () => {
    expect(run(["--web.listen-address=[::1]:9877"]).web).toMatchObject({ listenHost: "::1", listenPort: 9877 });
  });

  it("returns a frozen config", () => {
    const config = run([]);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.targets[0]?.regions)).toBe(true);
  });

  it("reports every problem at once, one line each, naming the flag or variable", () => {
    expect(
      problems(
        ["--bogus", "--poll.interval=banana", "--ssm.filter", "Nope=x", "--web.listen-address=:70000", "--aws.region=us-eest-1"],
        { SSM_EXPORTER_LOG_LEVEL: "loud" },
      ),
    ).toEqual([
      "unknown flag --bogus (see --help)",
      "--web.listen-address: port 70000 is out of range (0 to 65535)",
      '--poll.interval: "banana" is not a duration (use e.g. 30s, 5m, 1h)',
      '--aws.region: "us-eest-1" is not a region',
      '--ssm.filter: unknown filter key "Nope" (one of InstanceId, Name, AssociationId, AssociationStatusName, LastExecutedBefore, LastExecutedAfter, AssociationName, ResourceGroupName, CloudConnectorId)',
      'SSM_EXPORTER_LOG_LEVEL: "loud" is not a log level (one of trace, debug, info, warn, error, fatal)',
    ]);
  });

  it.each([
    [["--ssm.filter=Name"], '--ssm.filter: "Name" is not KEY=VALUE'],
    [["--ssm.filter=LastExecutedBefore=yesterday"], '--ssm.filter: LastExecutedBefore needs an ISO 8601 date, got "yesterday" (e.g. 2026-01-31T00:00:00Z)'],
    [["--web.listen-address=9877"], '--web.listen-address: "9877" is not [host]:port (e.g. :9877, 127.0.0.1:9877)'],
    [["--web.telemetry-path=metrics"], '--web.telemetry-path: "metrics" must start with / and contain only URL path characters'],
    [["--web.telemetry-path=/healthz"], '--web.telemetry-path: "/healthz" is taken by another endpoint (/, /healthz, /readyz)'],
    [["--poll.interval=100ms"], "--poll.interval: 100ms is out of range (1s to 1d)"],
    [["--aws.max-attempts=0"], '--aws.max-attempts: "0" is not a whole number from 1 to 10'],
    [["--poll.concurrency=0"], '--poll.concurrency: "0" is not a whole number from 1 to 64'],
    [["--config.file=/nonexistent.yaml"], "/nonexistent.yaml: cannot read the config file (ENOENT)"],
    [["stray"], 'unexpected argument "stray"'],
    [["--poll.interval"], "option '--poll.interval <duration>' argument missing"],
    [["--poll.interval=30s", "--poll.timeout=1m"], "--poll.timeout: 1m is longer than --poll.interval (30s); a poll must end before the next one is due"],
    [["--poll.timeout=500ms"], "--poll.timeout: 500ms is out of range (1s to 1d)"],
    [["--poll.interval=5m", "--poll.max-staleness=1m"], "--poll.max-staleness: 1m is shorter than --poll.interval (5m); use 0s to keep data for ever, or at least one interval"],
    [["--poll.max-staleness=forever"], '--poll.max-staleness: "forever" is not a duration (use e.g. 30s, 5m, 1h)'],
  ])("rejects %j", (argv, message) => {
    expect(problems(argv)).toEqual([message]);
  });

  it("defaults --poll.timeout to the poll interval, at most 5 minutes, and reads it from its variable", () => {
    expect(run(["--poll.interval=30s"]).poll.timeoutMs).toBe(30_000);
    expect(run(["--poll.interval=1h"]).poll.timeoutMs).toBe(300_000);
    expect(run(["--poll.interval=1h"], { SSM_EXPORTER_POLL_TIMEOUT: "20m", SSM_EXPORTER_POLL_MAX_STALENESS: "0" }).poll).toMatchObject({ timeoutMs: 1_200_000, maxStalenessMs: 0 });
  });

  it("takes the region from the AWS SDK chain when none is configured, and says so when there is none", () => {
    expect(run([], {}, "ap-south-1").targets[0]?.regions).toEqual(["ap-south-1"]);
    expect(run(["--aws.region=eu-west-1"], {}, "ap-south-1").targets[0]?.regions).toEqual(["eu-west-1"]);
    expect(() => parseCommandLine([], {}, "1.2.3", undefined)).toThrow(new ConfigError(["no AWS region: set --aws.region, SSM_EXPORTER_AWS_REGION or AWS_REGION"]));
  });

  it("returns help text listing every flag with its variable", () => {
    const result = parseCommandLine(["--help"], {}, "1.2.3");
    expect(result.kind).toBe("help");
    const text = result.kind === "help" ? result.text : "";
    for (const flag of ["config.file", "poll.concurrency", "poll.timeout", "poll.max-staleness", "web.listen-address", "web.telemetry-path", "poll.interval", "aws.region", "aws.request-timeout", "aws.max-attempts", "ssm.filter", "log.level", "version"]) {
      expect(text).toContain(`--${flag}`);
    }
    expect(text.replace(/\s+/g, " ")).toContain("SSM_EXPORTER_POLL_INTERVAL");
  });

  it("returns the version", () => {
    expect(parseCommandLine(["--version"], {}, "1.2.3")).toEqual({ kind: "version", text: "1.2.3" });
  });
});

describe("parseCommandLine: one-shot mode", () => {
  const dir = mkdtempSync(join(tmpdir(), "once-config-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is off by default, on with --once or SSM_EXPORTER_ONCE=true, and --once.output names the file", () => {
    expect(run([]).once).toBeUndefined();
    expect(run(["--once"]).once).toEqual({ output: undefined });
    expect(run([], { SSM_EXPORTER_ONCE: "true" }).once).toEqual({ output: undefined });
    expect(run([], { SSM_EXPORTER_ONCE: "false" }).once).toBeUndefined();
    const file = join(dir, "ssm_associations.prom");
    expect(run(["--once", `--once.output=${file}`]).once).toEqual({ output: file });
    expect(run([], { SSM_EXPORTER_ONCE: "1", SSM_EXPORTER_ONCE_OUTPUT: file }).once).toEqual({ output: file });
  });

  it("lists --once and --once.output in the help", () => {
    const result = parseCommandLine(["--help"], {}, "1.2.3");
    const text = result.kind === "help" ? result.text.replace(/\s+/g, " ") : "";
    expect(text).toContain("--once one-shot mode");
    expect(text).toContain("[env SSM_EXPORTER_ONCE=true]");
    expect(text).toContain("--once.output <file>");
  });

  it("refuses --once.output without --once, an empty one, a missing folder, a folder as the file, and a switch value that is not true or false", () => {
    const file = join(dir, "x.prom");
    expect(problems([`--once.output=${file}`])).toEqual(["--once.output: needs --once (or SSM_EXPORTER_ONCE=true); the exposition is written to a file only in one-shot mode"]);
    expect(problems(["--once", "--once.output="])).toEqual(["--once.output: must name a file"]);
    expect(problems(["--once", `--once.output=${join(dir, "missing", "x.prom")}`])).toEqual([`--once.output: the folder ${join(dir, "missing")} does not exist`]);
    expect(problems(["--once"], { SSM_EXPORTER_ONCE_OUTPUT: dir })).toEqual([`SSM_EXPORTER_ONCE_OUTPUT: ${dir} is a folder; name a file in it (e.g. ${dir}/ssm_associations.prom)`]);
    expect(problems([], { SSM_EXPORTER_ONCE: "yes please" })).toEqual(['SSM_EXPORTER_ONCE: "yes please" is not true or false']);
  });

  it("ignores what only matters to a serving exporter (listeners, the interval), but still checks every value", () => {
    // There is no next poll: the timeout may exceed the interval; there is no listener: ports cannot clash.
    expect(run(["--once", "--poll.timeout=2m"]).poll.timeoutMs).toBe(120_000);
    expect(run(["--once", "--poll.max-staleness=1s"]).once).toEqual({ output: undefined });
    expect(run(["--once", "--web.listen-address=:9000", "--web.probe-listen-address=:9000"]).once).toEqual({ output: undefined });
    expect(problems(["--once", "--web.listen-address=9000"])).toEqual(['--web.listen-address: "9000" is not [host]:port (e.g. :9877, 127.0.0.1:9877)']);
  });
});
