import { parseCron, type CronSchedule } from "./cron.js";

/**
 * An association's ScheduleExpression, as AWS defines it, and the scheduled times around an instant.
 * Pure functions: no I/O, no clock (the caller passes "now"). All times are Unix seconds, UTC.
 */

/** `rate(N unit)`: every N minutes, hours or days. */
export interface RateSchedule {
  readonly kind: "rate";
  readonly periodSeconds: number;
}

/** `at(yyyy-mm-ddThh:mm:ss)`: one run, at that UTC time. */
export interface AtSchedule {
  readonly kind: "at";
  readonly atSeconds: number;
}

export type { CronSchedule };
export type Schedule = CronSchedule | RateSchedule | AtSchedule;

export type ParseResult = { readonly ok: true; readonly schedule: Schedule } | { readonly ok: false; readonly reason: string };

const UNIT_SECONDS: Readonly<Record<string, number>> = { minute: 60, hour: 3_600, day: 86_400 };

/**
 * Reads a ScheduleExpression: `cron(...)` (see cron.ts), `rate(N minute|minutes|hour|hours|day|days)`
 * (singular exactly when N is 1, as AWS requires) or `at(yyyy-mm-ddThh:mm:ss)`. Anything else, or
 * anything AWS would refuse, is `{ ok: false, reason }` — never a throw.
 */
export function parseSchedule(expression: string): ParseResult {
  const text = expression.trim();
  const call = /^(cron|rate|at)\((.*)\)$/s.exec(text);
  if (!call) return { ok: false, reason: "not cron(...), rate(...) or at(...)" };
  const [, kind, body = ""] = call;
  if (kind === "cron") return parseCron(body);
  if (kind === "rate") return parseRate(body);
  return parseAt(body);
}

function parseRate(body: string): ParseResult {
  const match = /^\s*(\d+)\s+([a-z]+)\s*$/.exec(body);
  if (!match) return { ok: false, reason: "rate(...) takes a whole number and a unit, e.g. rate(30 minutes)" };
  const n = Number(match[1]);
  const unit = match[2] ?? "";
  const singular = unit.endsWith("s") ? unit.slice(0, -1) : unit;
  const unitSeconds = UNIT_SECONDS[singular];
  if (unitSeconds === undefined) return { ok: false, reason: `rate(...) unit must be minute(s), hour(s) or day(s), got '${unit}'` };
  if (n < 1) return { ok: false, reason: "rate(...) value must be at least 1" };
  if ((n === 1) !== (unit === singular)) {
    return { ok: false, reason: `rate(...) takes a singular unit for 1 and a plural one otherwise (rate(1 ${singular}), rate(5 ${singular}s)), got rate(${body.trim()})` };
  }
  return { ok: true, schedule: { kind: "rate", periodSeconds: n * unitSeconds } };
}

function parseAt(body: string): ParseResult {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body);
  if (!match) return { ok: false, reason: "at(...) takes yyyy-mm-ddThh:mm:ss (UTC)" };
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(ms);
  // Date.UTC rolls 2026-02-30 over into March: a date that does not come back unchanged does not exist.
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return { ok: false, reason: `at(...): ${body} is not a valid date and time` };
  }
  return { ok: true, schedule: { kind: "at", atSeconds: ms / 1000 } };
}

export interface SlotInputs {
  /** The instant the slots are computed for (the poll), Unix seconds. */
  readonly nowSeconds: number;
  /** ScheduleOffset: days after each cron time. Applies to cron only, as in AWS. */
  readonly offsetDays?: number | undefined;
  /** LastExecutionDate: the anchor of rate schedules (ListAssociations gives no creation date). */
  readonly lastExecutionSeconds?: number | undefined;
}

export interface ScheduleSlots {
  /** The latest scheduled time at or before now (offset included); undefined when there is none or it cannot be known. */
  readonly previousSeconds?: number | undefined;
  /** The earliest scheduled time after now (offset included); undefined when there is none or it cannot be known. */
  readonly nextSeconds?: number | undefined;
}

/**
 * The scheduled times around `nowSeconds`:
 * - cron: previous = the latest cron time T with T + offset ≤ now, reported as T + offset; next = the
 *   earliest with T + offset > now. Once the year field is over there is no next, and previous stays
 *   the last slot.
 * - rate: anchored on the last execution (ListAssociations has no creation date): previous = last +
 *   k·period for the largest k ≥ 0 at or before now (the last execution itself when no slot was
 *   missed), next = previous + period. Never executed: neither.
 * - at: next = the time while it is in the future; afterwards neither (its one run is history).
 */
export function scheduleSlots(schedule: Schedule, inputs: SlotInputs): ScheduleSlots {
  const now = inputs.nowSeconds;
  switch (schedule.kind) {
    case "cron": {
      const offset = (inputs.offsetDays ?? 0) * 86_400;
      const previous = schedule.latestAtOrBefore(now - offset);
      const next = schedule.nextAfter(now - offset);
      return { previousSeconds: previous === undefined ? undefined : previous + offset, nextSeconds: next === undefined ? undefined : next + offset };
    }
    case "rate": {
      const last = inputs.lastExecutionSeconds;
      if (last === undefined) return {};
      // k ≥ 0: a last execution a little after now (clocks apart) is still the latest one known.
      const missed = Math.max(0, Math.floor((now - last) / schedule.periodSeconds));
      const previous = last + missed * schedule.periodSeconds;
      return { previousSeconds: previous, nextSeconds: previous + schedule.periodSeconds };
    }
    case "at":
      return schedule.atSeconds > now ? { nextSeconds: schedule.atSeconds } : {};
  }
}
