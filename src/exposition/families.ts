import type { TagLabel } from "../config/tag-labels.js";
import type { Association, Enrichment } from "../domain/association.js";
import type { TargetState } from "../domain/snapshot.js";
import type { ScheduleSlots } from "../schedule/schedule.js";

/**
 * THE metric contract for association data. Renaming a metric or a label here is a breaking change
 * for every dashboard and alert; docs/metrics.md is checked against this list by a test.
 */

/** Labels on every association series, in this order. */
export const COMMON_LABELS = ["account_id", "region", "association_id", "association_name", "document_name"] as const;

/** The Overview.Status values AWS documents; each always gets a series (0 or 1). */
export const KNOWN_STATUSES = ["Pending", "Success", "Failed"] as const;

/** Target-count keys always present (0 when AWS sends none), so `sum()` and alerts never see gaps. */
export const ALWAYS_PRESENT_TARGET_STATUSES = ["Success", "Failed", "Pending"] as const;

/** One sample of a family for one association: the family's extra labels and the value. */
export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface AssociationFamily {
  readonly name: string;
  readonly help: string;
  readonly type: "gauge";
  /** Labels after COMMON_LABELS. */
  readonly extraLabels: readonly string[];
  /**
   * `schedule`: the association's scheduled times around the poll that listed it (see ScheduleBook).
   * `enrichment`: the target's optional per-association data (look the association up by its id);
   * a map is undefined when its flag is off, and an association is absent from it until read.
   */
  readonly samples: (association: Association, schedule: ScheduleSlots, enrichment: Enrichment) => readonly Sample[];
  /** Rendered only with that flag (--ssm.describe-associations, --ssm.failed-targets): not even HELP and TYPE without it. */
  readonly requires?: "describe" | "failedTargets";
}

/** Which optional families and labels are rendered. */
export interface FamilyOptions {
  /** --ssm.describe-associations. */
  readonly describe?: boolean;
  /** --ssm.tags: the allow-listed keys and their labels on aws_ssm_association_info. */
  readonly tagLabels?: readonly TagLabel[];
  /** --ssm.failed-targets. */
  readonly failedTargets?: boolean;
}

/** The association families rendered with these options, in exposition order. */
export function associationFamilies(options: FamilyOptions = {}): readonly AssociationFamily[] {
  const on = { describe: options.describe === true, failedTargets: options.failedTargets === true };
  const tagLabels = options.tagLabels ?? [];
  return ASSOCIATION_FAMILIES.filter((f) => f.requires === undefined || on[f.requires]).map((f) =>
    f.name === INFO && tagLabels.length > 0 ? withTagLabels(f, tagLabels) : f,
  );
}

const INFO = "aws_ssm_association_info";

/**
 * --ssm.tags: the info family with one `tag_<key>` label per allow-listed key, after its own labels;
 * empty when the association has no such tag or its tags are not known yet.
 */
function withTagLabels(info: AssociationFamily, tagLabels: readonly TagLabel[]): AssociationFamily {
  return {
    ...info,
    help: `${info.help} The tag_* labels are the association's tags allow-listed by --ssm.tag, read from ListTagsForResource (--ssm.tags) on the same refresh rule as DescribeAssociation; empty when unset or not known yet.`,
    extraLabels: [...info.extraLabels, ...tagLabels.map((t) => t.label)],
    samples: (a, schedule, enrichment) => {
      const tags = enrichment.tags?.get(a.associationId);
      const tagValues = Object.fromEntries(tagLabels.map((t) => [t.label, tags?.get(t.key) ?? ""]));
      return info.samples(a, schedule, enrichment).map((sample) => ({ labels: { ...sample.labels, ...tagValues }, value: sample.value }));
    },
  };
}

const POLLED = "Read from ListAssociations by a background poll (see --poll.interval).";
const DESCRIBED =
  "Read from DescribeAssociation after a background poll (--ssm.describe-associations), again only when the association changed or its answer is older than --ssm.describe-interval; a failed call keeps the last value.";

const FAILED_TARGETS =
  "Read with --ssm.failed-targets from DescribeAssociationExecutions and DescribeAssociationExecutionTargets for associations whose target counts show failed targets, again only when LastExecutionDate changes; a failed call keeps the last value; absent when the association has no failed target.";

/** One sample without extra labels, or none when the value is unknown. */
const optional = (value: number | undefined): readonly Sample[] => (value === undefined ? [] : [{ labels: {}, value }]);

export const ASSOCIATION_FAMILIES: readonly AssociationFamily[] = [
  {
    name: INFO,
    help: `Static properties of a State Manager association; value is always 1. ${POLLED}`,
    type: "gauge",
    extraLabels: ["document_version", "association_version", "schedule_expression"],
    samples: (a) => [
      {
        labels: {
          document_version: a.documentVersion,
          association_version: a.associationVersion,
          schedule_expression: a.scheduleExpression,
        },
        value: 1,
      },
    ],
  },
  {
    name: "aws_ssm_association_status",
    help: `Overview.Status of the association: 1 for the current status, 0 for the other known ones (Pending, Success, Failed). ${POLLED}`,
    type: "gauge",
    extraLabels: ["status"],
    samples: (a) => {
      const known: readonly string[] = KNOWN_STATUSES;
      const samples = KNOWN_STATUSES.map((status) => ({ labels: { status }, value: a.status === status ? 1 : 0 }));
      return a.status !== "" && !known.includes(a.status) ? [...samples, { labels: { status: a.status }, value: 1 }] : samples;
    },
  },
  {
    name: "aws_ssm_association_detailed_status",
    help: `Overview.DetailedStatus of the association (free text such as Success, Failed, Associated, Creating); value is always 1. ${POLLED}`,
    type: "gauge",
    extraLabels: ["detailed_status"],
    samples: (a) => [{ labels: { detailed_status: a.detailedStatus }, value: 1 }],
  },
  {
    name: "aws_ssm_association_targets",
    help: `Number of targets of the association per status, from Overview.AssociationStatusAggregatedCount; Success, Failed and Pending are always present. ${POLLED}`,
    type: "gauge",
    extraLabels: ["status"],
    samples: (a) => {
      // The always-present statuses first (0 when absent), then the others in AWS's order; no Map per association.
      const always: readonly string[] = ALWAYS_PRESENT_TARGET_STATUSES;
      const samples: Sample[] = ALWAYS_PRESENT_TARGET_STATUSES.map((status) => ({ labels: { status }, value: a.targetCounts.get(status) ?? 0 }));
      for (const [status, value] of a.targetCounts) if (!always.includes(status)) samples.push({ labels: { status }, value });
      return samples;
    },
  },
  {
    name: "aws_ssm_association_last_execution_timestamp_seconds",
    help: `LastExecutionDate of the association as Unix time; absent when it never ran. ${POLLED}`,
    type: "gauge",
    extraLabels: [],
    samples: (a) => (a.lastExecutionSeconds === undefined ? [] : [{ labels: {}, value: a.lastExecutionSeconds }]),
  },
  {
    name: "aws_ssm_association_schedule_offset_seconds",
    help: `ScheduleOffset of the association (days after the cron time) in seconds; absent when unset. ${POLLED}`,
    type: "gauge",
    extraLabels: [],
    samples: (a) => (a.scheduleOffsetDays === undefined ? [] : [{ labels: {}, value: a.scheduleOffsetDays * 86_400 }]),
  },
  {
    name: "aws_ssm_association_max_duration_seconds",
    help: `Duration of the association (maximum run time, hours) in seconds; absent when unset. ${POLLED}`,
    type: "gauge",
    extraLabels: [],
    samples: (a) => (a.durationHours === undefined ? [] : [{ labels: {}, value: a.durationHours * 3_600 }]),
  },
  {
    name: "aws_ssm_association_next_execution_timestamp_seconds",
    help: `Next time the association is due by its ScheduleExpression after the latest successful poll, as Unix time (cron: ScheduleOffset included; rate: counted from LastExecutionDate); absent when there is none (no schedule, a rate that never ran, an at() time past, a cron whose years are over, an expression not understood). ${POLLED}`,
    type: "gauge",
    extraLabels: [],
    samples: (_a, schedule) => optional(schedule.nextSeconds),
  },
  {
    name: "aws_ssm_association_previous_scheduled_execution_timestamp_seconds",
    help: `Latest time at or before the latest successful poll at which the association was due by its ScheduleExpression, as Unix time (cron: ScheduleOffset included; rate: counted from LastExecutionDate); absent when there is none (no schedule, a rate that never ran, at(), an expression not understood). ${POLLED}`,
    type: "gauge",
    extraLabels: [],
    samples: (_a, schedule) => optional(schedule.previousSeconds),
  },
  {
    name: "aws_ssm_association_last_successful_execution_timestamp_seconds",
    help: `LastSuccessfulExecutionDate of the association as Unix time; absent when it never succeeded or its details are not known yet. ${DESCRIBED}`,
    type: "gauge",
    extraLabels: [],
    requires: "describe",
    samples: (a, _schedule, enrichment) => optional(enrichment.details?.get(a.associationId)?.lastSuccessfulExecutionSeconds),
  },
  {
    name: "aws_ssm_association_describe_info",
    help: `Properties of the association that only DescribeAssociation tells (ComplianceSeverity, SyncCompliance, ApplyOnlyAtCronInterval, CalendarNames comma-separated; empty when unset); value is always 1, absent until they are known. ${DESCRIBED}`,
    type: "gauge",
    extraLabels: ["compliance_severity", "sync_compliance", "apply_only_at_cron_interval", "calendar_names"],
    requires: "describe",
    samples: (a, _schedule, enrichment) => {
      const details = enrichment.details?.get(a.associationId);
      return details === undefined
        ? []
        : [
            {
              labels: {
                compliance_severity: details.complianceSeverity,
                sync_compliance: details.syncCompliance,
                apply_only_at_cron_interval: details.applyOnlyAtCronInterval === undefined ? "" : String(details.applyOnlyAtCronInterval),
                calendar_names: details.calendarNames.join(","),
              },
              value: 1,
            },
          ];
    },
  },
  {
    name: "aws_ssm_association_failed_target_info",
    help: `A target (instance or other resource) that failed in the association's latest execution; value is always 1. At most --ssm.failed-targets.max-per-association per association and --ssm.failed-targets.max-per-account-region per account and region. ${FAILED_TARGETS}`,
    type: "gauge",
    extraLabels: ["execution_id", "resource_id", "resource_type", "detailed_status"],
    requires: "failedTargets",
    samples: (a, _schedule, enrichment) => {
      const failed = enrichment.failedTargets?.get(a.associationId);
      if (failed?.executionId === undefined) return [];
      const executionId = failed.executionId;
      return failed.targets.map((t) => ({
        labels: { execution_id: executionId, resource_id: t.resourceId, resource_type: t.resourceType, detailed_status: t.detailedStatus },
        value: 1,
      }));
    },
  },
  {
    name: "aws_ssm_association_failed_targets_left_out",
    help: `Failed targets of the association's latest execution that aws_ssm_association_failed_target_info leaves out because of its caps (0 when it lists them all). ${FAILED_TARGETS}`,
    type: "gauge",
    extraLabels: [],
    requires: "failedTargets",
    samples: (a, _schedule, enrichment) => optional(enrichment.failedTargets?.get(a.associationId)?.leftOut),
  },
];

/** Labels of the exporter's per-target series, in this order. */
export const TARGET_LABELS = ["account_id", "region"] as const;

/**
 * The exporter's own per-target series. Rendered from the same snapshot as the association data, in
 * the same cached bytes, so a response's `aws_ssm_exporter_associations` always counts exactly the
 * associations it carries. A target whose first poll is still running, or whose account id is not
 * known yet, has none.
 */
export interface TargetFamily {
  readonly name: string;
  readonly help: string;
  readonly type: "gauge";
  readonly value: (state: TargetState) => number | undefined;
}

export const TARGET_FAMILIES: readonly TargetFamily[] = [
  {
    name: "aws_ssm_exporter_up",
    help: "1 if the latest poll of this account and region succeeded, 0 if it failed (its last good data is still served).",
    type: "gauge",
    value: (t) => (t.up ? 1 : 0),
  },
  {
    name: "aws_ssm_exporter_last_success_timestamp_seconds",
    help: "Unix time of the latest successful poll of this account and region.",
    type: "gauge",
    value: (t) => t.lastSuccessSeconds,
  },
  {
    name: "aws_ssm_exporter_poll_duration_seconds",
    help: "Duration of the latest poll of this account and region, successful or not.",
    type: "gauge",
    value: (t) => t.pollDurationSeconds,
  },
  {
    name: "aws_ssm_exporter_associations",
    help: "Associations of this account and region in the data being served (0 once dropped by --poll.max-staleness).",
    type: "gauge",
    value: (t) => t.associations.length,
  },
];
