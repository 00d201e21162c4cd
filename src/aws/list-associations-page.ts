import { z } from "zod";
import type { Association } from "../domain/association.js";

/**
 * The boundary: one ListAssociations page as the SDK hands it over, checked before anything is read
 * from it. The SDK does not check types (`{"Associations":"not-a-list"}` comes through as a string,
 * an empty body as `{}`), so every field the exporter uses is validated here against the AWS model
 * (botocore ssm/2014-11-06 `ListAssociationsResult`, `Association`, `AssociationOverview`). Unknown
 * extra fields are ignored and optional fields may be missing; a wrong type anywhere fails the page.
 */

const optionalString = z.string().optional();
/** zod's number is finite: a duration that is text, NaN or Infinity is not data. */
const finiteNumber = z.number();

/**
 * `AssociationStatusAggregatedCount`: a JSON object of status → count. Checked by hand rather than
 * with z.record, which copies entries into a fresh object where an own `__proto__` key would be lost
 * or turn into a prototype; here every key stays opaque text and becomes a Map entry.
 */
const targetCounts = z.unknown().transform((value, ctx): Map<string, number> => {
  const counts = new Map<string, number>();
  if (value === undefined || value === null) return counts;
  if (typeof value !== "object" || Array.isArray(value)) {
    ctx.addIssue({ code: "custom", message: `must be a map of status to count, got ${Array.isArray(value) ? "an array" : typeof value}` });
    return counts;
  }
  for (const [status, count] of Object.entries(value)) {
    if (status === "") ctx.addIssue({ code: "custom", path: [status], message: "status must not be empty" });
    else if (typeof count !== "number" || !Number.isFinite(count) || count < 0) {
      ctx.addIssue({ code: "custom", path: [status], message: `count must be a non-negative finite number, got ${JSON.stringify(count) ?? typeof count}` });
    } else counts.set(status, count);
  }
  return counts;
});

const overview = z.object({
  Status: optionalString,
  DetailedStatus: optionalString,
  AssociationStatusAggregatedCount: targetCounts,
});

/** zod's date rejects an Invalid Date. */
const validDate = z.date();

const association = z.object({
  AssociationId: z.string().min(1, { message: "must be a non-empty string" }),
  AssociationName: optionalString,
  Name: optionalString,
  DocumentVersion: optionalString,
  AssociationVersion: optionalString,
  ScheduleExpression: optionalString,
  LastExecutionDate: validDate.optional(),
  ScheduleOffset: finiteNumber.optional(),
  Duration: finiteNumber.optional(),
  Overview: overview.optional(),
});

const page = z.object({
  // Always present in a real answer (an empty listing is `"Associations": []`): a page without it is
  // not an empty account, it is a broken answer.
  Associations: z.array(association, { error: (issue) => (issue.input === undefined ? "is missing" : "must be a list") }),
  NextToken: z.string().nullish(),
});

export interface Page {
  readonly associations: Association[];
  /** undefined at the end of the listing. */
  readonly nextToken: string | undefined;
}

/** Thrown for a page that fails the schema; `path` names the first offending field. */
export class InvalidPageError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = "InvalidPageError";
  }
}

/** `["Associations", 3, "Overview", "AssociationStatusAggregatedCount", "Failed"]` → `Associations[3].Overview.AssociationStatusAggregatedCount.Failed`. */
function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("") || "(body)";
}

/**
 * The common case without zod: a page whose every field is plainly of its type is converted straight
 * away (zod copies every object it checks, a third generation of garbage per association after the
 * SDK's and before ours: ~10% of a poll's CPU at 10,000 associations). Anything else, however slight
 * (a null, a non-finite number, an odd count), returns undefined and goes through the schema above,
 * which accepts or names the problem exactly as before. So this path accepts a subset of what the
 * schema accepts and converts it identically.
 */
function fastPage(output: unknown): Page | undefined {
  if (!isRecord(output)) return undefined;
  const items = output.Associations;
  const token = output.NextToken;
  if (!Array.isArray(items) || !(token === undefined || token === null || typeof token === "string")) return undefined;
  const associations: Association[] = new Array<Association>(items.length);
  for (let i = 0; i < items.length; i++) {
    const association = fastAssociation(items[i]);
    if (association === undefined) return undefined;
    associations[i] = association;
  }
  return { associations, nextToken: token === null || token === undefined || token === "" ? undefined : token };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

const isOptionalString = (value: unknown): value is string | undefined => value === undefined || typeof value === "string";
const isOptionalFinite = (value: unknown): value is number | undefined => value === undefined || (typeof value === "number" && Number.isFinite(value));

function fastAssociation(item: unknown): Association | undefined {
  if (!isRecord(item)) return undefined;
  const { AssociationId: id, AssociationName: name, Name: document, DocumentVersion: documentVersion, AssociationVersion: version, ScheduleExpression: schedule } = item;
  const { LastExecutionDate: last, ScheduleOffset: offset, Duration: duration, Overview: overview } = item;
  if (typeof id !== "string" || id === "") return undefined;
  if (!isOptionalString(name) || !isOptionalString(document) || !isOptionalString(documentVersion) || !isOptionalString(version) || !isOptionalString(schedule)) return undefined;
  if (!(last === undefined || (last instanceof Date && Object.getPrototypeOf(last) === Date.prototype && Number.isFinite(last.getTime())))) return undefined;
  if (!isOptionalFinite(offset) || !isOptionalFinite(duration)) return undefined;
  let status = "";
  let detailedStatus = "";
  const targetCounts = new Map<string, number>();
  if (overview !== undefined) {
    if (!isRecord(overview)) return undefined;
    const { Status, DetailedStatus, AssociationStatusAggregatedCount: counts } = overview;
    if (!isOptionalString(Status) || !isOptionalString(DetailedStatus)) return undefined;
    status = Status ?? "";
    detailedStatus = DetailedStatus ?? "";
    if (counts !== undefined && counts !== null) {
      if (!isRecord(counts)) return undefined;
      for (const key of Object.keys(counts)) {
        const count = counts[key];
        if (key === "" || key === "__proto__" || typeof count !== "number" || !Number.isFinite(count) || count < 0) return undefined;
        targetCounts.set(key, count);
      }
    }
  }
  return {
    associationId: id,
    associationName: name ?? "",
    documentName: document ?? "",
    documentVersion: documentVersion ?? "",
    associationVersion: version ?? "",
    scheduleExpression: schedule ?? "",
    status,
    detailedStatus,
    targetCounts,
    lastExecutionSeconds: last === undefined ? undefined : last.getTime() / 1000,
    scheduleOffsetDays: offset,
    durationHours: duration,
  };
}

/** Validates one page and converts it to our domain type. Throws InvalidPageError. */
export function parseListAssociationsPage(output: unknown): Page {
  const fast = fastPage(output);
  if (fast !== undefined) return fast;
  const result = page.safeParse(output);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = formatPath(issue?.path ?? []);
    const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more problems)` : "";
    throw new InvalidPageError(path, `invalid ListAssociations response: ${path} ${issue?.message ?? "is invalid"}${more}`);
  }
  const { Associations, NextToken } = result.data;
  return {
    associations: Associations.map((item) => ({
      associationId: item.AssociationId,
      associationName: item.AssociationName ?? "",
      documentName: item.Name ?? "",
      documentVersion: item.DocumentVersion ?? "",
      associationVersion: item.AssociationVersion ?? "",
      scheduleExpression: item.ScheduleExpression ?? "",
      status: item.Overview?.Status ?? "",
      detailedStatus: item.Overview?.DetailedStatus ?? "",
      targetCounts: item.Overview?.AssociationStatusAggregatedCount ?? new Map<string, number>(),
      lastExecutionSeconds: item.LastExecutionDate === undefined ? undefined : item.LastExecutionDate.getTime() / 1000,
      scheduleOffsetDays: item.ScheduleOffset,
      durationHours: item.Duration,
    })),
    // An empty token ends the listing, as the SDK's own paginator treats it.
    nextToken: NextToken === null || NextToken === undefined || NextToken === "" ? undefined : NextToken,
  };
}
