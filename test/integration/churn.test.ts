import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleValue, samples, startStack, type Stack } from "./stack.js";

const region = "us-east-1";

describe("churn", () => {
  let stack: Stack;
  let ids: string[];
  beforeAll(async () => {
    stack = await startStack({
      regions: [region],
      seed: (s) => {
        ids = s.sim.generate({ region }, 20, 7).map((a) => a.AssociationId);
      },
    });
  });
  afterAll(() => stack.close());

  it("drops every series of a deleted association after the next poll", async () => {
    const [victim] = ids;
    if (!victim) throw new Error("no data");
    expect(samples(await stack.scrape()).some((s) => s.labels.association_id === victim)).toBe(true);

    expect(stack.simulator.sim.deleteAssociation({ region }, victim)).toBe(true);
    await stack.poll();

    const text = await stack.scrape();
    expect(samples(text).filter((s) => s.labels.association_id === victim)).toEqual([]);
    expect(samples(text, "aws_ssm_association_info")).toHaveLength(19);
  });

  it("moves the 1 when the status changes", async () => {
    const id = ids[1];
    if (!id) throw new Error("no data");
    stack.simulator.sim.setStatus({ region }, id, "Success", "Success");
    await stack.poll();
    let text = await stack.scrape();
    expect(sampleValue(text, "aws_ssm_association_status", { association_id: id, status: "Success" })).toBe(1);
    expect(sampleValue(text, "aws_ssm_association_status", { association_id: id, status: "Failed" })).toBe(0);

    stack.simulator.sim.setStatus({ region }, id, "Failed", "Failed");
    await stack.poll();
    text = await stack.scrape();
    expect(sampleValue(text, "aws_ssm_association_status", { association_id: id, status: "Success" })).toBe(0);
    expect(sampleValue(text, "aws_ssm_association_status", { association_id: id, status: "Failed" })).toBe(1);
    expect(samples(text, "aws_ssm_association_detailed_status").filter((s) => s.labels.association_id === id)).toEqual([
      expect.objectContaining({ labels: expect.objectContaining({ detailed_status: "Failed" }), value: 1 }),
    ]);
  });
});
