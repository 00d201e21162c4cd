import { describe, expect, it } from "vitest";
import { parseDescribeAssociation } from "../../src/aws/describe-association.js";
import { AwsCallError, type Association, type AssociationDetails } from "../../src/domain/association.js";
import { DescribeCache } from "../../src/enrichment/describe-cache.js";

const association = (id: string, version = "1", last: number | undefined = 100): Association => ({
  associationId: id,
  associationName: "",
  documentName: "AWS-RunPatchBaseline",
  documentVersion: "$DEFAULT",
  associationVersion: version,
  scheduleExpression: "rate(1 hour)",
  status: "Success",
  detailedStatus: "Success",
  targetCounts: new Map(),
  lastExecutionSeconds: last,
  scheduleOffsetDays: undefined,
  durationHours: undefined,
});

const details = (severity: string): AssociationDetails => ({
  lastSuccessfulExecutionSeconds: 100,
  complianceSeverity: severity,
  syncCompliance: "AUTO",
  applyOnlyAtCronInterval: false,
  calendarNames: [],
});

describe("DescribeCache", () => {
  it("never outlasts the poll's signal: what has not answered by then keeps its last details", async () => {
    let hang = false;
    const cache = new DescribeCache({
      describe: (id, signal) =>
        hang ? new Promise((_, reject) => signal.addEventListener("abort", () => reject(new AwsCallError("DescribeAssociation", "PollTimeout", "r", "late")))) : Promise.resolve(details(`v-${id}`)),
      intervalMs: 3_600_000,
      concurrency: 1,
      now: () => 0,
    });
    expect([...(await cache.enrich([association("a"), association("b")], new AbortController().signal))]).toEqual([
      ["a", details("v-a")],
      ["b", details("v-b")],
    ]);
    hang = true;
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error("deadline")), 20);
    const started = Date.now();
    const kept = await cache.enrich([association("a", "2"), association("b", "2")], abort.signal);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(kept.get("a")).toEqual(details("v-a"));
    expect(kept.get("b")).toEqual(details("v-b"));
    expect(cache.due([association("a", "2"), association("b", "2")])).toHaveLength(2);
  });

  it("reports failures once per enrich and keeps an association that never answered absent", async () => {
    const reported: [number, string][] = [];
    const cache = new DescribeCache({
      describe: (id) => (id === "bad" ? Promise.reject(new AwsCallError("DescribeAssociation", "AccessDeniedException", "r", "denied")) : Promise.resolve(details("HIGH"))),
      intervalMs: 3_600_000,
      concurrency: 4,
      onFailures: (n, first) => reported.push([n, first.message]),
    });
    const got = await cache.enrich([association("ok"), association("bad")], new AbortController().signal);
    expect([...got.keys()]).toEqual(["ok"]);
    expect(reported).toEqual([[1, "denied"]]);
  });
});

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
      details: { lastSuccessfulExecutionSeconds: 1_700_000_000, complianceSeverity: "CRITICAL", syncCompliance: "MANUAL", applyOnlyAtCronInterval: true, calendarNames: ["cal-a", "cal-b"] },
    });
    expect(parseDescribeAssociation({ AssociationDescription: {} })).toEqual({
      ok: true,
      details: { lastSuccessfulExecutionSeconds: undefined, complianceSeverity: "", syncCompliance: "", applyOnlyAtCronInterval: undefined, calendarNames: [] },
    });
  });

  it("fails an answer with a wrong type or without AssociationDescription", () => {
    expect(parseDescribeAssociation({ AssociationDescription: { ApplyOnlyAtCronInterval: "yes" } })).toMatchObject({ ok: false, field: "AssociationDescription.ApplyOnlyAtCronInterval" });
    expect(parseDescribeAssociation({ AssociationDescription: { CalendarNames: "cal" } })).toMatchObject({ ok: false, field: "AssociationDescription.CalendarNames" });
    expect(parseDescribeAssociation({ AssociationDescription: { LastSuccessfulExecutionDate: new Date(Number.NaN) } })).toMatchObject({ ok: false });
    expect(parseDescribeAssociation({})).toMatchObject({ ok: false, field: "AssociationDescription" });
  });
});
