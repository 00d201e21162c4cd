import { compileFilters, parseFilterList } from "./association-filters.js";
import { SimAwsError, validationError } from "./errors.js";
import { decodePageToken, encodePageToken } from "./page-token.js";
import type { WireAssociation } from "./types.js";

export interface StoredAssociation {
  /** Insertion sequence number within the scope; the paging order. */
  seq: number;
  association: WireAssociation;
}

/** A read-only view of one scope's data, as ListAssociations needs it. */
export interface ListView {
  scopeKey: string;
  /** Bumped whenever the whole data set is replaced; older NextTokens expire. */
  epoch: number;
  /** Sorted by seq ascending. */
  entries: readonly StoredAssociation[];
}

export interface ListAssociationsOutput {
  Associations: WireAssociation[];
  NextToken?: string;
}

export const MAX_RESULTS_MIN = 1;
export const MAX_RESULTS_MAX = 50;

/**
 * ListAssociations over a view: validates the request like AWS, filters, and pages. A NextToken is
 * issued only when at least one more matching association exists, so N matches with page size P
 * take exactly max(1, ceil(N/P)) calls.
 */
export function listAssociations(view: ListView, rawInput: unknown): ListAssociationsOutput {
  if (typeof rawInput !== "object" || rawInput === null || Array.isArray(rawInput)) {
    throw new SimAwsError("SerializationException", 400, "Request body must be a JSON object");
  }
  const input = rawInput as Record<string, unknown>;
  const pageSize = parseMaxResults(input.MaxResults);
  const filters = parseFilterList(input.AssociationFilterList);
  const matches = compileFilters(filters);

  let afterSeq = -1;
  if (input.NextToken !== undefined && input.NextToken !== null) {
    if (typeof input.NextToken !== "string") {
      throw new SimAwsError("SerializationException", 400, "NextToken must be a string");
    }
    afterSeq = decodePageToken(input.NextToken, view);
  }

  const page: WireAssociation[] = [];
  let lastSeq = afterSeq;
  let more = false;
  for (const entry of view.entries) {
    if (entry.seq <= afterSeq || !matches(entry.association)) continue;
    if (page.length === pageSize) {
      more = true;
      break;
    }
    page.push(structuredClone(entry.association));
    lastSeq = entry.seq;
  }
  const out: ListAssociationsOutput = { Associations: page };
  if (more) out.NextToken = encodePageToken({ scopeKey: view.scopeKey, epoch: view.epoch, afterSeq: lastSeq });
  return out;
}

function parseMaxResults(raw: unknown): number {
  if (raw === undefined || raw === null) return MAX_RESULTS_MAX;
  if (typeof raw !== "number" || !Number.isInteger(raw)) {
    throw new SimAwsError("SerializationException", 400, "MaxResults must be an integer");
  }
  if (raw < MAX_RESULTS_MIN) {
    throw validationError([
      `Value '${raw}' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to ${MAX_RESULTS_MIN}`,
    ]);
  }
  if (raw > MAX_RESULTS_MAX) {
    throw validationError([
      `Value '${raw}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${MAX_RESULTS_MAX}`,
    ]);
  }
  return raw;
}
