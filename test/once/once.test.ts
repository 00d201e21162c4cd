import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { startSimulator, type RunningSimulator } from "../../dev/simulator/server.js";
import { waitFor } from "../helpers.js";
import { freePort, isListening, simulatorEnv, spawnExporter, type Spawned } from "../process.js";
import { promtoolCheckMetrics } from "../promtool.js";

const ACCOUNT = "123456789012";

/** stderr without the one warning an unsupported Node.js gets (test/main.test.ts checks that one). */
function logLines(run: Spawned): Record<string, unknown>[] {
  return run
    .stderr()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => !String(l.msg).includes("is not supported"));
}

/** Sample lines with the values of the series that measure time (the poll's moment and duration) masked. */
function modTimings(exposition: string): string[] {
  const timed = /^(aws_ssm_exporter_last_success_timestamp_seconds|aws_ssm_exporter_poll_duration_seconds|aws_ssm_association_next_execution_timestamp_seconds|aws_ssm_association_previous_scheduled_execution_timestamp_seconds)\{/;
  return exposition.split("\n").map((l) => (timed.test(l) ? l.replace(/ [^ ]+$/, " <time>") : l));
}

function samples(exposition: string): string[] {
  return exposition.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
}

describe("--once against the simulator", () => {
  let simulator: RunningSimulator;
  const dir = mkdtempSync(join(tmpdir(), "once-"));
  beforeAll(async () => {
    simulator = await startSimulator();
    simulator.sim.generate({ region: "us-east-1" }, 120, 1);
    simulator.sim.generate({ region: "eu-west-1" }, 30, 2);
  });
  afterEach(() => simulator.sim.clearFaults());
  afterAll(async () => {
    await simulator.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const env = () => simulatorEnv(simulator.url, ["us-east-1", "eu-west-1"]);
  const spawn = (args: string[]): Spawned => {
    const run = spawnExporter(args, env());
    onTestFinished(() => {
      run.child.kill("SIGKILL"); // a no-op once it has exited
    });
    return run;
  };

  it("prints the exposition on stdout (promtool-clean, every association, up 1, no timestamps, no process metrics), logs nothing on success, exits 0", async () => {
    const run = spawn(["--once"]);
    expect(await run.exited()).toEqual({ code: 0, signal: null });
    expect(logLines(run)).toEqual([]);
    const text = run.stdout();
    expect(promtoolCheckMetrics(text)).toBe("");

    const families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
    expect(families.get("aws_ssm_association_info")?.metrics).toHaveLength(150);
    expect(families.get("aws_ssm_association_status")?.metrics).toHaveLength(3 * 150);
    expect(families.get("aws_ssm_exporter_up")?.metrics).toEqual([
      { labels: { account_id: ACCOUNT, region: "us-east-1" }, value: "1" },
      { labels: { account_id: ACCOUNT, region: "eu-west-1" }, value: "1" },
    ]);
    expect(families.get("aws_ssm_exporter_associations")?.metrics.map((m) => m.value)).toEqual(["120", "30"]);
    for (const name of [
      "aws_ssm_exporter_last_success_timestamp_seconds",
      "aws_ssm_exporter_poll_duration_seconds",
      "aws_ssm_exporter_api_requests_total",
      "aws_ssm_exporter_polls_total",
      "aws_ssm_exporter_build_info",
    ]) {
      expect(families.get(name)?.metrics.length, name).toBeGreaterThan(0);
    }
    expect([...families.keys()].filter((n) => n.startsWith("process_") || n.startsWith("nodejs_"))).toEqual([]);
    // The textfile collector refuses samples with timestamps: every sample is `name{labels} value`, nothing after.
    const lines = samples(text);
    expect(lines.length).toBeGreaterThan(150 * 7);
    expect(lines.filter((l) => !/^[a-z_:]+(\{.*\})? [^ ]+$/.test(l))).toEqual([]);
  });

  it("--once.output writes the file atomically (nothing else left in the folder), the same exposition as stdout modulo timings; stdout stays empty", async () => {
    const file = join(dir, "ssm_associations.prom");
    writeFileSync(file, "# the previous run's file\n");
    const toFile = spawn(["--once", `--once.output=${file}`]);
    expect(await toFile.exited()).toEqual({ code: 0, signal: null });
    expect(toFile.stdout()).toBe("");
    expect(logLines(toFile)).toEqual([]);
    expect(readdirSync(dir)).toEqual(["ssm_associations.prom"]);

    const toStdout = spawn(["--once"]);
    expect(await toStdout.exited()).toEqual({ code: 0, signal: null });
    expect(modTimings(readFileSync(file, "utf8"))).toEqual(modTimings(toStdout.stdout()));
    expect(toStdout.stdout()).toContain(`aws_ssm_exporter_up{account_id="${ACCOUNT}",region="eu-west-1"} 1`);
  });

  it("one region failing: exit 1, the file still written with up 0 for it and every series of the other region, one log line per failure", async () => {
    simulator.sim.injectFault({ kind: "AccessDeniedException", count: Infinity, operation: "ListAssociations", region: "eu-west-1" });
    const file = join(dir, "failing.prom");
    const run = spawn(["--once", `--once.output=${file}`]);
    expect(await run.exited()).toEqual({ code: 1, signal: null });
    expect(run.stdout()).toBe("");
    const text = readFileSync(file, "utf8");
    expect(promtoolCheckMetrics(text)).toBe("");
    expect(text).toContain(`aws_ssm_exporter_up{account_id="${ACCOUNT}",region="eu-west-1"} 0\n`);
    expect(text).toContain(`aws_ssm_exporter_up{account_id="${ACCOUNT}",region="us-east-1"} 1\n`);
    expect(text).toContain(`aws_ssm_exporter_polls_total{account_id="${ACCOUNT}",region="eu-west-1",outcome="AccessDeniedException"} 1\n`);
    const info = samples(text).filter((l) => l.startsWith("aws_ssm_association_info{"));
    expect(info.filter((l) => l.includes('region="us-east-1"'))).toHaveLength(120);
    expect(info.filter((l) => l.includes('region="eu-west-1"'))).toHaveLength(0);
    expect(logLines(run)).toMatchObject([
      { level: "warn", region: "eu-west-1", aws_error: "AccessDeniedException" },
      { level: "error", failed_targets: [`${ACCOUNT}/eu-west-1`], targets: 2, msg: expect.stringMatching(/^one-shot poll: 1 of 2 targets failed; the exposition was written/) as unknown },
    ]);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("with every enrichment flag: each association read once, the enrichment families in the file; a failing enrichment call is logged and counted but does not fail the run", async () => {
    simulator.sim.resetCounters();
    const flags = ["--once", "--ssm.describe-associations", "--ssm.tags", "--ssm.tag=team,owner", "--ssm.failed-targets"];
    const run = spawn(flags);
    expect(await run.exited()).toEqual({ code: 0, signal: null });
    expect(logLines(run)).toEqual([]);
    const text = run.stdout();
    expect(promtoolCheckMetrics(text)).toBe("");
    const failing = ["us-east-1", "eu-west-1"].flatMap((region) =>
      simulator.sim.getAssociations({ region }).filter((a) => (a.Overview?.AssociationStatusAggregatedCount?.Failed ?? 0) > 0),
    );
    expect(failing.length).toBeGreaterThan(0);
    expect([
      simulator.sim.callCount("DescribeAssociation"),
      simulator.sim.callCount("ListTagsForResource"),
      simulator.sim.callCount("DescribeAssociationExecutions"),
      simulator.sim.callCount("DescribeAssociationExecutionTargets"),
    ]).toEqual([150, 150, failing.length, failing.length]);
    const families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
    expect(families.get("aws_ssm_association_describe_info")?.metrics).toHaveLength(150);
    expect(families.get("aws_ssm_association_failed_targets_left_out")?.metrics).toHaveLength(failing.length);
    expect(families.get("aws_ssm_association_failed_target_info")?.metrics.length).toBeGreaterThanOrEqual(failing.length);
    expect(families.get("aws_ssm_association_info")?.metrics.every((m) => "tag_team" in (m.labels ?? {}) && "tag_owner" in (m.labels ?? {}))).toBe(true);

    simulator.sim.injectFault({ kind: "AccessDeniedException", count: Infinity, operation: "ListTagsForResource", region: "eu-west-1" });
    const denied = spawn(flags);
    expect(await denied.exited()).toEqual({ code: 0, signal: null });
    expect(logLines(denied)).toMatchObject([{ level: "warn", region: "eu-west-1", operation: "ListTagsForResource", aws_error: "AccessDeniedException", failed_associations: 30 }]);
    expect(denied.stdout()).toContain(`aws_ssm_exporter_enrichment_failures_total{account_id="${ACCOUNT}",region="eu-west-1",operation="ListTagsForResource",outcome="AccessDeniedException"} 30\n`);
    expect(denied.stdout()).toContain(`aws_ssm_exporter_up{account_id="${ACCOUNT}",region="eu-west-1"} 1\n`);
  });

  it("listens on nothing while it polls (the --web.* flags are ignored)", async () => {
    simulator.sim.injectFault({ kind: "slow", delayMs: 2_000, count: 1, operation: "ListAssociations", region: "us-east-1" });
    const port = await freePort();
    const calls = simulator.sim.callCount("ListAssociations");
    const run = spawn(["--once", `--web.listen-address=127.0.0.1:${port}`, `--web.probe-listen-address=127.0.0.1:${port}`, "--web.config.file=/nonexistent.yml"]);
    await waitFor(() => simulator.sim.callCount("ListAssociations") >= calls + 2, 10_000, "both regions' polls in flight");
    expect(await isListening(port)).toBe(false);
    expect(await run.exited()).toEqual({ code: 0, signal: null });
    expect(run.stdout()).toContain(`aws_ssm_exporter_up{account_id="${ACCOUNT}",region="us-east-1"} 1`);
  });

  it("SIGTERM during the poll: exit 1, nothing written, the previous file untouched, no temporary file left", async () => {
    simulator.sim.injectFault({ kind: "slow", delayMs: 10_000, count: 1, operation: "ListAssociations", region: "us-east-1" });
    const sub = join(dir, "sigterm");
    mkdirSync(sub);
    const file = join(sub, "ssm_associations.prom");
    writeFileSync(file, "# previous\n");
    const calls = simulator.sim.callCount("ListAssociations");
    const run = spawn(["--once", `--once.output=${file}`]);
    await waitFor(() => simulator.sim.callCount("ListAssociations") >= calls + 2, 10_000, "polls in flight");
    const sent = performance.now();
    run.child.kill("SIGTERM");
    expect(await run.exited()).toEqual({ code: 1, signal: null });
    expect(performance.now() - sent).toBeLessThan(5_000);
    expect(readFileSync(file, "utf8")).toBe("# previous\n");
    expect(readdirSync(sub)).toEqual(["ssm_associations.prom"]);
    expect(run.stdout()).toBe("");
    expect(logLines(run)).toMatchObject([{ level: "warn", signal: "SIGTERM", msg: "SIGTERM: aborting the one-shot poll; nothing is written" }]);
  });

  it("a file that cannot be written: exit 1 with one line, no temporary file left", async () => {
    simulator.sim.injectFault({ kind: "slow", delayMs: 1_000, count: 1, operation: "ListAssociations", region: "us-east-1" });
    const sub = join(dir, "unwritable");
    mkdirSync(sub);
    const file = join(sub, "ssm_associations.prom");
    const calls = simulator.sim.callCount("ListAssociations");
    const run = spawn(["--once", `--once.output=${file}`]);
    await waitFor(() => simulator.sim.callCount("ListAssociations") >= calls + 1, 10_000, "a poll in flight");
    mkdirSync(file); // after the start-up check: the rename over it fails
    expect(await run.exited()).toEqual({ code: 1, signal: null });
    expect(run.stderr().split("\n").filter((l) => l.startsWith("ssm-association-exporter: "))).toEqual([
      expect.stringMatching(new RegExp(`^ssm-association-exporter: --once.output: cannot write ${file}: EISDIR`)) as unknown,
    ]);
    expect(readdirSync(sub)).toEqual(["ssm_associations.prom"]);
    expect(run.stdout()).toBe("");
  });
});

describe("--once: bad configuration", () => {
  const dir = mkdtempSync(join(tmpdir(), "once-bad-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    [["--once", "--once.output=/nonexistent/folder/x.prom"], "--once.output: the folder /nonexistent/folder does not exist"],
    [[`--once.output=${join(dir, "x.prom")}`], "--once.output: needs --once (or SSM_EXPORTER_ONCE=true); the exposition is written to a file only in one-shot mode"],
    [["--once", `--once.output=${dir}`], `--once.output: ${dir} is a folder; name a file in it (e.g. ${dir}/ssm_associations.prom)`],
  ])("%j exits 2 with one line, before any poll", async (args, line) => {
    const run = spawnExporter(args, { AWS_REGION: "us-east-1" });
    expect(await run.exited()).toEqual({ code: 2, signal: null });
    expect(run.stderr()).toBe(`ssm-association-exporter: ${line}\n`);
    expect(run.stdout()).toBe("");
    expect(existsSync(join(dir, "x.prom"))).toBe(false);
  });
});
