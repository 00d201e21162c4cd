import type { Association } from "../domain/association.js";
import { parseSchedule, scheduleSlots, type ParseResult, type ScheduleSlots } from "./schedule.js";

/** What the book reads of an association. */
export type ScheduledAssociation = Pick<
  Association,
  "associationId" | "associationVersion" | "scheduleExpression" | "scheduleOffsetDays" | "lastExecutionSeconds"
>;

/** An association whose ScheduleExpression the exporter could not read, and why. */
export interface ScheduleNotUnderstood<A extends ScheduledAssociation = ScheduledAssociation> {
  readonly association: A;
  readonly reason: string;
}

interface Parsed {
  readonly result: ParseResult;
  /** Cron slots by offset (days), reused while "now" stays between their previous and next time. */
  readonly windows: Map<number, ScheduleSlots>;
}

const NONE: ScheduleSlots = Object.freeze({});

/**
 * The schedules of one target's associations, kept from one poll to the next so a poll stays cheap at
 * 10,000 associations: each distinct expression is parsed once (associations share a handful), and its
 * cron slots are recomputed only once "now" has passed the next slot. Entries of expressions and
 * associations no longer present are dropped on every call, so the book never outgrows the listing.
 *
 * An expression that is not understood is reported once per association version (and expression), by
 * the call that first meets it; the caller logs and counts it. No state but this cache: no I/O here.
 */
export class ScheduleBook {
  private parsed = new Map<string, Parsed>();
  /** Association id → "version\0expression" of the not-understood schedule already reported. */
  private reported = new Map<string, string>();

  /** The scheduled times of each association around `nowSeconds` (same order), and what is newly not understood. */
  slotsAt<A extends ScheduledAssociation>(associations: readonly A[], nowSeconds: number): { slots: ScheduleSlots[]; notUnderstood: ScheduleNotUnderstood<A>[] } {
    const parsed = new Map<string, Parsed>();
    const reported = new Map<string, string>();
    const notUnderstood: ScheduleNotUnderstood<A>[] = [];
    const slots = associations.map((association) => {
      const expression = association.scheduleExpression;
      if (expression === "") return NONE;
      let entry = parsed.get(expression);
      if (!entry) {
        entry = this.parsed.get(expression) ?? { result: parseSchedule(expression), windows: new Map() };
        parsed.set(expression, entry);
      }
      const { result } = entry;
      if (!result.ok) {
        const key = `${association.associationVersion}\u0000${expression}`;
        if (this.reported.get(association.associationId) !== key) notUnderstood.push({ association, reason: result.reason });
        reported.set(association.associationId, key);
        return NONE;
      }
      if (result.schedule.kind !== "cron") {
        return scheduleSlots(result.schedule, { nowSeconds, lastExecutionSeconds: association.lastExecutionSeconds });
      }
      const offsetDays = association.scheduleOffsetDays ?? 0;
      const window = entry.windows.get(offsetDays);
      if (window && holds(window, nowSeconds)) return window;
      const fresh = scheduleSlots(result.schedule, { nowSeconds, offsetDays });
      entry.windows.set(offsetDays, fresh);
      return fresh;
    });
    this.parsed = parsed;
    this.reported = reported;
    return { slots, notUnderstood };
  }
}

/**
 * Cron slots computed at some instant are the slots of every instant from their previous time up to
 * (not including) their next time: no slot lies between the two.
 */
function holds(window: ScheduleSlots, nowSeconds: number): boolean {
  const { previousSeconds, nextSeconds } = window;
  return (previousSeconds === undefined || previousSeconds <= nowSeconds) && (nextSeconds === undefined || nowSeconds < nextSeconds);
}
