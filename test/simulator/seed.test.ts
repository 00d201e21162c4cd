import awsCronParser from "aws-cron-parser";
import { describe, expect, it } from "vitest";
import { generateAssociations, seedAssociations } from "../../dev/simulator/seed.js";
import type { WireAssociation } from "../../dev/simulator/types.js";

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
        expect(a.ScheduleExpression).toMatch(/^(cron\((\S+ ){5}\S+\)|rate\(\d+ (minutes|hours?|days?)\)|at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\))$/);
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
    for (const s of ["cron(0 2 ? * SUN *)", "cron(0/30 * * * ? *)", "cron(30 23 ? * TUE#3 *)", "rate(30 minutes)", "rate(1 day)"]) expect(schedules).toContain(s);
    expect(share((a) => a.ScheduleExpression === undefined)).toBeGreaterThan(0.02);
    expect(share((a) => a.ScheduleExpression?.startsWith("at(") ?? false)).toBeGreaterThan(0.01);
    expect([...new Set(sample.map((a) => a.DocumentVersion))]).toEqual(expect.arrayContaining(["$DEFAULT", "$LATEST", "1"]));
  });

  it("records what it seeded on purpose, consistent with the data", () => {
    const { associations, seeded } = seedAssociations(1000, { seed: 42, region: "us-east-1", now: NOW });
    expect(associations).toEqual(sample);
    const ids = (pred: (a: WireAssociation) => boolean) => associations.filter(pred).map((a) => a.AssociationId);
    expect(seeded.now).toBe(NOW);
    expect(seeded.failed).toEqual(ids((a) => a.Overview?.Status === "Failed"));
    expect(seeded.targetsFailed).toEqual(ids((a) => (a.Overview?.AssociationStatusAggregatedCount?.Failed ?? 0) > 0));
    expect(seeded.neverRan).toEqual(ids((a) => a.LastExecutionDate === undefined));
    // As in AWS, one failed target fails the association; never-ran ones are Pending.
    expect(seeded.targetsFailed.every((id) => seeded.failed.includes(id))).toBe(true);
    expect(seeded.targetsFailed.length).toBeGreaterThan(0);
    expect(seeded.neverRan.every((id) => associations.find((a) => a.AssociationId === id)?.Overview?.Status === "Pending")).toBe(true);
    // on time, overdue and never ran do not overlap; on time + overdue = every recurring one that ran.
    const all = [...seeded.onTime, ...seeded.overdue, ...seeded.neverRan];
    expect(new Set(all).size).toBe(all.length);
    expect([...seeded.onTime, ...seeded.overdue].sort()).toEqual(ids((a) => /^(cron|rate)\(/.test(a.ScheduleExpression ?? "") && a.LastExecutionDate !== undefined).sort());
  });

  // Checked with aws-cron-parser directly (not the simulator's schedule.ts), at many times of day and week.
  const NOWS = Array.from({ length: 28 }, (_, i) => NOW + i * 6 * HOUR + i * 7 * 60_000);
  const seededAt = NOWS.map((now) => ({ now, ...seedAssociations(400, { seed: 7, region: "eu-west-1", now }) }));

  it("seeds on-time associations at their latest scheduled run (aws-cron-parser), rate() ones within a period", () => {
    let checked = 0;
    for (const { now, associations, seeded } of seededAt) {
      for (const id of seeded.onTime) {
        const a = byId(associations, id);
        const last = (a.LastExecutionDate ?? Number.NaN) * 1000;
        expect(last).toBeLessThanOrEqual(now);
        const rate = rateMs(a);
        if (rate !== undefined) {
          expect(now - last, a.ScheduleExpression).toBeLessThan(rate);
        } else {
          const latest = cronSlotAtOrBefore(a, now);
          const ranAfter = latest + DELAY_MIN <= last && last <= latest + DELAY_MAX;
          // A slot that came up within a run delay of `now` has not been recorded yet: then the one before.
          const before = cronSlotAtOrBefore(a, latest - 1);
          const ranAfterPrevious = now - latest < DELAY_MAX && before + DELAY_MIN <= last && last <= before + DELAY_MAX;
          expect(ranAfter || ranAfterPrevious, `${a.ScheduleExpression} +${a.ScheduleOffset ?? 0}d last ${iso(last)} now ${iso(now)}`).toBe(true);
        }
        expect(overdueByTheAlert(a, now)).toBe(false);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(8000);
  });

  it("seeds a few overdue on purpose: missed their latest scheduled run by over 2 h; never an unscheduled or one-time one", () => {
    const kinds = new Set<string>();
    for (const { now, associations, seeded } of seededAt) {
      const share = seeded.overdue.length / associations.length;
      expect(share, iso(now)).toBeGreaterThanOrEqual(0.025);
      expect(share, iso(now)).toBeLessThanOrEqual(0.05);
      for (const id of seeded.overdue) {
        const a = byId(associations, id);
        expect(a.ScheduleExpression).toMatch(/^(cron|rate)\(/);
        const last = (a.LastExecutionDate ?? Number.NaN) * 1000;
        const due = dueAt(a, now);
        expect(last, a.ScheduleExpression).toBeLessThan(due);
        expect(now - due, a.ScheduleExpression).toBeGreaterThanOrEqual(2 * HOUR);
        expect(overdueByTheAlert(a, now)).toBe(true);
        kinds.add(a.ScheduleExpression ?? "");
      }
      for (const a of associations) {
        if (!/^(cron|rate)\(/.test(a.ScheduleExpression ?? "")) {
          expect(seeded.overdue).not.toContain(a.AssociationId);
          expect(overdueByTheAlert(a, now)).toBe(false);
        }
        if (seeded.overdue.includes(a.AssociationId)) continue;
        // Nothing is overdue by accident, not even within the alert's grace.
        expect(overdueByTheAlert(a, now), `${a.ScheduleExpression} ${a.AssociationId}`).toBe(false);
      }
    }
    for (const k of ["cron(0 4 * * ? *)", "cron(0 2 ? * SUN *)", "rate(12 hours)", "rate(1 day)", "rate(7 days)"]) expect(kinds).toContain(k);
    // Every 30 minutes never leaves a missed run 2 h behind (anchored rate() or cron alike): never seeded overdue.
    expect(kinds).not.toContain("rate(30 minutes)");
    expect(kinds).not.toContain("cron(0/30 * * * ? *)");
  });

  it("lets unscheduled ones run once long ago, past at() ones at their time, and future at() ones never", () => {
    let unscheduled = 0;
    let past = 0;
    let future = 0;
    for (const { now, associations } of seededAt) {
      for (const a of associations) {
        const last = a.LastExecutionDate === undefined ? undefined : a.LastExecutionDate * 1000;
        if (a.ScheduleExpression === undefined) {
          unscheduled++;
          if (last === undefined) continue;
          expect(now - last).toBeGreaterThanOrEqual(2 * DAY);
          expect(now - last).toBeLessThanOrEqual(120 * DAY);
        }
        const at = /^at\((.+)\)$/.exec(a.ScheduleExpression ?? "")?.[1];
        if (at === undefined) continue;
        const atMs = Date.parse(`${at}Z`);
        if (atMs > now) {
          future++;
          expect(last).toBeUndefined();
          expect(a.Overview?.Status).toBe("Pending");
        } else {
          past++;
          expect(last).toBeGreaterThanOrEqual(atMs + DELAY_MIN);
          expect(last).toBeLessThanOrEqual(atMs + DELAY_MAX);
        }
      }
    }
    expect(Math.min(unscheduled, past, future)).toBeGreaterThan(50);
  });

  it("keeps everything but LastExecutionDate independent of now", () => {
    const strip = (list: WireAssociation[]) => list.map(({ LastExecutionDate: _, ScheduleExpression, ...rest }) => ({ ...rest, at: ScheduleExpression?.startsWith("at(") }));
    const [first, ...others] = seededAt;
    for (const other of others) expect(strip(other.associations)).toEqual(strip(first?.associations ?? []));
  });
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const DELAY_MIN = 5_000;
const DELAY_MAX = 240_000;
const GRACE = HOUR;

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}

function byId(list: WireAssociation[], id: string): WireAssociation {
  const a = list.find((x) => x.AssociationId === id);
  if (a === undefined) throw new Error(`no ${id}`);
  return a;
}

function rateMs(a: WireAssociation): number | undefined {
  const m = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(a.ScheduleExpression ?? "");
  if (m === null) return undefined;
  return Number(m[1]) * { minute: 60_000, hour: HOUR, day: DAY }[m[2] as "minute" | "hour" | "day"];
}

/** The latest cron slot at or before t, ScheduleOffset days later, straight from aws-cron-parser. */
function cronSlotAtOrBefore(a: WireAssociation, t: number): number {
  const cron = /^cron\((.+)\)$/.exec(a.ScheduleExpression ?? "")?.[1];
  if (cron === undefined) throw new Error(`not cron: ${a.ScheduleExpression}`);
  const offset = (a.ScheduleOffset ?? 0) * DAY;
  // prev() answers the latest match strictly before the minute `from` falls in.
  const slot = awsCronParser.prev(awsCronParser.parse(cron), new Date(t - offset + 1));
  if (slot === null) throw new Error(`no slot of ${cron} before ${iso(t)}`);
  return slot.getTime() + offset;
}

/** The run due last at `now`: the latest cron slot; for rate(), last + whole periods since. */
function dueAt(a: WireAssociation, now: number): number {
  const rate = rateMs(a);
  if (rate === undefined) return cronSlotAtOrBefore(a, now);
  const last = (a.LastExecutionDate ?? Number.NaN) * 1000;
  return last + Math.floor((now - last) / rate) * rate;
}

/** SsmAssociationOverdue's condition: previous_scheduled + grace < now and last < previous_scheduled. */
function overdueByTheAlert(a: WireAssociation, now: number): boolean {
  if (a.LastExecutionDate === undefined || !/^(cron|rate)\(/.test(a.ScheduleExpression ?? "")) return false;
  const due = dueAt(a, now);
  return due + GRACE < now && a.LastExecutionDate * 1000 < due;
}

