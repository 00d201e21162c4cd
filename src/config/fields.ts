import { z } from "zod";
import { isKnownRegion } from "./region-names.js";

/** Every problem found in the input, one line each. main.ts prints them and exits 2. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
  }
}

export interface AssociationFilter {
  readonly key: AssociationFilterKey;
  readonly value: string;
}

/** The AssociationFilterList keys of the ListAssociations API (botocore model, AssociationFilterKey). */
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

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

export const regionField = z.string().superRefine((r, ctx) => {
  if (!isKnownRegion(r)) ctx.addIssue({ code: "custom", message: `"${r}" is not a region` });
});

export const filterField = z.string().transform((text, ctx) => {
  const eq = text.indexOf("=");
  const key = eq > 0 ? text.slice(0, eq) : text;
  const value = eq > 0 ? text.slice(eq + 1) : "";
  if (eq <= 0 || value === "") {
    ctx.addIssue({ code: "custom", message: `"${text}" is not KEY=VALUE` });
    return z.NEVER;
  }
  if (!(ASSOCIATION_FILTER_KEYS as readonly string[]).includes(key)) {
    ctx.addIssue({ code: "custom", message: `unknown filter key "${key}" (one of ${ASSOCIATION_FILTER_KEYS.join(", ")})` });
    return z.NEVER;
  }
  if ((key === "LastExecutedBefore" || key === "LastExecutedAfter") && (!ISO_DATE.test(value) || Number.isNaN(Date.parse(value)))) {
    ctx.addIssue({ code: "custom", message: `${key} needs an ISO 8601 date, got "${value}" (e.g. 2026-01-31T00:00:00Z)` });
    return z.NEVER;
  }
  return { key: key as AssociationFilterKey, value };
});
