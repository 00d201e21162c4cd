import { describe, expect, it } from "vitest";
import { UnknownAssociationError } from "../../dev/simulator/errors.js";
import { mulberry32 } from "../../dev/simulator/rng.js";
import { seedAssociations } from "../../dev/simulator/seed.js";
import { Simulator } from "../../dev/simulator/simulator.js";
import { association } from "./helpers.js";

const US = { region: "us-east-1" };
const NOW = Date.parse("2025-06-01T12:00:00Z");
const CALLER = { accountId: "999999999999", arn: "arn:aws:iam::999999999999:user/simulated", userId: "AIDAEXAMPLE" };

describe("Simulator state", () => {
  it("keeps scopes apart and defaults the account", () => {
    const sim = new Simulator({ defaultAccountId: "999999999999" });
    sim.setAssociations(US, [association(1)]);
    sim.setAssociations({ region: "us-east-1", accountId: "111111111111" }, [association(2)]);

    expect(sim.getAssociations({ region: "us-east-1", accountId: "999999999999" })).toEqual([association(1)]);
    expect(sim.getAssociations({ region: "us-east-1", accountId: "111111111111" })).toEqual([association(2)]);
    expect(sim.getAssociations({ region: "eu-west-1" })).toEqual([]);
    expect(sim.scopes()).toEqual([
      { accountId: "999999999999", region: "us-east-1" },
      { accountId: "111111111111", region: "us-east-1" },
    ]);
  });

  it("hands out copies, never its own objects", () => {
    const sim = new Simulator();
    const input = association(1);
    sim.setAssociations(US, [input]);
    input.Name = "changed-by-caller";
    sim.getAssociations(US)[0]!.Name = "changed-again";
    expect(sim.getAssociations(US)[0]?.Name).toBe("AWS-RunPatchBaseline");
  });

  it("fails fast on bad input", () => {
    const sim = new Simulator();
    expect(() => new Simulator({ defaultAccountId: "12" })).toThrow(/12 digits/);
    expect(() => sim.setAssociations(US, [association(1), association(1)])).toThrow(/duplicate/);
    expect(() => sim.getAssociations({ region: "" })).toThrow(/region/);
    expect(() => sim.mapAccessKey("AKID", "abc")).toThrow(/12 digits/);
    expect(() => sim.setStatus(US, "nope", "Failed")).toThrow(UnknownAssociationError);
    expect(() => sim.injectFault({ kind: "ThrottlingException", count: 0 })).toThrow(RangeError);
  });

  it("generate replaces the scope's data with seeded associations", () => {
    const sim = new Simulator({ now: () => NOW });
    sim.setAssociations(US, [association(1)]);
    const generated = sim.generate(US, 20, 3);
    expect(sim.getAssociations(US)).toEqual(generated);
    expect(new Simulator({ now: () => NOW }).generate(US, 20, 3)).toEqual(generated);
  });

  it("setStatus moves the per-target counts along", () => {
    const sim = new Simulator();
    sim.setAssociations(US, [
      association(1, { Overview: { Status: "Success", DetailedStatus: "Success", AssociationStatusAggregatedCount: { Success: 4 } } }),
      association(2, { Overview: { Status: "Pending", DetailedStatus: "Creating", AssociationStatusAggregatedCount: {} } }),
    ]);
    const id1 = association(1).AssociationId;

    expect(sim.setStatus(US, id1, "Failed").Overview).toEqual({
      Status: "Failed",
      DetailedStatus: "Failed",
      AssociationStatusAggregatedCount: { Failed: 1, Success: 3 },
    });
    expect(sim.setStatus(US, id1, "Success", "Success").Overview?.AssociationStatusAggregatedCount).toEqual({ Success: 4 });
    expect(sim.setStatus(US, id1, "Pending", "InProgress").Overview).toMatchObject({
      DetailedStatus: "InProgress",
      AssociationStatusAggregatedCount: { Pending: 4 },
    });
    expect(sim.setStatus(US, association(2).AssociationId, "Success").Overview?.AssociationStatusAggregatedCount).toEqual({});
  });

  it("updates and deletes", () => {
    const sim = new Simulator();
    sim.setAssociations(US, [association(1), association(2)]);
    const id = association(1).AssociationId;

    const patch = { AssociationName: "renamed", LastExecutionDate: 5 };
    expect(sim.updateAssociation(US, id, patch)).toMatchObject(patch);
    expect(() => sim.updateAssociation(US, id, { AssociationId: "other" } as never)).toThrow(/AssociationId/);
    expect(sim.deleteAssociation(US, id)).toBe(true);
    expect(sim.deleteAssociation(US, id)).toBe(false);
    expect(sim.getAssociations(US).map((a) => a.AssociationId)).toEqual([association(2).AssociationId]);
  });

  it("churn flips n distinct associations and stamps them as just run", () => {
    const sim = new Simulator({ now: () => NOW });
    sim.generate(US, 50, 1);
    const before = new Map(sim.getAssociations(US).map((a) => [a.AssociationId, a]));

    const changed = sim.churn(US, 5, mulberry32(9));

    expect(new Set(changed.map((a) => a.AssociationId)).size).toBe(5);
    for (const a of changed) {
      const was = before.get(a.AssociationId)?.Overview?.Status;
      expect(a.Overview?.Status).toBe(was === "Failed" ? "Success" : "Failed");
      expect(a.LastExecutionDate).toBe(NOW / 1000);
    }
    expect(sim.churn({ region: "empty-1" }, 3)).toEqual([]);
  });

  it("keeps what generate seeded on purpose, for the ids that still exist; setAssociations drops it", () => {
    const sim = new Simulator({ now: () => NOW });
    const generated = sim.generate(US, 60, 4);
    const seeded = sim.seededConditions(US);
    expect(seeded).toEqual(seedAssociations(60, { seed: 4, region: "us-east-1", now: NOW }).seeded);
    expect(seeded?.overdue.length).toBeGreaterThan(0);

    const gone = seeded?.failed[0] ?? "";
    sim.deleteAssociation(US, gone);
    expect(sim.seededConditions(US)?.failed).toEqual(seeded?.failed.slice(1));
    expect(sim.seededConditions({ region: "eu-west-1" })).toBeUndefined();
    sim.setAssociations(US, generated);
    expect(sim.seededConditions(US)).toBeUndefined();
  });

  it("makeOverdue makes an association miss its latest run by over 2 h and records it", () => {
    const sim = new Simulator({ now: () => NOW });
    sim.setAssociations(US, [
      association(1, { ScheduleExpression: "rate(1 day)", LastExecutionDate: NOW / 1000 - 600 }),
      // 2025-06-01 12:00 UTC: today's 04:00 slot is 8 h old.
      association(2, { ScheduleExpression: "cron(0 4 * * ? *)", LastExecutionDate: Date.parse("2025-06-01T04:01:00Z") / 1000 }),
      association(3, { ScheduleExpression: "cron(0/30 * * * ? *)", LastExecutionDate: NOW / 1000 - 60 }),
      association(4, { ScheduleExpression: undefined, LastExecutionDate: NOW / 1000 - 86_400 }),
    ]);
    const id = (n: number) => association(n).AssociationId;

    // Anchored on the last run, rate(1 day) was due at last + 1 day: 12 h 55 min ago (halfway between 2 h
    // and 10 minutes short of a period).
    expect(sim.makeOverdue(US, id(1)).LastExecutionDate).toBe((NOW - 86_400_000 - (12 * 60 + 55) * 60_000) / 1000);
    // The daily cron ran yesterday, 30 s after its slot, and missed today's.
    expect(sim.makeOverdue(US, id(2)).LastExecutionDate).toBe(Date.parse("2025-05-31T04:00:30Z") / 1000);
    expect(() => sim.makeOverdue(US, id(3))).toThrow(/cannot miss a run by 2 h/);
    expect(() => sim.makeOverdue(US, id(4))).toThrow(RangeError);
    expect(sim.seededConditions(US)).toMatchObject({ overdue: [id(1), id(2)] });
  });

  it("runDue records the runs that came due, except for the overdue ones and those that never ran", () => {
    let now = NOW;
    const sim = new Simulator({ now: () => now });
    sim.setAssociations(US, [
      association(1, { ScheduleExpression: "cron(0/30 * * * ? *)", LastExecutionDate: Date.parse("2025-06-01T11:30:10Z") / 1000 }),
      association(2, { ScheduleExpression: "rate(1 hour)", LastExecutionDate: (NOW - 1_800_000) / 1000 }),
      association(3, { ScheduleExpression: "cron(0 4 * * ? *)", LastExecutionDate: Date.parse("2025-06-01T04:01:00Z") / 1000 }),
      association(4, { ScheduleExpression: "at(2025-06-01T12:40:00)", Overview: { Status: "Pending", AssociationStatusAggregatedCount: { Pending: 3 } } }),
      association(5, { ScheduleExpression: "cron(0/30 * * * ? *)" }),
    ]);
    sim.makeOverdue(US, association(3).AssociationId);
    const overdueRun = sim.getAssociations(US)[2]?.LastExecutionDate;
    expect(sim.runDue(US)).toEqual([]);

    now = Date.parse("2025-06-01T13:05:00Z");
    const ran = sim.runDue(US);
    expect(ran.map((a) => [a.AssociationId, a.LastExecutionDate, a.Overview?.Status])).toEqual([
      [association(1).AssociationId, Date.parse("2025-06-01T13:00:20Z") / 1000, "Success"],
      [association(2).AssociationId, (NOW + 1_800_000 + 20_000) / 1000, "Success"],
      [association(4).AssociationId, Date.parse("2025-06-01T12:40:20Z") / 1000, "Success"],
    ]);
    expect(ran[2]?.Overview?.AssociationStatusAggregatedCount).toEqual({ Success: 3 });
    expect(sim.getAssociations(US)[2]?.LastExecutionDate).toBe(overdueRun);
    expect(sim.getAssociations(US)[4]?.LastExecutionDate).toBeUndefined();
    expect(sim.runDue(US)).toEqual([]);
  });

  it("consumes faults in order and counts every call", () => {
    const sim = new Simulator();
    const site = { operation: "ListAssociations" as const, region: "us-east-1", accountId: sim.defaultAccountId };
    sim.injectFault({ kind: "ThrottlingException", count: 1 });
    sim.injectFault({ kind: "InternalServerError", count: 2, region: "us-east-1" });

    const kinds = [1, 2, 3, 4].map(() => sim.beginCall(site)?.kind);
    const other = sim.beginCall({ ...site, operation: "GetCallerIdentity" });

    expect(kinds).toEqual(["ThrottlingException", "InternalServerError", "InternalServerError", undefined]);
    expect(other).toBeUndefined();
    expect(sim.callCount("ListAssociations")).toBe(4);
    expect(sim.callCount("ListAssociations", US)).toBe(4);
    expect(sim.callCount("ListAssociations", { region: "eu-west-1" })).toBe(0);
    expect(sim.callCount("GetCallerIdentity")).toBe(1);
    sim.resetCounters();
    expect(sim.callCounts()).toEqual([]);
  });

  it("resolves callers: mapped keys, issued keys with their token, unknown ASIA keys", () => {
    let now = NOW;
    const sim = new Simulator({ now: () => now, defaultAccountId: "999999999999" });
    const roleArn = "arn:aws:iam::222222222222:role/reader";
    const issued = sim.assumeRole({ RoleArn: roleArn, RoleSessionName: "unit", DurationSeconds: "900" }, CALLER);
    sim.mapAccessKey("AKIDMAPPED", "333333333333");

    expect(issued).toMatchObject({ accountId: "222222222222", roleName: "reader", expiration: NOW + 900_000 });
    expect(sim.resolveCaller(issued.accessKeyId, issued.sessionToken)).toEqual({
      ok: true,
      caller: { accountId: "222222222222", arn: "arn:aws:sts::222222222222:assumed-role/reader/unit", userId: issued.assumedRoleId },
    });
    expect(sim.resolveCaller(issued.accessKeyId, "wrong")).toEqual({ ok: false, reason: "invalid" });
    expect(sim.resolveCaller("ASIAUNKNOWN", "t")).toEqual({ ok: false, reason: "invalid" });
    expect(sim.resolveCaller("AKIDMAPPED", undefined)).toMatchObject({ ok: true, caller: { accountId: "333333333333" } });
    expect(sim.resolveCaller("AKIDOTHER", undefined)).toMatchObject({ ok: true, caller: { accountId: "999999999999" } });
    expect(sim.accountFor(issued.accessKeyId)).toBe("222222222222");

    now = NOW + 900_000;
    expect(sim.resolveCaller(issued.accessKeyId, issued.sessionToken)).toEqual({ ok: false, reason: "expired" });
  });

  it("validates role policies and the credential lifetime", () => {
    const sim = new Simulator({ credentialLifetimeSeconds: 20 });
    expect(sim.credentialLifetimeSeconds).toBe(20);
    expect(() => sim.denyAssumeRole("arn:aws:iam::222222222222:user/bob")).toThrow(TypeError);
    expect(() => sim.requireExternalId("arn:aws:iam::222222222222:role/r", "x")).toThrow(TypeError);
    expect(() => sim.setCredentialLifetime(0)).toThrow(RangeError);
    expect(() => new Simulator({ credentialLifetimeSeconds: 2.5 })).toThrow(RangeError);
    sim.denyAssumeRole("arn:aws:iam::222222222222:role/r");
    sim.requireExternalId("arn:aws:iam::222222222222:role/r", "xid");
    sim.allowAssumeRole("arn:aws:iam::222222222222:role/r");
    expect(sim.rolePolicies()).toEqual([{ roleArn: "arn:aws:iam::222222222222:role/r", denied: false, externalId: "xid" }]);
    sim.requireExternalId("arn:aws:iam::222222222222:role/r", undefined);
    expect(sim.rolePolicies()).toEqual([]);
  });
});
