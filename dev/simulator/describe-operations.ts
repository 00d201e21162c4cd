import {
  executionTargets,
  lastSuccessfulExecution,
  type AssociationHistory,
  type StoredExecution,
  type WireAssociationExecution,
  type WireAssociationExecutionTarget,
  type WireTag,
} from "./association-history.js";
import { SimAwsError, validationError } from "./errors.js";
import { MAX_RESULTS_MAX, MAX_RESULTS_MIN } from "./list-associations.js";
import { decodePageToken, encodePageToken } from "./page-token.js";
import type { WireAssociation, WireAssociationOverview, WireTarget } from "./types.js";

/**
 * DescribeAssociation, DescribeAssociationExecutions, DescribeAssociationExecutionTargets and
 * ListTagsForResource over one scope's data: validate like AWS (botocore's ssm 2014-11-06 model),
 * answer with the model's member names, page with the opaque tokens of page-token.ts.
 */

/** What the operations read: the scope's associations and, per association, its reconciled history. */
export interface DescribeView {
  scopeKey: string;
  epoch: number;
  associations: readonly WireAssociation[];
  history: (a: WireAssociation) => AssociationHistory;
}

/** `AssociationDescription`, AWS names; dates in epoch seconds. */
export interface WireAssociationDescription {
  Name: string;
  InstanceId?: string;
  AssociationVersion?: string;
  Date?: number;
  LastUpdateAssociationDate?: number;
  Status?: { Date: number; Name: string; Message: string; AdditionalInfo?: string };
  Overview?: WireAssociationOverview;
  DocumentVersion?: string;
  Parameters?: Record<string, string[]>;
  AssociationId: string;
  Targets?: WireTarget[];
  ScheduleExpression?: string;
  LastExecutionDate?: number;
  LastSuccessfulExecutionDate?: number;
  AssociationName?: string;
  MaxErrors?: string;
  MaxConcurrency?: string;
  ComplianceSeverity?: string;
  SyncCompliance?: string;
  ApplyOnlyAtCronInterval?: boolean;
  CalendarNames?: string[];
  ScheduleOffset?: number;
  Duration?: number;
  TargetMaps?: Record<string, string[]>[];
}

const ASSOCIATION_ID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const ASSOCIATION_VERSION = /^(\$LATEST|[1-9][0-9]*)$/;
const INSTANCE_ID = /(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)/;
const DOCUMENT_NAME = /^[a-zA-Z0-9_\-.:/]{3,128}$/;
const RESOURCE_TYPES = ["Document", "ManagedInstance", "MaintenanceWindow", "Parameter", "PatchBaseline", "OpsItem", "OpsMetadata", "Automation", "Association"];

// --- DescribeAssociation ----------------------------------------------------------------------------

export function describeAssociation(view: DescribeView, raw: unknown): { AssociationDescription: WireAssociationDescription } {
  const input = object(raw);
  const id = optionalString(input, "AssociationId");
  const name = optionalString(input, "Name");
  const instanceId = optionalString(input, "InstanceId");
  const version = optionalString(input, "AssociationVersion");
  const problems: string[] = [];
  if (id !== undefined && !ASSOCIATION_ID.test(id)) problems.push(patternProblem(id, "associationId", ASSOCIATION_ID));
  if (name !== undefined && !DOCUMENT_NAME.test(name)) problems.push(patternProblem(name, "name", DOCUMENT_NAME));
  if (instanceId !== undefined && !INSTANCE_ID.test(instanceId)) problems.push(patternProblem(instanceId, "instanceId", INSTANCE_ID));
  if (version !== undefined && !ASSOCIATION_VERSION.test(version)) problems.push(patternProblem(version, "associationVersion", ASSOCIATION_VERSION));
  if (problems.length > 0) throw validationError(problems);

  let a: WireAssociation | undefined;
  if (id !== undefined) {
    a = view.associations.find((x) => x.AssociationId === id && (name === undefined || x.Name === name));
  } else if (name !== undefined && instanceId !== undefined) {
    a = view.associations.find((x) => x.Name === name && targetsInstance(x, instanceId));
  } else {
    throw new SimAwsError("AssociationDoesNotExist", 400, "Either AssociationId, or Name and InstanceId, must be specified.");
  }
  if (a === undefined) throw associationDoesNotExist();
  const current = a.AssociationVersion ?? "1";
  if (version !== undefined && version !== "$LATEST" && Number(version) > Number(current)) {
    throw new SimAwsError("InvalidAssociationVersion", 400, `Association version ${version} does not exist for association ${a.AssociationId}.`);
  }
  const h = view.history(a);
  const lastSuccess = lastSuccessfulExecution(h);
  const overview = a.Overview ?? {};
  const statusName = overview.Status === "Failed" ? "Failed" : overview.Status === "Success" ? "Success" : "Pending";
  const statusDate = h.executions[0]?.execution.LastExecutionDate ?? h.lastUpdate;
  const d: WireAssociationDescription = {
    Name: a.Name,
    ...(a.InstanceId !== undefined && { InstanceId: a.InstanceId }),
    AssociationVersion: version !== undefined && version !== "$LATEST" ? version : current,
    Date: h.created,
    LastUpdateAssociationDate: h.lastUpdate,
    Status: {
      Date: statusDate,
      Name: statusName,
      Message: statusMessage(statusName, overview),
      AdditionalInfo: JSON.stringify({
        detailedStatus: overview.DetailedStatus ?? statusName,
        instanceAssociationStatusAggregatedCount: overview.AssociationStatusAggregatedCount ?? {},
      }),
    },
    Overview: structuredClone(overview),
    ...(a.DocumentVersion !== undefined && { DocumentVersion: a.DocumentVersion }),
    ...(h.parameters !== undefined && { Parameters: structuredClone(h.parameters) }),
    AssociationId: a.AssociationId,
    ...(a.Targets !== undefined && { Targets: structuredClone(a.Targets) }),
    ...(a.ScheduleExpression !== undefined && { ScheduleExpression: a.ScheduleExpression }),
    ...(a.LastExecutionDate !== undefined && { LastExecutionDate: a.LastExecutionDate }),
    ...(lastSuccess !== undefined && { LastSuccessfulExecutionDate: lastSuccess }),
    ...(a.AssociationName !== undefined && { AssociationName: a.AssociationName }),
    ...(h.maxErrors !== undefined && { MaxErrors: h.maxErrors }),
    ...(h.maxConcurrency !== undefined && { MaxConcurrency: h.maxConcurrency }),
    ComplianceSeverity: h.complianceSeverity,
    SyncCompliance: h.syncCompliance,
    ApplyOnlyAtCronInterval: h.applyOnlyAtCronInterval,
    CalendarNames: [...h.calendarNames],
    ...(a.ScheduleOffset !== undefined && { ScheduleOffset: a.ScheduleOffset }),
    ...(a.Duration !== undefined && { Duration: a.Duration }),
    ...(a.TargetMaps !== undefined && { TargetMaps: structuredClone(a.TargetMaps) }),
  };
  return { AssociationDescription: d };
}

function statusMessage(name: string, overview: WireAssociationOverview): string {
  const failed = overview.AssociationStatusAggregatedCount?.Failed ?? 0;
  if (name === "Failed") return failed > 0 ? `${failed} target(s) failed: ${overview.DetailedStatus ?? "Failed"}` : `Association failed: ${overview.DetailedStatus ?? "Failed"}`;
  if (name === "Success") return "Association ran successfully";
  return "Association is pending";
}

function targetsInstance(a: WireAssociation, instanceId: string): boolean {
  return a.InstanceId === instanceId || (a.Targets ?? []).some((t) => t.Key === "InstanceIds" && t.Values.includes(instanceId));
}

// --- DescribeAssociationExecutions ------------------------------------------------------------------

type ExecutionFilter = (e: WireAssociationExecution) => boolean;

export function describeAssociationExecutions(
  view: DescribeView,
  raw: unknown,
): { AssociationExecutions: WireAssociationExecution[]; NextToken?: string } {
  const input = object(raw);
  const id = requiredId(input, "AssociationId", "associationId");
  const pageSize = maxResults(input.MaxResults);
  const filters = parseExecutionFilters(input.Filters);
  const nextToken = optionalString(input, "NextToken");
  const a = findById(view, id);
  const h = view.history(a);
  const scopeKey = `${view.scopeKey}/executions/${a.AssociationId}`;
  const page = pageDescending(
    h.executions.filter((e) => filters.every((f) => f(e.execution))),
    pageSize,
    nextToken === undefined ? undefined : decodePageToken(nextToken, { scopeKey, epoch: view.epoch }),
  );
  const out: { AssociationExecutions: WireAssociationExecution[]; NextToken?: string } = {
    AssociationExecutions: page.items.map((e) => structuredClone(e.execution)),
  };
  if (page.lastSeq !== undefined) out.NextToken = encodePageToken({ scopeKey, epoch: view.epoch, afterSeq: page.lastSeq });
  return out;
}

function parseExecutionFilters(raw: unknown): ExecutionFilter[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new SimAwsError("SerializationException", 400, "Filters must be a list");
  if (raw.length < 1) {
    throw validationError(["Value '[]' at 'filters' failed to satisfy constraint: Member must have length greater than or equal to 1"]);
  }
  const problems: string[] = [];
  const filters: ExecutionFilter[] = [];
  raw.forEach((f: unknown, i) => {
    const at = `filters.${i + 1}.member`;
    const { Key: key, Value: value, Type: type } = (typeof f === "object" && f !== null ? f : {}) as Record<string, unknown>;
    if (typeof key !== "string") return void problems.push(`Value null at '${at}.key' failed to satisfy constraint: Member must not be null`);
    if (typeof value !== "string") return void problems.push(`Value null at '${at}.value' failed to satisfy constraint: Member must not be null`);
    if (typeof type !== "string") return void problems.push(`Value null at '${at}.type' failed to satisfy constraint: Member must not be null`);
    if (!["ExecutionId", "Status", "CreatedTime"].includes(key)) {
      return void problems.push(enumProblem(key, `${at}.key`, ["ExecutionId", "Status", "CreatedTime"]));
    }
    if (!["EQUAL", "LESS_THAN", "GREATER_THAN"].includes(type)) {
      return void problems.push(enumProblem(type, `${at}.type`, ["EQUAL", "LESS_THAN", "GREATER_THAN"]));
    }
    if (value.length < 1) return void problems.push(`Value '' at '${at}.value' failed to satisfy constraint: Member must have length greater than or equal to 1`);
    if (key === "CreatedTime") {
      const t = Date.parse(value);
      if (Number.isNaN(t) || type === "EQUAL") {
        throw new SimAwsError("InvalidFilterValue", 400, `The filter value ${value} is not valid for CreatedTime with ${type}.`);
      }
      const seconds = t / 1000;
      filters.push((e) => (type === "LESS_THAN" ? (e.CreatedTime ?? 0) < seconds : (e.CreatedTime ?? 0) > seconds));
      return;
    }
    if (type !== "EQUAL") throw new SimAwsError("InvalidFilterValue", 400, `The filter ${key} only supports EQUAL.`);
    filters.push(key === "ExecutionId" ? (e) => e.ExecutionId === value : (e) => e.Status === value);
  });
  if (problems.length > 0) throw validationError(problems);
  return filters;
}

// --- DescribeAssociationExecutionTargets ------------------------------------------------------------

export function describeAssociationExecutionTargets(
  view: DescribeView,
  raw: unknown,
): { AssociationExecutionTargets: WireAssociationExecutionTarget[]; NextToken?: string } {
  const input = object(raw);
  const problems: string[] = [];
  const id = requiredIdOrProblem(input, "AssociationId", "associationId", problems);
  const executionId = requiredIdOrProblem(input, "ExecutionId", "executionId", problems);
  if (problems.length > 0 || id === undefined || executionId === undefined) throw validationError(problems);
  const pageSize = maxResults(input.MaxResults);
  const filters = parseTargetFilters(input.Filters);
  const nextToken = optionalString(input, "NextToken");
  const a = findById(view, id);
  const stored = view.history(a).executions.find((e) => e.execution.ExecutionId === executionId);
  if (stored === undefined) {
    throw new SimAwsError("AssociationExecutionDoesNotExist", 400, `The specified execution ID ${executionId} doesn't exist for association ${id}.`);
  }
  const all = executionTargets(a, stored).filter((t) => filters.every((f) => f(t)));
  const scopeKey = `${view.scopeKey}/targets/${a.AssociationId}/${executionId}`;
  const after = nextToken === undefined ? -1 : decodePageToken(nextToken, { scopeKey, epoch: view.epoch });
  const items = all.slice(after + 1, after + 1 + pageSize);
  const out: { AssociationExecutionTargets: WireAssociationExecutionTarget[]; NextToken?: string } = { AssociationExecutionTargets: items };
  if (after + 1 + pageSize < all.length) out.NextToken = encodePageToken({ scopeKey, epoch: view.epoch, afterSeq: after + pageSize });
  return out;
}

function parseTargetFilters(raw: unknown): ((t: WireAssociationExecutionTarget) => boolean)[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new SimAwsError("SerializationException", 400, "Filters must be a list");
  if (raw.length < 1) {
    throw validationError(["Value '[]' at 'filters' failed to satisfy constraint: Member must have length greater than or equal to 1"]);
  }
  const keys = ["Status", "ResourceId", "ResourceType"] as const;
  const problems: string[] = [];
  const filters: ((t: WireAssociationExecutionTarget) => boolean)[] = [];
  raw.forEach((f: unknown, i) => {
    const at = `filters.${i + 1}.member`;
    const { Key: key, Value: value } = (typeof f === "object" && f !== null ? f : {}) as Record<string, unknown>;
    if (typeof key !== "string") return void problems.push(`Value null at '${at}.key' failed to satisfy constraint: Member must not be null`);
    if (typeof value !== "string") return void problems.push(`Value null at '${at}.value' failed to satisfy constraint: Member must not be null`);
    const k = keys.find((x) => x === key);
    if (k === undefined) return void problems.push(enumProblem(key, `${at}.key`, [...keys]));
    if (value.length < 1) return void problems.push(`Value '' at '${at}.value' failed to satisfy constraint: Member must have length greater than or equal to 1`);
    filters.push((t) => t[k] === value);
  });
  if (problems.length > 0) throw validationError(problems);
  return filters;
}

// --- ListTagsForResource ----------------------------------------------------------------------------

export function listTagsForResource(view: DescribeView, raw: unknown): { TagList: WireTag[] } {
  const input = object(raw);
  const type = optionalString(input, "ResourceType");
  const resourceId = optionalString(input, "ResourceId");
  const problems: string[] = [];
  if (type === undefined) problems.push("Value null at 'resourceType' failed to satisfy constraint: Member must not be null");
  else if (!RESOURCE_TYPES.includes(type)) problems.push(enumProblem(type, "resourceType", RESOURCE_TYPES));
  if (resourceId === undefined) problems.push("Value null at 'resourceId' failed to satisfy constraint: Member must not be null");
  if (problems.length > 0 || type === undefined || resourceId === undefined) throw validationError(problems);
  if (type !== "Association") {
    throw new SimAwsError("InvalidResourceType", 400, `The simulator holds only associations; ResourceType ${type} is not valid here.`);
  }
  const a = view.associations.find((x) => x.AssociationId === resourceId);
  if (a === undefined) throw new SimAwsError("InvalidResourceId", 400, "The resource ID isn't valid. Verify that you entered the correct ID and try again.");
  return { TagList: view.history(a).tags.map((t) => ({ ...t })) };
}

// --- shared -----------------------------------------------------------------------------------------

/** Items newest first (seq descending), one page after the position `afterSeq` (a seq; undefined = start). */
function pageDescending(items: readonly StoredExecution[], pageSize: number, afterSeq: number | undefined): { items: StoredExecution[]; lastSeq?: number } {
  const rest = items.filter((e) => afterSeq === undefined || e.seq < afterSeq);
  const page = rest.slice(0, pageSize);
  const last = page[page.length - 1];
  return rest.length > pageSize && last !== undefined ? { items: page, lastSeq: last.seq } : { items: page };
}

function findById(view: DescribeView, id: string): WireAssociation {
  const a = view.associations.find((x) => x.AssociationId === id);
  if (a === undefined) throw associationDoesNotExist();
  return a;
}

function associationDoesNotExist(): SimAwsError {
  return new SimAwsError("AssociationDoesNotExist", 400, "The specified association does not exist.");
}

function object(raw: unknown): Record<string, unknown> {
  if (raw === undefined) return {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new SimAwsError("SerializationException", 400, "Request body must be a JSON object");
  }
  return raw as Record<string, unknown>;
}

function optionalString(input: Record<string, unknown>, member: string): string | undefined {
  const v = input[member];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new SimAwsError("SerializationException", 400, `${member} must be a string`);
  return v;
}

function requiredId(input: Record<string, unknown>, member: string, path: string): string {
  const problems: string[] = [];
  const id = requiredIdOrProblem(input, member, path, problems);
  if (id === undefined) throw validationError(problems);
  return id;
}

function requiredIdOrProblem(input: Record<string, unknown>, member: string, path: string, problems: string[]): string | undefined {
  const v = optionalString(input, member);
  if (v === undefined) {
    problems.push(`Value null at '${path}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  if (!ASSOCIATION_ID.test(v)) {
    problems.push(patternProblem(v, path, ASSOCIATION_ID));
    return undefined;
  }
  return v;
}

function maxResults(raw: unknown): number {
  if (raw === undefined || raw === null) return MAX_RESULTS_MAX;
  if (typeof raw !== "number" || !Number.isInteger(raw)) throw new SimAwsError("SerializationException", 400, "MaxResults must be an integer");
  if (raw < MAX_RESULTS_MIN || raw > MAX_RESULTS_MAX) {
    const bound = raw < MAX_RESULTS_MIN ? `greater than or equal to ${MAX_RESULTS_MIN}` : `less than or equal to ${MAX_RESULTS_MAX}`;
    throw validationError([`Value '${raw}' at 'maxResults' failed to satisfy constraint: Member must have value ${bound}`]);
  }
  return raw;
}

function patternProblem(value: string, path: string, pattern: RegExp): string {
  return `Value '${value}' at '${path}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern.source}`;
}

function enumProblem(value: string, path: string, allowed: readonly string[]): string {
  return `Value '${value}' at '${path}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(", ")}]`;
}
