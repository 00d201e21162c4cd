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

export type SimOperation = "ListAssociations" | "GetCallerIdentity" | "AssumeRole";

export const SIM_OPERATIONS: readonly SimOperation[] = ["ListAssociations", "GetCallerIdentity", "AssumeRole"];

export type FaultKind = "InternalServerError" | "ThrottlingException" | "AccessDeniedException" | "http500";

export const FAULT_KINDS: readonly FaultKind[] = [
  "InternalServerError",
  "ThrottlingException",
  "AccessDeniedException",
  "http500",
];

export interface FaultSpec {
  /** "http500" = bare HTTP 500 with a non-JSON body (a proxy or load balancer failing, not AWS). */
  kind: FaultKind;
  /** Number of calls to fail; Infinity = until cleared. */
  count: number;
  operation?: SimOperation;
  region?: string;
  accountId?: string;
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

/** What a protocol handler gets from the HTTP layer. */
export interface SimRequest {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: string;
}
