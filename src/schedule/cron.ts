import { Cron } from "croner";

/**
 * AWS cron expressions (the body of `cron(...)`) read by croner, behind a thin adapter.
 *
 * AWS's form: `min hour day-of-month month day-of-week [year]`, optionally led by a seconds field that
 * must be 0; day-of-week 1-7 = SUN-SAT; exactly one of day-of-month and day-of-week is `?`; all UTC.
 * The adapter checks each field against what AWS accepts and rewrites it into croner's 7-part form
 * with nothing left for croner to read differently:
 * - `?` becomes `*`, and croner combines day-of-month and day-of-week with AND (`domAndDow`). croner
 *   reads `?` as `*`; with its default OR it still leaves out a `*` day field (Vixie cron's rule), but
 *   with AND `cron(0 9 ? * MON *)` means Mondays whatever that rule becomes;
 * - `N/S` (AWS: from N, every S) becomes `N-max/S`, and `* /S` becomes `min-max/S` over AWS's range
 *   (for years 1970-2199, where croner's own range starts at year 1);
 * - names become numbers (day-of-week with AWS's 1 = Sunday, croner's `alternativeWeekdays`), a
 *   lone `L` in day-of-week (the last day of the week) becomes 7, `NL` (last N-day of the month) `N#L`.
 * Numbers out of AWS's ranges are refused here: croner would take some of them (day-of-week 8).
 * The time arithmetic is croner's: UTC (`utcOffset: 0`), L, W, #, years, next and previous runs.
 */

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Names for min, min+1, ... (upper case). */
  readonly names?: readonly string[];
}

const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const MINUTES: FieldSpec = { name: "minutes", min: 0, max: 59 };
const HOURS: FieldSpec = { name: "hours", min: 0, max: 23 };
const DAY_OF_MONTH: FieldSpec = { name: "day-of-month", min: 1, max: 31 };
const MONTH: FieldSpec = { name: "month", min: 1, max: 12, names: MONTH_NAMES };
const DAY_OF_WEEK: FieldSpec = { name: "day-of-week", min: 1, max: 7, names: DAY_NAMES };
const YEAR: FieldSpec = { name: "year", min: 1970, max: 2199 };

/** Thrown inside this module only, for a field AWS would not accept; parseCron turns it into a reason. */
class CronFieldError extends Error {}

function value(text: string, spec: FieldSpec): number {
  const named = spec.names?.indexOf(text) ?? -1;
  const n = named >= 0 ? spec.min + named : /^\d+$/.test(text) ? Number(text) : NaN;
  if (Number.isNaN(n)) throw new CronFieldError(`${spec.name}: '${text}' is not a number${spec.names ? " or a name" : ""}`);
  if (n < spec.min || n > spec.max) throw new CronFieldError(`${spec.name}: ${n} is outside ${spec.min}-${spec.max}`);
  return n;
}

/** One comma-separated item made of `*`, values, ranges and steps, in croner's spelling. */
function rangeItem(item: string, spec: FieldSpec): string {
  const [base = "", step, extra] = item.split("/");
  if (extra !== undefined) throw new CronFieldError(`${spec.name}: '${item}' has more than one /`);
  let range: string;
  if (base === "*") {
    range = step === undefined ? "*" : `${spec.min}-${spec.max}`;
  } else if (base.includes("-")) {
    const [from = "", to = "", more] = base.split("-");
    if (more !== undefined) throw new CronFieldError(`${spec.name}: '${item}' is not a range`);
    const lo = value(from, spec);
    const hi = value(to, spec);
    if (lo > hi) throw new CronFieldError(`${spec.name}: the range ${base} goes backwards`);
    range = `${lo}-${hi}`;
  } else {
    const start = value(base, spec);
    // AWS's `N/S` means from N to the end of the range, every S; croner wants the range spelt out.
    range = step === undefined ? String(start) : `${start}-${spec.max}`;
  }
  if (step === undefined) return range;
  if (!/^\d+$/.test(step) || Number(step) < 1) throw new CronFieldError(`${spec.name}: the increment in '${item}' must be a whole number of at least 1`);
  return `${range}/${Number(step)}`;
}

function listField(field: string, spec: FieldSpec): string {
  return field
    .split(",")
    .map((item) => rangeItem(item, spec))
    .join(",");
}

function dayOfMonthField(field: string): string {
  if (field === "L" || field === "LW") return field;
  const weekday = /^(\d+)W$/.exec(field);
  if (weekday) return `${value(weekday[1] ?? "", DAY_OF_MONTH)}W`;
  if (/[LW]/.test(field)) throw new CronFieldError(`day-of-month: '${field}' (L, LW and nW stand alone, without an offset)`);
  return listField(field, DAY_OF_MONTH);
}

function dayOfWeekField(field: string): string {
  if (field === "L") return "7"; // the last day of the week: Saturday
  const last = /^(\w+?)L$/.exec(field);
  if (last) return `${value(last[1] ?? "", DAY_OF_WEEK)}#L`;
  const nth = /^(\w+)#(\d+)$/.exec(field);
  if (nth) {
    const k = Number(nth[2]);
    if (k < 1 || k > 5) throw new CronFieldError(`day-of-week: '${field}' (the n in #n is 1-5)`);
    return `${value(nth[1] ?? "", DAY_OF_WEEK)}#${k}`;
  }
  if (/[L#]/.test(field)) throw new CronFieldError(`day-of-week: '${field}' (nL and n#k stand alone)`);
  return listField(field, DAY_OF_WEEK);
}

/** A parsed AWS cron schedule; times are Unix seconds, slots whole seconds (whole minutes, in fact). */
export interface CronSchedule {
  readonly kind: "cron";
  /** The croner pattern it was rewritten to (7 parts, day-of-week 1 = Sunday). */
  readonly pattern: string;
  /** The first slot strictly after `seconds`; undefined when there is none (the years are over). */
  nextAfter(seconds: number): number | undefined;
  /** The last slot at or before `seconds`; undefined when there is none. */
  latestAtOrBefore(seconds: number): number | undefined;
}

export type CronParseResult = { readonly ok: true; readonly schedule: CronSchedule } | { readonly ok: false; readonly reason: string };

const CRONER_OPTIONS = { utcOffset: 0, domAndDow: true, alternativeWeekdays: true, mode: "7-part", paused: true } as const;

/** The inside of `cron(...)`, as AWS defines it for associations. */
export function parseCron(body: string): CronParseResult {
  const fields = body.trim().toUpperCase().split(/\s+/);
  if (fields.length < 5 || fields.length > 7) {
    return { ok: false, reason: `expected 6 fields (minutes hours day-of-month month day-of-week year), optionally led by seconds (0) or without the year, got ${fields.length}` };
  }
  if (fields.length === 7) {
    const seconds = fields.shift() ?? "";
    if (!/^\d+$/.test(seconds) || Number(seconds) !== 0) return { ok: false, reason: `the seconds field must be 0, got '${seconds}'` };
  }
  const [minutes = "", hours = "", dom = "", month = "", dow = "", year = "*"] = fields;
  if ((dom === "?") === (dow === "?")) {
    return { ok: false, reason: "exactly one of day-of-month and day-of-week must be ?" };
  }
  let pattern: string;
  try {
    pattern = [
      "0",
      listField(minutes, MINUTES),
      listField(hours, HOURS),
      dom === "?" ? "*" : dayOfMonthField(dom),
      listField(month, MONTH),
      dow === "?" ? "*" : dayOfWeekField(dow),
      listField(year, YEAR),
    ].join(" ");
  } catch (err) {
    if (err instanceof CronFieldError) return { ok: false, reason: err.message };
    throw err;
  }
  let cron: Cron;
  try {
    cron = new Cron(pattern, CRONER_OPTIONS);
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
  return {
    ok: true,
    schedule: {
      kind: "cron",
      pattern,
      nextAfter: (seconds) => toSeconds(cron.nextRun(new Date(Math.floor(seconds) * 1000))),
      // previousRuns is strictly before its reference (at whole seconds): one second later takes `seconds` in.
      latestAtOrBefore: (seconds) => toSeconds(cron.previousRuns(1, new Date((Math.floor(seconds) + 1) * 1000))[0]),
    },
  };
}

function toSeconds(date: Date | null | undefined): number | undefined {
  return date ? date.getTime() / 1000 : undefined;
}
