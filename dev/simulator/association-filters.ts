import { SimAwsError, validationError } from "./errors.js";
import type { WireAssociation } from "./types.js";

/** The AssociationFilterKey enum of the AWS model, in model order. */
export const ASSOCIATION_FILTER_KEYS = [
  "InstanceId",
  "Name",
  "AssociationId",
  "AssociationStatusName",
  "LastExecutedBefore",
  "LastExecutedAfter",
  "AssociationName",
  "ResourceGroupName",
  "CloudConnectorId",
] as const;

export type AssociationFilterKey = (typeof ASSOCIATION_FILTER_KEYS)[number];

/** Wire shape: lower-case `key`/`value`, unlike most SSM filter shapes. */
export interface WireAssociationFilter {
  key: AssociationFilterKey;
  value: string;
}

export type AssociationPredicate = (a: WireAssociation) => boolean;

/**
 * Checks a raw `AssociationFilterList` the way AWS does (enum, lengths) and returns its typed form.
 * Collects every constraint violation into one ValidationException.
 */
export function parseFilterList(raw: unknown): WireAssociationFilter[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) {
    throw new SimAwsError("SerializationException", 400, "AssociationFilterList must be a list");
  }
  const problems: string[] = [];
  if (raw.length < 1) {
    problems.push(
      "Value '[]' at 'associationFilterList' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  }
  const filters: WireAssociationFilter[] = [];
  raw.forEach((entry: unknown, i) => {
    const at = `associationFilterList.${i + 1}.member`;
    if (typeof entry !== "object" || entry === null) {
      throw new SimAwsError("SerializationException", 400, `${at} must be a structure`);
    }
    const { key, value } = entry as Record<string, unknown>;
    if (key === undefined || key === null) {
      problems.push(`Value null at '${at}.key' failed to satisfy constraint: Member must not be null`);
    } else if (typeof key !== "string") {
      throw new SimAwsError("SerializationException", 400, `${at}.key must be a string`);
    } else if (!(ASSOCIATION_FILTER_KEYS as readonly string[]).includes(key)) {
      problems.push(
        `Value '${key}' at '${at}.key' failed to satisfy constraint: Member must satisfy enum value set: [${ASSOCIATION_FILTER_KEYS.join(", ")}]`,
      );
    }
    if (value === undefined || value === null) {
      problems.push(`Value null at '${at}.value' failed to satisfy constraint: Member must not be null`);
    } else if (typeof value !== "string") {
      throw new SimAwsError("SerializationException", 400, `${at}.value must be a string`);
    } else if (value.length < 1) {
      problems.push(
        `Value '' at '${at}.value' failed to satisfy constraint: Member must have length greater than or equal to 1`,
      );
    }
    if (typeof key === "string" && typeof value === "string") {
      filters.push({ key: key as AssociationFilterKey, value });
    }
  });
  if (problems.length > 0) throw validationError(problems);
  return filters;
}

/** One predicate for the whole list: every filter must match (AND). */
export function compileFilters(filters: readonly WireAssociationFilter[] | undefined): AssociationPredicate {
  const predicates = (filters ?? []).map(compileOne);
  return (a) => predicates.every((p) => p(a));
}

function compileOne({ key, value }: WireAssociationFilter): AssociationPredicate {
  switch (key) {
    case "Name":
      return (a) => a.Name === value;
    case "AssociationId":
      return (a) => a.AssociationId === value;
    case "AssociationName":
      return (a) => a.AssociationName === value;
    case "AssociationStatusName":
      return (a) => a.Overview?.Status === value;
    case "LastExecutedBefore": {
      const t = parseTimestamp(key, value);
      return (a) => a.LastExecutionDate !== undefined && a.LastExecutionDate < t;
    }
    case "LastExecutedAfter": {
      const t = parseTimestamp(key, value);
      return (a) => a.LastExecutionDate !== undefined && a.LastExecutionDate > t;
    }
    case "InstanceId":
      return (a) =>
        a.InstanceId === value ||
        (a.Targets ?? []).some((t) => t.Key === "InstanceIds" && t.Values.includes(value));
    case "ResourceGroupName":
      return (a) => (a.Targets ?? []).some((t) => t.Key === "resource-groups:Name" && t.Values.includes(value));
    case "CloudConnectorId":
      // Azure cloud connectors are long gone; no association ever has one.
      return () => false;
  }
}

/** ISO-8601 → epoch seconds. */
function parseTimestamp(key: string, value: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new SimAwsError(
      "ValidationException",
      400,
      `Filter ${key} has an invalid value '${value}': expected an ISO-8601 timestamp such as 2024-01-31T00:00:00Z`,
    );
  }
  return ms / 1000;
}
