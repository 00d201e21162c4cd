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

/** Reads one association's details: resolves with them or rejects with AwsCallError (never partial). */
export type DescribeAssociation = (associationId: string, signal: AbortSignal) => Promise<AssociationDetails>;

/**
 * Keeps the details of one target's associations current. Never rejects: what cannot be read by
 * the signal's abort keeps its last value.
 */
export interface AssociationEnricher {
  /** The details of the listed associations (those never read successfully are absent). */
  enrich(associations: readonly Association[], signal: AbortSignal): Promise<ReadonlyMap<string, AssociationDetails>>;
}
