import { describe, expect, it } from "vitest";
import { cronSlotAtOrBefore, isOverdue, nextScheduled, parseSchedule, previousScheduled } from "../../dev/simulator/schedule.js";

const t = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;

describe("simulator schedules (aws-cron-parser)", () => {
  it("reads cron, rate and at expressions, and nothing else", () => {
    expect(parseSchedule("rate(30 minutes)")).toEqual({ kind: "rate", expression: "rate(30 minutes)", periodMs: 1_800_000 });
    expect(parseSchedule("rate(1 day)")).toMatchObject({ periodMs: 86_400_000 });
    expect(parseSchedule("at(2025-06-01T10:15:00)")).toMatchObject({ kind: "at", atMs: t("2025-06-01T10:15:00Z") });
    expect(parseSchedule("cron(0 2 ? * SUN *)", 3)).toMatchObject({ kind: "cron", offsetMs: 3 * 86_400_000 });
    expect(parseSchedule(undefined)).toBeUndefined();
    expect(parseSchedule("every day")).toBeUndefined();
  });

  it("finds the latest slot at or before a time, in UTC, ScheduleOffset days later", () => {
    const daily = parseSchedule("cron(0 4 * * ? *)");
    const thirdTuesday = parseSchedule("cron(30 23 ? * TUE#3 *)");
    const sundayPlus3 = parseSchedule("cron(0 2 ? * SUN *)", 3);
    if (daily?.kind !== "cron" || thirdTuesday?.kind !== "cron" || sundayPlus3?.kind !== "cron") throw new Error("not cron");
    expect(cronSlotAtOrBefore(daily, t("2025-06-01T04:00:00Z"))).toBe(t("2025-06-01T04:00:00Z"));
    expect(cronSlotAtOrBefore(daily, t("2025-06-01T03:59:59.999Z"))).toBe(t("2025-05-31T04:00:00Z"));
    expect(cronSlotAtOrBefore(thirdTuesday, t("2025-06-01T12:00:00Z"))).toBe(t("2025-05-20T23:30:00Z"));
    // Sunday 2025-06-01 02:00 + 3 days is Wednesday 06-04; on Tuesday 06-03 the latest is 05-28.
    expect(cronSlotAtOrBefore(sundayPlus3, t("2025-06-03T12:00:00Z"))).toBe(t("2025-05-28T02:00:00Z"));
    expect(cronSlotAtOrBefore(sundayPlus3, t("2025-06-04T02:00:00Z"))).toBe(t("2025-06-04T02:00:00Z"));
  });

  it("says what was due last and whether it is overdue, as the shipped alert does", () => {
    const now = t("2025-06-01T12:00:00Z");
    const rate = parseSchedule("rate(12 hours)");
    const daily = parseSchedule("cron(0 4 * * ? *)");
    const at = parseSchedule("at(2025-06-01T10:00:00)");
    if (rate === undefined || daily === undefined || at === undefined) throw new Error("unreadable");
    expect(previousScheduled(rate, now - 13 * HOUR, now)).toBe(now - HOUR);
    expect(previousScheduled(rate, undefined, now)).toBeUndefined();
    expect(previousScheduled(at, undefined, now)).toBe(t("2025-06-01T10:00:00Z"));
    expect(previousScheduled(at, undefined, t("2025-06-01T09:00:00Z"))).toBeUndefined();
    expect(nextScheduled(daily, undefined, t("2025-06-01T04:00:00Z"))).toBe(t("2025-06-02T04:00:00Z"));
    expect(nextScheduled(daily, undefined, t("2025-06-01T03:59:59Z"))).toBe(t("2025-06-01T04:00:00Z"));
    expect(nextScheduled(rate, now - 13 * HOUR, now)).toBe(now + 11 * HOUR);
    expect(nextScheduled(rate, undefined, now)).toBeUndefined();
    expect(nextScheduled(at, undefined, t("2025-06-01T09:00:00Z"))).toBe(t("2025-06-01T10:00:00Z"));
    expect(nextScheduled(at, undefined, now)).toBeUndefined();

    expect(isOverdue(rate, now - 13 * HOUR, now, HOUR)).toBe(false); // due 1 h ago: within the grace
    expect(isOverdue(rate, now - 15 * HOUR, now, HOUR)).toBe(true);
    expect(isOverdue(daily, t("2025-06-01T04:02:00Z"), now, HOUR)).toBe(false);
    expect(isOverdue(daily, t("2025-05-31T04:02:00Z"), now, HOUR)).toBe(true);
    expect(isOverdue(daily, undefined, now, HOUR)).toBe(false);
    expect(isOverdue(undefined, now - 90 * 24 * HOUR, now, HOUR)).toBe(false);
  });
});
