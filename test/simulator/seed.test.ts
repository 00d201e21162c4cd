import { describe, expect, it } from "vitest";
import { generateAssociations } from "../../dev/simulator/seed.js";

const NOW = Date.parse("2025-06-01T12:00:00Z");
const sample = generateAssociations(1000, { seed: 42, region: "us-east-1", now: NOW });
const share = (pred: (a: (typeof sample)[number]) => boolean) => sample.filter(pred).length / sample.length;

describe("generateAssociations", () => {
  it("is deterministic for the same count, seed, region and now", () => {
    expect(generateAssociations(200, { seed: 42, region: "us-east-1", now: NOW })).toEqual(sample.slice(0, 200));
    expect(generateAssociations(5, { seed: 1, region: "eu-west-1", now: new Date(NOW) })).toEqual(
      generateAssociations(5, { seed: 1, region: "eu-west-1", now: NOW }),
    );
  });

  it("derives different ids from a different seed or region", () => {
    const ids = new Set(sample.map((a) => a.AssociationId));
    const otherRegion = generateAssociations(100, { seed: 42, region: "eu-west-1", now: NOW });
    const otherSeed = generateAssociations(100, { seed: 43, region: "us-east-1", now: NOW });
    expect(ids.size).toBe(1000);
    expect(otherRegion.some((a) => ids.has(a.AssociationId))).toBe(false);
    expect(otherSeed.some((a) => ids.has(a.AssociationId))).toBe(false);
  });

  it("returns [] for 0 and rejects nonsense counts", () => {
    expect(generateAssociations(0, { seed: 1, region: "us-east-1" })).toEqual([]);
    expect(() => generateAssociations(-1, { seed: 1, region: "us-east-1" })).toThrow(RangeError);
    expect(() => generateAssociations(1.5, { seed: 1, region: "us-east-1" })).toThrow(RangeError);
  });

  it("keeps every field inside the AWS model's patterns and ranges", () => {
    for (const a of sample) {
      expect(a.AssociationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(a.Name).toMatch(/^[a-zA-Z0-9_\-.:/]{3,128}$/);
      if (a.AssociationName !== undefined) expect(a.AssociationName).toMatch(/^[a-zA-Z0-9_\-.]{3,128}$/);
      expect(a.AssociationVersion).toMatch(/^\d+$/);
      expect(a.DocumentVersion).toMatch(/^(\$DEFAULT|\$LATEST|\d+)$/);
      expect(a.Targets?.length ?? 0).toBeLessThanOrEqual(5);
      expect(a.InstanceId !== undefined).toBe(a.Targets === undefined);
      if (a.ScheduleExpression !== undefined) {
        expect(a.ScheduleExpression).toMatch(/^(cron\((\S+ ){5}\S+\)|rate\(\d+ (minutes|hours?|days?)\))$/);
      }
      if (a.ScheduleOffset !== undefined) {
        expect(a.ScheduleOffset).toBeGreaterThanOrEqual(1);
        expect(a.ScheduleOffset).toBeLessThanOrEqual(6);
        expect(a.ScheduleExpression).toMatch(/^cron\(/);
      }
      if (a.Duration !== undefined) {
        expect(a.Duration).toBeGreaterThanOrEqual(1);
        expect(a.Duration).toBeLessThanOrEqual(24);
        expect(a.ScheduleExpression).toMatch(/^cron\(/);
      }
      if (a.LastExecutionDate !== undefined) expect(a.LastExecutionDate).toBeLessThan(NOW / 1000);
      for (const [key, n] of Object.entries(a.Overview?.AssociationStatusAggregatedCount ?? {})) {
        expect(["Success", "Failed", "Pending", "Skipped"]).toContain(key);
        expect(n).toBeGreaterThan(0);
      }
    }
  });

  it("looks like a real fleet", () => {
    const names = new Set(sample.map((a) => a.Name));
    expect([...names]).toEqual(
      expect.arrayContaining([
        "AWS-RunPatchBaseline",
        "AWS-GatherSoftwareInventory",
        "AWS-UpdateSSMAgent",
        "AWS-ConfigureAWSPackage",
        "Acme-HardenSshd",
        "Platform-RotateLogs",
      ]),
    );
    expect(share((a) => a.Overview?.Status === "Success")).toBeGreaterThan(0.6);
    expect(share((a) => a.Overview?.Status === "Failed")).toBeGreaterThan(0.05);
    expect(share((a) => a.Overview?.Status === "Pending")).toBeGreaterThan(0.03);
    expect(share((a) => a.AssociationName === undefined)).toBeGreaterThan(0.1);
    expect(share((a) => a.AssociationName === undefined)).toBeLessThan(0.3);
    expect(share((a) => a.LastExecutionDate === undefined)).toBeGreaterThan(0.01);
    expect(share((a) => Object.keys(a.Overview?.AssociationStatusAggregatedCount ?? {}).length === 0)).toBeGreaterThan(0.05);
    expect(share((a) => a.ScheduleOffset !== undefined)).toBeGreaterThan(0.01);
    expect(share((a) => a.Duration !== undefined)).toBeGreaterThan(0.01);
    expect(share((a) => a.Targets?.some((t) => t.Key === "resource-groups:Name") ?? false)).toBeGreaterThan(0.05);

    const detailed = new Set(sample.map((a) => a.Overview?.DetailedStatus));
    for (const d of ["Success", "Failed", "Pending", "Associated", "Creating", "InProgress", "TimedOut"]) expect(detailed).toContain(d);
    const schedules = new Set(sample.map((a) => a.ScheduleExpression));
    for (const s of ["cron(0 2 ? * SUN *)", "cron(0/30 * * * ? *)", "rate(30 minutes)", "rate(1 day)"]) expect(schedules).toContain(s);
    expect([...new Set(sample.map((a) => a.DocumentVersion))]).toEqual(expect.arrayContaining(["$DEFAULT", "$LATEST", "1"]));
  });
});
