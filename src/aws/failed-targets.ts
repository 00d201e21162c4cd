import { z } from "zod";
import type { FailedTarget, FailedTargets } from "../domain/association.js";
import { firstProblem, type Parsed } from "./parsed.js";

/**
 * The boundaries for DescribeAssociationExecutions and DescribeAssociationExecutionTargets (botocore
 * ssm/2014-11-06 `AssociationExecution`, `AssociationExecutionTarget`). The lists are always present in
 * a real answer (empty ones are `[]`); only the members the exporter uses are checked.
 */
const executions = z.object({
  AssociationExecutions: z.array(z.object({ ExecutionId: z.string().min(1, { message: "must be a non-empty string" }) })),
});

const targetsPage = z.object({
  AssociationExecutionTargets: z.array(
    z.object({
      ResourceId: z.string().min(1, { message: "must be a non-empty string" }),
      ResourceType: z.string().optional(),
      Status: z.string().optional(),
      DetailedStatus: z.string().optional(),
    }),
  ),
  NextToken: z.string().optional(),
});

/** The ExecutionId of the newest execution (the first listed), undefined when there is none. */
export function parseLatestExecution(output: unknown): Parsed<string | undefined> {
  const result = executions.safeParse(output);
  if (!result.success) return firstProblem("DescribeAssociationExecutions", result.error);
  return { ok: true, value: result.data.AssociationExecutions[0]?.ExecutionId };
}

/**
 * One page of an execution's targets, as asked for with the Status=Failed filter. A target that says
 * it did not fail is dropped: a filter the service ignored must not turn healthy instances into failed ones.
 */
export function parseExecutionTargetsPage(output: unknown): Parsed<{ targets: FailedTarget[]; nextToken: string | undefined }> {
  const result = targetsPage.safeParse(output);
  if (!result.success) return firstProblem("DescribeAssociationExecutionTargets", result.error);
  const targets = result.data.AssociationExecutionTargets.filter((t) => t.Status === undefined || t.Status === "Failed").map((t) => ({
    resourceId: t.ResourceId,
    resourceType: t.ResourceType ?? "",
    detailedStatus: t.DetailedStatus ?? "",
  }));
  const next = result.data.NextToken;
  return { ok: true, value: { targets, nextToken: next === undefined || next === "" ? undefined : next } };
}

/**
 * The failed targets kept for an association: at most `max`, each resource once. When the reading stopped at the cap with
 * more pages left, those left out are the listing's Failed count minus those kept (never negative).
 */
export function failedTargetsOf(executionId: string, read: readonly FailedTarget[], max: number, more: boolean, listedFailed: number): FailedTargets {
  // A resource listed twice (pages that overlap) would be one series twice.
  const seen = new Set<string>();
  const targets = read
    .filter((t) => {
      const key = `${t.resourceType}\u0000${t.resourceId}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .slice(0, max);
  const leftOut = more ? Math.max(0, listedFailed - targets.length) : 0;
  return { executionId, targets, leftOut };
}
