import { describe, expect, it, vi } from "vitest";
import * as schedule from "../../src/schedule/schedule.js";
import { ScheduleBook, type ScheduledAssociation } from "../../src/schedule/schedule-book.js";

const at = (iso: string): number => Date.parse(`${iso}Z`) / 1000;
const WED = at("2026-03-11T09:07:00");

function association(associationId: string, scheduleExpression: string, extra: Partial<ScheduledAssociation> = {}): ScheduledAssociation {
  return { associationId, associationVersion: "1", scheduleExpression, scheduleOffsetDays: undefined, lastExecutionSeconds: undefined, ...extra };
}

describe("ScheduleBook", () => {
  it("gives each association its slots, in order, and none without a schedule or when not understood", () => {
    const book = new ScheduleBook();
    const { slots, notUnderstood } = book.slotsAt(
      [
        association("weekly", "cron(0 2 ? * SUN *)"),
        association("none", ""),
        association("bad", "cron(0 9 * * MON *)"),
        association("rate", "rate(1 hour)", { lastExecutionSeconds: at("2026-03-11T08:30:00") }),
        association("offset", "cron(0 2 ? * SUN *)", { scheduleOffsetDays: 2 }),
      ],
      WED,
    );
    expect(slots).toEqual([
      { previousSeconds: at("2026-03-08T02:00:00"), nextSeconds: at("2026-03-15T02:00:00") },
      {},
      {},
      { previousSeconds: at("2026-03-11T08:30:00"), nextSeconds: at("2026-03-11T09:30:00") },
      { previousSeconds: at("2026-03-10T02:00:00"), nextSeconds: at("2026-03-17T02:00:00") },
    ]);
    expect(notUnderstood.map((n) => [n.association.associationId, n.reason])).toEqual([["bad", "exactly one of day-of-month and day-of-week must be ?"]]);
  });

  it("parses each expression once, however many associations share it and however many polls see it", () => {
    const parse = vi.spyOn(schedule, "parseSchedule");
    try {
      const book = new ScheduleBook();
      const many = Array.from({ length: 1_000 }, (_, i) => association(`a${i}`, i % 2 === 0 ? "cron(0 4 * * ? *)" : "rate(30 minutes)"));
      for (let poll = 0; poll < 5; poll++) book.slotsAt(many, WED + poll * 60);
      expect(parse).toHaveBeenCalledTimes(2);
    } finally {
      parse.mockRestore();
    }
  });

  it("recomputes cron slots once the poll has passed the next slot, and only then", () => {
    const slots = vi.spyOn(schedule, "scheduleSlots");
    try {
      const book = new ScheduleBook();
      const list = [association("a", "cron(0/30 * * * ? *)"), association("b", "cron(0/30 * * * ? *)")];
      expect(book.slotsAt(list, WED).slots[0]).toEqual({ previousSeconds: at("2026-03-11T09:00:00"), nextSeconds: at("2026-03-11T09:30:00") });
      expect(book.slotsAt(list, WED + 600).slots[1]).toEqual({ previousSeconds: at("2026-03-11T09:00:00"), nextSeconds: at("2026-03-11T09:30:00") });
      expect(slots).toHaveBeenCalledTimes(1);
      // Exactly on the next slot: it is now the previous one.
      expect(book.slotsAt(list, at("2026-03-11T09:30:00")).slots[0]).toEqual({ previousSeconds: at("2026-03-11T09:30:00"), nextSeconds: at("2026-03-11T10:00:00") });
      expect(slots).toHaveBeenCalledTimes(2);
      // A clock set back before the window's previous slot computes anew, too.
      expect(book.slotsAt(list, at("2026-03-11T08:59:00")).slots[0]).toEqual({ previousSeconds: at("2026-03-11T08:30:00"), nextSeconds: at("2026-03-11T09:00:00") });
      expect(slots).toHaveBeenCalledTimes(3);
    } finally {
      slots.mockRestore();
    }
  });

  it("keeps a window per offset: associations sharing a cron but not an offset get their own slots", () => {
    const book = new ScheduleBook();
    const { slots } = book.slotsAt(
      [association("a", "cron(0 2 ? * SUN *)"), association("b", "cron(0 2 ? * SUN *)", { scheduleOffsetDays: 2 }), association("c", "cron(0 2 ? * SUN *)")],
      at("2026-03-09T12:00:00"),
    );
    expect(slots.map((s) => s.nextSeconds)).toEqual([at("2026-03-15T02:00:00"), at("2026-03-10T02:00:00"), at("2026-03-15T02:00:00")]);
  });

  it("reports an expression not understood once per association version, and again for a new version or expression", () => {
    const book = new ScheduleBook();
    const reported = (list: ScheduledAssociation[]) => book.slotsAt(list, WED).notUnderstood.map((n) => `${n.association.associationId}@${n.association.associationVersion}`);
    const bad = association("bad", "cron(0 9 * * MON *)");
    const alsoBad = association("also-bad", "cron(0 9 * * MON *)");
    expect(reported([bad, alsoBad])).toEqual(["bad@1", "also-bad@1"]);
    expect(reported([bad, alsoBad])).toEqual([]);
    expect(reported([{ ...bad, associationVersion: "2" }, alsoBad])).toEqual(["bad@2"]);
    expect(reported([{ ...bad, associationVersion: "2" }, { ...alsoBad, scheduleExpression: "rate(1 hours)" }])).toEqual(["also-bad@1"]);
    // Fixed in version 3: nothing to report; broken again in version 4: reported.
    expect(reported([{ ...bad, associationVersion: "3", scheduleExpression: "rate(1 hour)" }])).toEqual([]);
    expect(reported([{ ...bad, associationVersion: "4" }])).toEqual(["bad@4"]);
  });

  it("forgets what the listing no longer holds: the cache never outgrows the associations present", () => {
    const book = new ScheduleBook();
    const parse = vi.spyOn(schedule, "parseSchedule");
    try {
      const bad = association("bad", "cron(0 9 * * MON *)");
      book.slotsAt([bad, association("x", "rate(7 days)")], WED);
      book.slotsAt([], WED);
      expect(book.slotsAt([bad, association("x", "rate(7 days)")], WED).notUnderstood).toHaveLength(1);
      expect(parse).toHaveBeenCalledTimes(4);
    } finally {
      parse.mockRestore();
    }
  });
});
