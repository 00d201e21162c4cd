/**
 * Our own view of a State Manager association: only what the metrics need, with units already
 * normalised. Nothing downstream of the AWS edge sees SDK types.
 */
export interface Association {
  readonly associationId: string;
  /** Empty string when the association has no name (the field is optional in the API). */
  readonly associationName: string;
  readonly documentName: string;
  readonly documentVersion: string;
  readonly associationVersion: string;
  readonly scheduleExpression: string;
  /** Overview.Status: Pending, Success or Failed; empty when the API sent none. */
  readonly status: string;
  /** Overview.DetailedStatus: free text (Success, Failed, Associated, Creating, ...). */
  readonly detailedStatus: string;
  /**
   * Overview.AssociationStatusAggregatedCount: targets per status, keys as AWS sends them. A Map, not an
   * object: a key is opaque text (even `__proto__`), never a property of anything.
   */
  readonly targetCounts: ReadonlyMap<string, number>;
  /** LastExecutionDate in Unix seconds; undefined when the association never ran. */
  readonly lastExecutionSeconds: number | undefined;
  /** ScheduleOffset in days; undefined when unset. */
  readonly scheduleOffsetDays: number | undefined;
  /** Duration (maximum run time) in hours; undefined when unset. */
  readonly durationHours: number | undefined;
}

/** Where a set of associations was read from: one account in one region. */
export interface TargetKey {
  readonly accountId: string;
  readonly region: string;
}

/** The error codes the exporter itself gives a failed poll, next to the AWS ones. */
export const POLL_TIMEOUT = "PollTimeout";
export const INVALID_RESPONSE = "InvalidResponse";

/** Failure of one AWS call, as a value. `code` is the AWS error code (e.g. ThrottlingException). */
export class AwsCallError extends Error {
  constructor(
    readonly operation: string,
    readonly code: string,
    readonly region: string,
    message: string,
    readonly httpStatus?: number,
    /** For an invalid response: the first offending field, e.g. `Associations[3].AssociationId`. */
    readonly field?: string,
  ) {
    super(message);
    this.name = "AwsCallError";
  }
}

/**
 * The reason a poll's AbortSignal carries: its deadline passed (PollTimeout) or the process is
 * stopping (Shutdown). Calls it cuts short fail with this code.
 */
export class PollAborted extends Error {
  constructor(
    readonly code: typeof POLL_TIMEOUT | "Shutdown",
    message: string,
  ) {
    super(message);
    this.name = "PollAborted";
  }
}

/**
 * Reads every association of one account×region. Implementations hide pagination, SDK types and
 * validation, and reject with AwsCallError only. The signal aborts in-flight requests (poll timeout,
 * shutdown); a rejection caused by it may come late, so callers must not wait for it alone.
 */
export interface AssociationSource {
  readonly region: string;
  /** The account id when it is known without asking AWS (configured, or from a role ARN). */
  readonly knownAccountId: string | undefined;
  /** Names of the calls behind accountId() and listAssociations(), to name the one a timeout cut short. */
  readonly operations: { readonly accountId: string; readonly listAssociations: string };
  /** Resolves the account id of the credentials in use (cached after the first success). */
  accountId(signal: AbortSignal): Promise<string>;
  /** Every association, all pages, each page validated: complete or rejected, never partial. */
  listAssociations(signal: AbortSignal): Promise<Association[]>;
}

/**
 * What DescribeAssociation adds to an association (--ssm.describe-associations), validated and
 * normalised like Association. Empty strings and undefined stand for fields AWS did not send.
 */
export interface AssociationDetails {
  /** LastSuccessfulExecutionDate in Unix seconds; undefined when it never succeeded (or AWS does not say). */
  readonly lastSuccessfulExecutionSeconds: number | undefined;
  /** ComplianceSeverity: CRITICAL, HIGH, MEDIUM, LOW, UNSPECIFIED; empty when unset. */
  readonly complianceSeverity: string;
  /** SyncCompliance: AUTO or MANUAL; empty when unset. */
  readonly syncCompliance: string;
  /** ApplyOnlyAtCronInterval; undefined when unset. */
  readonly applyOnlyAtCronInterval: boolean | undefined;
  /** CalendarNames (Change Calendar names or ARNs), in AWS's order. */
  readonly calendarNames: readonly string[];
}

/**
 * --ssm.tags: an association's tags whose keys are on the allow-list (--ssm.tag), by tag key as AWS
 * spells it. Tags not allow-listed are dropped at the AWS edge and never kept.
 */
export type AssociationTags = ReadonlyMap<string, string>;

/** One target (instance or other resource) that failed in an association's latest execution. */
export interface FailedTarget {
  readonly resourceId: string;
  /** ResourceType, e.g. ManagedInstance. */
  readonly resourceType: string;
  /** DetailedStatus of that target in the execution, e.g. Failed, TimedOut, UnsupportedAgent. */
  readonly detailedStatus: string;
}

/**
 * --ssm.failed-targets: the failed targets of an association's latest execution
 * (DescribeAssociationExecutions, then DescribeAssociationExecutionTargets filtered to Failed).
 */
export interface FailedTargets {
  /** The latest execution's ExecutionId; undefined when AWS lists no execution. */
  readonly executionId: string | undefined;
  /** At most --ssm.failed-targets.max-per-association, in AWS's order. */
  readonly targets: readonly FailedTarget[];
  /** Failed targets not in `targets` because a cap stopped the reading (0 when all were read). */
  readonly leftOut: number;
}

/**
 * What the optional per-association calls added to one target's associations, by AssociationId. A
 * member is undefined when its flag is off; an association missing from a map has no answer yet.
 */
export interface Enrichment {
  readonly details?: ReadonlyMap<string, AssociationDetails> | undefined;
  readonly tags?: ReadonlyMap<string, AssociationTags> | undefined;
  readonly failedTargets?: ReadonlyMap<string, FailedTargets> | undefined;
}

/** Reads one association's details: resolves with them or rejects with AwsCallError (never partial). */
export type DescribeAssociation = (associationId: string, signal: AbortSignal) => Promise<AssociationDetails>;

/** Reads one association's allow-listed tags: resolves with them or rejects with AwsCallError. */
export type ReadAssociationTags = (associationId: string, signal: AbortSignal) => Promise<AssociationTags>;

/**
 * Reads the failed targets of an association's latest execution, at most `max` (the association's
 * listed Failed count tells how many a cap left out). Resolves or rejects with AwsCallError.
 */
export type ReadFailedTargets = (association: Association, max: number, signal: AbortSignal) => Promise<FailedTargets>;

/**
 * Keeps the optional per-association data of one target current. Never rejects: what cannot be
 * read by the signal's abort keeps its last value.
 */
export interface AssociationEnricher {
  enrich(associations: readonly Association[], signal: AbortSignal): Promise<Enrichment>;
}
