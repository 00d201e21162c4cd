import { describe, expect, it } from "vitest";
import type { SimOperation } from "../../dev/simulator/types.js";
import { sampleValue } from "../integration/stack.js";
import { closeStacksAfterEach, SCOPE, startEnrichmentStack } from "./stack.js";

closeStacksAfterEach();

const N = 2_000;
const ALL = ["--ssm.describe-associations", "--ssm.tags", "--ssm.tag=team,owner", "--ssm.failed-targets", "--ssm.enrichment-concurrency=16"];
const OPERATIONS = ["ListAssociations", "DescribeAssociation", "ListTagsForResource", "DescribeAssociationExecutions", "DescribeAssociationExecutionTargets"] as const;

/**
 * The budget, counted by the simulator (every request it answered) and by the exporter's own
 * aws_ssm_exporter_api_requests_total, which must agree.
 */
describe(`all enrichment on, ${N} associations, 10 polls`, () => {
  it("one AssociationVersion change and one new execution of a failing association: describe and tags N + 2, failed-target calls only for the failing ones plus one execution", { timeout: 120_000 }, async () => {
    const stack = await startEnrichmentStack(ALL, N, 11);
    const { sim } = stack.simulator;
    const associations = sim.getAssociations(SCOPE);
    const failing = associations.filter((a) => (a.Overview?.AssociationStatusAggregatedCount?.Failed ?? 0) > 0);
    const healthy = associations.find((a) => (a.Overview?.AssociationStatusAggregatedCount?.Failed ?? 0) === 0);
    const ranAgain = failing[0];
    if (healthy === undefined || ranAgain === undefined) throw new Error("the seed needs healthy and failing associations");
    const pages = Math.ceil(N / 50); // ListAssociations' page size in the simulator is the SDK's default MaxResults
    const listCalls = stack.calls("ListAssociations");
    expect(listCalls).toBeGreaterThanOrEqual(pages);

    for (let poll = 2; poll <= 10; poll++) {
      if (poll === 4) sim.updateAssociation(SCOPE, healthy.AssociationId, { AssociationVersion: String(Number(healthy.AssociationVersion ?? "1") + 1) });
      if (poll === 7) sim.updateAssociation(SCOPE, ranAgain.AssociationId, { LastExecutionDate: Math.floor(Date.now() / 1000) + 60 });
      await stack.poll();
    }
    const counts = Object.fromEntries(OPERATIONS.map((op) => [op, stack.calls(op)])) as Record<(typeof OPERATIONS)[number], number>;
    expect(counts).toEqual({
      ListAssociations: 10 * listCalls,
      DescribeAssociation: N + 2,
      ListTagsForResource: N + 2,
      DescribeAssociationExecutions: failing.length + 1,
      DescribeAssociationExecutionTargets: failing.length + 1,
    });
    expect(failing.length).toBeLessThan(N / 4);

    const text = await stack.scrape();
    for (const operation of OPERATIONS) {
      expect(sampleValue(text, "aws_ssm_exporter_api_requests_total", { operation, outcome: "success" }), operation).toBe(stack.calls(operation as SimOperation));
    }
    expect(text).not.toContain("aws_ssm_exporter_enrichment_failures_total{");
  });
});
