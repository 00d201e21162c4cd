import { describe, expect, it } from "vitest";
import { InvalidPageError, parseListAssociationsPage } from "../../src/aws/list-associations-page.js";

/** What the SDK hands over for a full ListAssociations item (dates already Date objects). */
const item = {
  AssociationId: "8dfe3659-4309-493a-8755-0123456789ab",
  AssociationName: "patch-prod-fleet",
  Name: "AWS-RunPatchBaseline",
  DocumentVersion: "$DEFAULT",
  AssociationVersion: "3",
  ScheduleExpression: "cron(0 2 ? * SUN *)",
  LastExecutionDate: new Date("2025-11-24T16:00:00.500Z"),
  ScheduleOffset: 2,
  Duration: 4,
  Overview: { Status: "Failed", DetailedStatus: "Failed", AssociationStatusAggregatedCount: { Success: 40, Failed: 2 } },
  Targets: [{ Key: "tag:Environment", Values: ["prod"] }],
};

function rejection(output: unknown): InvalidPageError {
  try {
    parseListAssociationsPage(output);
  } catch (err) {
    if (err instanceof InvalidPageError) return err;
    throw err;
  }
  throw new Error("the page was accepted");
}

describe("parseListAssociationsPage", () => {
  it("converts a full item to our Association, units normalised", () => {
    const page = parseListAssociationsPage({ Associations: [item], NextToken: "abc" });
    expect(page.nextToken).toBe("abc");
    expect(page.associations).toEqual([
      {
        associationId: item.AssociationId,
        associationName: "patch-prod-fleet",
        documentName: "AWS-RunPatchBaseline",
        documentVersion: "$DEFAULT",
        associationVersion: "3",
        scheduleExpression: "cron(0 2 ? * SUN *)",
        status: "Failed",
        detailedStatus: "Failed",
        targetCounts: new Map([
          ["Success", 40],
          ["Failed", 2],
        ]),
        lastExecutionSeconds: 1_764_000_000.5,
        scheduleOffsetDays: 2,
        durationHours: 4,
      },
    ]);
  });

  it("tolerates every optional field missing and ignores unknown fields", () => {
    const page = parseListAssociationsPage({ Associations: [{ AssociationId: "a-1", FutureField: { x: 1 } }], Unknown: true });
    expect(page).toEqual({
      nextToken: undefined,
      associations: [
        {
          associationId: "a-1",
          associationName: "",
          documentName: "",
          documentVersion: "",
          associationVersion: "",
          scheduleExpression: "",
          status: "",
          detailedStatus: "",
          targetCounts: new Map(),
          lastExecutionSeconds: undefined,
          scheduleOffsetDays: undefined,
          durationHours: undefined,
        },
      ],
    });
  });

  it("accepts an empty listing only when it says so: Associations []", () => {
    expect(parseListAssociationsPage({ Associations: [] })).toEqual({ associations: [], nextToken: undefined });
    // An empty string or null token ends the listing, as the SDK's own paginator reads it.
    expect(parseListAssociationsPage({ Associations: [], NextToken: "" }).nextToken).toBeUndefined();
    expect(parseListAssociationsPage({ Associations: [], NextToken: null }).nextToken).toBeUndefined();
  });

  it("keeps every count key opaque: constructor and __proto__ are statuses, not properties", () => {
    const counts = JSON.parse('{"__proto__": 3, "constructor": 1, "toString": 0}') as Record<string, number>;
    const page = parseListAssociationsPage({ Associations: [{ ...item, Overview: { AssociationStatusAggregatedCount: counts } }] });
    expect([...(page.associations[0]?.targetCounts ?? [])]).toEqual([
      ["__proto__", 3],
      ["constructor", 1],
      ["toString", 0],
    ]);
  });

  it.each([
    ["an empty body (the SDK gives {})", {}, "Associations", "Associations is missing"],
    ["nothing at all", undefined, "(body)", ""],
    ["Associations that is not a list", { Associations: "not-a-list", NextToken: 42 }, "Associations", "must be a list"],
    ["a NextToken that is not a string", { Associations: [], NextToken: 42 }, "NextToken", ""],
    ["an item that is not an object", { Associations: ["x"] }, "Associations[0]", ""],
    ["an item without AssociationId", { Associations: [{ Name: "AWS-RunPatchBaseline" }] }, "Associations[0].AssociationId", ""],
    ["an empty AssociationId", { Associations: [{ AssociationId: "" }] }, "Associations[0].AssociationId", "must be a non-empty string"],
    ["a numeric AssociationId", { Associations: [{ AssociationId: 7 }] }, "Associations[0].AssociationId", ""],
    ["a document name that is an object", { Associations: [{ AssociationId: "a", Name: { a: 1 } }] }, "Associations[0].Name", ""],
    ["a text count", { Associations: [{ ...item, Overview: { AssociationStatusAggregatedCount: { Failed: "abc" } } }] }, "Associations[0].Overview.AssociationStatusAggregatedCount.Failed", 'got "abc"'],
    ["a count with a space (would inject a sample timestamp)", { Associations: [{ ...item, Overview: { AssociationStatusAggregatedCount: { Failed: "1 2" } } }] }, "Associations[0].Overview.AssociationStatusAggregatedCount.Failed", 'got "1 2"'],
    ["a NaN count", { Associations: [{ ...item, Overview: { AssociationStatusAggregatedCount: { Failed: Number.NaN } } }] }, "Associations[0].Overview.AssociationStatusAggregatedCount.Failed", ""],
    ["a negative count", { Associations: [{ ...item, Overview: { AssociationStatusAggregatedCount: { Failed: -1 } } }] }, "Associations[0].Overview.AssociationStatusAggregatedCount.Failed", ""],
    ["a count the SDK could not carry (an own __proto__ key becomes undefined)", { Associations: [{ ...item, Overview: { AssociationStatusAggregatedCount: JSON.parse('{"__proto__": null}') as object } }] }, "Associations[0].Overview.AssociationStatusAggregatedCount.__proto__", ""],
    ["counts that are a list", { Associations: [{ ...item, Overview: { AssociationStatusAggregatedCount: [1, 2] } }] }, "Associations[0].Overview.AssociationStatusAggregatedCount", "got an array"],
    ["a text status", { Associations: [{ ...item, Overview: { Status: 5 } }] }, "Associations[0].Overview.Status", ""],
    ["an invalid date", { Associations: [{ ...item, LastExecutionDate: new Date(Number.NaN) }] }, "Associations[0].LastExecutionDate", "expected date"],
    ["a date that is text", { Associations: [{ ...item, LastExecutionDate: "yesterday" }] }, "Associations[0].LastExecutionDate", ""],
    ["an infinite duration", { Associations: [{ ...item, Duration: Infinity }] }, "Associations[0].Duration", "received Infinity"],
  ])("rejects %s, naming the field", (_what, output, path, detail) => {
    const error = rejection(output);
    expect(error.path).toBe(path);
    expect(error.message).toMatch(/^invalid ListAssociations response: /);
    expect(error.message).toContain(path);
    expect(error.message).toContain(detail);
  });

  it("reports how many more problems a page has", () => {
    const error = rejection({ Associations: [{ AssociationId: "" }, { AssociationId: 1 }] });
    expect(error.message).toMatch(/\(and 1 more problems\)$/);
  });
});
