import { SimAwsError } from "./errors.js";
import {
  DEFAULT_SLOW_DELAY_MS,
  FAULT_KINDS,
  isOrganizationsOperation,
  isSsmOperation,
  ORGANIZATIONS_LIST_OPERATIONS,
  LIST_ONLY_FAULT_KINDS,
  WHOLE_BODY_FAULT_KINDS,
  SIM_OPERATIONS,
  type FaultKind,
  type FaultSpec,
  type OrganizationsOperation,
  type SimOperation,
  type SimOutcome,
  type SimResponse,
  type TakenFault,
} from "./types.js";

/** Where a call landed, for matching faults. */
export interface CallSite {
  operation: SimOperation;
  region: string;
  accountId: string;
}

/**
 * Pending injected faults, in injection order. A call consumes one unit of the first matching fault
 * whose `skip` is used up; every matching fault still skipping counts the call off its `skip`. A
 * fault whose count reaches zero is dropped.
 */
export class FaultBook {
  private faults: FaultSpec[] = [];

  add(spec: FaultSpec): void {
    if (!FAULT_KINDS.includes(spec.kind)) {
      throw new RangeError(`unknown fault kind ${JSON.stringify(spec.kind)}; expected one of ${FAULT_KINDS.join(", ")}`);
    }
    if (!(spec.count === Infinity || (Number.isInteger(spec.count) && spec.count > 0))) {
      throw new RangeError(`fault count must be a positive integer or Infinity, got ${spec.count}`);
    }
    if (spec.operation !== undefined && !SIM_OPERATIONS.includes(spec.operation)) {
      throw new RangeError(`unknown operation ${JSON.stringify(spec.operation)}; expected one of ${SIM_OPERATIONS.join(", ")}`);
    }
    if (LIST_ONLY_FAULT_KINDS.includes(spec.kind) && spec.operation !== undefined && spec.operation !== "ListAssociations") {
      const organizationsOk =
        (spec.kind === "InvalidNextToken" && ORGANIZATIONS_LIST_OPERATIONS.includes(spec.operation as OrganizationsOperation)) ||
        (WHOLE_BODY_FAULT_KINDS.includes(spec.kind) && isOrganizationsOperation(spec.operation));
      if (!organizationsOk && !(WHOLE_BODY_FAULT_KINDS.includes(spec.kind) && isSsmOperation(spec.operation))) {
        throw new RangeError(`fault kind ${spec.kind} only applies to ${WHOLE_BODY_FAULT_KINDS.includes(spec.kind) ? "SSM operations" : "ListAssociations"}, not ${spec.operation}`);
      }
    }
    if (spec.skip !== undefined && !(Number.isInteger(spec.skip) && spec.skip >= 0)) {
      throw new RangeError(`fault skip must be a non-negative integer, got ${spec.skip}`);
    }
    if (spec.delayMs !== undefined) {
      if (spec.kind !== "slow") throw new RangeError(`delayMs only applies to the "slow" fault kind, not ${spec.kind}`);
      if (!(Number.isInteger(spec.delayMs) && spec.delayMs >= 0)) {
        throw new RangeError(`fault delayMs must be a non-negative integer, got ${spec.delayMs}`);
      }
    }
    this.faults.push({ ...spec });
  }

  clear(): void {
    this.faults = [];
  }

  /** Consumes and returns the first matching fault that is done skipping, if any. */
  take(site: CallSite): TakenFault | undefined {
    const matching = this.faults.filter((f) => matches(f, site));
    const fault = matching.find((f) => (f.skip ?? 0) === 0);
    for (const f of matching) if (f.skip !== undefined && f.skip > 0) f.skip -= 1;
    if (fault === undefined) return undefined;
    fault.count -= 1;
    if (fault.count <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
    return fault.kind === "slow" ? { kind: fault.kind, delayMs: fault.delayMs ?? DEFAULT_SLOW_DELAY_MS } : { kind: fault.kind };
  }

  /** Pending faults with what is left of their `count` and `skip`. */
  list(): FaultSpec[] {
    return this.faults.map((f) => ({ ...f }));
  }
}

function matches(f: FaultSpec, site: CallSite): boolean {
  const operation = f.operation ?? (LIST_ONLY_FAULT_KINDS.includes(f.kind) ? "ListAssociations" : undefined);
  return (
    (operation === undefined || operation === site.operation) &&
    (f.region === undefined || f.region === site.region) &&
    (f.accountId === undefined || f.accountId === site.accountId)
  );
}

/**
 * The AWS error a fault kind stands for, in the names of the call's service (SSM, STS or
 * Organizations); undefined for the kinds that are not an AWS error.
 */
export function faultError(kind: FaultKind, site: CallSite): SimAwsError | undefined {
  if (isOrganizationsOperation(site.operation)) return organizationsFaultError(kind, site);
  const sts = !isSsmOperation(site.operation);
  switch (kind) {
    case "InternalServerError":
      return new SimAwsError("InternalServerError", 500, "An internal error occurred (simulated).");
    case "ThrottlingException":
      return new SimAwsError("ThrottlingException", 400, "Rate exceeded");
    case "AccessDeniedException":
      return new SimAwsError(
        "AccessDeniedException",
        400,
        `User: arn:aws:iam::${site.accountId}:user/simulated is not authorized to perform: ${sts ? "sts" : "ssm"}:${site.operation} (simulated)`,
      );
    case "InvalidNextToken":
      return new SimAwsError("InvalidNextToken", 400, "The specified token isn't valid.");
    case "ExpiredTokenException":
      return sts
        ? new SimAwsError("ExpiredToken", 400, "The security token included in the request is expired")
        : new SimAwsError("ExpiredTokenException", 400, "The security token included in the request is expired");
    case "UnrecognizedClientException":
      return sts
        ? new SimAwsError("InvalidClientTokenId", 403, "The security token included in the request is invalid.")
        : new SimAwsError("UnrecognizedClientException", 400, "The security token included in the request is invalid.");
    default:
      return undefined;
  }
}

/** Organizations names its errors its own way: throttling is TooManyRequestsException, a server fault ServiceException. */
function organizationsFaultError(kind: FaultKind, site: CallSite): SimAwsError | undefined {
  switch (kind) {
    case "InternalServerError":
      return new SimAwsError("ServiceException", 500, "AWS Organizations can't complete your request because of an internal service error. Try again later. (simulated)");
    case "ThrottlingException":
      return new SimAwsError(
        "TooManyRequestsException",
        400,
        "You have sent too many requests in too short a period of time. The quota helps protect against denial-of-service attacks. Try again later. (simulated)",
      );
    case "AccessDeniedException":
      return new SimAwsError(
        "AccessDeniedException",
        400,
        `User: arn:aws:iam::${site.accountId}:user/simulated is not authorized to perform: organizations:${site.operation} (simulated)`,
      );
    case "InvalidNextToken":
      return new SimAwsError("InvalidInputException", 400, "The NextToken value is invalid. (simulated)", { Reason: "INVALID_NEXT_TOKEN" });
    case "ExpiredTokenException":
      return new SimAwsError("ExpiredTokenException", 400, "The security token included in the request is expired");
    case "UnrecognizedClientException":
      return new SimAwsError("UnrecognizedClientException", 400, "The security token included in the request is invalid.");
    default:
      return undefined;
  }
}

/**
 * What to do for a fault that replaces the answer without computing it: the connection kinds that
 * send no response, and bare 5xx. Undefined for AWS errors and for the kinds that need the real answer.
 */
export function connectionOutcome(kind: FaultKind): SimOutcome | undefined {
  switch (kind) {
    case "hang":
    case "blackhole":
    case "rst":
    case "fin":
      return { type: kind };
    case "http500":
      return { type: "respond", response: bare500Response() };
    case "http503":
      return { type: "respond", response: bare503Response() };
    default:
      return undefined;
  }
}

/**
 * The real answer as the fault delivers it, for "slow" (late) and "partialBody" (half of it);
 * any other kind sends it unchanged.
 */
export function deliver(response: SimResponse, fault: TakenFault | undefined): SimOutcome {
  if (fault?.kind === "slow") return { type: "respond", response, delayMs: fault.delayMs ?? DEFAULT_SLOW_DELAY_MS };
  if (fault?.kind === "partialBody") return { type: "partialBody", response };
  return { type: "respond", response };
}

/** Answer to a "http500" fault: what a proxy in front of the service might send, not JSON or XML. */
export function bare500Response(): SimResponse {
  return {
    status: 500,
    headers: { "content-type": "text/html" },
    body: "<html><body><h1>500 Internal Server Error</h1></body></html>\n",
  };
}

/** Answer to a "http503" fault: a load balancer with no healthy backend, not JSON or XML. */
export function bare503Response(): SimResponse {
  return {
    status: 503,
    headers: { "content-type": "text/html" },
    body: "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>\n",
  };
}
