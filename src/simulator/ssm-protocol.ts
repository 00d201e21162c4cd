import { randomUUID } from "node:crypto";
import { SimAwsError } from "./errors.js";
import { bare500Response, faultError, type CallSite } from "./faults.js";
import { listPage, parseListInput } from "./list-associations.js";
import { parseSigV4Authorization, sessionTokenOf } from "./sigv4.js";
import type { Simulator } from "./simulator.js";
import type { SimRequest, SimResponse } from "./types.js";

/** AWS JSON 1.1: `POST /` with `X-Amz-Target: AmazonSSM.<Operation>`. */
export const SSM_TARGET_PREFIX = "AmazonSSM.";
export const AMZ_JSON_1_1 = "application/x-amz-json-1.1";

export function handleSsmRequest(sim: Simulator, req: SimRequest): SimResponse {
  const requestId = randomUUID();
  try {
    const auth = parseSigV4Authorization(req.headers.authorization);
    if (!auth.ok) {
      throw auth.reason === "missing"
        ? new SimAwsError("MissingAuthenticationTokenException", 400, "Missing Authentication Token")
        : new SimAwsError(
            "IncompleteSignatureException",
            400,
            "Authorization header requires a SigV4 'Credential=AKID/date/region/service/aws4_request' parameter.",
          );
    }
    const target = headerValue(req.headers["x-amz-target"]) ?? "";
    if (target !== `${SSM_TARGET_PREFIX}ListAssociations`) {
      throw new SimAwsError(
        "UnknownOperationException",
        400,
        target === "" ? "Missing X-Amz-Target header" : `Operation ${target} is not supported by the simulator`,
      );
    }
    const { accessKeyId, region } = auth.credential;
    const resolution = sim.resolveCaller(accessKeyId, sessionTokenOf(req.headers));
    if (!resolution.ok) {
      throw resolution.reason === "expired"
        ? new SimAwsError("ExpiredTokenException", 400, "The security token included in the request is expired")
        : new SimAwsError("UnrecognizedClientException", 400, "The security token included in the request is invalid.");
    }
    const site: CallSite = { operation: "ListAssociations", region, accountId: resolution.caller.accountId };
    const fault = sim.beginCall(site);
    if (fault !== undefined) {
      const error = faultError(fault, site);
      if (error === undefined) return bare500Response();
      throw error;
    }
    const input = parseListInput(parseJsonBody(req.body));
    sim.notifyBeforeList(site, input.nextToken === undefined);
    const output = listPage(sim.listView(site), input);
    return {
      status: 200,
      headers: { "content-type": AMZ_JSON_1_1, "x-amzn-requestid": requestId },
      body: JSON.stringify(output),
    };
  } catch (err) {
    return jsonError(asAwsError(err), requestId);
  }
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
