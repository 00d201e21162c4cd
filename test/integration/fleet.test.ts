import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { sampleValue, samples, startStack, type Stack } from "./stack.js";

const DEFAULT_ACCOUNT = "123456789012";
const ROLE_A = "arn:aws:iam::111122223333:role/ssm-association-exporter";
const ROLE_B = "arn:aws:iam::444455556666:role/org/ssm-association-exporter";

/** account → region → associations in the simulator. */
const FLEET: Record<string, Record<string, number>> = {
  [DEFAULT_ACCOUNT]: { "us-east-1": 51, "eu-west-1": 0 },
  "111122223333": { "us-east-1": 120, "ap-southeast-2": 1 },
  "444455556666": { "eu-central-1": 50 },
};
const TARGETS = Object.entries(FLEET).flatMap(([accountId, regions]) => Object.entries(regions).map(([region, n]) => ({ accountId, region, n })));

const CONFIG = `
targets:
  - regions: [us-east-1, eu-west-1]
  - role_arn: ${ROLE_A}
    external_id: fleet-monitoring
    regions: [us-east-1, ap-southeast-2]
  - role_arn: ${ROLE_B}
    session_name: fleet-test
    regions: [eu-central-1]
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "ssm-fleet-"));
  writeFileSync(join(dir, "targets.yaml"), CONFIG);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fleetStack(prepare?: Parameters<typeof startStack>[0]["seed"]) {
  return startStack({
    regions: [],
    flags: [`--config.file=${join(dir, "targets.yaml")}`, "--poll.concurrency=2", "--aws.max-attempts=2"],
    seed: (s) => {
      for (const [i, { accountId, region, n }] of TARGETS.entries()) s.sim.generate({ accountId, region }, n, 50 + i);
      s.sim.requireExternalId(ROLE_A, "fleet-monitoring");
      prepare?.(s);
    },
  });
}

describe("several accounts and regions from --config.file", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await fleetStack();
  });
  afterAll(() => stack.close());

  it("serves every target's associations under its own account_id and region, all up", async () => {
    const text = await stack.scrape();
    for (const { accountId, region, n } of TARGETS) {
      const info = samples(text, "aws_ssm_association_info").filter((s) => s.labels.account_id === accountId && s.labels.region === region);
      expect(info, `${accountId}/${region}`).toHaveLength(n);
      expect(sampleValue(text, "aws_ssm_exporter_up", { account_id: accountId, region })).toBe(1);
      expect(sampleValue(text, "aws_ssm_exporter_associations", { account_id: accountId, region })).toBe(n);
    }
    expect(samples(text, "aws_ssm_exporter_up")).toHaveLength(TARGETS.length);
  });

  it("made, over the process lifetime so far, one GetCallerIdentity (own credentials) and one AssumeRole per role", () => {
    const { sim } = stack.simulator;
    expect(sim.callCount("GetCallerIdentity")).toBe(1);
    expect(sim.callCount("AssumeRole")).toBe(2);
    expect(sim.callCount("AssumeRole", { accountId: DEFAULT_ACCOUNT, region: "us-east-1" })).toBe(1); // role A, asked from its first region
    expect(sim.callCount("AssumeRole", { accountId: DEFAULT_ACCOUNT, region: "eu-central-1" })).toBe(1); // role B
  });

  it("makes exactly max(1, ⌈N/50⌉) ListAssociations calls per target and poll, and nothing else", async () => {
    const { sim } = stack.simulator;
    for (let poll = 0; poll < 2; poll++) {
      sim.resetCounters();
      await stack.poll();
      for (const { accountId, region, n } of TARGETS) {
        expect(sim.callCount("ListAssociations", { accountId, region }), `${accountId}/${region}`).toBe(Math.max(1, Math.ceil(n / 50)));
      }
      const total = TARGETS.reduce((sum, { n }) => sum + Math.max(1, Math.ceil(n / 50)), 0);
      expect(sim.callCount("ListAssociations")).toBe(total);
      expect(sim.callCount("GetCallerIdentity")).toBe(0);
      expect(sim.callCount("AssumeRole")).toBe(0);
    }
  });

  it("counts every attempt per account and region, AssumeRole included", async () => {
    const text = await stack.scrape();
    expect(sampleValue(text, "aws_ssm_exporter_api_requests_total", { account_id: "111122223333", region: "us-east-1", operation: "ListAssociations", outcome: "success" })).toBeGreaterThanOrEqual(3);
    expect(sampleValue(text, "aws_ssm_exporter_api_requests_total", { account_id: "111122223333", region: "us-east-1", operation: "AssumeRole", outcome: "success" })).toBe(1);
    expect(sampleValue(text, "aws_ssm_exporter_api_requests_total", { account_id: DEFAULT_ACCOUNT, region: "us-east-1", operation: "GetCallerIdentity", outcome: "success" })).toBe(1);
    // Per-target counters exist from the start at 0, and no series is ever labelled with an empty account.
    for (const { accountId, region } of TARGETS) {
      expect(sampleValue(text, "aws_ssm_exporter_polls_skipped_total", { account_id: accountId, region }), `${accountId}/${region}`).toBe(0);
      expect(sampleValue(text, "aws_ssm_exporter_polls_total", { account_id: accountId, region, outcome: "success" }), `${accountId}/${region}`).toBeGreaterThanOrEqual(1);
    }
    expect(text).not.toContain('account_id=""');
  });

  it("a throttled target goes down alone; the others stay up with fresh data", async () => {
    const { sim } = stack.simulator;
    sim.injectFault({ kind: "ThrottlingException", count: Infinity, accountId: "111122223333", region: "us-east-1", operation: "ListAssociations" });
    try {
      sim.setStatus({ accountId: "444455556666", region: "eu-central-1" }, (sim.getAssociations({ accountId: "444455556666", region: "eu-central-1" })[0]?.AssociationId) ?? "", "Failed", "Failed");
      await stack.poll();
      const text = await stack.scrape();
      for (const { accountId, region } of TARGETS) {
        const expected = accountId === "111122223333" && region === "us-east-1" ? 0 : 1;
        expect(sampleValue(text, "aws_ssm_exporter_up", { account_id: accountId, region }), `${accountId}/${region}`).toBe(expected);
      }
      expect(samples(text, "aws_ssm_association_info").filter((s) => s.labels.account_id === "111122223333" && s.labels.region === "us-east-1")).toHaveLength(120);
      expect(samples(text, "aws_ssm_association_status").filter((s) => s.labels.account_id === "444455556666" && s.labels.status === "Failed" && s.value === 1).length).toBeGreaterThan(0);
    } finally {
      sim.clearFaults();
    }
  });
});

describe("a role that cannot be assumed", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await fleetStack((s) => s.sim.denyAssumeRole(ROLE_B));
  });
  afterAll(() => stack.close());

  it("marks only that target down, says AssumeRole AccessDenied once per poll, and keeps the others", async () => {
    const text = await stack.scrape();
    expect(sampleValue(text, "aws_ssm_exporter_up", { account_id: "444455556666", region: "eu-central-1" })).toBe(0);
    expect(samples(text, "aws_ssm_association_info").filter((s) => s.labels.account_id === "444455556666")).toEqual([]);
    for (const { accountId, region } of TARGETS.filter((t) => t.accountId !== "444455556666")) {
      expect(sampleValue(text, "aws_ssm_exporter_up", { account_id: accountId, region })).toBe(1);
    }
    const failures = stack.logLines.filter((l) => String(l.msg).startsWith("poll failed"));
    expect(failures).toEqual([
      expect.objectContaining({ account_id: "444455556666", region: "eu-central-1", operation: "AssumeRole", aws_error: "AccessDenied" }),
    ]);
    // One broken member role never makes the pod NotReady: every target's first poll has finished.
    expect((await fetch(stack.metricsUrl.replace(/\/metrics$/, "/readyz"))).status).toBe(200);
    expect(sampleValue(text, "aws_ssm_exporter_polls_total", { account_id: "444455556666", region: "eu-central-1", outcome: "AccessDenied" })).toBe(1);

    stack.simulator.sim.allowAssumeRole(ROLE_B);
    await stack.poll();
    expect(sampleValue(await stack.scrape(), "aws_ssm_exporter_up", { account_id: "444455556666", region: "eu-central-1" })).toBe(1);
  });
});

describe("assumed-role credentials", () => {
  let stack: Stack;
  beforeAll(async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    stack = await fleetStack();
  });
  afterEach(() => stack.simulator.sim.resetCounters());
  afterAll(async () => {
    await stack.close();
    vi.useRealTimers();
  });

  it("are reused until 5 minutes before they expire, then refreshed once per role", async () => {
    const { sim } = stack.simulator;
    sim.resetCounters();
    vi.setSystemTime(Date.now() + 54 * 60_000); // 54 of the 60 minutes: still valid for more than 5 minutes
    await stack.poll();
    expect(sim.callCount("AssumeRole")).toBe(0);

    vi.setSystemTime(Date.now() + 2 * 60_000); // 56 minutes: inside the 5-minute refresh window
    await stack.poll();
    expect(sim.callCount("AssumeRole")).toBe(2);
    expect(sim.callCount("GetCallerIdentity")).toBe(0);
    const text = await stack.scrape();
    for (const { accountId, region } of TARGETS) expect(sampleValue(text, "aws_ssm_exporter_up", { account_id: accountId, region })).toBe(1);

    sim.resetCounters();
    await stack.poll();
    expect(sim.callCount("AssumeRole")).toBe(0);
  });
});
