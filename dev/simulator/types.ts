/**
 * Wire shapes of the simulated SSM endpoint, spelled exactly as the AWS model spells them, so data
 * set through the in-process API is what the SDK receives.
 */

export interface WireTarget {
  Key: string;
  Values: string[];
}

export interface WireAssociationOverview {
  Status?: string;
  DetailedStatus?: string;
  AssociationStatusAggregatedCount?: Record<string, number>;
}

export interface WireAssociation {
  Name: string;
  AssociationId: string;
  AssociationVersion?: string;
  DocumentVersion?: string;
  InstanceId?: string;
  Targets?: WireTarget[];
  /** Epoch seconds, may be fractional. */
  LastExecutionDate?: number;
  Overview?: WireAssociationOverview;
  ScheduleExpression?: string;
  AssociationName?: string;
  /** Days, 1–6. */
  ScheduleOffset?: number;
  /** Hours, 1–24. */
  Duration?: number;
  TargetMaps?: Record<string, string[]>[];
}

/** The SSM operations the simulator answers (AWS JSON 1.1, `X-Amz-Target: AmazonSSM.<op>`). */
export const SSM_OPERATIONS = [
  "ListAssociations",
  "DescribeAssociation",
  "DescribeAssociationExecutions",
  "DescribeAssociationExecutionTargets",
  "ListTagsForResource",
] as const;

export type SsmOperation = (typeof SSM_OPERATIONS)[number];

/** The AWS Organizations operations (AWS JSON 1.1, `X-Amz-Target: AWSOrganizationsV20161128.<op>`). */
export const ORGANIZATIONS_OPERATIONS = ["ListRoots", "ListAccounts", "ListAccountsForParent", "ListChildren", "DescribeOrganization"] as const;

export type OrganizationsOperation = (typeof ORGANIZATIONS_OPERATIONS)[number];

/** The Organizations operations that page (they take NextToken and MaxResults). */
export const ORGANIZATIONS_LIST_OPERATIONS: readonly OrganizationsOperation[] = ["ListRoots", "ListAccounts", "ListAccountsForParent", "ListChildren"];

export type SimOperation = SsmOperation | "GetCallerIdentity" | "AssumeRole" | OrganizationsOperation;

export const SIM_OPERATIONS: readonly SimOperation[] = [...SSM_OPERATIONS, "GetCallerIdentity", "AssumeRole", ...ORGANIZATIONS_OPERATIONS];

export function isSsmOperation(operation: string): operation is SsmOperation {
  return (SSM_OPERATIONS as readonly string[]).includes(operation);
}

export function isOrganizationsOperation(operation: string): operation is OrganizationsOperation {
  return (ORGANIZATIONS_OPERATIONS as readonly string[]).includes(operation);
}

/** Faults that answer with an AWS error in the protocol's error shape (JSON 1.1 for SSM and Organizations, XML for STS),
 * named as the call's service names it (faults.ts faultError). */
export const AWS_ERROR_FAULT_KINDS = [
  "InternalServerError",
  "ThrottlingException",
  "AccessDeniedException",
  /** ListAssociations, or an Organizations listing (there: InvalidInputException, Reason INVALID_NEXT_TOKEN). */
  "InvalidNextToken",
  /** STS: ExpiredToken 400. */
  "ExpiredTokenException",
  /** STS: InvalidClientTokenId 403. */
  "UnrecognizedClientException",
] as const;

/** Faults of the connection or of the HTTP layer; they work for every operation. */
export const TRANSPORT_FAULT_KINDS = ["http500", "http503", "slow", "hang", "blackhole", "rst", "fin", "partialBody"] as const;

/** Faults of a 200 answer's body; ListAssociations only. */
export const BODY_FAULT_KINDS = [
  "truncatedJson",
  "html200",
  "empty200",
  "emptyObject200",
  "notJson",
  "wrongTypes",
  "nonNumericCounts",
  "protoKeys",
  "arrayCounts",
  "missingOptionalFields",
  "extraFields",
  "sameNextToken",
] as const;

export type AwsErrorFaultKind = (typeof AWS_ERROR_FAULT_KINDS)[number];
export type TransportFaultKind = (typeof TRANSPORT_FAULT_KINDS)[number];
export type BodyFaultKind = (typeof BODY_FAULT_KINDS)[number];
export type FaultKind = AwsErrorFaultKind | TransportFaultKind | BodyFaultKind;

export const FAULT_KINDS: readonly FaultKind[] = [...AWS_ERROR_FAULT_KINDS, ...TRANSPORT_FAULT_KINDS, ...BODY_FAULT_KINDS];

/**
 * Body kinds that replace the whole answer (not distort a page): they may also name another SSM
 * operation (DescribeAssociation, ListTagsForResource, ...); without an operation they hit ListAssociations.
 */
export const WHOLE_BODY_FAULT_KINDS: readonly FaultKind[] = ["html200", "empty200", "emptyObject200", "notJson", "wrongTypes"];

/** Kinds that only make sense for ListAssociations (or, for WHOLE_BODY_FAULT_KINDS, an SSM call): they never match an STS call. */
export const LIST_ONLY_FAULT_KINDS: readonly FaultKind[] = [...BODY_FAULT_KINDS, "InvalidNextToken"];

/** Default delay of the "slow" kind. */
export const DEFAULT_SLOW_DELAY_MS = 30_000;

export interface FaultSpec {
  /** What happens to a matching call; see the table in README.md. */
  kind: FaultKind;
  /** Number of calls to fail; Infinity = until cleared. */
  count: number;
  operation?: SimOperation;
  region?: string;
  accountId?: string;
  /**
   * Matching calls to let through before this fault applies (default 0), counted per fault from
   * when it is injected, whatever else happens to those calls. With ListAssociations and
   * `count: 1`, `skip: k - 1` hits page k of the next listing.
   */
  skip?: number;
  /** "slow" only: milliseconds before the correct answer is sent (default 30 000). */
  delayMs?: number;
}

/** The part of a FaultSpec that decides what happens to the call it hit. */
export interface TakenFault {
  kind: FaultKind;
  delayMs?: number;
}

/** One account×region of simulated data. */
export interface SimScope {
  region: string;
  /** Defaults to the simulator's default account. */
  accountId?: string;
}

/** An HTTP response as a value, so the protocol modules stay free of node:http. */
export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * What the HTTP layer does with a request: answer (maybe late), or misbehave on the connection.
 * - respond: send `response` (after `delayMs`, if set)
 * - partialBody: status and headers of `response` with the Content-Length of its whole body, then
 *   the first half of the body, then close the connection (FIN)
 * - hang: the request was read; never send a byte, keep the connection open
 * - blackhole: stop reading the request (pause the socket), never send a byte
 * - rst: reset the TCP connection (RST) without a response
 * - fin: close the connection cleanly (FIN) without a response
 */
export type SimOutcome =
  | { type: "respond"; response: SimResponse; delayMs?: number }
  | { type: "partialBody"; response: SimResponse }
  | { type: "hang" }
  | { type: "blackhole" }
  | { type: "rst" }
  | { type: "fin" };

/** What a protocol handler gets from the HTTP layer. */
export interface SimRequest {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: string;
}
