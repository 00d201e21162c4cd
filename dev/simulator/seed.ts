import { hashString, hex, intBetween, mulberry32, pick, weighted, type Rng } from "./rng.js";
import { cronSlotBefore, parseSchedule, type Schedule } from "./schedule.js";
import type { WireAssociation, WireTarget } from "./types.js";

export interface GenerateOptions {
  seed: number;
  region: string;
  /** Reference time for LastExecutionDate (Date or epoch ms). Defaults to the wall clock, so pass it
   * when the output must be identical between runs. */
  now?: Date | number;
}

/**
 * What generateAssociations made so on purpose, by AssociationId (each list in listing order), so a
 * test can tell the alerts the data must raise from false ones. Every other association is healthy:
 * Success or Pending while running, and on time.
 */
export interface SeededConditions {
  /** The reference time the data was generated for, epoch ms. */
  now: number;
  /** Overview.Status Failed (→ SsmAssociationFailed). */
  failed: string[];
  /** At least one target Failed in AssociationStatusAggregatedCount (→ SsmAssociationTargetsFailed); all
   * of them are also Failed, as in AWS, where one failed target fails the association. */
  targetsFailed: string[];
  /** Recurring schedule, missed its latest scheduled run (one or two of them) by more than
   * OVERDUE_MIN_LATE_MS (→ SsmAssociationOverdue). Every 20th association that could be so, see below. */
  overdue: string[];
  /** Never ran: no LastExecutionDate, status Pending (new, or an at() still in the future). No alert. */
  neverRan: string[];
  /** Recurring schedule (cron or rate), ran, and ran at its latest scheduled run (or, for one that
   * came up less than a few minutes before `now`, the one before). */
  onTime: string[];
}

export interface SeededAssociations {
  associations: WireAssociation[];
  seeded: SeededConditions;
}

/** The grace SsmAssociationOverdue allows by default before a missed run counts. */
export const OVERDUE_GRACE_MS = 3_600_000;
/**
 * Seeded overdue associations missed a run at least this long ago: past the grace with an hour to
 * spare, so no test or demo run is ever on the edge. The missed run must already be older than the
 * grace when Prometheus first scrapes it: the alert takes the smallest previous-slot value over the
 * grace period, which a Prometheus with less history than that only has from its first scrapes. Schedules
 * every 30 minutes (cron or rate(), anchored on the last run) never leave their latest slot that far
 * behind, so they are never seeded overdue (the alert does catch them once Prometheus has an hour of them).
 */
export const OVERDUE_MIN_LATE_MS = 2 * OVERDUE_GRACE_MS;
/** Every OVERDUE_EVERY-th association that can be seeded overdue is (the first at OVERDUE_FIRST): about 4% of all. */
const OVERDUE_EVERY = 20;
const OVERDUE_FIRST = 4;

interface ScheduleProfile {
  expression: string;
  /** Seconds between runs, roughly: decides whether ScheduleOffset makes sense. */
  periodSeconds: number;
}

const DAY = 86_400;
const DAY_MS = DAY * 1000;
const MINUTE_MS = 60_000;
const WEEKLY_SUNDAY: ScheduleProfile = { expression: "cron(0 2 ? * SUN *)", periodSeconds: 7 * DAY };
const EVERY_HALF_HOUR_CRON: ScheduleProfile = { expression: "cron(0/30 * * * ? *)", periodSeconds: 1800 };
const THIRD_TUESDAY: ScheduleProfile = { expression: "cron(30 23 ? * TUE#3 *)", periodSeconds: 31 * DAY };
const DAILY_CRON: ScheduleProfile = { expression: "cron(0 4 * * ? *)", periodSeconds: DAY };
const RATE_30_MIN: ScheduleProfile = { expression: "rate(30 minutes)", periodSeconds: 1800 };
const RATE_12_HOURS: ScheduleProfile = { expression: "rate(12 hours)", periodSeconds: 12 * 3600 };
const RATE_1_DAY: ScheduleProfile = { expression: "rate(1 day)", periodSeconds: DAY };
const RATE_7_DAYS: ScheduleProfile = { expression: "rate(7 days)", periodSeconds: 7 * DAY };

interface DocumentProfile {
  name: string;
  weight: number;
  /** Prefix of generated association names. */
  slug: string;
  aws: boolean;
  schedules: readonly (readonly [ScheduleProfile, number])[];
  /** DetailedStatus values seen only for this document when it fails. */
  extraFailureDetails: readonly string[];
}

const DOCUMENTS: readonly DocumentProfile[] = [
  {
    name: "AWS-RunPatchBaseline",
    weight: 30,
    slug: "patch-baseline",
    aws: true,
    schedules: [[WEEKLY_SUNDAY, 5], [THIRD_TUESDAY, 2], [DAILY_CRON, 2], [RATE_1_DAY, 1]],
    extraFailureDetails: [],
  },
  {
    name: "AWS-GatherSoftwareInventory",
    weight: 20,
    slug: "inventory",
    aws: true,
    schedules: [[RATE_30_MIN, 4], [RATE_12_HOURS, 3], [RATE_1_DAY, 3]],
    extraFailureDetails: ["UnsupportedAgent"],
  },
  {
    name: "AWS-UpdateSSMAgent",
    weight: 15,
    slug: "ssm-agent-update",
    aws: true,
    schedules: [[RATE_7_DAYS, 3], [WEEKLY_SUNDAY, 2], [RATE_1_DAY, 1]],
    extraFailureDetails: [],
  },
  {
    name: "AWS-ConfigureAWSPackage",
    weight: 12,
    slug: "cloudwatch-agent",
    aws: true,
    schedules: [[RATE_1_DAY, 3], [DAILY_CRON, 1]],
    extraFailureDetails: [],
  },
  {
    name: "Acme-HardenSshd",
    weight: 10,
    slug: "harden-sshd",
    aws: false,
    schedules: [[EVERY_HALF_HOUR_CRON, 2], [RATE_30_MIN, 1], [DAILY_CRON, 2]],
    extraFailureDetails: [],
  },
  {
    name: "Platform-RotateLogs",
    weight: 8,
    slug: "rotate-logs",
    aws: false,
    schedules: [[DAILY_CRON, 3], [RATE_12_HOURS, 1]],
    extraFailureDetails: [],
  },
  {
    name: "Acme-ConfigureNtp",
    weight: 5,
    slug: "configure-ntp",
    aws: false,
    schedules: [[RATE_1_DAY, 1], [WEEKLY_SUNDAY, 1]],
    extraFailureDetails: [],
  },
];

const ENVIRONMENTS = ["prod", "staging", "dev"] as const;
const ROLES = ["web", "api", "db", "batch"] as const;

/**
 * Deterministic, realistic associations for one region: the same (count, seed, region, now) always
 * gives the same list, and a shorter list is a prefix of a longer one. AssociationIds are unique
 * within one call and differ between regions. See seedAssociations for what is seeded on purpose.
 */
export function generateAssociations(count: number, options: GenerateOptions): WireAssociation[] {
  return seedAssociations(count, options).associations;
}

/**
 * generateAssociations, plus what it seeded on purpose (SeededConditions). LastExecutionDate follows
 * each association's real schedule (aws-cron-parser, ScheduleOffset included): on time, it is the
 * latest scheduled run plus a run delay of seconds to minutes; rate() ones ran within the last period;
 * unscheduled ones ran once, 2 to 120 days ago; past at() ones ran at their time; future at() ones
 * and about half of the Pending ones never ran. Every 20th association that can be (recurring, has
 * run, its latest slot at least OVERDUE_MIN_LATE_MS old) is seeded overdue instead.
 */
export function seedAssociations(count: number, options: GenerateOptions): SeededAssociations {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`generateAssociations: count must be a non-negative integer, got ${count}`);
  }
  const nowMs = options.now === undefined ? Date.now() : Number(options.now);
  const rng = mulberry32(hashString(`${options.seed}:${options.region}`));
  const ids = new Set<string>();
  const associations: WireAssociation[] = [];
  const seeded: SeededConditions = { now: nowMs, failed: [], targetsFailed: [], overdue: [], neverRan: [], onTime: [] };
  let couldBeOverdue = 0;
  const overdueTurn = () => couldBeOverdue++ % OVERDUE_EVERY === OVERDUE_FIRST;
  for (let i = 0; i < count; i++) {
    let id = uuid(rng);
    while (ids.has(id)) id = uuid(rng);
    ids.add(id);
    const { association: a, overdue } = oneAssociation(rng, id, i, nowMs, overdueTurn);
    associations.push(a);
    if (a.Overview?.Status === "Failed") seeded.failed.push(id);
    if ((a.Overview?.AssociationStatusAggregatedCount?.Failed ?? 0) > 0) seeded.targetsFailed.push(id);
    if (a.LastExecutionDate === undefined) seeded.neverRan.push(id);
    else if (overdue) seeded.overdue.push(id);
    else if (isRecurring(a.ScheduleExpression)) seeded.onTime.push(id);
  }
  return { associations, seeded };
}

function isRecurring(expression: string | undefined): boolean {
  return expression !== undefined && /^(cron|rate)\(/.test(expression);
}

type ScheduleChoice = { kind: "recurring"; profile: ScheduleProfile } | { kind: "none" } | { kind: "at"; expression: string; future: boolean };

function oneAssociation(
  rng: Rng,
  associationId: string,
  index: number,
  nowMs: number,
  overdueTurn: () => boolean,
): { association: WireAssociation; overdue: boolean } {
  const doc = weighted(
    rng,
    DOCUMENTS.map((d) => [d, d.weight] as const),
  );
  const env = pick(rng, ENVIRONMENTS);
  const legacy = rng() < 0.03;
  const targeting = legacy ? legacyTargeting(rng) : targets(rng, env);
  const choice = scheduleChoice(rng, doc, nowMs);
  // A one-time run still to come has not run; one that has passed did run.
  const status =
    choice.kind === "at" && choice.future ? "Pending" : weighted(rng, [["Success", 75], ["Failed", 15], ["Pending", 10]] as const);
  const neverRan = choice.kind === "at" ? choice.future : status === "Pending" && rng() < 0.5;

  const a: WireAssociation = {
    Name: doc.name,
    AssociationId: associationId,
    AssociationVersion: weighted(rng, [["1", 60], ["2", 20], ["3", 10], [String(intBetween(rng, 4, 9)), 10]] as const),
    DocumentVersion: documentVersion(rng, doc),
  };
  if (targeting.instanceId !== undefined) a.InstanceId = targeting.instanceId;
  if (targeting.targets !== undefined) a.Targets = targeting.targets;
  if (choice.kind === "recurring") a.ScheduleExpression = choice.profile.expression;
  if (choice.kind === "at") a.ScheduleExpression = choice.expression;
  if (choice.kind === "recurring" && choice.profile.expression.startsWith("cron(")) {
    if (choice.profile.periodSeconds >= 7 * DAY && rng() < 0.25) a.ScheduleOffset = intBetween(rng, 1, 6);
    if (rng() < 0.15) a.Duration = intBetween(rng, 1, 24);
  }
  let overdue = false;
  if (!neverRan) {
    const run = lastExecution(rng, parseSchedule(a.ScheduleExpression, a.ScheduleOffset), nowMs, overdueTurn);
    a.LastExecutionDate = run.seconds;
    overdue = run.overdue;
  }
  a.Overview = {
    Status: status,
    DetailedStatus: detailedStatus(rng, status, neverRan, doc),
    AssociationStatusAggregatedCount: aggregatedCount(rng, status, neverRan, targeting),
  };
  // Legacy (InstanceId) associations predate association names.
  if (!legacy && rng() >= 0.2) {
    a.AssociationName = `${doc.slug}-${env}-${String(index + 1).padStart(3, "0")}`;
  }
  return { association: a, overdue };
}

/** 5% unscheduled (run on demand or once at creation), 3% one-time at() (half of them still to come). */
function scheduleChoice(rng: Rng, doc: DocumentProfile, nowMs: number): ScheduleChoice {
  const kind = weighted(rng, [["recurring", 92], ["none", 5], ["at", 3]] as const);
  if (kind === "none") return { kind };
  if (kind === "recurring") return { kind, profile: weighted(rng, doc.schedules) };
  const future = rng() < 0.5;
  const offsetMs = future ? 2 * 3_600_000 + rng() * 30 * DAY_MS : -(DAY_MS + rng() * 59 * DAY_MS);
  const atMs = Math.floor((nowMs + offsetMs) / MINUTE_MS) * MINUTE_MS;
  return { kind, future, expression: `at(${new Date(atMs).toISOString().slice(0, 19)})` };
}
interface Targeting {
  instanceId?: string;
  targets?: WireTarget[];
  /** Number of targets the association resolves to. */
  size: number;
  /** Tag and resource-group targets often report `{}` counts. */
  dynamic: boolean;
}

function legacyTargeting(rng: Rng): Targeting {
  return { instanceId: instanceId(rng), size: 1, dynamic: false };
}

function targets(rng: Rng, env: string): Targeting {
  const kind = weighted(rng, [["ids", 30], ["all", 10], ["tag", 40], ["rg", 20]] as const);
  switch (kind) {
    case "ids": {
      const n = intBetween(rng, 1, 5);
      const values = Array.from({ length: n }, () => instanceId(rng));
      return { targets: [{ Key: "InstanceIds", Values: values }], size: n, dynamic: false };
    }
    case "all":
      return { targets: [{ Key: "InstanceIds", Values: ["*"] }], size: intBetween(rng, 5, 80), dynamic: false };
    case "tag": {
      const t: WireTarget[] = [{ Key: "tag:Environment", Values: [env] }];
      const extra = weighted(rng, [["role", 50], ["patch-group", 25], ["none", 25]] as const);
      if (extra === "role") t.push({ Key: "tag:Role", Values: [pick(rng, ROLES)] });
      if (extra === "patch-group") t.push({ Key: "tag:PatchGroup", Values: [`${env}-linux`] });
      return { targets: t, size: intBetween(rng, 1, 60), dynamic: true };
    }
    case "rg":
      return {
        targets: [
          { Key: "resource-groups:Name", Values: [`rg-${env}-${pick(rng, ROLES)}`] },
          { Key: "resource-groups:ResourceTypeFilters", Values: ["AWS::EC2::Instance"] },
        ],
        size: intBetween(rng, 1, 40),
        dynamic: true,
      };
  }
}

function documentVersion(rng: Rng, doc: DocumentProfile): string {
  if (doc.aws) return weighted(rng, [["$DEFAULT", 80], ["$LATEST", 15], ["1", 5]] as const);
  return weighted(rng, [["$LATEST", 40], ["$DEFAULT", 30], [String(intBetween(rng, 1, 12)), 30]] as const);
}

function detailedStatus(rng: Rng, status: string, neverRan: boolean, doc: DocumentProfile): string {
  if (status === "Success") return weighted(rng, [["Success", 92], ["Associated", 8]] as const);
  if (status === "Failed") {
    const extra = doc.extraFailureDetails.map((d) => [d, 10] as const);
    return weighted(rng, [["Failed", 70], ["TimedOut", 15], ["Cancelled", 5], ...extra]);
  }
  if (neverRan) return weighted(rng, [["Creating", 40], ["Pending", 30], ["Associated", 30]] as const);
  return weighted(rng, [["Pending", 40], ["InProgress", 40], ["Associated", 20]] as const);
}

function aggregatedCount(rng: Rng, status: string, neverRan: boolean, t: Targeting): Record<string, number> {
  if ((t.dynamic && rng() < 0.3) || (neverRan && rng() < 0.5)) return {};
  const n = t.size;
  const counts: Record<string, number> = {};
  const add = (key: string, value: number) => {
    if (value > 0) counts[key] = (counts[key] ?? 0) + value;
  };
  if (status === "Success") {
    const skipped = n > 3 && rng() < 0.15 ? intBetween(rng, 1, Math.floor(n / 3)) : 0;
    add("Success", n - skipped);
    add("Skipped", skipped);
  } else if (status === "Failed") {
    const failed = intBetween(rng, 1, Math.max(1, Math.ceil(n / 3)));
    add("Failed", failed);
    add("Success", n - failed);
  } else {
    const pending = neverRan ? n : intBetween(rng, 1, n);
    add("Pending", pending);
    add("Success", n - pending);
  }
  return counts;
}

/** Seconds to a few minutes (r in [0, 1)): how long after its slot a run is recorded. */
function runDelayMs(r: number): number {
  return 5_000 + r * 235_000;
}

/**
 * A LastExecutionDate that fits the schedule (see seedAssociations), in epoch seconds with milliseconds
 * like the real API's; overdue when this association's turn came up (overdueTurn) and it can be. Takes
 * the same three numbers from rng whatever the branch, so the rest of the data does not depend on `now`.
 */
function lastExecution(
  rng: Rng,
  schedule: Schedule | undefined,
  nowMs: number,
  overdueTurn: () => boolean,
): { seconds: number; overdue: boolean } {
  const [r1, r2, r3] = [rng(), rng(), rng()];
  const seconds = (ms: number) => Math.round(ms) / 1000;
  if (schedule === undefined) return { seconds: seconds(nowMs - (2 * DAY_MS + r1 * 118 * DAY_MS)), overdue: false };
  if (schedule.kind === "at") return { seconds: seconds(schedule.atMs + runDelayMs(r1)), overdue: false };
  if (canBeOverdue(schedule, nowMs) && overdueTurn()) {
    return { seconds: seconds(overdueRun(schedule, nowMs, r1 < 0.5 ? 1 : 2, r2, runDelayMs(r3))), overdue: true };
  }
  if (schedule.kind === "rate") return { seconds: seconds(nowMs - (30_000 + r1 * (schedule.periodMs - 60_000))), overdue: false };
  const latest = slotBefore(schedule, nowMs + 1);
  const delay = runDelayMs(r1);
  // A slot that came up moments ago has not been recorded yet: the run before it is the last one.
  const slot = latest + delay < nowMs ? latest : slotBefore(schedule, latest);
  return { seconds: seconds(slot + delay), overdue: false };
}

function slotBefore(schedule: Extract<Schedule, { kind: "cron" }>, tMs: number): number {
  const slot = cronSlotBefore(schedule, tMs);
  if (slot === undefined) throw new Error(`no run of ${schedule.expression} before ${new Date(tMs).toISOString()}`);
  return slot;
}

/** Whether a missed run can be at least OVERDUE_MIN_LATE_MS late at nowMs: a cron whose latest slot is
 * that old, a rate() whose period is longer (anchored on the last run, the missed run is always less
 * than a period ago). */
function canBeOverdue(schedule: Schedule | undefined, nowMs: number): schedule is Exclude<Schedule, { kind: "at" }> {
  if (schedule?.kind === "rate") return schedule.periodMs >= OVERDUE_MIN_LATE_MS + 20 * MINUTE_MS;
  if (schedule?.kind === "cron") return nowMs - slotBefore(schedule, nowMs + 1) >= OVERDUE_MIN_LATE_MS;
  return false;
}

/**
 * The LastExecutionDate (epoch ms) of a run `missed` (≥ 1) runs before the latest one due, the latest
 * due run being at least OVERDUE_MIN_LATE_MS ago. `lateness` in [0, 1) places a rate() schedule's
 * missed run between OVERDUE_MIN_LATE_MS and 10 minutes short of a period ago.
 */
function overdueRun(schedule: Exclude<Schedule, { kind: "at" }>, nowMs: number, missed: number, lateness: number, delayMs: number): number {
  if (schedule.kind === "rate") {
    // Anchored on its last run, a rate() schedule was due at last + k·period.
    const period = schedule.periodMs;
    return nowMs - missed * period - (OVERDUE_MIN_LATE_MS + lateness * (period - OVERDUE_MIN_LATE_MS - 10 * MINUTE_MS));
  }
  let slot = slotBefore(schedule, nowMs + 1);
  for (let k = 0; k < missed; k++) slot = slotBefore(schedule, slot);
  return slot + delayMs;
}

/**
 * A LastExecutionDate (epoch seconds) that makes this association miss its latest scheduled run, at
 * least OVERDUE_MIN_LATE_MS ago: the run before it, 30 s after its slot (cron), or a period and a bit
 * more ago (rate()). Throws RangeError for associations that cannot be so at nowMs (see canBeOverdue).
 */
export function overdueLastExecution(association: WireAssociation, nowMs: number): number {
  const schedule = parseSchedule(association.ScheduleExpression, association.ScheduleOffset);
  if (!canBeOverdue(schedule, nowMs)) {
    throw new RangeError(
      `association ${association.AssociationId} (${association.ScheduleExpression ?? "unscheduled"}) cannot miss a run by ${OVERDUE_MIN_LATE_MS / 3_600_000} h now: ` +
        "it needs a cron schedule whose latest slot is that old or a rate() with a longer period",
    );
  }
  return Math.round(overdueRun(schedule, nowMs, 1, 0.5, 30_000)) / 1000;
}

function instanceId(rng: Rng): string {
  return `i-0${hex(rng, 16)}`;
}

function uuid(rng: Rng): string {
  const variant = pick(rng, ["8", "9", "a", "b"]);
  return `${hex(rng, 8)}-${hex(rng, 4)}-4${hex(rng, 3)}-${variant}${hex(rng, 3)}-${hex(rng, 12)}`;
}
