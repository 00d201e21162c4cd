import { describe, expect, it } from "vitest";
import { parseDescribeAssociation } from "../../src/aws/describe-association.js";
import { failedTargetsOf, parseExecutionTargetsPage, parseLatestExecution } from "../../src/aws/failed-targets.js";
import { parseTags } from "../../src/aws/list-tags.js";

describe("parseDescribeAssociation", () => {
  it("reads the fields the exporter uses", () => {
    expect(
      parseDescribeAssociation({
        AssociationDescription: {
          AssociationId: "x",
          LastSuccessfulExecutionDate: new Date(1_700_000_000_000),
          ComplianceSeverity: "CRITICAL",
          SyncCompliance: "MANUAL",
          ApplyOnlyAtCronInterval: true,
          CalendarNames: ["cal-a", "cal-b"],
          FutureField: 1,
        },
      }),
    ).toEqual({
      ok: true,
      value: { lastSuccessfulExecutionSeconds: 1_700_000_000, complianceSeverity: "CRITICAL", syncCompliance: "MANUAL", applyOnlyAtCronInterval: true, calendarNames: ["cal-a", "cal-b"] },
    });
    expect(parseDescribeAssociation({ AssociationDescription: {} })).toEqual({
      ok: true,
      value: { lastSuccessfulExecutionSeconds: undefined, complianceSeverity: "", syncCompliance: "", applyOnlyAtCronInterval: undefined, calendarNames: [] },
    });
  });

  it("fails an answer with a wrong type or without AssociationDescription", () => {
    expect(parseDescribeAssociation({ AssociationDescription: { ApplyOnlyAtCronInterval: "yes" } })).toMatchObject({ ok: false, field: "AssociationDescription.ApplyOnlyAtCronInterval" });
    expect(parseDescribeAssociation({ AssociationDescription: { CalendarNames: "cal" } })).toMatchObject({ ok: false, field: "AssociationDescription.CalendarNames" });
    expect(parseDescribeAssociation({ AssociationDescription: { LastSuccessfulExecutionDate: new Date(Number.NaN) } })).toMatchObject({ ok: false });
    expect(parseDescribeAssociation({})).toMatchObject({ ok: false, field: "AssociationDescription" });
  });
});

describe("parseTags", () => {
  const allowed = new Set(["team", "cost-center"]);

  it("keeps only allow-listed keys, values as sent (an empty value included)", () => {
    const parsed = parseTags({ TagList: [{ Key: "team", Value: "sre" }, { Key: "owner", Value: "alice@example.com" }, { Key: "cost-center", Value: "" }] }, allowed);
    expect(parsed).toEqual({ ok: true, value: new Map([["team", "sre"], ["cost-center", ""]]) });
    expect(parseTags({ TagList: [] }, allowed)).toEqual({ ok: true, value: new Map() });
  });

  it("fails an answer without TagList or with a wrong type anywhere, allow-listed or not", () => {
    expect(parseTags({}, allowed)).toMatchObject({ ok: false, field: "TagList" });
    expect(parseTags({ TagList: "team=sre" }, allowed)).toMatchObject({ ok: false, field: "TagList" });
    expect(parseTags({ TagList: [{ Key: "owner", Value: 7 }] }, allowed)).toMatchObject({ ok: false, field: "TagList.0.Value" });
    expect(parseTags({ TagList: [{ Key: "", Value: "x" }] }, allowed)).toMatchObject({ ok: false, field: "TagList.0.Key" });
    const bad = parseTags({ TagList: [{ Value: "x" }] }, allowed);
    expect(bad.ok === false && bad.message).toMatch(/^invalid ListTagsForResource response: TagList\.0\.Key /);
  });
});

describe("failed-target answers", () => {
  const id = "8dfe3659-4309-493a-8755-0123456789ab";

  it("the latest execution is the first listed; none is not an error", () => {
    expect(parseLatestExecution({ AssociationExecutions: [{ ExecutionId: id, Status: "Failed" }, { ExecutionId: "older" }] })).toEqual({ ok: true, value: id });
    expect(parseLatestExecution({ AssociationExecutions: [] })).toEqual({ ok: true, value: undefined });
    expect(parseLatestExecution({})).toMatchObject({ ok: false, field: "AssociationExecutions" });
    expect(parseLatestExecution({ AssociationExecutions: [{ Status: "Failed" }] })).toMatchObject({ ok: false, field: "AssociationExecutions.0.ExecutionId" });
  });

  it("a page of targets: what did not fail is dropped, missing optional text is empty, an empty NextToken ends the listing", () => {
    expect(
      parseExecutionTargetsPage({
        AssociationExecutionTargets: [
          { ResourceId: "i-1", ResourceType: "ManagedInstance", Status: "Failed", DetailedStatus: "TimedOut" },
          { ResourceId: "i-2", ResourceType: "ManagedInstance", Status: "Success", DetailedStatus: "Success" },
          { ResourceId: "i-3" },
        ],
        NextToken: "",
      }),
    ).toEqual({
      ok: true,
      value: {
        targets: [
          { resourceId: "i-1", resourceType: "ManagedInstance", detailedStatus: "TimedOut" },
          { resourceId: "i-3", resourceType: "", detailedStatus: "" },
        ],
        nextToken: undefined,
      },
    });
    expect(parseExecutionTargetsPage({ AssociationExecutionTargets: [], NextToken: "t" })).toEqual({ ok: true, value: { targets: [], nextToken: "t" } });
    expect(parseExecutionTargetsPage({ AssociationExecutionTargets: [{ ResourceId: 5 }] })).toMatchObject({ ok: false, field: "AssociationExecutionTargets.0.ResourceId" });
    expect(parseExecutionTargetsPage({ NextToken: "t" })).toMatchObject({ ok: false, field: "AssociationExecutionTargets" });
  });

  it("failedTargetsOf: at most max, each resource once; left out only when the cap stopped the reading", () => {
    const t = (n: number) => ({ resourceId: `i-${n}`, resourceType: "ManagedInstance", detailedStatus: "Failed" });
    expect(failedTargetsOf(id, [t(1), t(2), t(1)], 20, false, 3)).toEqual({ executionId: id, targets: [t(1), t(2)], leftOut: 0 });
    expect(failedTargetsOf(id, [t(1), t(2), t(3)], 2, true, 30)).toEqual({ executionId: id, targets: [t(1), t(2)], leftOut: 28 });
    // The listing's count may lag the execution's: never negative.
    expect(failedTargetsOf(id, [t(1), t(2)], 2, true, 1).leftOut).toBe(0);
  });
});
