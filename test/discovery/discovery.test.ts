import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { OrgAccountInfo } from "../../dev/simulator/organization.js";
import { startSimulator, type RunningSimulator } from "../../dev/simulator/server.js";
import { parseCommandLine } from "../../src/config/config.js";
import { startExporter, type RunningExporter } from "../../src/exporter.js";
import { captureLogger, waitFor } from "../helpers.js";
import { simulatorEnv, spawnExporter } from "../process.js";
import { promtoolCheckMetrics } from "../promtool.js";
import { sampleValue, samples, useSimulatorEndpoint } from "../integration/stack.js";

const REGIONS = ["us-east-1", "eu-west-1"];
const MANAGEMENT = "123456789012";

interface DiscoveryStack {
  readonly simulator: RunningSimulator;
  readonly exporter: RunningExporter;
  readonly lines: Record<string, unknown>[];
  readonly accounts: OrgAccountInfo[];
  scrape(): Promise<string>;
  /** Accounts with an `up` series, sorted. */
  polledAccounts(text: string): string[];
}

let stacks: { exporter: RunningExporter; simulator: RunningSimulator; dir: string }[] = [];
afterEach(async () => {
  for (const s of stacks) {
    await s.exporter.close();
    await s.simulator.close();
    rmSync(s.dir, { recursive: true, force: true });
  }
  stacks = [];
});

/** An organization of `count` accounts (the management one included) in the simulator, each ACTIVE one with associations; the exporter discovering it. */
async function start(count: number, organization: string, flags: readonly string[] = []): Promise<DiscoveryStack> {
  const simulator = await startSimulator();
  useSimulatorEndpoint(simulator);
  process.env.AWS_ENDPOINT_URL_ORGANIZATIONS = simulator.url;
  const accounts = simulator.sim.organization().generateOrganization({ accounts: count, seed: 3, managementAccountId: MANAGEMENT });
  accounts.forEach((a, i) => REGIONS.forEach((region, j) => simulator.sim.generate({ region, accountId: a.Id }, 2 + ((i + j) % 3), 100 * i + j)));
  const dir = mkdtempSync(join(tmpdir(), "discovery-"));
  writeFileSync(join(dir, "targets.yaml"), `organization:\n  member_role: "arn:aws:iam::{account_id}:role/ssm-association-exporter"\n  regions: [${REGIONS.join(", ")}]\n${organization}`);
  const commandLine = parseCommandLine(["--web.listen-address=127.0.0.1:0", "--poll.interval=1h", `--config.file=${join(dir, "targets.yaml")}`, ...flags], {}, "0.0.0-test");
  if (commandLine.kind !== "run") throw new Error("unexpected command line");
  const { logger, lines } = captureLogger();
  const build = { name: "ssm-association-exporter", version: "0.0.0-test", revision: "test", nodejsVersion: process.version };
  const exporter = await startExporter(commandLine.config, { logger, build, defaultMetrics: false });
  stacks.push({ exporter, simulator, dir });
  await exporter.poller.pollOnce();
  return {
    simulator,
    exporter,
    lines,
    accounts,
    scrape: async () => (await fetch(`${exporter.server.url}/metrics`)).text(),
    polledAccounts: (text) => [...new Set(samples(text, "aws_ssm_exporter_up").map((s) => s.labels.account_id ?? ""))].sort(),
  };
}

const active = (accounts: readonly OrgAccountInfo[]) => accounts.filter((a) => a.Status === "ACTIVE" && a.State === "ACTIVE");

describe("account discovery (organization section)", () => {
  it("polls every ACTIVE account in every region through its member role, all ListAccounts pages read, names on aws_ssm_account_info only", async () => {
    const stack = await start(45, "");
    const want = active(stack.accounts).map((a) => a.Id).sort();
    expect(want.length).toBeGreaterThan(30);
    expect(want.length).toBeLessThan(45); // the generator suspends and closes some
    const text = await stack.scrape();
    expect(stack.polledAccounts(text)).toEqual(want);
    expect(samples(text, "aws_ssm_exporter_up")).toHaveLength(want.length * REGIONS.length);
    expect(samples(text, "aws_ssm_exporter_up").every((s) => s.value === 1)).toBe(true);
    expect(stack.simulator.sim.callCount("ListAccounts")).toBe(3); // 45 accounts, 20 a page
    const info = samples(text, "aws_ssm_account_info");
    expect(info.map((s) => [s.labels.account_id, s.labels.account_name]).sort()).toEqual(active(stack.accounts).map((a) => [a.Id, a.Name]).sort());
    expect(samples(text, "aws_ssm_association_info").some((s) => "account_name" in s.labels)).toBe(false);
    expect(sampleValue(text, "aws_ssm_exporter_discovery_up", {})).toBe(1);
    expect(sampleValue(text, "aws_ssm_exporter_discovered_accounts", {})).toBe(want.length);
    expect(sampleValue(text, "aws_ssm_exporter_discovery_api_requests_total", { operation: "ListAccounts", outcome: "success" })).toBe(3);
    expect(promtoolCheckMetrics(text)).toBe("");
    const associations = want.flatMap((accountId) => REGIONS.flatMap((region) => stack.simulator.sim.getAssociations({ region, accountId })));
    expect(samples(text, "aws_ssm_association_info")).toHaveLength(associations.length);
  });

  it("include and exclude lists, and organizational units walked recursively", async () => {
    const stack = await start(30, "");
    const ous = stack.simulator.sim.organization().organizationalUnits();
    const workloads = ous.find((o) => o.Name === "Workloads");
    if (workloads === undefined) throw new Error("no Workloads OU");
    const below = new Set([workloads.Id]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const o of ous) if (below.has(o.ParentId) && !below.has(o.Id)) grew = below.add(o.Id) !== undefined;
    }
    const under = active(stack.accounts).filter((a) => below.has(a.ParentId));
    expect(under.length).toBeGreaterThan(1);
    const [excluded, ...rest] = under.map((a) => a.Id).sort();
    const byOu = await start(30, `  organizational_units: [${workloads.Id}]\n  exclude_accounts: ["${excluded}"]\n`);
    expect(byOu.polledAccounts(await byOu.scrape())).toEqual(rest);
    expect(byOu.simulator.sim.callCount("ListAccounts")).toBe(0);
    expect(byOu.simulator.sim.callCount("ListChildren")).toBeGreaterThanOrEqual(below.size);

    const included = rest.slice(0, 2);
    const byList = await start(30, `  include_accounts: [${included.map((id) => `"${id}"`).join(", ")}]\n`);
    expect(byList.polledAccounts(await byList.scrape())).toEqual(included);
  });

  it("an account added and one closed between discoveries: the new one is polled, the closed one's series disappear", async () => {
    const stack = await start(12, "");
    const org = stack.simulator.sim.organization();
    const before = stack.polledAccounts(await stack.scrape());
    const closing = before.find((id) => id !== MANAGEMENT);
    if (closing === undefined) throw new Error("no member account");
    org.closeAccount(closing);
    const added = org.addAccount({ name: "new-team" });
    REGIONS.forEach((region, j) => stack.simulator.sim.generate({ region, accountId: added.Id }, 3, 900 + j));
    expect(await stack.exporter.discovery?.runOnce()).toBe(true);
    await stack.exporter.poller.pollOnce();
    const text = await stack.scrape();
    expect(stack.polledAccounts(text)).toEqual([...before.filter((id) => id !== closing), added.Id].sort());
    expect(samples(text, "aws_ssm_association_info").some((s) => s.labels.account_id === closing)).toBe(false);
    expect(samples(text, "aws_ssm_association_info").filter((s) => s.labels.account_id === added.Id)).toHaveLength(6);
    expect(samples(text, "aws_ssm_account_info").map((s) => s.labels.account_id)).toContain(added.Id);
    expect(samples(text, "aws_ssm_account_info").map((s) => s.labels.account_id)).not.toContain(closing);
    expect(stack.lines.find((l) => l.msg === "accounts discovered" && Array.isArray(l.added) && l.added.includes(added.Id))).toMatchObject({ removed: [closing] });
  });

  it("a failing discovery keeps the last good account list, polled as before, and is counted and logged once", async () => {
    const stack = await start(12, "", ["--aws.max-attempts=1"]);
    const before = stack.polledAccounts(await stack.scrape());
    stack.simulator.sim.injectFault({ kind: "AccessDeniedException", count: Infinity, operation: "ListAccounts" });
    stack.simulator.sim.organization().addAccount({ name: "unseen" });
    expect(await stack.exporter.discovery?.runOnce()).toBe(false);
    await stack.exporter.poller.pollOnce();
    const text = await stack.scrape();
    expect(stack.polledAccounts(text)).toEqual(before);
    expect(samples(text, "aws_ssm_exporter_up").every((s) => s.value === 1)).toBe(true);
    expect(sampleValue(text, "aws_ssm_exporter_discovery_up", {})).toBe(0);
    expect(sampleValue(text, "aws_ssm_exporter_discovery_runs_total", { outcome: "AccessDeniedException" })).toBe(1);
    expect(sampleValue(text, "aws_ssm_exporter_discovery_runs_total", { outcome: "success" })).toBe(1);
    expect(sampleValue(text, "aws_ssm_exporter_discovered_accounts", {})).toBe(before.length);
    expect(stack.lines.filter((l) => typeof l.msg === "string" && l.msg.startsWith("account discovery failed"))).toMatchObject([
      { level: "warn", operation: "ListAccounts", aws_error: "AccessDeniedException", kept_accounts: before.length },
    ]);
  });

  it("an empty answer, an answer of the wrong shape, and one that never comes all fail the discovery the same way: the last list kept", async () => {
    const stack = await start(12, "", ["--aws.max-attempts=1", "--poll.timeout=2s"]);
    const before = stack.polledAccounts(await stack.scrape());
    const { sim } = stack.simulator;
    for (const [kind, outcome] of [
      ["emptyObject200", "InvalidResponse"],
      ["wrongTypes", "InvalidResponse"],
      ["slow", "PollTimeout"],
    ] as const) {
      sim.injectFault(kind === "slow" ? { kind, delayMs: 5_000, count: 1, operation: "ListAccounts" } : { kind, count: 1, operation: "ListAccounts" });
      const started = performance.now();
      expect(await stack.exporter.discovery?.runOnce(), kind).toBe(false);
      expect(performance.now() - started, kind).toBeLessThan(4_000);
      // The self-metrics are rendered at most once a second: wait for the counter rather than race it.
      const text = await waitFor(async () => {
        const t = await stack.scrape();
        return (sampleValue(t, "aws_ssm_exporter_discovery_runs_total", { outcome }) ?? 0) >= 1 ? t : undefined;
      }, 3_000, `${outcome} counted`);
      expect(stack.polledAccounts(text), kind).toEqual(before);
    }
    expect(stack.lines.filter((l) => typeof l.msg === "string" && l.msg.startsWith("account discovery failed")).map((l) => l.aws_error)).toEqual([
      "InvalidResponse",
      "InvalidResponse",
      "PollTimeout",
    ]);
  });

  it("sharded: the replicas split the discovered accounts' targets between them, each with the names of its own accounts", async () => {
    const stack = await start(10, "");
    const all = stack.polledAccounts(await stack.scrape());
    const texts: string[] = [];
    for (let i = 0; i < 2; i++) {
      const commandLine = parseCommandLine(
        ["--web.listen-address=127.0.0.1:0", "--poll.interval=1h", `--config.file=${join(stacks[0]?.dir ?? "", "targets.yaml")}`, `--shard=${i}`, "--total-shards=2"],
        {},
        "0.0.0-test",
      );
      if (commandLine.kind !== "run") throw new Error("unexpected command line");
      const build = { name: "ssm-association-exporter", version: "0.0.0-test", revision: "test", nodejsVersion: process.version };
      const replica = await startExporter(commandLine.config, { logger: captureLogger().logger, build, defaultMetrics: false });
      try {
        await replica.poller.pollOnce();
        texts.push(await (await fetch(`${replica.server.url}/metrics`)).text());
      } finally {
        await replica.close();
      }
    }
    const targets = texts.map((t) => samples(t, "aws_ssm_exporter_up").map((s) => `${s.labels.account_id}/${s.labels.region}`));
    expect([...(targets[0] ?? []), ...(targets[1] ?? [])].sort()).toEqual(all.flatMap((a) => REGIONS.map((r) => `${a}/${r}`)).sort());
    expect(new Set([...(targets[0] ?? []), ...(targets[1] ?? [])]).size).toBe(all.length * REGIONS.length);
    for (const [i, t] of texts.entries()) {
      const own = new Set(targets[i]?.map((k) => k.split("/")[0]));
      expect(new Set(samples(t, "aws_ssm_account_info").map((s) => s.labels.account_id))).toEqual(own);
    }
  });

  it("--once discovers once, then polls every discovered account; a failing discovery exits 1 after writing what the configured targets gave", async () => {
    const stack = await start(8, "");
    const file = join(stacks[0]?.dir ?? "", "targets.yaml");
    writeFileSync(file, `${readFileSync(file, "utf8")}targets:\n  - account_id: "${MANAGEMENT}"\n    regions: [ap-southeast-2]\n`);
    const env = simulatorEnv(stack.simulator.url, REGIONS);
    delete env.SSM_EXPORTER_AWS_REGION;
    const ok = spawnExporter(["--once", `--config.file=${file}`], env);
    expect(await ok.exited()).toEqual({ code: 0, signal: null });
    const want = active(stack.accounts).map((a) => a.Id);
    const text = ok.stdout();
    expect(new Set(samples(text, "aws_ssm_exporter_up").map((s) => `${s.labels.account_id}/${s.labels.region}`))).toEqual(
      new Set([...want.flatMap((id) => REGIONS.map((r) => `${id}/${r}`)), `${MANAGEMENT}/ap-southeast-2`]),
    );
    expect(samples(text, "aws_ssm_account_info")).toHaveLength(want.length);

    stack.simulator.sim.injectFault({ kind: "AccessDeniedException", count: Infinity, operation: "ListAccounts" });
    const denied = spawnExporter(["--once", `--config.file=${file}`], env);
    expect(await denied.exited()).toEqual({ code: 1, signal: null });
    expect(samples(denied.stdout(), "aws_ssm_exporter_up").map((s) => `${s.labels.account_id}/${s.labels.region}`)).toEqual([`${MANAGEMENT}/ap-southeast-2`]);
    expect(denied.stdout()).toContain("aws_ssm_exporter_discovery_up 0\n");
    // Without the one warning an unsupported Node.js gets (test/main.test.ts checks that one).
    const lines = denied
      .stderr()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => !String(l.msg).includes("is not supported"));
    expect(lines.filter((l) => l.level === "warn" || l.level === "error").map((l) => String(l.msg).split(":")[0])).toEqual(["account discovery failed", "one-shot poll"]);
  });
});
