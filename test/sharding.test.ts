import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../dev/simulator/server.js";
import { parseCommandLine } from "../src/config/config.js";
import { configProblems, runConfig } from "./config/command-line.js";
import { startExporter, type RunningExporter } from "../src/exporter.js";
import { inShard, shardKey, shardOf } from "../src/sharding.js";
import { captureLogger } from "./helpers.js";
import { samples, useSimulatorEndpoint } from "./integration/stack.js";

/** 100 accounts × 4 regions, as a config file would list them (every account through its role). */
const REGIONS = ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2"];
const fleet = Array.from({ length: 100 }, (_, i) => ({
  accountId: undefined,
  roleArn: `arn:aws:iam::${String(100_000_000_000 + i * 7_919).padStart(12, "0")}:role/ssm-association-exporter`,
}));
const keys = fleet.flatMap((t) => REGIONS.map((region) => shardKey(t, region)));

describe("shardOf", () => {
  it.each([1, 2, 3, 5])("n = %i splits every target×region into n disjoint shards whose union is everything, none of them empty", (n) => {
    const shards = Array.from({ length: n }, (_, i) => new Set(keys.filter((k) => shardOf(k, n) === i)));
    expect(shards.reduce((sum, s) => sum + s.size, 0)).toBe(keys.length);
    expect(new Set(shards.flatMap((s) => [...s])).size).toBe(keys.length);
    // 400 targets: each shard within ±25% of an even split.
    for (const s of shards) expect(Math.abs(s.size - keys.length / n)).toBeLessThanOrEqual(keys.length / n / 4);
  });

  it("depends on the key and n only: the same shard in any order, any process, any release (pinned values)", () => {
    const forward = keys.map((k) => shardOf(k, 3));
    const backward = [...keys].reverse().map((k) => shardOf(k, 3)).reverse();
    expect(backward).toEqual(forward);
    // Pinned: a change of the hash would move targets between replicas on upgrade.
    expect(["123456789012/eu-west-1", "default/us-east-1", "210987654321/ap-southeast-2"].map((k) => [2, 3, 5, 16].map((n) => shardOf(k, n)))).toEqual([
      [0, 1, 3, 8],
      [1, 1, 2, 1],
      [0, 1, 3, 2],
    ]);
  });

  it("a target moves only when n changes: adding or removing other targets never moves it", () => {
    const before = new Map(keys.map((k) => [k, shardOf(k, 3)]));
    const more = [...keys, ...REGIONS.map((r) => `999999999999/${r}`)];
    for (const k of more.slice(0, keys.length)) expect(shardOf(k, 3)).toBe(before.get(k));
  });

  it("refuses a number of shards that is not a whole number ≥ 1", () => {
    expect(() => shardOf("x", 0)).toThrow(RangeError);
    expect(() => shardOf("x", 1.5)).toThrow(RangeError);
  });
});

describe("shardKey", () => {
  it("is the account id known without AWS (configured, else from the role ARN), else default, and the region", () => {
    expect(shardKey({ accountId: "012345678901", roleArn: undefined }, "us-east-1")).toBe("012345678901/us-east-1");
    expect(shardKey({ accountId: undefined, roleArn: "arn:aws:iam::111122223333:role/x" }, "eu-west-1")).toBe("111122223333/eu-west-1");
    expect(shardKey({ accountId: "111122223333", roleArn: "arn:aws:iam::111122223333:role/x" }, "eu-west-1")).toBe("111122223333/eu-west-1");
    expect(shardKey({ accountId: undefined, roleArn: undefined }, "eu-west-1")).toBe("default/eu-west-1");
    expect(inShard({ accountId: undefined, roleArn: undefined }, "eu-west-1", { index: 0, total: 1 })).toBe(true);
  });
});

const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => runConfig(["--aws.region=us-east-1", ...argv], env);
const problems = (argv: string[], env: NodeJS.ProcessEnv = {}) => configProblems(["--aws.region=us-east-1", ...argv], env);

describe("--shard, --total-shards, --shard.pod-name", () => {
  it("not sharded by default; the shard from the flag, its variable, or the ordinal of a StatefulSet pod name", () => {
    expect(run([]).shard).toEqual({ index: 0, total: 1 });
    expect(run(["--shard=2", "--total-shards=3"]).shard).toEqual({ index: 2, total: 3 });
    expect(run([], { SSM_EXPORTER_SHARD: "1", SSM_EXPORTER_TOTAL_SHARDS: "2" }).shard).toEqual({ index: 1, total: 2 });
    expect(run(["--shard.pod-name=ssm-association-exporter-4", "--total-shards=5"]).shard).toEqual({ index: 4, total: 5 });
    expect(run(["--total-shards=5"], { SSM_EXPORTER_SHARD_POD_NAME: "my-release-ssm-association-exporter-0" }).shard).toEqual({ index: 0, total: 5 });
  });

  it("names every bad value", () => {
    expect(problems(["--shard=3", "--total-shards=3"])).toEqual(["--shard: shard 3 does not exist with --total-shards=3 (shards are 0 to 2)"]);
    expect(problems(["--shard=1"])).toEqual(["--shard: shard 1 does not exist with --total-shards=1 (shards are 0 to 0)"]);
    expect(problems(["--shard=-1", "--total-shards=2"])).toEqual(['--shard: "-1" is not a whole number from 0']);
    expect(problems(["--total-shards=0"])).toEqual(['--total-shards: "0" is not a whole number from 1 to 1000']);
    expect(problems(["--shard.pod-name=exporter", "--total-shards=2"])).toEqual([
      '--shard.pod-name: "exporter" does not end in -<ordinal> (a StatefulSet pod name such as ssm-association-exporter-0)',
    ]);
    expect(problems(["--shard.pod-name=exporter-1", "--shard=1", "--total-shards=2"])).toEqual(["--shard.pod-name: cannot be combined with --shard; give the shard one way"]);
    expect(problems(["--shard.pod-name=exporter-7", "--total-shards=2"])).toEqual(["--shard.pod-name: shard 7 does not exist with --total-shards=2 (shards are 0 to 1)"]);
  });
});

describe("three replicas against one simulator", () => {
  const accounts = ["111111111111", "222222222222", "333333333333", "444444444444"];
  let simulator: RunningSimulator;
  let dir: string;
  const exporters: RunningExporter[] = [];

  beforeAll(async () => {
    simulator = await startSimulator();
    useSimulatorEndpoint(simulator);
    dir = mkdtempSync(join(tmpdir(), "shards-"));
    accounts.forEach((account, i) => REGIONS.forEach((region, j) => simulator.sim.generate({ region, accountId: account }, 5 + i + j, 10 * i + j)));
    const targets = accounts.map((account) => `  - role_arn: arn:aws:iam::${account}:role/ssm-association-exporter\n    regions: [${REGIONS.join(", ")}]\n`).join("");
    writeFileSync(join(dir, "targets.yaml"), `targets:\n${targets}`);
  });

  afterAll(async () => {
    for (const e of exporters) await e.close();
    await simulator.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function replica(flags: readonly string[]): Promise<{ exporter: RunningExporter; text: string; lines: Record<string, unknown>[] }> {
    const commandLine = parseCommandLine(["--web.listen-address=127.0.0.1:0", "--poll.interval=1h", `--config.file=${join(dir, "targets.yaml")}`, ...flags], {}, "0.0.0-test");
    if (commandLine.kind !== "run") throw new Error("unexpected command line");
    const { logger, lines } = captureLogger();
    const build = { name: "ssm-association-exporter", version: "0.0.0-test", revision: "test", nodejsVersion: process.version };
    const exporter = await startExporter(commandLine.config, { logger, build, defaultMetrics: false });
    exporters.push(exporter);
    await exporter.poller.pollOnce();
    return { exporter, text: await (await fetch(`${exporter.server.url}/metrics`)).text(), lines };
  }

  const upTargets = (text: string) => samples(text, "aws_ssm_exporter_up").map((s) => `${s.labels.account_id}/${s.labels.region}`);
  const associations = (text: string) => samples(text, "aws_ssm_association_info").map((s) => s.labels.association_id);

  it("n = 1, 2, 3: disjoint targets whose union is every target, every association exported exactly once, the same ListAssociations calls in total as one replica", async () => {
    const everything = accounts.flatMap((a) => REGIONS.map((r) => `${a}/${r}`)).sort();
    const allAssociations = accounts.flatMap((accountId) => REGIONS.flatMap((region) => simulator.sim.getAssociations({ region, accountId }).map((a) => a.AssociationId))).sort();
    let callsOfOne = 0;
    for (const n of [1, 2, 3]) {
      simulator.sim.resetCounters();
      const texts: string[] = [];
      for (let i = 0; i < n; i++) {
        const { text } = await replica([`--shard=${i}`, `--total-shards=${n}`]);
        texts.push(text);
        expect(text).toContain(`aws_ssm_exporter_shard_ordinal ${i}\n`);
        expect(text).toContain(`aws_ssm_exporter_total_shards ${n}\n`);
      }
      const perReplica = texts.map(upTargets);
      expect(perReplica.flat().sort(), `n=${n}`).toEqual(everything);
      expect(new Set(perReplica.flat()).size).toBe(everything.length);
      for (const t of texts) expect(samples(t, "aws_ssm_exporter_up").every((s) => s.value === 1)).toBe(true);
      expect(texts.flatMap(associations).sort()).toEqual(allAssociations);
      const calls = simulator.sim.callCount("ListAssociations");
      if (n === 1) callsOfOne = calls;
      expect(calls, `n=${n}`).toBe(callsOfOne);
      for (const e of exporters.splice(0)) await e.close();
    }
  });

  it("a shard that owns no target is ready at once, serves no target series and says which shard it is", async () => {
    // 16 target×regions over 40 shards: some shards own none.
    const owned = new Set(accounts.flatMap((a) => REGIONS.map((r) => shardOf(`${a}/${r}`, 40))));
    const empty = Array.from({ length: 40 }, (_, i) => i).find((i) => !owned.has(i));
    if (empty === undefined) throw new Error("every shard owns a target");
    const { exporter, text, lines } = await replica([`--shard=${empty}`, "--total-shards=40"]);
    expect((await fetch(`${exporter.server.url}/readyz`)).status).toBe(200);
    expect(upTargets(text)).toEqual([]);
    expect(text).toContain(`aws_ssm_exporter_shard_ordinal ${empty}\n`);
    expect(lines.find((l) => l.msg === "exporter started")).toMatchObject({ shard: empty, total_shards: 40, polled_targets: 0, configured_targets: 16 });
  });
});
