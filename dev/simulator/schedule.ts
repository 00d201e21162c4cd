import awsCronParser from "aws-cron-parser";

/**
 * When a simulated association was due, worked out with aws-cron-parser: an implementation of AWS's
 * cron dialect that shares nothing with the exporter's own schedule code (croner), so the simulator's
 * seeded data and the e2e test check the exporter instead of repeating it.
 *
 * Semantics (State Manager's, and the ones the exporter's schedule metrics promise):
 * - `cron(...)`: runs at every matching minute (UTC), ScheduleOffset days later when set.
 * - `rate(N unit)`: runs every N units, counted from the last run (AWS does not publish the anchor).
 * - `at(yyyy-mm-ddThh:mm:ss)`: runs once, at that time (UTC).
 */
export type Schedule =
  | { readonly kind: "cron"; readonly expression: string; readonly offsetMs: number; readonly parsed: ReturnType<typeof awsCronParser.parse> }
  | { readonly kind: "rate"; readonly expression: string; readonly periodMs: number }
  | { readonly kind: "at"; readonly expression: string; readonly atMs: number };

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const RATE_UNIT_MS: Record<string, number> = { minute: MINUTE_MS, hour: 3_600_000, day: DAY_MS };

/** The schedule of an expression (and ScheduleOffset in days), or undefined for none or one we cannot read. */
export function parseSchedule(expression: string | undefined, scheduleOffsetDays?: number): Schedule | undefined {
  if (expression === undefined) return undefined;
  const cron = /^cron\((.+)\)$/.exec(expression.trim());
  if (cron?.[1] !== undefined) {
    return { kind: "cron", expression, offsetMs: (scheduleOffsetDays ?? 0) * DAY_MS, parsed: awsCronParser.parse(cron[1]) };
  }
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression.trim());
  if (rate?.[1] !== undefined && rate[2] !== undefined) {
    const periodMs = Number(rate[1]) * (RATE_UNIT_MS[rate[2]] ?? Number.NaN);
    return periodMs > 0 ? { kind: "rate", expression, periodMs } : undefined;
  }
  const at = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(expression.trim());
  if (at?.[1] !== undefined) {
    const atMs = Date.parse(`${at[1]}Z`);
    return Number.isNaN(atMs) ? undefined : { kind: "at", expression, atMs };
  }
  return undefined;
}

/** The latest cron slot (offset included) at or before `tMs`, epoch ms; undefined if there is none. */
export function cronSlotAtOrBefore(schedule: Extract<Schedule, { kind: "cron" }>, tMs: number): number | undefined {
  // aws-cron-parser's prev() answers the latest match strictly before the minute `from` falls in, so
  // 1 ms later makes a slot exactly at tMs count. The offset shifts every slot by whole days.
  const slot = awsCronParser.prev(schedule.parsed, new Date(tMs - schedule.offsetMs + 1));
  return slot === null ? undefined : slot.getTime() + schedule.offsetMs;
}

/** The cron slot (offset included) strictly before `slotMs`. */
export function cronSlotBefore(schedule: Extract<Schedule, { kind: "cron" }>, slotMs: number): number | undefined {
  return cronSlotAtOrBefore(schedule, slotMs - 1);
}

/**
 * The run that should have happened last, at or before `nowMs` (epoch ms), for an association that
 * last ran at `lastMs`: cron → the latest slot; rate → last + whole periods since (undefined if it never
 * ran); at → its time once that has passed. For cron and rate this is what
 * `aws_ssm_association_previous_scheduled_execution_timestamp_seconds` means; for a past at() the
 * exporter publishes none (its one run is history), which isOverdue follows.
 */
export function previousScheduled(schedule: Schedule, lastMs: number | undefined, nowMs: number): number | undefined {
  switch (schedule.kind) {
    case "cron":
      return cronSlotAtOrBefore(schedule, nowMs);
    case "rate":
      if (lastMs === undefined) return undefined;
      return lastMs + Math.max(0, Math.floor((nowMs - lastMs) / schedule.periodMs)) * schedule.periodMs;
    case "at":
      return schedule.atMs <= nowMs ? schedule.atMs : undefined;
  }
}

/**
 * The next run after `nowMs`: cron → the earliest slot after it; rate → previousScheduled + a period
 * (undefined if it never ran); at → its time while it is still to come. What
 * `aws_ssm_association_next_execution_timestamp_seconds` means.
 */
export function nextScheduled(schedule: Schedule, lastMs: number | undefined, nowMs: number): number | undefined {
  switch (schedule.kind) {
    case "cron": {
      // aws-cron-parser's next() answers the earliest match from the minute after the one `from` falls in.
      const slot = awsCronParser.next(schedule.parsed, new Date(nowMs - schedule.offsetMs));
      return slot === null ? undefined : slot.getTime() + schedule.offsetMs;
    }
    case "rate": {
      const previous = previousScheduled(schedule, lastMs, nowMs);
      return previous === undefined ? undefined : previous + schedule.periodMs;
    }
    case "at":
      return schedule.atMs > nowMs ? schedule.atMs : undefined;
  }
}

/**
 * Overdue in the sense of SsmAssociationOverdue: the run due at `previousScheduled` is more than
 * `graceMs` in the past and the association has not run since. Associations that never ran,
 * unscheduled ones and at() ones are never overdue.
 */
export function isOverdue(schedule: Schedule | undefined, lastMs: number | undefined, nowMs: number, graceMs: number): boolean {
  if (schedule === undefined || schedule.kind === "at" || lastMs === undefined) return false;
  const due = previousScheduled(schedule, lastMs, nowMs);
  return due !== undefined && due + graceMs < nowMs && lastMs < due;
}
