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

export interface RenderedFamilyBytes {
  /** Per family, in snapshotFamilies(options) order, its text as consecutive UTF-8 pieces (none when empty). */
  readonly families: Buffer[][];
  readonly seriesCount: number;
  readonly schedulesNotUnderstood: ScheduleNotUnderstood<Association>[];
}

/** The first buffer of a target's text: a small target costs no more than this. */
const FIRST_BUFFER_BYTES = 16 * 1024;
/** Buffers double up to this size; a family longer than that is split into pieces of about this size. */
const MAX_BUFFER_BYTES = 1024 * 1024;
/** Characters of lines gathered before they are copied into the buffer at once. */
const PENDING_CHARS = 16 * 1024;

/**
 * Writes lines straight into UTF-8 buffers, family after family, so that rendering never holds the text
 * as JavaScript strings (at 10,000 associations an array of 90,000 lines and a 20 MB joined string per
 * poll, besides the bytes): the lines are short-lived young-generation garbage and the bytes are built
 * once. A family's text is the pieces cut from those buffers; the unused tail of the last buffer is
 * given back by copying what it holds.
 */
class TextSink {
  private buffer = Buffer.allocUnsafe(FIRST_BUFFER_BYTES);
  /** Where the current family's bytes start in `buffer`, and where the next line goes. */
  private start = 0;
  private used = 0;
  private pieces: Buffer[] = [];
  /** Every family's pieces so far, and which of them live in `buffer`. */
  private readonly families: Buffer[][] = [];

  /**
   * Lines not yet in `buffer`: copying a few hundred lines at once costs far less than one Buffer#write
   * per line (each call flattens its line and crosses into C++).
   */
  private pending = "";

  write(line: string): void {
    this.pending += line;
    if (this.pending.length >= PENDING_CHARS) this.flush();
  }

  private flush(): void {
    const text = this.pending;
    this.pending = "";
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (this.used + text.length * 3 > this.buffer.length) this.grow(text.length * 3);
    this.used += this.buffer.write(text, this.used);
  }

  /** Ends the current family. */
  cut(): void {
    this.flush();
    if (this.used > this.start) this.pieces.push(this.buffer.subarray(this.start, this.used));
    this.start = this.used;
    this.families.push(this.pieces);
    this.pieces = [];
  }

  /** Every family's pieces; a last buffer less than half used is not kept: what it holds is copied. */
  end(): Buffer[][] {
    if (this.used * 2 < this.buffer.length) {
      const last = this.buffer.buffer;
      for (const family of this.families) family.forEach((piece, i) => (piece.buffer === last ? (family[i] = Buffer.from(piece)) : undefined));
    }
    return this.families;
  }

  private grow(atLeast: number): void {
    if (this.used > this.start) this.pieces.push(this.buffer.subarray(this.start, this.used));
    const size = Math.max(atLeast, Math.min(MAX_BUFFER_BYTES, this.buffer.length * 2));
    this.buffer = Buffer.allocUnsafe(size);
    this.start = 0;
    this.used = 0;
  }
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
  const rendered = renderTargetFamilyBytes(state, schedules, options);
  return { ...rendered, families: rendered.families.map((pieces) => pieces.map((piece) => piece.toString("utf8")).join("")) };
}

/** renderTargetFamilies as UTF-8 bytes: what the store caches and compresses. */
export function renderTargetFamilyBytes(state: TargetState, schedules: ScheduleBook = new ScheduleBook(), options: FamilyOptions = {}): RenderedFamilyBytes {
  const { accountId, region } = state;
  const families = associationFamilies(options);
  if (state.pending || accountId === undefined) return { families: snapshotFamilies(options).map(() => []), seriesCount: 0, schedulesNotUnderstood: [] };
  const prefixes = state.associations.map((a) => commonLabels(accountId, region, a));
  const polledAt = state.lastSuccessSeconds;
  const { slots, notUnderstood } =
    polledAt === undefined ? { slots: [], notUnderstood: [] } : schedules.slotsAt(state.associations, polledAt);
  let seriesCount = 0;
  const enrichment = state.enrichment ?? NO_ENRICHMENT;
  const sink = new TextSink();
  for (const family of families) {
    const associations = state.associations;
    for (let i = 0; i < associations.length; i++) {
      for (const sample of family.samples(associations[i] as Association, slots[i] ?? NO_SLOTS, enrichment)) {
        let labels = prefixes[i] ?? "";
        for (const name of family.extraLabels) labels += `,${name}="${escapeLabelValue(sample.labels[name] ?? "")}"`;
        sink.write(`${family.name}{${labels}} ${formatSampleValue(sample.value)}\n`);
        seriesCount++;
      }
    }
    sink.cut();
  }
  const targetLabels = TARGET_LABELS.map((name, i) => `${name}="${escapeLabelValue([accountId, region][i] ?? "")}"`).join(",");
  for (const family of TARGET_FAMILIES) {
    const value = family.value(state);
    if (value !== undefined) {
      seriesCount++;
      sink.write(`${family.name}{${targetLabels}} ${formatSampleValue(value)}\n`);
    }
    sink.cut();
  }
  return { families: sink.end(), seriesCount, schedulesNotUnderstood: notUnderstood };
}

/** Whole-snapshot text, for tests and tools; the server uses the store's cached chunks. */
export function renderExposition(snapshot: Snapshot, options: FamilyOptions = {}): string {
  const perTarget = snapshot.targets.map((t) => renderTargetFamilies(t, new ScheduleBook(), options).families);
  return snapshotFamilies(options).map((family, i) => familyHeader(family) + perTarget.map((f) => f[i] ?? "").join("")).join("");
}
