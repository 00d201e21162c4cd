import { z } from "zod";
import type { AssociationDetails } from "../domain/association.js";
import { firstProblem, type Parsed } from "./parsed.js";

/**
 * The boundary for DescribeAssociation (botocore ssm/2014-11-06 `DescribeAssociationResult`,
 * `AssociationDescription`): only the members the exporter uses are checked, unknown ones ignored,
 * optional ones may be missing; a wrong type in any of them fails the whole answer.
 */
const description = z.object({
  LastSuccessfulExecutionDate: z.date().optional(),
  ComplianceSeverity: z.string().optional(),
  SyncCompliance: z.string().optional(),
  ApplyOnlyAtCronInterval: z.boolean().optional(),
  CalendarNames: z.array(z.string()).optional(),
});

const answer = z.object({
  AssociationDescription: description,
});

/** Validates one DescribeAssociation answer. Returns the details, or the first problem as text. */
export function parseDescribeAssociation(output: unknown): Parsed<AssociationDetails> {
  const result = answer.safeParse(output);
  if (!result.success) return firstProblem("DescribeAssociation", result.error);
  const d = result.data.AssociationDescription;
  return {
    ok: true,
    value: {
      lastSuccessfulExecutionSeconds: d.LastSuccessfulExecutionDate === undefined ? undefined : d.LastSuccessfulExecutionDate.getTime() / 1000,
      complianceSeverity: d.ComplianceSeverity ?? "",
      syncCompliance: d.SyncCompliance ?? "",
      applyOnlyAtCronInterval: d.ApplyOnlyAtCronInterval,
      calendarNames: Object.freeze([...(d.CalendarNames ?? [])]),
    },
  };
}
