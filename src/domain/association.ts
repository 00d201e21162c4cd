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
  /** Overview.AssociationStatusAggregatedCount: targets per status, keys as AWS sends them. */
  readonly targetCounts: Readonly<Record<string, number>>;
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

/** Failure of one AWS call, as a value. `code` is the AWS error code (e.g. ThrottlingException). */
export class AwsCallError extends Error {
  constructor(
    readonly operation: string,
    readonly code: string,
    readonly region: string,
    message: string,
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = "AwsCallError";
  }
}

/**
 * Reads every association of one account×region. Implementations hide pagination and SDK types.
 * Rejects with AwsCallError.
 */
export interface AssociationSource {
  readonly region: string;
  /** The account id when it is known without asking AWS (from a role ARN), for labelling failures. */
  readonly knownAccountId?: string | undefined;
  /** Resolves the account id of the credentials in use (cached after the first success). */
  accountId(): Promise<string>;
  /** Every association, all pages. The signal aborts in-flight requests at shutdown. */
  listAssociations(signal?: AbortSignal): Promise<Association[]>;
}
