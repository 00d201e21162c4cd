import { randomUUID } from "node:crypto";
import { SimAwsError } from "./errors.js";
import { fixedFaultBody } from "./fault-bodies.js";
import { connectionOutcome, deliver, faultError, type CallSite } from "./faults.js";
import type { OrgListEntry } from "./organization.js";
import { decodePageToken, encodePageToken } from "./page-token.js";
import { parseSigV4Authorization, sessionTokenOf } from "./sigv4.js";
import type { Simulator } from "./simulator.js";
import { isOrganizationsOperation, type OrganizationsOperation, type SimOutcome, type SimRequest, type SimResponse, type TakenFault } from "./types.js";

/** AWS JSON 1.1: `POST /` with `X-Amz-Target: AWSOrganizationsV20161128.<Operation>`. */
export const ORGANIZATIONS_TARGET_PREFIX = "AWSOrganizationsV20161128.";
const AMZ_JSON_1_1 = "application/x-amz-json-1.1";

/** MaxResults bounds of every Organizations listing (model: MaxResults 1–20). */
export const ORG_MAX_RESULTS_MIN = 1;
export const ORG_MAX_RESULTS_MAX = 20;
/** The page size when MaxResults is left out. AWS says only "specific to the operation"; 20 is what it sends in practice. */
export const ORG_DEFAULT_MAX_RESULTS = 20;

const PARENT_ID = /^(r-[0-9a-z]{4,32})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/;
const CHILD_TYPES = ["ACCOUNT", "ORGANIZATIONAL_UNIT"] as const;
type ChildType = (typeof CHILD_TYPES)[number];

/** Whether a request names an Organizations operation (by its X-Amz-Target prefix). */
export function isOrganizationsTarget(headers: SimRequest["headers"]): boolean {
  return (headerValue(headers["x-amz-target"]) ?? "").startsWith(ORGANIZATIONS_TARGET_PREFIX);
}

/** An Organizations request after its headers: who called and which fault it drew, or why it fails. */
export interface OrganizationsPrepared {
  requestId: string;
  call?: { site: CallSite & { operation: OrganizationsOperation }; fault: TakenFault | undefined };
  error?: SimAwsError;
}

/** Auth, operation, caller, then counting the call and drawing a fault: everything the headers decide. */
export function prepareOrganizationsRequest(sim: Simulator, headers: SimRequest["headers"]): OrganizationsPrepared {
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
    const operation = target.slice(ORGANIZATIONS_TARGET_PREFIX.length);
    if (!target.startsWith(ORGANIZATIONS_TARGET_PREFIX) || !isOrganizationsOperation(operation)) {
      throw new SimAwsError("UnknownOperationException", 400, `Operation ${target} is not supported by the simulator`);
    }
    const { accessKeyId, region } = auth.credential;
    const resolution = sim.resolveCaller(accessKeyId, sessionTokenOf(headers));
    if (!resolution.ok) {
      throw resolution.reason === "expired"
        ? new SimAwsError("ExpiredTokenException", 400, "The security token included in the request is expired")
        : new SimAwsError("UnrecognizedClientException", 400, "The security token included in the request is invalid.");
    }
    const site = { operation, region, accountId: resolution.caller.accountId };
    return { requestId, call: { site, fault: sim.beginCall(site) } };
  } catch (err) {
    return { requestId, error: asAwsError(err) };
  }
}

/** The rest of an Organizations request, once its body has been read. */
export function finishOrganizationsRequest(sim: Simulator, prepared: OrganizationsPrepared, body: string): SimOutcome {
  const { requestId, call } = prepared;
  if (call === undefined) {
    return respond(organizationsJsonError(prepared.error ?? new SimAwsError("ServiceException", 500, "Simulator bug: no call"), requestId));
  }
  const { site, fault } = call;
  try {
    if (fault !== undefined) {
      const error = faultError(fault.kind, site);
      if (error !== undefined) throw error;
      const replaced = connectionOutcome(fault.kind);
      if (replaced !== undefined) return replaced;
      if (fault.kind === "wrongTypes") return respond(ok200(AMZ_JSON_1_1, wrongTypesBody(site.operation), requestId));
      const fixed = fixedFaultBody(fault.kind);
      if (fixed !== undefined) return respond(ok200(fixed.contentType, fixed.body, requestId));
    }
    const output = answer(sim, site, parseJsonBody(body));
    return deliver(ok200(AMZ_JSON_1_1, JSON.stringify(output), requestId), fault);
  } catch (err) {
    // "slow" and "partialBody" deliver whatever the right answer is, errors included.
    return deliver(organizationsJsonError(asAwsError(err), requestId), fault);
  }
}

/** One whole Organizations request (headers and body at once). */
export function handleOrganizationsRequest(sim: Simulator, req: SimRequest): SimOutcome {
  return finishOrganizationsRequest(sim, prepareOrganizationsRequest(sim, req.headers), req.body);
}

function answer(sim: Simulator, site: CallSite & { operation: OrganizationsOperation }, raw: unknown): unknown {
  const input = asObject(raw);
  const { operation } = site;
  // Input checks come first, as the service's own validation does; then who may call.
  const pageSize = operation === "DescribeOrganization" ? 0 : parseMaxResults(input.MaxResults);
  const nextToken = operation === "DescribeOrganization" ? undefined : parseNextToken(input.NextToken);
  const parentId = operation === "ListAccountsForParent" || operation === "ListChildren" ? parseParentId(input.ParentId) : undefined;
  const childType = operation === "ListChildren" ? parseChildType(input.ChildType) : undefined;

  const org = sim.organization().view();
  if (org === undefined || !org.isMember(site.accountId)) {
    throw new SimAwsError("AWSOrganizationsNotInUseException", 400, "Your account is not a member of an organization.");
  }
  if (operation === "DescribeOrganization") return { Organization: org.organization };
  if (!org.isAdministrator(site.accountId)) {
    throw new SimAwsError("AccessDeniedException", 400, "You don't have permissions to access this resource.");
  }
  const paging = { pageSize, nextToken, epoch: org.epoch };
  switch (operation) {
    case "ListRoots": {
      const page = pageOf([{ seq: 0, item: org.root }], `${org.id}/roots`, paging);
      return withToken({ Roots: structuredClone(page.items) }, page.nextToken);
    }
    case "ListAccounts": {
      const page = pageOf(org.accounts(), `${org.id}/accounts`, paging);
      return withToken({ Accounts: structuredClone(page.items) }, page.nextToken);
    }
    case "ListAccountsForParent": {
      const id = parentId ?? "";
      const page = pageOf(existingParent(org.accountsOf(id)), `${org.id}/accounts/${id}`, paging);
      return withToken({ Accounts: structuredClone(page.items) }, page.nextToken);
    }
    case "ListChildren": {
      const id = parentId ?? "";
      const entries: OrgListEntry<{ Id: string }>[] =
        childType === "ACCOUNT"
          ? existingParent(org.accountsOf(id)).map((e) => ({ seq: e.seq, item: { Id: e.item.Id } }))
          : existingParent(org.childOusOf(id));
      const page = pageOf(entries, `${org.id}/children/${id}/${childType ?? ""}`, paging);
      return withToken({ Children: page.items.map((c) => ({ Id: c.Id, Type: childType })) }, page.nextToken);
    }
  }
}

function existingParent<T>(entries: T[] | undefined): T[] {
  if (entries === undefined) throw new SimAwsError("ParentNotFoundException", 400, "We can't find a root or OU with the ParentId that you specified.");
  return entries;
}

/**
 * One page by insertion sequence, with the page-token helper's opaque tokens: a NextToken only when
 * more entries exist, so N entries with page size P take max(1, ceil(N/P)) calls.
 */
function pageOf<T>(
  entries: readonly OrgListEntry<T>[],
  scopeKey: string,
  paging: { pageSize: number; nextToken: string | undefined; epoch: number },
): { items: T[]; nextToken?: string } {
  let afterSeq = -1;
  if (paging.nextToken !== undefined) {
    try {
      afterSeq = decodePageToken(paging.nextToken, { scopeKey, epoch: paging.epoch });
    } catch (err) {
      if (err instanceof SimAwsError) throw invalidInput("INVALID_NEXT_TOKEN", "The specified NextToken isn't valid.");
      throw err;
    }
  }
  const items: T[] = [];
  let lastSeq = afterSeq;
  for (const entry of entries) {
    if (entry.seq <= afterSeq) continue;
    if (items.length === paging.pageSize) {
      return { items, nextToken: encodePageToken({ scopeKey, epoch: paging.epoch, afterSeq: lastSeq }) };
    }
    items.push(entry.item);
    lastSeq = entry.seq;
  }
  return { items };
}

function withToken<T extends object>(output: T, nextToken: string | undefined): T & { NextToken?: string } {
  return nextToken === undefined ? output : { ...output, NextToken: nextToken };
}

// --- input validation -----------------------------------------------------------------------------

function invalidInput(reason: string, message: string): SimAwsError {
  return new SimAwsError("InvalidInputException", 400, message, { Reason: reason });
}

function parseMaxResults(raw: unknown): number {
  if (raw === undefined || raw === null) return ORG_DEFAULT_MAX_RESULTS;
  if (typeof raw !== "number" || !Number.isInteger(raw)) throw new SimAwsError("SerializationException", 400, "MaxResults must be an integer");
  if (raw < ORG_MAX_RESULTS_MIN) {
    throw invalidInput("MIN_VALUE_EXCEEDED", `You provided a value for MaxResults (${raw}) that is less than the minimum of ${ORG_MAX_RESULTS_MIN}.`);
  }
  if (raw > ORG_MAX_RESULTS_MAX) {
    throw invalidInput("MAX_VALUE_EXCEEDED", `You provided a value for MaxResults (${raw}) that is greater than the maximum of ${ORG_MAX_RESULTS_MAX}.`);
  }
  return raw;
}

function parseNextToken(raw: unknown): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "string") throw new SimAwsError("SerializationException", 400, "NextToken must be a string");
  return raw;
}

function parseParentId(raw: unknown): string {
  if (raw === undefined || raw === null || raw === "") throw invalidInput("INPUT_REQUIRED", "You must specify a value for ParentId.");
  if (typeof raw !== "string") throw new SimAwsError("SerializationException", 400, "ParentId must be a string");
  if (!PARENT_ID.test(raw)) throw invalidInput("INVALID_PATTERN", "You specified a ParentId that doesn't match the required pattern (a root r-... or an OU ou-...).");
  return raw;
}

function parseChildType(raw: unknown): ChildType {
  if (raw === undefined || raw === null || raw === "") throw invalidInput("INPUT_REQUIRED", "You must specify a value for ChildType.");
  const found = CHILD_TYPES.find((t) => t === raw);
  if (found === undefined) throw invalidInput("INVALID_ENUM", `You specified an invalid value for ChildType; use ${CHILD_TYPES.join(" or ")}.`);
  return found;
}

function asObject(raw: unknown): Record<string, unknown> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new SimAwsError("SerializationException", 400, "Request body must be a JSON object");
  }
  return raw as Record<string, unknown>;
}

function parseJsonBody(body: string): unknown {
  if (body.trim() === "") return {};
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new SimAwsError("SerializationException", 400, "Request body is not valid JSON");
  }
}

// --- answers --------------------------------------------------------------------------------------

/** The "wrongTypes" fault's body: the operation's list member is not a list, NextToken not a string. */
export function wrongTypesBody(operation: OrganizationsOperation): string {
  switch (operation) {
    case "ListRoots":
      return '{"Roots":"not-a-list","NextToken":42}';
    case "ListChildren":
      return '{"Children":"not-a-list","NextToken":42}';
    case "DescribeOrganization":
      return '{"Organization":"not-an-object"}';
    default:
      return '{"Accounts":"not-a-list","NextToken":42}';
  }
}

function ok200(contentType: string, body: string, requestId: string): SimResponse {
  return { status: 200, headers: { "content-type": contentType, "x-amzn-requestid": requestId }, body };
}

function respond(response: SimResponse): SimOutcome {
  return { type: "respond", response };
}

/** Organizations' error shape: `{"__type": code, "Message": ..., ...details}` (its model spells Message capitalised). */
export function organizationsJsonError(error: SimAwsError, requestId: string): SimResponse {
  return {
    status: error.status,
    headers: {
      "content-type": AMZ_JSON_1_1,
      "x-amzn-requestid": requestId,
      "x-amzn-errortype": error.code,
    },
    body: JSON.stringify({ __type: error.code, Message: error.message, ...error.details }),
  };
}

function asAwsError(err: unknown): SimAwsError {
  if (err instanceof SimAwsError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SimAwsError("ServiceException", 500, `Simulator bug: ${message}`);
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
