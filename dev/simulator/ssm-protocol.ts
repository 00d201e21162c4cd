import { randomUUID } from "node:crypto";
import {
  describeAssociation,
  describeAssociationExecutions,
  describeAssociationExecutionTargets,
  listTagsForResource,
} from "./describe-operations.js";
import { SimAwsError } from "./errors.js";
import { fixedFaultBody, pageFaultBody } from "./fault-bodies.js";
import { connectionOutcome, deliver, faultError, type CallSite } from "./faults.js";
import { listPage, parseListInput } from "./list-associations.js";
import { encodePageToken } from "./page-token.js";
import { parseSigV4Authorization, sessionTokenOf } from "./sigv4.js";
import type { Simulator } from "./simulator.js";
import { isSsmOperation, type SimOutcome, type SimRequest, type SimResponse, type SsmOperation, type TakenFault } from "./types.js";

/** AWS JSON 1.1: `POST /` with `X-Amz-Target: AmazonSSM.<Operation>`. */
export const SSM_TARGET_PREFIX = "AmazonSSM.";
export const AMZ_JSON_1_1 = "application/x-amz-json-1.1";

/** An SSM request after its headers: who called and which fault (if any) it drew, or why it fails. */
export interface SsmPrepared {
  requestId: string;
  call?: { site: CallSite; fault: TakenFault | undefined };
  error?: SimAwsError;
}

/**
 * The part of an SSM request that needs only its headers: auth, operation, caller, then counting
 * the call and drawing a fault. Lets the HTTP layer black-hole a request without reading its body.
 */
export function prepareSsmRequest(sim: Simulator, headers: SimRequest["headers"]): SsmPrepared {
  const requestId = randomUUID();
  try {
    const auth = parseSigV4Authorization(headers.authorization);
    if (!auth.ok) {
      throw auth.reason === "missing"
        ? new SimAwsError("MissingAuthenticationTokenException", 400, "Missing Authentication Token")
        : new SimAwsError(
            "IncompleteSignatureException",
            400,
            "Authorization header requires a SigV4 'Credential=AKID/date/region/service/aws4_request' parameter.",
          );
    }
    const target = headerValue(headers["x-amz-target"]) ?? "";
    const operation = target.startsWith(SSM_TARGET_PREFIX) ? target.slice(SSM_TARGET_PREFIX.length) : "";
    if (!isSsmOperation(operation)) {
      throw new SimAwsError(
        "UnknownOperationException",
        400,
        target === "" ? "Missing X-Amz-Target header" : `Operation ${target} is not supported by the simulator`,
      );
    }
    const { accessKeyId, region } = auth.credential;
    const resolution = sim.resolveCaller(accessKeyId, sessionTokenOf(headers));
    if (!resolution.ok) {
      throw resolution.reason === "expired"
        ? new SimAwsError("ExpiredTokenException", 400, "The security token included in the request is expired")
        : new SimAwsError("UnrecognizedClientException", 400, "The security token included in the request is invalid.");
    }
    const site: CallSite = { operation, region, accountId: resolution.caller.accountId };
    return { requestId, call: { site, fault: sim.beginCall(site) } };
  } catch (err) {
    return { requestId, error: asAwsError(err) };
  }
}

/** The rest of an SSM request, once its body has been read. */
export function finishSsmRequest(sim: Simulator, prepared: SsmPrepared, body: string): SimOutcome {
  const { requestId, call } = prepared;
  if (call === undefined) {
    return respond(jsonError(prepared.error ?? new SimAwsError("InternalServerError", 500, "Simulator bug: no call"), requestId));
  }
  const { site, fault } = call;
  try {
    if (fault !== undefined) {
      const error = faultError(fault.kind, site);
      if (error !== undefined) throw error;
      const replaced = connectionOutcome(fault.kind);
      if (replaced !== undefined) return replaced;
      const fixed = fixedFaultBody(fault.kind);
      if (fixed !== undefined) return respond(page200(fixed.contentType, fixed.body, requestId));
    }
    if (site.operation !== "ListAssociations" && isSsmOperation(site.operation)) {
      const output = answerDescribe(sim, site.operation, site, parseJsonBody(body));
      return deliver(page200(AMZ_JSON_1_1, JSON.stringify(output), requestId), fault);
    }
    const input = parseListInput(parseJsonBody(body));
    sim.notifyBeforeList(site, input.nextToken === undefined);
    const view = sim.listView(site);
    const output = listPage(view, input);
    const distorted =
      fault === undefined
        ? undefined
        : pageFaultBody(fault.kind, output, {
            requestToken: input.nextToken,
            firstPageToken: encodePageToken({ scopeKey: view.scopeKey, epoch: view.epoch, afterSeq: -1 }),
          });
    return deliver(page200(AMZ_JSON_1_1, distorted ?? JSON.stringify(output), requestId), fault);
  } catch (err) {
    // "slow" and "partialBody" deliver whatever the right answer is, errors included.
    return deliver(jsonError(asAwsError(err), requestId), fault);
  }
}

/** The operations other than ListAssociations: no page faults, no onBeforeList. */
function answerDescribe(sim: Simulator, operation: Exclude<SsmOperation, "ListAssociations">, site: CallSite, input: unknown): unknown {
  const view = sim.describeView(site);
  switch (operation) {
    case "DescribeAssociation":
      return describeAssociation(view, input);
    case "DescribeAssociationExecutions":
      return describeAssociationExecutions(view, input);
    case "DescribeAssociationExecutionTargets":
      return describeAssociationExecutionTargets(view, input);
    case "ListTagsForResource":
      return listTagsForResource(view, input);
  }
}

/** One whole SSM request (headers and body at once). */
export function handleSsmRequest(sim: Simulator, req: SimRequest): SimOutcome {
  return finishSsmRequest(sim, prepareSsmRequest(sim, req.headers), req.body);
}

function page200(contentType: string, body: string, requestId: string): SimResponse {
  return { status: 200, headers: { "content-type": contentType, "x-amzn-requestid": requestId }, body };
}

function respond(response: SimResponse): SimOutcome {
  return { type: "respond", response };
}

export function jsonError(error: SimAwsError, requestId: string): SimResponse {
  return {
    status: error.status,
    headers: {
      "content-type": AMZ_JSON_1_1,
      "x-amzn-requestid": requestId,
      "x-amzn-errortype": error.code,
    },
    body: JSON.stringify({ __type: error.code, message: error.message }),
  };
}

function parseJsonBody(body: string): unknown {
  if (body.trim() === "") return {};
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new SimAwsError("SerializationException", 400, "Request body is not valid JSON");
  }
}

function asAwsError(err: unknown): SimAwsError {
  if (err instanceof SimAwsError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SimAwsError("InternalServerError", 500, `Simulator bug: ${message}`);
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
