import type { ListAssociationsOutput } from "./list-associations.js";
import type { FaultKind, WireAssociation } from "./types.js";

/**
 * Bodies of the body-level fault kinds (ListAssociations only), all sent with status 200. Kinds
 * that ignore the real answer come from fixedFaultBody; kinds that distort the real page from
 * pageFaultBody. Both return the exact body text (undefined for any other kind).
 */

export interface FaultBody {
  contentType: string;
  body: string;
}

/** Same as ssm-protocol.ts AMZ_JSON_1_1 (kept here so the two modules do not import each other). */
const AMZ_JSON_1_1 = "application/x-amz-json-1.1";

export const HTML_200_BODY =
  "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><h1>Please sign in to continue</h1></body></html>\n";
export const WRONG_TYPES_BODY = '{"Associations":"not-a-list","NextToken":42}';
/** Written into every association, every Overview and the page by "extraFields". */
export const EXTRA_FIELD = { FutureField: { x: 1 } } as const;

/** Kinds that answer without computing the page. */
export function fixedFaultBody(kind: FaultKind): FaultBody | undefined {
  switch (kind) {
    case "html200":
      return { contentType: "text/html", body: HTML_200_BODY };
    case "empty200":
      return { contentType: AMZ_JSON_1_1, body: "" };
    case "emptyObject200":
      return { contentType: AMZ_JSON_1_1, body: "{}" };
    case "notJson":
      return { contentType: AMZ_JSON_1_1, body: "this is not json" };
    case "wrongTypes":
      return { contentType: AMZ_JSON_1_1, body: WRONG_TYPES_BODY };
    default:
      return undefined;
  }
}

export interface PageContext {
  /** The NextToken the request carried. */
  requestToken: string | undefined;
  /** A token that fetches the first page of this listing (what "sameNextToken" sends on page 1). */
  firstPageToken: string;
}

/** Kinds that distort the real page (`output`, not shared with anything else: it may be changed). */
export function pageFaultBody(kind: FaultKind, output: ListAssociationsOutput, ctx: PageContext): string | undefined {
  switch (kind) {
    case "truncatedJson": {
      const full = JSON.stringify(output);
      return full.slice(0, Math.floor(full.length / 2));
    }
    case "nonNumericCounts": {
      let i = 0;
      for (const counts of countMaps(output.Associations)) {
        for (const key of Object.keys(counts)) (counts as Record<string, unknown>)[key] = i++ % 2 === 0 ? "abc" : "1 2";
      }
      return JSON.stringify(output);
    }
    case "protoKeys": {
      for (const counts of countMaps(output.Associations)) {
        // A plain assignment to __proto__ would set the prototype; an own data property is what
        // JSON.stringify writes out as the literal key.
        Object.defineProperty(counts, "__proto__", { value: 3, enumerable: true, writable: true, configurable: true });
        Object.defineProperty(counts, "constructor", { value: 1, enumerable: true, writable: true, configurable: true });
      }
      return JSON.stringify(output);
    }
    case "arrayCounts": {
      for (const a of output.Associations) {
        if (a.Overview?.AssociationStatusAggregatedCount !== undefined) {
          (a.Overview as Record<string, unknown>).AssociationStatusAggregatedCount = [1, 2];
        }
      }
      return JSON.stringify(output);
    }
    case "missingOptionalFields": {
      // The AWS model (botocore ssm 2014-11-06) marks no member of Association required.
      const page: ListAssociationsOutput = { Associations: output.Associations.map((a) => ({ AssociationId: a.AssociationId }) as WireAssociation) };
      if (output.NextToken !== undefined) page.NextToken = output.NextToken;
      return JSON.stringify(page);
    }
    case "extraFields": {
      const associations = output.Associations.map((a) => ({
        ...a,
        ...(a.Overview !== undefined && { Overview: { ...a.Overview, ...EXTRA_FIELD } }),
        ...EXTRA_FIELD,
      }));
      return JSON.stringify({ ...output, Associations: associations, ...EXTRA_FIELD });
    }
    case "sameNextToken":
      return JSON.stringify({ ...output, NextToken: ctx.requestToken ?? ctx.firstPageToken });
    default:
      return undefined;
  }
}

function countMaps(associations: readonly WireAssociation[]): Record<string, number>[] {
  return associations.flatMap((a) => {
    const counts = a.Overview?.AssociationStatusAggregatedCount;
    return counts === undefined ? [] : [counts];
  });
}
