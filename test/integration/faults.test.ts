import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sampleValue, samples, startStack, type Stack } from "./stack.js";

const healthy = "us-east-1";
const broken = "eu-west-1";

describe("faults", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      regions: [healthy, broken],
      flags: ["--aws.max-attempts=2"],
      seed: (s) => {
        s.sim.generate({ region: healthy }, 30, 1);
        s.sim.generate({ region: broken }, 60, 2);
      },
    });
  });
  afterAll(() => stack.close());
  afterEach(() => stack.simulator.sim.clearFaults());

  const failureLines = () => stack.logLines.filter((l) => String(l.msg).startsWith("poll failed"));
  const up = (text: string, region: string) => sampleValue(text, "aws_ssm_exporter_up", { region });
  const brokenSeries = (text: string) => samples(text, "aws_ssm_association_status").filter((s) => s.labels.region === broken);

  it.each([
    ["http500", "HTTP500"],
    ["ThrottlingException", "ThrottlingException"],
    ["InternalServerError", "InternalServerError"],
  ] as const)("%s on every call: last good series stay, up 0, one log line naming operation and code", async (kind, code) => {
    const before = await stack.scrape();
    expect(brokenSeries(before)).toHaveLength(180);
    const linesBefore = failureLines().length;

    stack.simulator.sim.injectFault({ kind, count: Infinity, region: broken, operation: "ListAssociations" });
    await stack.poll();

    const during = await stack.scrape();
    expect(up(during, broken)).toBe(0);
    expect(up(during, healthy)).toBe(1);
    expect(brokenSeries(during)).toEqual(brokenSeries(before));
    const lines = failureLines().slice(linesBefore);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "warn", region: broken, operation: "ListAssociations", aws_error: code, account_id: "123456789012" });
    expect(String(lines[0]?.msg)).toContain(`ListAssociations ${code}`);
    // Every attempt is counted, retries included.
    expect(sampleValue(during, "aws_ssm_exporter_api_requests_total", { region: broken, operation: "ListAssociations", outcome: code })).toBeGreaterThanOrEqual(2);
    expect(sampleValue(during, "aws_ssm_exporter_last_success_timestamp_seconds", { region: broken })).toBeGreaterThan(0);

    stack.simulator.sim.clearFaults();
    await stack.poll();
    const after = await stack.scrape();
    expect(up(after, broken)).toBe(1);
    expect(failureLines().slice(linesBefore)).toHaveLength(1);
  });
});

describe("a region failing from the start", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      regions: [healthy, broken],
      flags: ["--aws.max-attempts=1"],
      seed: (s) => {
        s.sim.generate({ region: healthy }, 5, 1);
        s.sim.generate({ region: broken }, 5, 2);
        s.sim.injectFault({ kind: "AccessDeniedException", count: Infinity, region: broken, operation: "ListAssociations" });
      },
    });
  });
  afterAll(() => stack.close());

  it("is ready (serving), exports up 0 and no association series for it, then recovers", async () => {
    const readyz = () => fetch(stack.metricsUrl.replace(/\/metrics$/, "/readyz"));
    // Readiness means serving: the broken region shows as up 0 and its alert, never as a NotReady pod.
    expect((await readyz()).status).toBe(200);
    const text = await stack.scrape();
    expect(sampleValue(text, "aws_ssm_exporter_up", { region: broken })).toBe(0);
    expect(sampleValue(text, "aws_ssm_exporter_last_success_timestamp_seconds", { region: broken })).toBeUndefined();
    expect(samples(text, "aws_ssm_association_info").filter((s) => s.labels.region === broken)).toEqual([]);
    expect(samples(text, "aws_ssm_association_info").filter((s) => s.labels.region === healthy)).toHaveLength(5);

    stack.simulator.sim.clearFaults();
    await stack.poll();
    expect((await readyz()).status).toBe(200);
    expect(sampleValue(await stack.scrape(), "aws_ssm_exporter_up", { region: broken })).toBe(1);
  });
});

describe("STS failing", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      regions: [healthy],
      flags: ["--aws.max-attempts=1"],
      seed: (s) => {
        s.sim.generate({ region: healthy }, 3, 1);
        s.sim.injectFault({ kind: "InternalServerError", count: 1, operation: "GetCallerIdentity" });
      },
    });
  });
  afterAll(() => stack.close());

  it("names GetCallerIdentity in the log line, and the next poll asks STS again", async () => {
    const failures = stack.logLines.filter((l) => String(l.msg).startsWith("poll failed"));
    expect(failures).toEqual([expect.objectContaining({ operation: "GetCallerIdentity", aws_error: "InternalServerError", region: healthy })]);
    await stack.poll();
    const text = await stack.scrape();
    expect(sampleValue(text, "aws_ssm_exporter_up", { account_id: "123456789012", region: healthy })).toBe(1);
    expect(stack.simulator.sim.callCount("GetCallerIdentity")).toBe(2);
    expect(sampleValue(text, "aws_ssm_exporter_api_requests_total", { operation: "GetCallerIdentity", outcome: "InternalServerError" })).toBe(1);
    expect(sampleValue(text, "aws_ssm_exporter_api_requests_total", { operation: "GetCallerIdentity", outcome: "success", account_id: "123456789012" })).toBe(1);
  });
});
