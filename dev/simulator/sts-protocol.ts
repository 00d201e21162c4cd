import { randomUUID } from "node:crypto";
import type { AssumeRoleParams, Caller } from "./assumed-roles.js";
import { SimAwsError } from "./errors.js";
import { connectionOutcome, deliver, faultError, type CallSite } from "./faults.js";
import { parseSigV4Authorization, sessionTokenOf } from "./sigv4.js";
import type { Simulator } from "./simulator.js";
import type { SimOperation, SimOutcome, SimRequest, SimResponse, TakenFault } from "./types.js";

/**
 * AWS query protocol: form-encoded `Action=GetCallerIdentity&Version=2011-06-15` or
 * `Action=AssumeRole&...`, XML answers.
 */
export const STS_XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/";

const ACTIONS: readonly SimOperation[] = ["GetCallerIdentity", "AssumeRole"];

export function handleStsRequest(sim: Simulator, req: SimRequest): SimOutcome {
  const requestId = randomUUID();
  let fault: TakenFault | undefined;
  try {
    const auth = parseSigV4Authorization(req.headers.authorization);
    if (!auth.ok) {
      throw auth.reason === "missing"
        ? new SimAwsError("MissingAuthenticationToken", 403, "Request is missing Authentication Token")
        : new SimAwsError("IncompleteSignature", 400, "Authorization header requires a SigV4 Credential parameter.");
    }
    const form = new URLSearchParams(req.body);
    const action = form.get("Action");
    if (action === null || action === "") throw new SimAwsError("MissingAction", 400, "Missing Action");
    const operation = ACTIONS.find((a) => a === action);
    if (operation === undefined) {
      throw new SimAwsError("InvalidAction", 400, `Could not find operation ${action} for version 2011-06-15`);
    }
    const { accessKeyId, region } = auth.credential;
    const resolution = sim.resolveCaller(accessKeyId, sessionTokenOf(req.headers));
    if (!resolution.ok) {
      throw resolution.reason === "expired"
        ? new SimAwsError("ExpiredToken", 400, "The security token included in the request is expired")
        : new SimAwsError("InvalidClientTokenId", 403, "The security token included in the request is invalid.");
    }
    const { caller } = resolution;
    const site: CallSite = { operation, region, accountId: caller.accountId };
    fault = sim.beginCall(site);
    if (fault !== undefined) {
      const error = faultError(fault.kind, site);
      if (error !== undefined) throw error;
      const replaced = connectionOutcome(fault.kind);
      if (replaced !== undefined) return replaced;
    }
    const result = operation === "AssumeRole" ? assumeRoleResult(sim, form, caller) : getCallerIdentityResult(caller);
    const body =
      `<${operation}Response xmlns="${STS_XMLNS}">` +
      `<${operation}Result>${result}</${operation}Result>` +
      `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>` +
      `</${operation}Response>`;
    return deliver({ status: 200, headers: { "content-type": "text/xml", "x-amzn-requestid": requestId }, body }, fault);
  } catch (err) {
    const error =
      err instanceof SimAwsError
        ? err
        : new SimAwsError("InternalFailure", 500, `Simulator bug: ${err instanceof Error ? err.message : String(err)}`);
    // "slow" and "partialBody" deliver whatever the right answer is, errors included.
    return deliver(xmlError(error, requestId), fault);
  }
}

function getCallerIdentityResult(caller: Caller): string {
  return element("Arn", caller.arn) + element("UserId", caller.userId) + element("Account", caller.accountId);
}

function assumeRoleResult(sim: Simulator, form: URLSearchParams, caller: Caller): string {
  const param = (name: keyof AssumeRoleParams) => form.get(name) ?? undefined;
  const issued = sim.assumeRole(
    {
      RoleArn: param("RoleArn"),
      RoleSessionName: param("RoleSessionName"),
      ExternalId: param("ExternalId"),
      DurationSeconds: param("DurationSeconds"),
    },
    caller,
  );
  return (
    `<AssumedRoleUser>${element("Arn", issued.assumedRoleArn)}${element("AssumedRoleId", issued.assumedRoleId)}</AssumedRoleUser>` +
    `<Credentials>` +
    element("AccessKeyId", issued.accessKeyId) +
    element("SecretAccessKey", issued.secretAccessKey) +
    element("SessionToken", issued.sessionToken) +
    // AWS sends whole seconds: 2025-06-01T13:00:00Z
    element("Expiration", new Date(issued.expiration).toISOString().replace(/\.\d{3}Z$/, "Z")) +
    `</Credentials>`
  );
}

export function xmlError(error: SimAwsError, requestId: string): SimResponse {
  const type = error.status >= 500 ? "Receiver" : "Sender";
  const body =
    `<ErrorResponse xmlns="${STS_XMLNS}">` +
    `<Error><Type>${type}</Type><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId>` +
    `</ErrorResponse>`;
  return { status: error.status, headers: { "content-type": "text/xml", "x-amzn-requestid": requestId }, body };
}

function element(name: string, text: string): string {
  return `<${name}>${escapeXml(text)}</${name}>`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
