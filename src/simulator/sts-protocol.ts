import { createHash, randomUUID } from "node:crypto";
import { SimAwsError } from "./errors.js";
import { bare500Response, faultError, type CallSite } from "./faults.js";
import { parseSigV4Authorization } from "./sigv4.js";
import type { Simulator } from "./simulator.js";
import type { SimRequest, SimResponse } from "./types.js";

/** AWS query protocol: form-encoded `Action=GetCallerIdentity&Version=2011-06-15`, XML answers. */
export const STS_XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/";

export function handleStsRequest(sim: Simulator, req: SimRequest): SimResponse {
  const requestId = randomUUID();
  try {
    const auth = parseSigV4Authorization(req.headers.authorization);
    if (!auth.ok) {
      throw auth.reason === "missing"
        ? new SimAwsError("MissingAuthenticationToken", 403, "Request is missing Authentication Token")
        : new SimAwsError("IncompleteSignature", 400, "Authorization header requires a SigV4 Credential parameter.");
    }
    const action = new URLSearchParams(req.body).get("Action");
    if (action === null || action === "") throw new SimAwsError("MissingAction", 400, "Missing Action");
    if (action !== "GetCallerIdentity") {
      throw new SimAwsError("InvalidAction", 400, `Could not find operation ${action} for version 2011-06-15`);
    }
    const { accessKeyId, region } = auth.credential;
    const accountId = sim.accountFor(accessKeyId);
    const site: CallSite = { operation: "GetCallerIdentity", region, accountId };
    const fault = sim.beginCall(site);
    if (fault !== undefined) {
      const error = faultError(fault, site);
      if (error === undefined) return bare500Response();
      throw error;
    }
    const body =
      `<GetCallerIdentityResponse xmlns="${STS_XMLNS}">` +
      `<GetCallerIdentityResult>` +
      `<Arn>${escapeXml(`arn:aws:iam::${accountId}:user/simulated`)}</Arn>` +
      `<UserId>${escapeXml(userIdFor(accessKeyId))}</UserId>` +
      `<Account>${escapeXml(accountId)}</Account>` +
      `</GetCallerIdentityResult>` +
      `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>` +
      `</GetCallerIdentityResponse>`;
    return { status: 200, headers: { "content-type": "text/xml", "x-amzn-requestid": requestId }, body };
  } catch (err) {
    const error =
      err instanceof SimAwsError
        ? err
        : new SimAwsError("InternalFailure", 500, `Simulator bug: ${err instanceof Error ? err.message : String(err)}`);
    return xmlError(error, requestId);
  }
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

/** A stable IAM-user-style unique id (AIDA + 17 base32 characters) per access key. */
function userIdFor(accessKeyId: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const digest = createHash("sha256").update(accessKeyId).digest();
  let id = "AIDA";
  for (let i = 0; i < 17; i++) id += alphabet[(digest[i] ?? 0) % 32];
  return id;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
