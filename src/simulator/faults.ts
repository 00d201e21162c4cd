import { SimAwsError } from "./errors.js";
import {
  FAULT_KINDS,
  SIM_OPERATIONS,
  type FaultKind,
  type FaultSpec,
  type SimOperation,
  type SimResponse,
} from "./types.js";

/** Where a call landed, for matching faults. */
export interface CallSite {
  operation: SimOperation;
  region: string;
  accountId: string;
}

/**
 * Pending injected faults, in injection order. A call consumes one unit of the first fault that
 * matches it; a fault whose count reaches zero is dropped.
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
    this.faults.push({ ...spec });
  }

  clear(): void {
    this.faults = [];
  }

  /** Consumes and returns the kind of the first matching fault, if any. */
  take(site: CallSite): FaultKind | undefined {
    const i = this.faults.findIndex(
      (f) =>
        (f.operation === undefined || f.operation === site.operation) &&
        (f.region === undefined || f.region === site.region) &&
        (f.accountId === undefined || f.accountId === site.accountId),
    );
    const fault = this.faults[i];
    if (fault === undefined) return undefined;
    fault.count -= 1;
    if (fault.count <= 0) this.faults.splice(i, 1);
    return fault.kind;
  }

  list(): FaultSpec[] {
    return this.faults.map((f) => ({ ...f }));
  }
}

/** The AWS error a fault kind stands for; undefined for "http500", which is not an AWS error. */
export function faultError(kind: FaultKind, site: CallSite): SimAwsError | undefined {
  switch (kind) {
    case "InternalServerError":
      return new SimAwsError("InternalServerError", 500, "An internal error occurred (simulated).");
    case "ThrottlingException":
      return new SimAwsError("ThrottlingException", 400, "Rate exceeded");
    case "AccessDeniedException": {
      const service = site.operation === "ListAssociations" ? "ssm" : "sts";
      return new SimAwsError(
        "AccessDeniedException",
        400,
        `User: arn:aws:iam::${site.accountId}:user/simulated is not authorized to perform: ${service}:${site.operation} (simulated)`,
      );
    }
    case "http500":
      return undefined;
  }
}

/** Answer to a "http500" fault: what a proxy in front of the service might send, not JSON or XML. */
export function bare500Response(): SimResponse {
  return {
    status: 500,
    headers: { "content-type": "text/html" },
    body: "<html><body><h1>500 Internal Server Error</h1></body></html>\n",
  };
}
