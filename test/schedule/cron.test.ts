import { Cron } from "croner";
import { describe, expect, it } from "vitest";
import { parseCron } from "../../src/schedule/cron.js";

const at = (iso: string): number => Date.parse(`${iso}Z`) / 1000;
const iso = (seconds: number | undefined): string | undefined => (seconds === undefined ? undefined : new Date(seconds * 1000).toISOString().slice(0, 19));

function pattern(body: string): string {
  const result = parseCron(body);
  if (!result.ok) throw new Error(`${body}: ${result.reason}`);
  return result.schedule.pattern;
}

describe("parseCron", () => {
  it("rewrites AWS's fields into croner's 7-part form, leaving croner nothing to read its own way", () => {
    expect(pattern("0 2 ? * SUN *")).toBe("0 0 2 * * 1 *");
    expect(pattern("0 0 2 ? * SUN *")).toBe("0 0 2 * * 1 *");
    expect(pattern("0/30 * * * ? *")).toBe("0 0-59/30 * * * * *");
    expect(pattern("*/30 * * * ? *")).toBe("0 0-59/30 * * * * *");
    expect(pattern("30 23 ? * TUE#3 *")).toBe("0 30 23 * * 3#3 *");
    expect(pattern("15 10 ? * 6L 2026-2028")).toBe("0 15 10 * * 6#L 2026-2028");
    expect(pattern("15 10 ? * FRIL *")).toBe("0 15 10 * * 6#L *");
    expect(pattern("0 9 ? * L *")).toBe("0 0 9 * * 7 *");
    expect(pattern("0 18 ? * MON-FRI *")).toBe("0 0 18 * * 2-6 *");
    expect(pattern("0 8 1 JAN,jul ? *")).toBe("0 0 8 1 1,7 * *");
    expect(pattern("0 2 L * ? *")).toBe("0 0 2 L * * *");
    expect(pattern("0 9 LW * ? *")).toBe("0 0 9 LW * * *");
    expect(pattern("0 9 15W * ? *")).toBe("0 0 9 15W * * *");
    expect(pattern("30 09 ? * * *")).toBe("0 30 9 * * * *");
    // Steps over AWS's ranges: years from 1970 (croner's own year range starts at 1).
    expect(pattern("0 9 * * ? */2")).toBe("0 0 9 * * * 1970-2199/2");
    expect(pattern("0 9 ? * */2 *")).toBe("0 0 9 * * 1-7/2 *");
    expect(pattern("0 4 * * ?")).toBe("0 0 4 * * * *");
    expect(pattern("  0   4 * * ? *  ")).toBe("0 0 4 * * * *");
  });

  it("combines day-of-month and day-of-week with AND: cron(0 9 ? * MON *) fires on Mondays only", () => {
    const result = parseCron("0 9 ? * MON *");
    if (!result.ok) throw new Error(result.reason);
    const now = at("2026-03-11T09:07:00"); // a Wednesday
    expect(iso(result.schedule.latestAtOrBefore(now))).toBe("2026-03-09T09:00:00");
    expect(iso(result.schedule.nextAfter(now))).toBe("2026-03-16T09:00:00");
    const month = parseCron("0 9 15 * ? *");
    if (!month.ok) throw new Error(month.reason);
    expect(iso(month.schedule.nextAfter(now))).toBe("2026-03-15T09:00:00");
    expect(iso(month.schedule.nextAfter(at("2026-03-15T09:00:00")))).toBe("2026-04-15T09:00:00");
  });

  it("is read with AND where croner's default OR would differ (both day fields restricted)", () => {
    // AWS refuses both day fields set, and so does parseCron; this shows croner's options do what we rely on.
    const now = new Date("2026-03-11T09:07:00Z");
    const and = new Cron("0 0 9 1-7 * 2 *", { utcOffset: 0, alternativeWeekdays: true, domAndDow: true, paused: true });
    const or = new Cron("0 0 9 1-7 * 2 *", { utcOffset: 0, alternativeWeekdays: true, paused: true });
    expect(and.nextRun(now)?.toISOString()).toBe("2026-04-06T09:00:00.000Z"); // the first Monday
    expect(or.nextRun(now)?.toISOString()).toBe("2026-03-16T09:00:00.000Z"); // any Monday, or days 1-7
  });

  it("finds no slot at all for a date that never comes, without hanging", () => {
    const result = parseCron("0 0 30 FEB ? *");
    if (!result.ok) throw new Error(result.reason);
    expect(result.schedule.nextAfter(at("2026-03-11T09:07:00"))).toBeUndefined();
    expect(result.schedule.latestAtOrBefore(at("2026-03-11T09:07:00"))).toBeUndefined();
  });

  it.each([
    ["0 9 * * MON *", "exactly one of day-of-month and day-of-week must be ?"],
    ["0 9 ? * ? *", "exactly one of day-of-month and day-of-week must be ?"],
    ["0 9 * * * *", "exactly one of day-of-month and day-of-week must be ?"],
    ["5 0 2 ? * SUN *", "the seconds field must be 0, got '5'"],
    ["* 0 2 ? * SUN *", "the seconds field must be 0, got '*'"],
    ["0 2 ?", "expected 6 fields (minutes hours day-of-month month day-of-week year), optionally led by seconds (0) or without the year, got 3"],
    ["0 0 0 2 ? * SUN *", "expected 6 fields (minutes hours day-of-month month day-of-week year), optionally led by seconds (0) or without the year, got 8"],
    ["", "expected 6 fields (minutes hours day-of-month month day-of-week year), optionally led by seconds (0) or without the year, got 1"],
    ["60 2 ? * SUN *", "minutes: 60 is outside 0-59"],
    ["0 24 ? * SUN *", "hours: 24 is outside 0-23"],
    ["0 2 0 * ? *", "day-of-month: 0 is outside 1-31"],
    ["0 2 ? 13 SUN *", "month: 13 is outside 1-12"],
    ["0 2 ? * 0 *", "day-of-week: 0 is outside 1-7"],
    ["0 2 ? * 8 *", "day-of-week: 8 is outside 1-7"],
    ["0 2 ? * SUN 1969", "year: 1969 is outside 1970-2199"],
    ["0 2 ? * SUN 2200", "year: 2200 is outside 1970-2199"],
    ["0 2 ? * FUN *", "day-of-week: 'FUN' is not a number or a name"],
    ["0 2 ? JANUARY SUN *", "month: 'JANUARY' is not a number or a name"],
    ["x 2 ? * SUN *", "minutes: 'X' is not a number"],
    ["0 2 ? * SAT-MON *", "day-of-week: the range SAT-MON goes backwards"],
    ["0 2 ? * FRI-MON *", "day-of-week: the range FRI-MON goes backwards"],
    ["0/0 * * * ? *", "minutes: the increment in '0/0' must be a whole number of at least 1"],
    ["0/5/2 * * * ? *", "minutes: '0/5/2' has more than one /"],
    ["1-2-3 * * * ? *", "minutes: '1-2-3' is not a range"],
    ["0 2 1,,15 * ? *", "day-of-month: '' is not a number"],
    ["0 2 L-3 * ? *", "day-of-month: 'L-3' (L, LW and nW stand alone, without an offset)"],
    ["0 2 3L * ? *", "day-of-month: '3L' (L, LW and nW stand alone, without an offset)"],
    ["0 2 1,L * ? *", "day-of-month: '1,L' (L, LW and nW stand alone, without an offset)"],
    ["0 2 ? * TUE#6 *", "day-of-week: 'TUE#6' (the n in #n is 1-5)"],
    ["0 2 ? * MON#1,FRI#3 *", "day-of-week: 'MON#1,FRI#3' (nL and n#k stand alone)"],
    ["0 2 ? * 8L *", "day-of-week: 8 is outside 1-7"],
    ["0 2 ? ? MON *", "month: '?' is not a number or a name"],
  ])("refuses %j: %s", (body, reason) => {
    expect(parseCron(body)).toEqual({ ok: false, reason });
  });
});
