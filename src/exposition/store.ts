import { isReady, type Snapshot, type TargetState } from "../domain/snapshot.js";
import type { Logger } from "../log.js";
import { ScheduleBook } from "../schedule/schedule-book.js";
import { combine, compressChunk, compressFinal, gzipMember, type Chunk } from "./gzip.js";
import { toOpenMetrics } from "./openmetrics.js";
import type { FamilyOptions } from "./families.js";
import { familyHeader, renderTargetFamilyBytes, snapshotFamilies } from "./render.js";
import type { SelfMetrics } from "./self-metrics.js";

export type Format = "text" | "openmetrics";
export type Encoding = "gzip" | "identity";

export const CONTENT_TYPES: Readonly<Record<Format, string>> = {
  text: "text/plain; version=0.0.4; charset=utf-8",
  openmetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8",
};

/** What a scrape writes: chunks in order, their total length and the headers that describe them. */
export interface Body {
  readonly chunks: readonly Buffer[];
  readonly length: number;
  readonly contentType: string;
  readonly encoding: Encoding;
}

/** The snapshot being served, rendered: every chunk, and the sums a gzip trailer needs. */
interface Served {
  readonly snapshot: Snapshot;
  readonly text: readonly Buffer[];
  readonly deflate: readonly Buffer[];
  readonly textLength: number;
  readonly deflateLength: number;
  /** The chunks, for the gzip trailer's CRC-32. */
  readonly chunks: readonly Chunk[];
  /**
   * CRC-32 of all the text, combined from the chunks' at the first gzip scrape of this snapshot, not at
   * publish: a round of polls of 400 targets publishes 400 times between two scrapes, and combining
   * their 5,200 chunks costs ~6 ms (it was ~140 ms before crc32Combine used precomputed powers).
   */
  crc32: number | undefined;
  readonly seriesCount: number;
}

interface RenderedTarget {
  readonly state: TargetState;
  /** Per family, in snapshotFamilies order, its chunks in order (none when the family has no series here). */
  readonly chunks: readonly (readonly Chunk[])[];
  readonly seriesCount: number;
}

/** The self-metrics in one format, as text and as a final DEFLATE block. */
interface Tail {
  readonly text: Buffer;
  readonly deflate: Buffer;
}

/** Rendered self-metrics are reused this long (or until the next publish): scrapes in a burst (HA pairs, benchmarks) cost nothing extra. */
const TAIL_TTL_MS = 1_000;

/**
 * The one owner of the bytes on /metrics (kube-state-metrics' store/writer split).
 *
 * publish(snapshot) renders only the targets whose state changed (targets publish as their polls
 * finish), compresses each of their chunks once, and swaps the result in with one assignment: a scrape
 * sees the old snapshot or the new one, never a mix. body(format, encoding) takes the served snapshot
 * synchronously, then only appends the small self-metrics tail — as text, or derived OpenMetrics ending
 * in `# EOF` — and, for gzip, splices the cached DEFLATE chunks into one gzip member.
 */
export class ExpositionStore {
  private served: Served | undefined;
  private wasReady = false;
  private headers: Chunk[] | undefined;
  /** Per target (by its key): its rendering, reused while its state is the same object. */
  private readonly cache = new Map<string, RenderedTarget>();
  /** Per target (by its key, like `cache`): its parsed schedules, kept across polls. */
  private readonly schedules = new Map<string, ScheduleBook>();
  private tails: { readonly at: number; readonly rendering: Promise<Record<Format, Tail>> } | undefined;
  private publishing: Promise<void> = Promise.resolve();

  constructor(
    private readonly selfMetrics: SelfMetrics,
    private readonly now: () => number = Date.now,
    /** Where a schedule expression that is not understood is reported (once per association version). */
    private readonly logger?: Logger,
    /** Which optional families are served (--ssm.describe-associations). */
    private readonly families: FamilyOptions = {},
  ) {}

  /**
   * Readiness: every target's first poll has finished in some published snapshot. It stays true after
   * that: targets added later (account discovery) are polled while the pod keeps serving the others.
   */
  ready(): boolean {
    return this.wasReady;
  }

  /** The snapshot being served, undefined before the first publish. */
  snapshot(): Snapshot | undefined {
    return this.served?.snapshot;
  }

  seriesCount(): number {
    return this.served?.seriesCount ?? 0;
  }

  /** Renders what changed and swaps it in. Calls are serialised, so a slow render never overtakes a newer one. */
  publish(snapshot: Snapshot): Promise<void> {
    const run = this.publishing.then(() => this.render(snapshot));
    this.publishing = run.catch(() => undefined);
    return run;
  }

  async body(format: Format, encoding: Encoding): Promise<Body> {
    const served = this.served; // taken once: this response is from this snapshot, whatever is published meanwhile
    const tail = await this.tail(format);
    const contentType = CONTENT_TYPES[format];
    if (encoding === "gzip") {
      if (served !== undefined) served.crc32 ??= combine(served.chunks).crc32;
      const gzip = gzipMember(served === undefined ? EMPTY : { ...served, crc32: served.crc32 ?? 0 }, tail);
      return { chunks: gzip.chunks, length: gzip.length, contentType, encoding };
    }
    const text = served?.text ?? [];
    return { chunks: [...text, tail.text], length: (served?.textLength ?? 0) + tail.text.length, contentType, encoding };
  }

  private async render(snapshot: Snapshot): Promise<void> {
    const families = snapshotFamilies(this.families);
    this.headers ??= await Promise.all(families.map((family) => compressChunk(Buffer.from(familyHeader(family), "utf8"))));
    const targets: RenderedTarget[] = [];
    for (const state of snapshot.targets) {
      let rendered = this.cache.get(state.key);
      if (rendered?.state !== state) {
        rendered = await this.renderTarget(state);
        this.cache.set(state.key, rendered);
      }
      targets.push(rendered);
    }
    // Targets no longer polled (discovery removed them) take their rendering and schedules with them.
    const keys = new Set(snapshot.targets.map((t) => t.key));
    for (const key of [...this.cache.keys()]) if (!keys.has(key)) this.cache.delete(key);
    for (const key of [...this.schedules.keys()]) if (!keys.has(key)) this.schedules.delete(key);

    const ordered: Chunk[] = [];
    families.forEach((_, i) => {
      ordered.push(this.headers?.[i] as Chunk);
      for (const target of targets) for (const chunk of target.chunks[i] ?? []) if (chunk.text.length > 0) ordered.push(chunk);
    });
    let textLength = 0;
    let deflateLength = 0;
    for (const chunk of ordered) {
      textLength += chunk.text.length;
      deflateLength += chunk.deflate.length;
    }
    // One synchronous step: the rendered bytes and the counters' view of the targets change together.
    this.served = {
      snapshot,
      text: ordered.map((c) => c.text),
      deflate: ordered.map((c) => c.deflate),
      textLength,
      deflateLength,
      chunks: ordered,
      crc32: undefined,
      seriesCount: targets.reduce((n, t) => n + t.seriesCount, 0),
    };
    if (isReady(snapshot)) this.wasReady = true;
    this.selfMetrics.publish(snapshot);
    // A finished poll changed the counters too: the next scrape renders them anew, never from before it.
    this.tails = undefined;
  }

  /**
   * One target's chunks. A schedule expression met for the first time (per association version) that
   * is not understood is logged and counted here; the association's other series are rendered as ever.
   */
  private async renderTarget(state: TargetState): Promise<RenderedTarget> {
    let book = this.schedules.get(state.key);
    if (!book) {
      book = new ScheduleBook();
      this.schedules.set(state.key, book);
    }
    const { families, seriesCount, schedulesNotUnderstood } = renderTargetFamilyBytes(state, book, this.families);
    for (const { association, reason } of schedulesNotUnderstood) {
      if (state.accountId === undefined) continue; // never: an unknown account renders no association
      this.selfMetrics.recordScheduleNotUnderstood({ accountId: state.accountId, region: state.region });
      this.logger?.warn(
        {
          account_id: state.accountId,
          region: state.region,
          association_id: association.associationId,
          association_version: association.associationVersion,
          schedule_expression: association.scheduleExpression,
          reason,
        },
        "schedule not understood",
      );
    }
    const chunks = await Promise.all(families.map((pieces) => Promise.all(pieces.map((piece) => compressChunk(piece)))));
    return { state, chunks, seriesCount };
  }

  /** The self-metrics tail in one format; both formats come from one rendering, at most TAIL_TTL_MS old. */
  private async tail(format: Format): Promise<Tail> {
    const now = this.now();
    let tails = this.tails;
    if (!tails || now - tails.at >= TAIL_TTL_MS) {
      const rendering = this.selfMetrics.text().then((text) => ({ text: tailOf(text), openmetrics: tailOf(`${toOpenMetrics(text)}# EOF\n`) }));
      tails = { at: now, rendering };
      this.tails = tails;
      const current = tails;
      rendering.catch(() => {
        if (this.tails === current) this.tails = undefined;
      });
    }
    return (await tails.rendering)[format];
  }
}

function tailOf(text: string): Tail {
  const bytes = Buffer.from(text, "utf8");
  return { text: bytes, deflate: compressFinal(bytes) };
}

const EMPTY = { deflate: [], deflateLength: 0, textLength: 0, crc32: 0 };
