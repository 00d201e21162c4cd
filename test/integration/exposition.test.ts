import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WireAssociation } from "../../dev/simulator/types.js";
import { skipWithout } from "../debian-tools.js";
import { promtoolCheckMetrics } from "../promtool.js";
import { samples, startStack, type Stack } from "./stack.js";

const region = "ap-northeast-1";
// AWS restricts names to [a-zA-Z0-9_.-], but the exporter must not depend on that to stay parseable.
const awkwardName = 'quote" back\\slash \nnewline ünïcødé 日本語';

const awkward: WireAssociation = {
  Name: 'Acme-"Doc"\\v2',
  AssociationId: "ffffffff-1111-4222-8333-444444444444",
  AssociationName: awkwardName,
  AssociationVersion: "1",
  DocumentVersion: "$LATEST",
  ScheduleExpression: "cron(0 2 ? * SUN *)",
  LastExecutionDate: 1_764_000_000.25,
  Overview: { Status: "Failed", DetailedStatus: 'Stuck "in"\nprogress', AssociationStatusAggregatedCount: { Failed: 2, "Time\"d\\Out": 1 } },
};

describe("exposition of live /metrics", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      regions: [region],
      seed: (s) => {
        const generated = s.sim.generate({ region }, 40, 3);
        s.sim.setAssociations({ region }, [...generated, awkward]);
      },
    });
  });
  afterAll(() => stack.close());

  it("keeps quotes, backslashes, newlines and non-ASCII intact through a real parser", async () => {
    const text = await stack.scrape();
    const mine = samples(text).filter((s) => s.labels.association_id === awkward.AssociationId);
    expect(mine.length).toBeGreaterThan(0);
    expect(new Set(mine.map((s) => s.labels.association_name))).toEqual(new Set([awkwardName]));
    expect(new Set(mine.map((s) => s.labels.document_name))).toEqual(new Set(['Acme-"Doc"\\v2']));
    expect(mine.find((s) => s.name === "aws_ssm_association_detailed_status")?.labels.detailed_status).toBe('Stuck "in"\nprogress');
    expect(mine.find((s) => s.name === "aws_ssm_association_targets" && s.labels.status === 'Time"d\\Out')?.value).toBe(1);
  });

  it.skipIf(skipWithout("promtool"))("passes promtool check metrics with nothing to report", async () => {
    expect(promtoolCheckMetrics(await stack.scrape())).toBe("");
  });
});
