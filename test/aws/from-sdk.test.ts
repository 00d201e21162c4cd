import { describe, expect, it } from "vitest";
import { fromSdkAssociation } from "../../src/aws/from-sdk.js";

describe("fromSdkAssociation", () => {
  it("maps every field, converting units", () => {
    expect(
      fromSdkAssociation({
        Name: "AWS-RunPatchBaseline",
        AssociationId: "8dfe3659-4309-493a-8755-0123456789ab",
        AssociationVersion: "3",
        DocumentVersion: "$DEFAULT",
        AssociationName: "patch",
        ScheduleExpression: "cron(0 2 ? * SUN *)",
        LastExecutionDate: new Date("2026-11-01T02:00:00.500Z"),
        ScheduleOffset: 2,
        Duration: 4,
        Overview: { Status: "Failed", DetailedStatus: "Failed", AssociationStatusAggregatedCount: { Success: 1, Failed: 2 } },
      }),
    ).toEqual({
      associationId: "8dfe3659-4309-493a-8755-0123456789ab",
      associationName: "patch",
      documentName: "AWS-RunPatchBaseline",
      documentVersion: "$DEFAULT",
      associationVersion: "3",
      scheduleExpression: "cron(0 2 ? * SUN *)",
      status: "Failed",
      detailedStatus: "Failed",
      targetCounts: { Success: 1, Failed: 2 },
      lastExecutionSeconds: 1_793_498_400.5,
      scheduleOffsetDays: 2,
      durationHours: 4,
    });
  });

  it("tolerates every optional field missing", () => {
    expect(fromSdkAssociation({})).toEqual({
      associationId: "",
      associationName: "",
      documentName: "",
      documentVersion: "",
      associationVersion: "",
      scheduleExpression: "",
      status: "",
      detailedStatus: "",
      targetCounts: {},
      lastExecutionSeconds: undefined,
      scheduleOffsetDays: undefined,
      durationHours: undefined,
    });
  });
});
