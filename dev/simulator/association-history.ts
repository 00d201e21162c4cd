import { hashString, hex, intBetween, mulberry32, pick, weighted, type Rng } from "./rng.js";
import { cronSlotBefore, parseSchedule } from "./schedule.js";
import type { WireAssociation } from "./types.js";

/**
 * What DescribeAssociation, DescribeAssociationExecutions, DescribeAssociationExecutionTargets and
 * ListTagsForResource answer for one association, derived deterministically from the association
 * (its AssociationId seeds it) and kept consistent with it as the simulator changes it.
 */

/** `AssociationExecution`, AWS names; dates in epoch seconds. */
export interface WireAssociationExecution {
  AssociationId: string;
  AssociationVersion?: string;
  ExecutionId: string;
  Status?: string;
  DetailedStatus?: string;
  CreatedTime?: number;
  LastExecutionDate?: number;
  /** As AWS sends it: a Java map's text, e.g. `{Failed=1, Success=3}`. */
  ResourceCountByStatus?: string;
}

/** `AssociationExecutionTarget`, AWS names. */
export interface WireAssociationExecutionTarget {
  AssociationId: string;
  AssociationVersion?: string;
  ExecutionId: string;
  ResourceId: string;
  ResourceType: string;
  Status: string;
  DetailedStatus: string;
  LastExecutionDate?: number;
  OutputSource?: { OutputSourceId: string; OutputSourceType: string };
}

export interface WireTag {
  Key: string;
  Value: string;
}

/** One recorded execution; its targets are derived from `counts` on demand. */
export interface StoredExecution {
  /** Grows with every execution of the association; newest first = seq descending. */
  seq: number;
  execution: WireAssociationExecution;
  /** Per-target status counts (AssociationStatusAggregatedCount at that run). */
  counts: Record<string, number>;
  /** DetailedStatus of the association at that run (the first failed target reports it). */
  failureDetail: string;
}

/** Per association: the parts of DescribeAssociation that ListAssociations does not carry, history and tags. */
export interface AssociationHistory {
  associationId: string;
  /** `Date` (created), epoch seconds. */
  created: number;
  lastUpdate: number;
  /** The AssociationVersion lastUpdate belongs to. */
  version: string | undefined;
  complianceSeverity: string;
  syncCompliance: string;
  applyOnlyAtCronInterval: boolean;
  calendarNames: string[];
  maxErrors?: string;
  maxConcurrency?: string;
  parameters?: Record<string, string[]>;
  tags: WireTag[];
  /** Newest first. */
  executions: StoredExecution[];
  nextSeq: number;
  /** Status, DetailedStatus and counts of the association the latest execution was recorded for. */
  signature: string;
  /** The association's LastExecutionDate when the history was last brought up to date. */
  seenLastExecution: number | undefined;
}

/** Executions kept per association (older ones are dropped, like AWS's retention). */
export const MAX_EXECUTIONS = 100;
const DAY = 86_400;
const SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNSPECIFIED"] as const;
const TEAMS = ["platform", "security", "sre", "payments", "data"] as const;
const OWNERS = ["alice", "bob", "carol", "dave", "erin", "frank"] as const;

/**
 * A new history for an association: details, tags and an execution history whose latest execution
 * is the association's current state (LastExecutionDate, Overview). Deterministic: the same
 * association (and, only for one that never ran, the same `nowMs`) gives the same history.
 */
export function seedHistory(a: WireAssociation, nowMs: number): AssociationHistory {
  const rng = mulberry32(hashString(`history:${a.AssociationId}`));
  const schedule = a.ScheduleExpression ?? "";
  const cron = schedule.startsWith("cron(");
  const patch = a.Name === "AWS-RunPatchBaseline";
  const h: AssociationHistory = {
    associationId: a.AssociationId,
    created: 0,
    lastUpdate: 0,
    version: a.AssociationVersion,
    complianceSeverity: patch
      ? weighted(rng, [["CRITICAL", 40], ["HIGH", 40], ["MEDIUM", 20]] as const)
      : weighted(rng, SEVERITIES.map((s, i) => [s, [5, 15, 25, 15, 40][i] ?? 1] as const)),
    syncCompliance: rng() < 0.85 ? "AUTO" : "MANUAL",
    applyOnlyAtCronInterval: cron && rng() < 0.3,
    calendarNames: [],
    tags: [],
    executions: [],
    nextSeq: 0,
    signature: "",
    seenLastExecution: a.LastExecutionDate,
  };
  if (rng() < 0.1) h.calendarNames = [pick(rng, ["ChangeFreeze-Holidays", "BusinessHours", "Maintenance-Weekend"])];
  if (!a.InstanceId) {
    h.maxErrors = pick(rng, ["0", "1", "10%", "25%"]);
    h.maxConcurrency = pick(rng, ["1", "5", "10%", "50%", "100%"]);
  }
  if (patch) h.parameters = { Operation: [rng() < 0.7 ? "Install" : "Scan"], RebootOption: [pick(rng, ["RebootIfNeeded", "NoReboot"])] };
  h.tags = seedTags(rng, a);

  const lastExecution = a.LastExecutionDate;
  const periodSeconds = runPeriodSeconds(a, lastExecution);
  const history = lastExecution === undefined ? 0 : periodSeconds === undefined ? 0 : intBetween(rng, 2, 7);
  const failedBefore = rng() < 0.15;
  const total = countTotal(a.Overview?.AssociationStatusAggregatedCount ?? {});
  const firstRun =
    lastExecution === undefined ? nowMs / 1000 - intBetween(rng, 60, 6 * 3600) : lastExecution - history * (periodSeconds ?? 0);
  h.created = round3(firstRun - intBetween(rng, 60, 3 * DAY) - rng());
  const versions = Number.parseInt(a.AssociationVersion ?? "1", 10);
  // A later version was saved between the creation and the first run shown.
  h.lastUpdate = versions > 1 ? round3(h.created + (firstRun - h.created) * (0.5 + rng() * 0.4)) : h.created;
  if (lastExecution === undefined) return h;

  // Older runs: mostly Success (or, when the association fails now, the last good run before the failure).
  for (let k = history; k >= 1; k--) {
    const date = round3(lastExecution - k * (periodSeconds ?? 0) + (rng() - 0.5) * 60);
    const failed = failedBefore && k === 1 && a.Overview?.Status !== "Failed";
    const counts: Record<string, number> = total === 0 ? {} : failed ? { Failed: 1 } : { Success: total };
    if (failed && total > 1) counts.Success = total - 1;
    append(h, rng, a, date, failed ? "Failed" : "Success", failed ? "Failed" : "Success", counts, failed ? "Failed" : "Success");
  }
  recordCurrent(h, rng, a, lastExecution);
  return h;
}

/**
 * Brings a history up to date with its association after the simulator changed it: a newer
 * LastExecutionDate, or another Status/DetailedStatus/counts (setStatus, churn, runDue), is a new
 * latest execution (a status change without a new LastExecutionDate is dated `nowMs`); a
 * LastExecutionDate moved back (makeOverdue) drops the executions after it; a new AssociationVersion
 * moves LastUpdateAssociationDate. Returns the same object, changed.
 */
export function reconcileHistory(h: AssociationHistory, a: WireAssociation, nowMs: number): AssociationHistory {
  const rng = mulberry32(hashString(`reconcile:${a.AssociationId}:${h.nextSeq}`));
  if (a.AssociationVersion !== h.version) {
    h.version = a.AssociationVersion;
    h.lastUpdate = round3(Math.max(h.lastUpdate, nowMs / 1000));
  }
  const last = a.LastExecutionDate;
  const seen = h.seenLastExecution;
  h.seenLastExecution = last;
  if (last === undefined) {
    h.executions = [];
    h.signature = "";
    return h;
  }
  // Moved back (makeOverdue, or a patch): the runs after it did not happen.
  const movedBack = seen !== undefined && last < seen;
  if (movedBack) h.executions = h.executions.filter((e) => (e.execution.LastExecutionDate ?? 0) <= last);
  const latest = h.executions[0];
  if (latest === undefined) {
    const fresh = seedHistory(a, nowMs);
    return Object.assign(h, { executions: fresh.executions, nextSeq: Math.max(h.nextSeq, fresh.nextSeq), signature: fresh.signature });
  }
  const latestDate = latest.execution.LastExecutionDate ?? 0;
  if ((seen !== undefined && last > seen) || (movedBack && last !== latestDate)) {
    recordCurrent(h, rng, a, last);
  } else if (signatureOf(a) !== h.signature) {
    // A status change without a new LastExecutionDate (setStatus): a run recorded now.
    recordCurrent(h, rng, a, round3(Math.max(nowMs / 1000, latestDate + 0.001)));
  }
  if (h.executions.length > MAX_EXECUTIONS) h.executions.length = MAX_EXECUTIONS;
  return h;
}

/** LastSuccessfulExecutionDate: the latest execution whose Status is Success. */
export function lastSuccessfulExecution(h: AssociationHistory): number | undefined {
  return h.executions.find((e) => e.execution.Status === "Success")?.execution.LastExecutionDate;
}

/**
 * The targets of one execution: as many as its counts add up to, on the association's instances
 * (its InstanceId or listed instance ids first, then stable generated `i-0…` ids), statuses assigned
 * in a stable shuffled order.
 */
export function executionTargets(a: WireAssociation, stored: StoredExecution): WireAssociationExecutionTarget[] {
  const { execution, counts } = stored;
  const total = countTotal(counts);
  const pool = instancePool(a, total);
  const rng = mulberry32(hashString(`targets:${execution.ExecutionId}`));
  const order = pool.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j] ?? 0, order[i] ?? 0];
  }
  const statusOf: string[] = [];
  for (const [status, n] of Object.entries(counts).sort(([x], [y]) => x.localeCompare(y))) {
    for (let k = 0; k < n; k++) statusOf.push(status);
  }
  const out: WireAssociationExecutionTarget[] = [];
  let failedSeen = 0;
  statusOf.forEach((status, k) => {
    const resourceId = pool[order[k] ?? k] ?? "";
    let detailed = status;
    if (status === "Failed") {
      detailed = failedSeen++ === 0 ? stored.failureDetail : weighted(rng, [["Failed", 60], ["UnsupportedAgent", 20], ["TimedOut", 20]] as const);
    } else if (status === "Pending") {
      detailed = rng() < 0.5 ? "Pending" : "InProgress";
    }
    out.push({
      AssociationId: execution.AssociationId,
      ...(execution.AssociationVersion !== undefined && { AssociationVersion: execution.AssociationVersion }),
      ExecutionId: execution.ExecutionId,
      ResourceId: resourceId,
      ResourceType: "ManagedInstance",
      Status: status,
      DetailedStatus: detailed,
      ...(execution.LastExecutionDate !== undefined && { LastExecutionDate: round3(execution.LastExecutionDate + k * 0.137) }),
      OutputSource: { OutputSourceId: uuid(rng), OutputSourceType: "RunCommand" },
    });
  });
  return out.sort((x, y) => x.ResourceId.localeCompare(y.ResourceId));
}

/** `{Failed=1, Success=3}` (keys sorted), `{}` when empty. */
export function resourceCountByStatus(counts: Record<string, number>): string {
  const parts = Object.entries(counts)
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([k, v]) => `${k}=${v}`);
  return `{${parts.join(", ")}}`;
}

function recordCurrent(h: AssociationHistory, rng: Rng, a: WireAssociation, date: number): void {
  const status = a.Overview?.Status ?? "Success";
  const detailed = a.Overview?.DetailedStatus ?? status;
  append(h, rng, a, date, status, detailed, { ...(a.Overview?.AssociationStatusAggregatedCount ?? {}) }, detailed);
  h.signature = signatureOf(a);
}

function append(
  h: AssociationHistory,
  rng: Rng,
  a: WireAssociation,
  date: number,
  status: string,
  detailed: string,
  counts: Record<string, number>,
  failureDetail: string,
): void {
  const created = round3(date - (1 + rng() * 4));
  const execution: WireAssociationExecution = {
    AssociationId: a.AssociationId,
    ...(a.AssociationVersion !== undefined && { AssociationVersion: a.AssociationVersion }),
    ExecutionId: uuid(rng),
    Status: status,
    DetailedStatus: detailed,
    CreatedTime: created,
    LastExecutionDate: date,
    ResourceCountByStatus: resourceCountByStatus(counts),
  };
  h.executions.unshift({ seq: h.nextSeq++, execution, counts, failureDetail: status === "Failed" ? failureDetail : "Failed" });
  h.signature = "";
}

function signatureOf(a: WireAssociation): string {
  const o = a.Overview ?? {};
  return JSON.stringify([o.Status, o.DetailedStatus, resourceCountByStatus(o.AssociationStatusAggregatedCount ?? {})]);
}

/** Seconds between runs for the older executions; undefined for one-time/unscheduled ones. */
function runPeriodSeconds(a: WireAssociation, lastExecution: number | undefined): number | undefined {
  const schedule = parseSchedule(a.ScheduleExpression, a.ScheduleOffset);
  if (schedule === undefined || schedule.kind === "at" || lastExecution === undefined) return undefined;
  if (schedule.kind === "rate") return schedule.periodMs / 1000;
  const slot = cronSlotBefore(schedule, lastExecution * 1000);
  const before = slot === undefined ? undefined : cronSlotBefore(schedule, slot);
  return slot === undefined || before === undefined ? DAY : (slot - before) / 1000;
}

function seedTags(rng: Rng, a: WireAssociation): WireTag[] {
  if (rng() < 0.15) return [];
  const env =
    a.Targets?.find((t) => t.Key === "tag:Environment")?.Values[0] ??
    /-(prod|staging|dev)-/.exec(a.AssociationName ?? "")?.[1] ??
    pick(rng, ["prod", "staging", "dev"]);
  const tags: WireTag[] = [
    { Key: "team", Value: pick(rng, TEAMS) },
    { Key: "owner", Value: `${pick(rng, OWNERS)}@example.com` },
    { Key: "env", Value: env },
  ];
  if (rng() < 0.3) tags.push({ Key: "cost-center", Value: `cc-${intBetween(rng, 1000, 9999)}` });
  if (rng() < 0.1) tags.push({ Key: "aws:cloudformation:stack-name", Value: `ssm-${env}` });
  return tags;
}

function instancePool(a: WireAssociation, size: number): string[] {
  const explicit = [
    ...(a.InstanceId !== undefined ? [a.InstanceId] : []),
    ...(a.Targets ?? []).filter((t) => t.Key === "InstanceIds").flatMap((t) => t.Values.filter((v) => v !== "*")),
  ];
  const pool: string[] = [];
  for (let i = 0; i < size; i++) {
    pool.push(explicit[i] ?? `i-0${hex(mulberry32(hashString(`instance:${a.AssociationId}:${i}`)), 16)}`);
  }
  return pool;
}

function countTotal(counts: Record<string, number>): number {
  return Object.values(counts).reduce((s, n) => s + (typeof n === "number" ? n : 0), 0);
}

function round3(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

function uuid(rng: Rng): string {
  const variant = pick(rng, ["8", "9", "a", "b"]);
  return `${hex(rng, 8)}-${hex(rng, 4)}-4${hex(rng, 3)}-${variant}${hex(rng, 3)}-${hex(rng, 12)}`;
}
