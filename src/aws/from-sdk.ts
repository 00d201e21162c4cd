import type { Association as SdkAssociation } from "@aws-sdk/client-ssm";
import type { Association } from "../domain/association.js";

/** SDK Association (ListAssociations item) → our Association. Pure; tolerates every optional field missing. */
export function fromSdkAssociation(item: SdkAssociation): Association {
  const overview = item.Overview ?? {};
  return {
    associationId: item.AssociationId ?? "",
    associationName: item.AssociationName ?? "",
    documentName: item.Name ?? "",
    documentVersion: item.DocumentVersion ?? "",
    associationVersion: item.AssociationVersion ?? "",
    scheduleExpression: item.ScheduleExpression ?? "",
    status: overview.Status ?? "",
    detailedStatus: overview.DetailedStatus ?? "",
    targetCounts: { ...(overview.AssociationStatusAggregatedCount ?? {}) },
    lastExecutionSeconds: toUnixSeconds(item.LastExecutionDate),
    scheduleOffsetDays: item.ScheduleOffset ?? undefined,
    durationHours: item.Duration ?? undefined,
  };
}

function toUnixSeconds(date: Date | undefined): number | undefined {
  if (!date) return undefined;
  const ms = date.getTime();
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}
