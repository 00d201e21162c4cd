/**
 * Helpers of the fault matrix: the association series a target must export, derived from the
 * simulator's wire data independently of the exporter's code, and line-level views of a scrape.
 */
import type { WireAssociation } from "../../dev/simulator/types.js";

export const DEFAULT_ACCOUNT = "123456789012";

/** Any association as the simulator may hold or send it: only AssociationId is certain. */
export type AnyAssociation = Partial<WireAssociation> & { AssociationId: string };

const KNOWN_STATUSES = ["Pending", "Success", "Failed"];
const ALWAYS_PRESENT_TARGET_STATUSES = ["Success", "Failed", "Pending"];

function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

function labels(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(",");
}

/**
 * The `aws_ssm_association_*` lines the metric contract (README "Metrics", docs/metrics.md) says an
 * association must produce, as the text exposition spells them. Written from the contract, not from
 * the exporter's renderer, so a rendering or parsing mistake shows as a difference.
 */
export function expectedSeries(accountId: string, region: string, associations: readonly AnyAssociation[]): string[] {
  const lines: string[] = [];
  for (const a of associations) {
    const common: [string, string][] = [
      ["account_id", accountId],
      ["region", region],
      ["association_id", a.AssociationId],
      ["association_name", a.AssociationName ?? ""],
      ["document_name", a.Name ?? ""],
    ];
    const line = (name: string, extra: [string, string][], value: number) => lines.push(`${name}{${labels([...common, ...extra])}} ${String(value)}`);
    line(
      "aws_ssm_association_info",
      [
        ["document_version", a.DocumentVersion ?? ""],
        ["association_version", a.AssociationVersion ?? ""],
        ["schedule_expression", a.ScheduleExpression ?? ""],
      ],
      1,
    );
    const status = a.Overview?.Status ?? "";
    for (const known of KNOWN_STATUSES) line("aws_ssm_association_status", [["status", known]], status === known ? 1 : 0);
    if (status !== "" && !KNOWN_STATUSES.includes(status)) line("aws_ssm_association_status", [["status", status]], 1);
    line("aws_ssm_association_detailed_status", [["detailed_status", a.Overview?.DetailedStatus ?? ""]], 1);
    const counts = new Map<string, number>(ALWAYS_PRESENT_TARGET_STATUSES.map((s) => [s, 0]));
    for (const [s, n] of Object.entries(a.Overview?.AssociationStatusAggregatedCount ?? {})) counts.set(s, n);
    for (const [s, n] of counts) line("aws_ssm_association_targets", [["status", s]], n);
    // The SDK reads an epoch-seconds timestamp into a Date: millisecond precision.
    if (a.LastExecutionDate !== undefined) line("aws_ssm_association_last_execution_timestamp_seconds", [], Math.round(a.LastExecutionDate * 1000) / 1000);
    if (a.ScheduleOffset !== undefined) line("aws_ssm_association_schedule_offset_seconds", [], a.ScheduleOffset * 86_400);
    if (a.Duration !== undefined) line("aws_ssm_association_max_duration_seconds", [], a.Duration * 3_600);
  }
  return lines.sort();
}

/**
 * The schedule series depend on the time of the poll as well as on the data (test/schedule and the golden
 * exposition check their values), so the comparison with expectedSeries leaves them out; the comparisons
 * of one exposition with another (a failed poll keeps the last good data) include them.
 */
const SCHEDULE_SERIES = ["aws_ssm_association_next_execution_timestamp_seconds{", "aws_ssm_association_previous_scheduled_execution_timestamp_seconds{"];

/** associationLines without the schedule series: what expectedSeries describes. */
export function dataLines(exposition: string, accountId: string, region: string): string[] {
  return associationLines(exposition, accountId, region).filter((l) => !SCHEDULE_SERIES.some((s) => l.startsWith(s)));
}

/** Every `aws_ssm_association_*` sample line of one account×region in a text exposition, sorted. */
export function associationLines(exposition: string, accountId: string, region: string): string[] {
  const prefix = `{account_id="${accountId}",region="${region}",`;
  return exposition
    .split("\n")
    .filter((l) => l.startsWith("aws_ssm_association_") && l.slice(l.indexOf("{")).startsWith(prefix))
    .sort();
}

/** The value of the one sample line `name{labels…}` whose labels are exactly these, in this order; undefined if absent. */
export function lineValue(exposition: string, name: string, labelPairs: Record<string, string>): number | undefined {
  const head = `${name}{${labels(Object.entries(labelPairs))}} `;
  const line = exposition.split("\n").find((l) => l.startsWith(head));
  return line === undefined ? undefined : Number(line.slice(head.length));
}

export const target = (accountId: string, region: string) => ({ account_id: accountId, region });

export const up = (text: string, accountId: string, region: string) => lineValue(text, "aws_ssm_exporter_up", target(accountId, region));
export const lastSuccess = (text: string, accountId: string, region: string) =>
  lineValue(text, "aws_ssm_exporter_last_success_timestamp_seconds", target(accountId, region));
export const pollDuration = (text: string, accountId: string, region: string) => lineValue(text, "aws_ssm_exporter_poll_duration_seconds", target(accountId, region));
export const polls = (text: string, accountId: string, region: string, outcome: string) =>
  lineValue(text, "aws_ssm_exporter_polls_total", { ...target(accountId, region), outcome }) ?? 0;

/** Warn and error lines the README or the code document as expected in normal operation. */
export const DOCUMENTED_WARNINGS: readonly RegExp[] = [/^poll skipped: /, /^dropping the last good data of /, /^Node\.js v\S+ is not supported /];

export type LogLine = Record<string, unknown>;

export const isPollFailed = (l: LogLine) => String(l.msg).startsWith("poll failed");
export const isWarnOrWorse = (l: LogLine) => ["warn", "error", "fatal"].includes(String(l.level));
export const isUndocumentedWarning = (l: LogLine) => isWarnOrWorse(l) && !isPollFailed(l) && !DOCUMENTED_WARNINGS.some((re) => re.test(String(l.msg)));
