import awsCronParser from "aws-cron-parser";
import { describe, expect, it } from "vitest";
import { parseSchedule, scheduleSlots, type Schedule } from "../../src/schedule/schedule.js";

const DAY = 86_400;
const at = (iso: string): number => Date.parse(`${iso}Z`) / 1000;
const iso = (seconds: number | undefined): string | undefined => (seconds === undefined ? undefined : new Date(seconds * 1000).toISOString().slice(0, 19));

function parsed(expression: string): Schedule {
  const result = parseSchedule(expression);
  if (!result.ok) throw new Error(`${expression}: ${result.reason}`);
  return result.schedule;
}

/**
 * A second implementation of AWS cron, used only as a test oracle: aws-cron-parser reads AWS's 6-field
 * form (1 = Sunday) at minute resolution. prev() is strictly before its argument, next() strictly after.
 */
function oracleSlots(expression: string, nowSeconds: number, offsetDays = 0): { previous: string | undefined; next: string | undefined } {
  const fields = expression.slice("cron(".length, -1).trim().split(/\s+/);
  if (fields.length === 7) fields.shift();
  if (fields.length === 5) fields.push("*");
  const cron = awsCronParser.parse(fields.join(" "));
  const shifted = nowSeconds - offsetDays * DAY;
  const minute = Math.floor(shifted / 60) * 60;
  const previous = awsCronParser.prev(cron, new Date((minute + 60) * 1000));
  const next = awsCronParser.next(cron, new Date(shifted * 1000));
  return {
    previous: previous ? iso(previous.getTime() / 1000 + offsetDays * DAY) : undefined,
    next: next ? iso(next.getTime() / 1000 + offsetDays * DAY) : undefined,
  };
}

interface Row {
  readonly expression: string;
  /** The poll instant, UTC. */
  readonly now: string;
  readonly offsetDays?: number;
  readonly lastExecution?: string;
  /** Hand-checked against a calendar. */
  readonly previous: string | undefined;
  readonly next: string | undefined;
  /**
   * aws-cron-parser cannot read LW or a lone L in day-of-week, and takes day 31 of a shorter month for
   * a day of the next one; those rows are checked by hand only.
   */
  readonly oracle?: false;
}

// 2026-03-11 is a Wednesday. February 2026: Sundays 1, 8, 15, 22; March 2026: Sundays 1, 8, 15, 22, 29.
const WED = "2026-03-11T09:07:00";

/** Real association schedules (AWS's documentation examples and common shapes), with their slots. */
const TABLE: readonly Row[] = [
  // The examples of the Systems Manager cron reference, for associations and in general.
  { expression: "cron(0 2 ? * SUN *)", now: WED, previous: "2026-03-08T02:00:00", next: "2026-03-15T02:00:00" },
  { expression: "cron(0 0 2 ? * SUN *)", now: WED, previous: "2026-03-08T02:00:00", next: "2026-03-15T02:00:00" },
  { expression: "cron(0/30 * * * ? *)", now: WED, previous: "2026-03-11T09:00:00", next: "2026-03-11T09:30:00" },
  { expression: "cron(0 */30 * * * ? *)", now: WED, previous: "2026-03-11T09:00:00", next: "2026-03-11T09:30:00" },
  { expression: "cron(0 0/1 * * ? *)", now: WED, previous: "2026-03-11T09:00:00", next: "2026-03-11T10:00:00" },
  { expression: "cron(0 0/2 * * ? *)", now: WED, previous: "2026-03-11T08:00:00", next: "2026-03-11T10:00:00" },
  { expression: "cron(0 0/4 * * ? *)", now: WED, previous: "2026-03-11T08:00:00", next: "2026-03-11T12:00:00" },
  { expression: "cron(0 0/8 * * ? *)", now: WED, previous: "2026-03-11T08:00:00", next: "2026-03-11T16:00:00" },
  { expression: "cron(0 0/12 * * ? *)", now: WED, previous: "2026-03-11T00:00:00", next: "2026-03-11T12:00:00" },
  { expression: "cron(15 13 ? * * *)", now: WED, previous: "2026-03-10T13:15:00", next: "2026-03-11T13:15:00" },
  { expression: "cron(15 13 ? * MON *)", now: WED, previous: "2026-03-09T13:15:00", next: "2026-03-16T13:15:00" },
  { expression: "cron(0 4 * * ? *)", now: WED, previous: "2026-03-11T04:00:00", next: "2026-03-12T04:00:00" },
  { expression: "cron(0 18 ? * MON-FRI *)", now: WED, previous: "2026-03-10T18:00:00", next: "2026-03-11T18:00:00" },
  { expression: "cron(0 8 1 * ? *)", now: WED, previous: "2026-03-01T08:00:00", next: "2026-04-01T08:00:00" },
  { expression: "cron(0/15 * * * ? *)", now: WED, previous: "2026-03-11T09:00:00", next: "2026-03-11T09:15:00" },
  // Friday evening: the next slot of a business-hours schedule is Monday morning.
  { expression: "cron(0/5 8-17 ? * MON-FRI *)", now: "2026-03-13T17:57:00", previous: "2026-03-13T17:55:00", next: "2026-03-16T08:00:00" },
  // Third Tuesday: February 3, 10, 17; March 3, 10, 17.
  { expression: "cron(30 23 ? * TUE#3 *)", now: WED, previous: "2026-02-17T23:30:00", next: "2026-03-17T23:30:00" },
  { expression: "cron(0 2 ? * THU#3 *)", now: WED, previous: "2026-02-19T02:00:00", next: "2026-03-19T02:00:00" },
  { expression: "cron(0 2 L * ? *)", now: WED, previous: "2026-02-28T02:00:00", next: "2026-03-31T02:00:00" },
  // Last Friday (6 = Friday with 1 = Sunday): February 27, March 27; the years bound it.
  { expression: "cron(15 10 ? * 6L 2026-2028)", now: WED, previous: "2026-02-27T10:15:00", next: "2026-03-27T10:15:00" },
  { expression: "cron(15 10 ? * 6L 2026-2028)", now: "2029-03-01T00:00:00", previous: "2028-12-29T10:15:00", next: undefined },
  // Last Tuesday: February 24, March 31.
  { expression: "cron(0 9 ? * 3L *)", now: WED, previous: "2026-02-24T09:00:00", next: "2026-03-31T09:00:00" },
  // The weekday nearest the 15th: February 15 and March 15 are Sundays, so Monday the 16th.
  { expression: "cron(0 9 15W * ? *)", now: WED, previous: "2026-02-16T09:00:00", next: "2026-03-16T09:00:00" },
  // The last weekday: February 28 is a Saturday, so the 27th; March 31 is a Tuesday.
  { expression: "cron(0 9 LW * ? *)", now: WED, previous: "2026-02-27T09:00:00", next: "2026-03-31T09:00:00", oracle: false },
  { expression: "cron(0 8 1 JAN,JUL ? *)", now: WED, previous: "2026-01-01T08:00:00", next: "2026-07-01T08:00:00" },
  // Mondays of January and March only: January 26, then March 2.
  { expression: "cron(0 12 ? JAN-MAR/2 MON *)", now: "2026-01-31T00:00:00", previous: "2026-01-26T12:00:00", next: "2026-03-02T12:00:00" },
  // AWS's day-of-week numbering: 2, 4, 6 = Monday, Wednesday, Friday; 1 = Sunday; 7 = Saturday.
  { expression: "cron(30 6 ? * 2,4,6 *)", now: WED, previous: "2026-03-11T06:30:00", next: "2026-03-13T06:30:00" },
  { expression: "cron(0 9 ? * 1 *)", now: WED, previous: "2026-03-08T09:00:00", next: "2026-03-15T09:00:00" },
  { expression: "cron(0 9 ? * 7 *)", now: WED, previous: "2026-03-07T09:00:00", next: "2026-03-14T09:00:00" },
  // A lone L in day-of-week is the last day of the week, Saturday.
  { expression: "cron(0 9 ? * L *)", now: WED, previous: "2026-03-07T09:00:00", next: "2026-03-14T09:00:00", oracle: false },
  // Every other day of the week from Sunday: Sunday, Tuesday, Thursday, Saturday.
  { expression: "cron(0 9 ? * */2 *)", now: WED, previous: "2026-03-10T09:00:00", next: "2026-03-12T09:00:00" },
  { expression: "cron(0 9 5/10 * ? *)", now: WED, previous: "2026-03-05T09:00:00", next: "2026-03-15T09:00:00" },
  // Days 1, 11, 21, 31: February has no 31st (aws-cron-parser would take it for March 3).
  { expression: "cron(0 9 1/10 * ? *)", now: "2026-02-23T12:00:00", previous: "2026-02-21T09:00:00", next: "2026-03-01T09:00:00", oracle: false },
  { expression: "cron(0 9 * * ? 2026/2)", now: "2026-12-31T12:00:00", previous: "2026-12-31T09:00:00", next: "2028-01-01T09:00:00" },
  { expression: "cron(0 18 ? * mon-fri *)", now: WED, previous: "2026-03-10T18:00:00", next: "2026-03-11T18:00:00" },
  // Five fields: no year.
  { expression: "cron(0 4 * * ?)", now: WED, previous: "2026-03-11T04:00:00", next: "2026-03-12T04:00:00" },
  { expression: "cron(15 13 ? * MON)", now: WED, previous: "2026-03-09T13:15:00", next: "2026-03-16T13:15:00" },
  // The years are over: the last slot stays previous, no next. Not yet begun: no previous.
  { expression: "cron(0 12 31 DEC ? 2024)", now: WED, previous: "2024-12-31T12:00:00", next: undefined },
  { expression: "cron(0 0 1 1 ? 2030)", now: WED, previous: undefined, next: "2030-01-01T00:00:00" },
  // A slot exactly at the poll is the previous one ("at or before").
  { expression: "cron(0 4 * * ? *)", now: "2026-03-11T04:00:00", previous: "2026-03-11T04:00:00", next: "2026-03-12T04:00:00" },
  // ScheduleOffset: AWS's association example, the second Thursday (February 12, March 12) plus 3 days.
  { expression: "cron(0 0 ? * THU#2 *)", now: WED, offsetDays: 3, previous: "2026-02-15T00:00:00", next: "2026-03-15T00:00:00" },
  // The cron time (March 12) has passed but not the offset run (March 15).
  { expression: "cron(0 0 ? * THU#2 *)", now: "2026-03-13T00:00:00", offsetDays: 3, previous: "2026-02-15T00:00:00", next: "2026-03-15T00:00:00" },
  { expression: "cron(0 2 ? * SUN *)", now: "2026-03-10T01:00:00", offsetDays: 2, previous: "2026-03-03T02:00:00", next: "2026-03-10T02:00:00" },
  { expression: "cron(0 2 ? * SUN *)", now: "2026-03-10T02:00:00", offsetDays: 2, previous: "2026-03-10T02:00:00", next: "2026-03-17T02:00:00" },
  // rate: counted from the last execution. No slot missed: previous is the last execution itself.
  { expression: "rate(30 minutes)", now: WED, lastExecution: "2026-03-11T08:50:00", previous: "2026-03-11T08:50:00", next: "2026-03-11T09:20:00" },
  { expression: "rate(1 hour)", now: WED, lastExecution: "2026-03-11T08:30:00", previous: "2026-03-11T08:30:00", next: "2026-03-11T09:30:00" },
  // Two slots missed since the last execution.
  { expression: "rate(1 hour)", now: WED, lastExecution: "2026-03-11T06:30:00", previous: "2026-03-11T08:30:00", next: "2026-03-11T09:30:00" },
  { expression: "rate(12 hours)", now: WED, lastExecution: "2026-03-10T22:00:00", previous: "2026-03-10T22:00:00", next: "2026-03-11T10:00:00" },
  { expression: "rate(1 day)", now: WED, lastExecution: "2026-03-09T10:00:00", previous: "2026-03-10T10:00:00", next: "2026-03-11T10:00:00" },
  { expression: "rate(7 days)", now: WED, lastExecution: "2026-03-05T12:00:00", previous: "2026-03-05T12:00:00", next: "2026-03-12T12:00:00" },
  { expression: "rate(15 days)", now: WED, lastExecution: "2026-01-01T00:00:00", previous: "2026-03-02T00:00:00", next: "2026-03-17T00:00:00" },
  // ScheduleOffset is cron only: ignored for rate (as AWS does).
  { expression: "rate(7 days)", now: WED, offsetDays: 2, lastExecution: "2026-03-05T12:00:00", previous: "2026-03-05T12:00:00", next: "2026-03-12T12:00:00" },
  // Never executed: no anchor, neither.
  { expression: "rate(30 minutes)", now: WED, previous: undefined, next: undefined },
  // at: next while in the future, then neither; no offset.
  { expression: "at(2026-12-24T18:00:00)", now: WED, offsetDays: 1, previous: undefined, next: "2026-12-24T18:00:00" },
  { expression: "at(2026-03-11T09:07:00)", now: WED, previous: undefined, next: undefined },
  { expression: "at(2026-01-05T00:00:00)", now: WED, lastExecution: "2026-01-05T00:00:04", previous: undefined, next: undefined },
];

describe("scheduleSlots on real association schedules", () => {
  it.each(TABLE)("$expression at $now (offset $offsetDays): previous $previous, next $next", (row) => {
    const slots = scheduleSlots(parsed(row.expression), {
      nowSeconds: at(row.now),
      offsetDays: row.offsetDays,
      lastExecutionSeconds: row.lastExecution === undefined ? undefined : at(row.lastExecution),
    });
    expect({ previous: iso(slots.previousSeconds), next: iso(slots.nextSeconds) }).toEqual({ previous: row.previous, next: row.next });
    if (row.expression.startsWith("cron(") && row.oracle !== false) {
      expect(oracleSlots(row.expression, at(row.now), row.offsetDays), "aws-cron-parser").toEqual({ previous: row.previous, next: row.next });
    }
  });

  it("has at least 25 distinct real schedules", () => {
    expect(new Set(TABLE.map((r) => r.expression)).size).toBeGreaterThanOrEqual(25);
  });

  it("agrees with aws-cron-parser at many instants in 2026-2027, on and around the slots too", () => {
    // A fixed-seed generator: the same instants on every run.
    let seed = 0x2026;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const from = at("2026-01-01T00:00:00");
    const span = at("2028-01-01T00:00:00") - from;
    const crons = [...new Set(TABLE.filter((r) => r.expression.startsWith("cron(") && r.oracle !== false).map((r) => r.expression))];
    let compared = 0;
    for (const expression of crons) {
      const schedule = parsed(expression);
      for (const offsetDays of [0, 2]) {
        for (let i = 0; i < 60; i++) {
          const now = from + Math.floor(random() * span);
          const slots = scheduleSlots(schedule, { nowSeconds: now, offsetDays });
          const instants = [now];
          // On a slot, a second before and a second after: the boundaries of "at or before" and "after".
          if (slots.nextSeconds !== undefined && i % 4 === 0) instants.push(slots.nextSeconds - 1, slots.nextSeconds, slots.nextSeconds + 1);
          for (const instant of instants) {
            const ours = scheduleSlots(schedule, { nowSeconds: instant, offsetDays });
            expect({ previous: iso(ours.previousSeconds), next: iso(ours.nextSeconds) }, `${expression} offset ${offsetDays} at ${iso(instant)}`).toEqual(
              oracleSlots(expression, instant, offsetDays),
            );
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(3_000);
  });

  it("takes a fractional poll time as it is: a slot is previous once the poll is at or past it", () => {
    const schedule = parsed("cron(0 4 * * ? *)");
    expect(iso(scheduleSlots(schedule, { nowSeconds: at("2026-03-11T04:00:00") - 0.5 }).previousSeconds)).toBe("2026-03-10T04:00:00");
    expect(iso(scheduleSlots(schedule, { nowSeconds: at("2026-03-11T04:00:00") + 0.5 }).previousSeconds)).toBe("2026-03-11T04:00:00");
  });

  it("keeps the last execution as previous when it lies a little after the poll (clocks apart)", () => {
    const slots = scheduleSlots(parsed("rate(1 hour)"), { nowSeconds: at(WED), lastExecutionSeconds: at(WED) + 5 });
    expect({ previous: iso(slots.previousSeconds), next: iso(slots.nextSeconds) }).toEqual({ previous: "2026-03-11T09:07:05", next: "2026-03-11T10:07:05" });
  });
});

describe("parseSchedule", () => {
  it("reads rate and at", () => {
    expect(parseSchedule("rate(30 minutes)")).toEqual({ ok: true, schedule: { kind: "rate", periodSeconds: 1_800 } });
    expect(parseSchedule("rate(1 minute)")).toEqual({ ok: true, schedule: { kind: "rate", periodSeconds: 60 } });
    expect(parseSchedule("rate(1 hour)")).toEqual({ ok: true, schedule: { kind: "rate", periodSeconds: 3_600 } });
    expect(parseSchedule("rate(5 hours)")).toEqual({ ok: true, schedule: { kind: "rate", periodSeconds: 18_000 } });
    expect(parseSchedule("rate(1 day)")).toEqual({ ok: true, schedule: { kind: "rate", periodSeconds: DAY } });
    expect(parseSchedule("rate(25 days)")).toEqual({ ok: true, schedule: { kind: "rate", periodSeconds: 25 * DAY } });
    expect(parseSchedule("at(2026-12-24T18:00:00)")).toEqual({ ok: true, schedule: { kind: "at", atSeconds: at("2026-12-24T18:00:00") } });
    expect(parseSchedule("at(2028-02-29T00:00:00)")).toEqual({ ok: true, schedule: { kind: "at", atSeconds: at("2028-02-29T00:00:00") } });
    expect(parseSchedule("  rate(7 days) ").ok).toBe(true);
  });

  it.each([
    ["", "not cron(...), rate(...) or at(...)"],
    ["garbage", "not cron(...), rate(...) or at(...)"],
    ["every 5 minutes", "not cron(...), rate(...) or at(...)"],
    ["RATE(5 minutes)", "not cron(...), rate(...) or at(...)"],
    ["cron(0 2 ? * SUN *", "not cron(...), rate(...) or at(...)"],
    // AWS: singular exactly when the value is 1.
    ["rate(1 hours)", "rate(...) takes a singular unit for 1 and a plural one otherwise (rate(1 hour), rate(5 hours)), got rate(1 hours)"],
    ["rate(5 hour)", "rate(...) takes a singular unit for 1 and a plural one otherwise (rate(1 hour), rate(5 hours)), got rate(5 hour)"],
    ["rate(0 minutes)", "rate(...) value must be at least 1"],
    ["rate(2 weeks)", "rate(...) unit must be minute(s), hour(s) or day(s), got 'weeks'"],
    ["rate(1.5 hours)", "rate(...) takes a whole number and a unit, e.g. rate(30 minutes)"],
    ["rate(-1 hours)", "rate(...) takes a whole number and a unit, e.g. rate(30 minutes)"],
    ["rate(hours)", "rate(...) takes a whole number and a unit, e.g. rate(30 minutes)"],
    ["at(2026-12-24 18:00:00)", "at(...) takes yyyy-mm-ddThh:mm:ss (UTC)"],
    ["at(2026-12-24T18:00:00Z)", "at(...) takes yyyy-mm-ddThh:mm:ss (UTC)"],
    ["at(2026-02-29T00:00:00)", "at(...): 2026-02-29T00:00:00 is not a valid date and time"],
    ["at(2026-12-24T24:00:00)", "at(...): 2026-12-24T24:00:00 is not a valid date and time"],
    ["at(2026-13-01T00:00:00)", "at(...): 2026-13-01T00:00:00 is not a valid date and time"],
  ])("refuses %j: %s", (expression, reason) => {
    expect(parseSchedule(expression)).toEqual({ ok: false, reason });
  });
});
