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

/** A validated ListAssociations request (NextToken not yet decoded: that needs the data's view). */
export interface ListAssociationsInput {
  pageSize: number;
  matches: (a: WireAssociation) => boolean;
  nextToken?: string;
}

/**
 * ListAssociations over a view: validates the request like AWS, filters, and pages. A NextToken is
 * issued only when at least one more matching association exists, so N matches with page size P
 * take exactly max(1, ceil(N/P)) calls.
 */
export function listAssociations(view: ListView, rawInput: unknown): ListAssociationsOutput {
  return listPage(view, parseListInput(rawInput));
}

/** Validates a raw request body like AWS does (everything but the NextToken's validity). */
export function parseListInput(rawInput: unknown): ListAssociationsInput {
  if (typeof rawInput !== "object" || rawInput === null || Array.isArray(rawInput)) {
    throw new SimAwsError("SerializationException", 400, "Request body must be a JSON object");
  }
  const input = rawInput as Record<string, unknown>;
  const pageSize = parseMaxResults(input.MaxResults);
  const matches = compileFilters(parseFilterList(input.AssociationFilterList));
  if (input.NextToken === undefined || input.NextToken === null) return { pageSize, matches };
  if (typeof input.NextToken !== "string") {
    throw new SimAwsError("SerializationException", 400, "NextToken must be a string");
  }
  return { pageSize, matches, nextToken: input.NextToken };
}

/** One page of a validated request; throws InvalidNextToken for a token not issued for this view. */
export function listPage(view: ListView, input: ListAssociationsInput): ListAssociationsOutput {
  const afterSeq = input.nextToken === undefined ? -1 : decodePageToken(input.nextToken, view);
  const page: WireAssociation[] = [];
  let lastSeq = afterSeq;
  let more = false;
  for (const entry of view.entries) {
    if (entry.seq <= afterSeq || !input.matches(entry.association)) continue;
    if (page.length === input.pageSize) {
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
