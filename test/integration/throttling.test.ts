import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleValue, startStack, type Stack } from "./stack.js";

const region = "us-east-1";
const requests = (text: string, outcome: string) =>
  sampleValue(text, "aws_ssm_exporter_api_requests_total", { region, operation: "ListAssociations", outcome }) ?? 0;

describe("throttling", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ regions: [region], flags: ["--aws.max-attempts=3"], seed: (s) => void s.sim.generate({ region }, 120, 4) });
  });
  afterAll(() => stack.close());

  it("retries a throttled page, and counts the throttled attempt apart from the successes", async () => {
    const before = await stack.scrape();
    stack.simulator.sim.resetCounters();
    stack.simulator.sim.injectFault({ kind: "ThrottlingException", count: 1, region, operation: "ListAssociations" });

    await stack.poll();

    const after = await stack.scrape();
    expect(sampleValue(after, "aws_ssm_exporter_up", { region })).toBe(1);
    expect(requests(after, "ThrottlingException") - requests(before, "ThrottlingException")).toBe(1);
    expect(requests(after, "success") - requests(before, "success")).toBe(3); // ⌈120/50⌉ pages
    expect(stack.simulator.sim.callCount("ListAssociations", { region })).toBe(4);
  });

  it("gives up after --aws.max-attempts attempts: a bounded number of calls per poll", async () => {
    const before = await stack.scrape();
    stack.simulator.sim.resetCounters();
    stack.simulator.sim.injectFault({ kind: "ThrottlingException", count: Infinity, region, operation: "ListAssociations" });
    try {
      await stack.poll();
    } finally {
      stack.simulator.sim.clearFaults();
    }
    const after = await stack.scrape();
    expect(sampleValue(after, "aws_ssm_exporter_up", { region })).toBe(0);
    expect(stack.simulator.sim.callCount("ListAssociations", { region })).toBe(3);
    expect(requests(after, "ThrottlingException") - requests(before, "ThrottlingException")).toBe(3);
  });
});
