import type { Association } from "../domain/association.js";
import type { Snapshot, TargetState } from "../domain/snapshot.js";
import { ScheduleBook, type ScheduleNotUnderstood } from "../schedule/schedule-book.js";
import { associationFamilies, COMMON_LABELS, TARGET_FAMILIES, TARGET_LABELS, type FamilyOptions } from "./families.js";

/**
 * Pure text rendering of snapshot data, family by family. The bytes are valid both as Prometheus text
 * format 0.0.4 and as the body of an OpenMetrics 1.0 exposition: every family is a gauge, there are no
 * blank lines and the HELP texts need no escaping.
 */

type FamilyHeader = { readonly name: string; readonly help: string; readonly type: string };

/** Every family the snapshot renders with these options, in exposition order: association data, then per-target self-metrics. */
export function snapshotFamilies(options: FamilyOptions = {}): readonly FamilyHeader[] {
  return [...associationFamilies(options), ...TARGET_FAMILIES];
}

/** Every family the snapshot renders without optional enrichment. */
export const SNAPSHOT_FAMILIES: readonly FamilyHeader[] = snapshotFamilies();

/** Label value escaping of the exposition formats: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`)) : value;
}

export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

export function familyHeader(family: { readonly name: string; readonly help: string; readonly type: string }): string {
  return `# HELP ${family.name} ${family.help}\n# TYPE ${family.name} ${family.type}\n`;
}

/** No scheduled times: no schedule, or the target has not been polled successfully. */
const NO_SLOTS = Object.freeze({});
/** No optional data: every flag off. */
const NO_ENRICHMENT = Object.freeze({});

function commonLabels(accountId: string, region: string, a: Association): string {
  const values = [accountId, region, a.associationId, a.associationName, a.documentName];
  return COMMON_LABELS.map((name, i) => `${name}="${escapeLabelValue(values[i] ?? "")}"`).join(",");
}

export interface RenderedFamilies {
  /** One text per family, in snapshotFamilies(options) order. */
  readonly families: string[];
  readonly seriesCount: number;
  /** Associations whose schedule expression `schedules` met for the first time and could not read. */
  readonly schedulesNotUnderstood: ScheduleNotUnderstood<Association>[];
}

/**
 * Text of every snapshot family's series for one target, in snapshotFamilies(options) order. A target whose
 * first poll has not finished, or whose account id is not known, renders nothing.
 *
 * Scheduled times are those around the target's latest successful poll (the one that listed these
 * associations), so the same state always renders the same bytes. `schedules` is the target's book,
 * kept across polls by the store; without one, every expression is parsed afresh.
 */
export function renderTargetFamilies(state: TargetState, schedules: ScheduleBook = new ScheduleBook(), options: FamilyOptions = {}): RenderedFamilies {
  const { accountId, region } = state;
  const families = associationFamilies(options);
  if (state.pending || accountId === undefined) return { families: snapshotFamilies(options).map(() => ""), seriesCount: 0, schedulesNotUnderstood: [] };
  const prefixes = state.associations.map((a) => commonLabels(accountId, region, a));
  const polledAt = state.lastSuccessSeconds;
  const { slots, notUnderstood } =
    polledAt === undefined ? { slots: [], notUnderstood: [] } : schedules.slotsAt(state.associations, polledAt);
  let seriesCount = 0;
  const enrichment = state.enrichment ?? NO_ENRICHMENT;
  const associationTexts = families.map((family) => {
    const lines: string[] = [];
    state.associations.forEach((association, i) => {
      for (const sample of family.samples(association, slots[i] ?? NO_SLOTS, enrichment)) {
        let labels = prefixes[i] ?? "";
        for (const name of family.extraLabels) labels += `,${name}="${escapeLabelValue(sample.labels[name] ?? "")}"`;
        lines.push(`${family.name}{${labels}} ${formatSampleValue(sample.value)}\n`);
        seriesCount++;
      }
    });
    return lines.join("");
  });
  const targetLabels = TARGET_LABELS.map((name, i) => `${name}="${escapeLabelValue([accountId, region][i] ?? "")}"`).join(",");
  const targetFamilies = TARGET_FAMILIES.map((family) => {
    const value = family.value(state);
    if (value === undefined) return "";
    seriesCount++;
    return `${family.name}{${targetLabels}} ${formatSampleValue(value)}\n`;
  });
  return { families: [...associationTexts, ...targetFamilies], seriesCount, schedulesNotUnderstood: notUnderstood };
}

/** Whole-snapshot text, for tests and tools; the server uses the store's cached chunks. */
export function renderExposition(snapshot: Snapshot, options: FamilyOptions = {}): string {
  const perTarget = snapshot.targets.map((t) => renderTargetFamilies(t, new ScheduleBook(), options).families);
  return snapshotFamilies(options).map((family, i) => familyHeader(family) + perTarget.map((f) => f[i] ?? "").join("")).join("");
}
