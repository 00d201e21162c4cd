import { hashString, hex, intBetween, mulberry32, pick, weighted, type Rng } from "./rng.js";
import type { WireAssociation, WireTarget } from "./types.js";

export interface GenerateOptions {
  seed: number;
  region: string;
  /** Reference time for LastExecutionDate (Date or epoch ms). Defaults to the wall clock, so pass it
   * when the output must be identical between runs. */
  now?: Date | number;
}

interface Schedule {
  expression: string;
  /** Seconds between runs, for plausible LastExecutionDate values. */
  periodSeconds: number;
}

const DAY = 86_400;
const WEEKLY_SUNDAY: Schedule = { expression: "cron(0 2 ? * SUN *)", periodSeconds: 7 * DAY };
const EVERY_HALF_HOUR_CRON: Schedule = { expression: "cron(0/30 * * * ? *)", periodSeconds: 1800 };
const THIRD_TUESDAY: Schedule = { expression: "cron(30 23 ? * TUE#3 *)", periodSeconds: 31 * DAY };
const DAILY_CRON: Schedule = { expression: "cron(0 4 * * ? *)", periodSeconds: DAY };
const RATE_30_MIN: Schedule = { expression: "rate(30 minutes)", periodSeconds: 1800 };
const RATE_12_HOURS: Schedule = { expression: "rate(12 hours)", periodSeconds: 12 * 3600 };
const RATE_1_DAY: Schedule = { expression: "rate(1 day)", periodSeconds: DAY };
const RATE_7_DAYS: Schedule = { expression: "rate(7 days)", periodSeconds: 7 * DAY };

interface DocumentProfile {
  name: string;
  weight: number;
  /** Prefix of generated association names. */
  slug: string;
  aws: boolean;
  schedules: readonly (readonly [Schedule, number])[];
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
 * gives the same list. AssociationIds are unique within one call and differ between regions.
 */
export function generateAssociations(count: number, options: GenerateOptions): WireAssociation[] {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`generateAssociations: count must be a non-negative integer, got ${count}`);
  }
  const nowMs = options.now === undefined ? Date.now() : Number(options.now);
  const rng = mulberry32(hashString(`${options.seed}:${options.region}`));
  const ids = new Set<string>();
  const out: WireAssociation[] = [];
  for (let i = 0; i < count; i++) {
    let id = uuid(rng);
    while (ids.has(id)) id = uuid(rng);
    ids.add(id);
    out.push(oneAssociation(rng, id, i, nowMs));
  }
  return out;
}

function oneAssociation(rng: Rng, associationId: string, index: number, nowMs: number): WireAssociation {
  const doc = weighted(
    rng,
    DOCUMENTS.map((d) => [d, d.weight] as const),
  );
  const env = pick(rng, ENVIRONMENTS);
  const legacy = rng() < 0.03;
  const targeting = legacy ? legacyTargeting(rng) : targets(rng, env);
  const status = weighted(rng, [["Success", 75], ["Failed", 15], ["Pending", 10]] as const);
  const neverRan = status === "Pending" && rng() < 0.5;
  const schedule = rng() < 0.05 ? undefined : weighted(rng, doc.schedules);

  const a: WireAssociation = {
    Name: doc.name,
    AssociationId: associationId,
    AssociationVersion: weighted(rng, [["1", 60], ["2", 20], ["3", 10], [String(intBetween(rng, 4, 9)), 10]] as const),
    DocumentVersion: documentVersion(rng, doc),
  };
  if (targeting.instanceId !== undefined) a.InstanceId = targeting.instanceId;
  if (targeting.targets !== undefined) a.Targets = targeting.targets;
  if (!neverRan) a.LastExecutionDate = lastExecution(rng, schedule, nowMs);
  a.Overview = {
    Status: status,
    DetailedStatus: detailedStatus(rng, status, neverRan, doc),
    AssociationStatusAggregatedCount: aggregatedCount(rng, status, neverRan, targeting),
  };
  if (schedule !== undefined) a.ScheduleExpression = schedule.expression;
  // Legacy (InstanceId) associations predate association names.
  if (!legacy && rng() >= 0.2) {
    a.AssociationName = `${doc.slug}-${env}-${String(index + 1).padStart(3, "0")}`;
  }
  if (schedule?.expression.startsWith("cron(") && schedule.periodSeconds >= 7 * DAY && rng() < 0.25) {
    a.ScheduleOffset = intBetween(rng, 1, 6);
  }
  if (schedule?.expression.startsWith("cron(") && rng() < 0.15) {
    a.Duration = intBetween(rng, 1, 24);
  }
  return a;
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

/** Mostly within one schedule period (healthy), sometimes several periods back (silently stopped). */
function lastExecution(rng: Rng, schedule: Schedule | undefined, nowMs: number): number {
  const period = schedule?.periodSeconds ?? 30 * DAY;
  const ageSeconds = rng() < 0.9 ? 60 + rng() * period : period * (2 + rng() * 3);
  // Millisecond precision, like the real API's fractional epoch seconds.
  return Math.round(nowMs - ageSeconds * 1000) / 1000;
}

function instanceId(rng: Rng): string {
  return `i-0${hex(rng, 16)}`;
}

function uuid(rng: Rng): string {
  const variant = pick(rng, ["8", "9", "a", "b"]);
  return `${hex(rng, 8)}-${hex(rng, 4)}-4${hex(rng, 3)}-${variant}${hex(rng, 3)}-${hex(rng, 12)}`;
}
