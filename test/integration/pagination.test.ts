import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { samples, startStack, type Stack } from "./stack.js";

const REGIONS = ["us-east-1", "eu-west-1"];

describe("pagination through the real SDK", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ regions: REGIONS });
  });
  afterAll(() => stack.close());

  it.each([0, 1, 50, 51, 2_000])("N=%d associations per region: 3·N status series, max(1, ⌈N/50⌉) calls per region per poll", async (n) => {
    for (const [i, region] of REGIONS.entries()) stack.simulator.sim.generate({ region }, n, 100 + i);
    stack.simulator.sim.resetCounters();

    await stack.poll();

    const expectedCalls = Math.max(1, Math.ceil(n / 50));
    for (const region of REGIONS) {
      expect(stack.simulator.sim.callCount("ListAssociations", { region })).toBe(expectedCalls);
    }
    expect(stack.simulator.sim.callCount("GetCallerIdentity")).toBe(0); // resolved once, at the first poll
    const text = await stack.scrape();
    for (const region of REGIONS) {
      const status = samples(text, "aws_ssm_association_status").filter((s) => s.labels.region === region);
      expect(status).toHaveLength(3 * n);
      expect(new Set(status.map((s) => s.labels.association_id)).size).toBe(n);
      expect(samples(text, "aws_ssm_exporter_associations").find((s) => s.labels.region === region)?.value).toBe(n);
    }
  });
});
