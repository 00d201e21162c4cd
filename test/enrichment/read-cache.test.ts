import { describe, expect, it } from "vitest";
import { AwsCallError, type Association, type AssociationDetails } from "../../src/domain/association.js";
import { AssociationReadCache, changedOrOlderThan, newExecution } from "../../src/enrichment/read-cache.js";
import { capFailedTargets } from "../../src/enrichment/target-enricher.js";

const association = (id: string, version = "1", last: number | undefined = 100, failed = 0): Association => ({
  associationId: id,
  associationName: "",
  documentName: "AWS-RunPatchBaseline",
  documentVersion: "$DEFAULT",
  associationVersion: version,
  scheduleExpression: "rate(1 hour)",
  status: "Success",
  detailedStatus: "Success",
  targetCounts: new Map([["Failed", failed]]),
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

const unlimited = <T>(task: () => Promise<T>) => task();

describe("AssociationReadCache", () => {
  it("never outlasts the poll's signal: what has not answered by then keeps its last answer", async () => {
    let hang = false;
    const cache = new AssociationReadCache<AssociationDetails>({
      operation: "DescribeAssociation",
      read: (a, signal) =>
        hang
          ? new Promise((_, reject) => signal.addEventListener("abort", () => reject(new AwsCallError("DescribeAssociation", "PollTimeout", "r", "late"))))
          : Promise.resolve(details(`v-${a.associationId}`)),
      refresh: changedOrOlderThan(3_600_000),
      limit: unlimited,
      now: () => 0,
    });
    expect([...(await cache.update([association("a"), association("b")], new AbortController().signal))]).toEqual([
      ["a", details("v-a")],
      ["b", details("v-b")],
    ]);
    hang = true;
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error("deadline")), 20);
    const started = Date.now();
    const kept = await cache.update([association("a", "2"), association("b", "2")], abort.signal);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(kept.get("a")).toEqual(details("v-a"));
    expect(kept.get("b")).toEqual(details("v-b"));
    expect(cache.due([association("a", "2"), association("b", "2")])).toHaveLength(2);
  });

  it("reports failures once per update and keeps an association that never answered absent", async () => {
    const reported: [string, number, string][] = [];
    const cache = new AssociationReadCache<AssociationDetails>({
      operation: "DescribeAssociation",
      read: (a) => (a.associationId === "bad" ? Promise.reject(new AwsCallError("DescribeAssociation", "AccessDeniedException", "r", "denied")) : Promise.resolve(details("HIGH"))),
      refresh: changedOrOlderThan(3_600_000),
      limit: unlimited,
      onFailures: (operation, failures) => reported.push([operation, failures.length, failures[0]?.message ?? ""]),
    });
    const got = await cache.update([association("ok"), association("bad")], new AbortController().signal);
    expect([...got.keys()]).toEqual(["ok"]);
    expect(reported).toEqual([["DescribeAssociation", 1, "denied"]]);
  });

  it("newExecution: an association it applies to is read once, again only when LastExecutionDate moves; one it stops applying to is dropped", async () => {
    const reads: string[] = [];
    let now = 0;
    const cache = new AssociationReadCache<string>({
      operation: "DescribeAssociationExecutionTargets",
      read: (a) => {
        reads.push(`${a.associationId}@${a.lastExecutionSeconds}`);
        return Promise.resolve(`targets of ${a.associationId}`);
      },
      refresh: newExecution,
      applies: (a) => (a.targetCounts.get("Failed") ?? 0) > 0,
      limit: unlimited,
      now: () => now,
    });
    const signal = new AbortController().signal;
    await cache.update([association("failing", "1", 100, 2), association("healthy", "1", 100, 0)], signal);
    now += 30 * 86_400_000; // no interval: time alone never re-reads
    await cache.update([association("failing", "2", 100, 2), association("healthy", "1", 100, 0)], signal);
    expect(reads).toEqual(["failing@100"]);
    const got = await cache.update([association("failing", "2", 200, 1), association("healthy", "1", 200, 0)], signal);
    expect(reads).toEqual(["failing@100", "failing@200"]);
    expect([...got.keys()]).toEqual(["failing"]);
    const recovered = await cache.update([association("failing", "2", 300, 0)], signal);
    expect(reads).toHaveLength(2);
    expect(recovered.size).toBe(0);
  });
});

describe("capFailedTargets", () => {
  const failed = (n: number, leftOut = 0) => ({
    executionId: "e",
    targets: Array.from({ length: n }, (_, i) => ({ resourceId: `i-${i}`, resourceType: "ManagedInstance", detailedStatus: "Failed" })),
    leftOut,
  });

  it("keeps failed targets in listing order until the cap, adding the rest to each association's left-out count", () => {
    const listed = [association("a"), association("b"), association("c"), association("d")];
    const capped = capFailedTargets(listed, new Map([["c", failed(2)], ["a", failed(3, 4)], ["b", failed(3)]]), 5);
    expect([...capped].map(([id, f]) => [id, f.targets.length, f.leftOut])).toEqual([
      ["a", 3, 4],
      ["b", 2, 1],
      ["c", 0, 2],
    ]);
    expect(capFailedTargets(listed, new Map([["a", failed(3)]]), 5).get("a")).toEqual(failed(3));
  });
});
