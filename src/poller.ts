import { setMaxListeners } from "node:events";
import pLimit from "p-limit";
import { AwsCallError, POLL_TIMEOUT, PollAborted, type AssociationEnricher, type AssociationSource } from "./domain/association.js";
import { describeTarget, type Snapshot, type TargetState } from "./domain/snapshot.js";
import { formatDuration } from "./config/duration.js";
import type { Logger } from "./log.js";
import { settleBy } from "./settle-by.js";

/** One polled account×region: its source and, with an enrichment flag, what enriches its listings. */
export interface PolledTarget {
  /**
   * Identifies the target across setTargets() calls (a target whose key stays keeps its state and
   * its running poll), and the store's per-target render cache. Unique among the targets.
   */
  readonly key: string;
  readonly source: AssociationSource;
  /**
   * --ssm.describe-associations, --ssm.tags, --ssm.failed-targets: what reads its associations'
   * optional data after each successful listing, within the same poll deadline.
   */
  readonly enricher?: AssociationEnricher | undefined;
}

export interface PollerOptions {
  /**
   * One per account×region target, in the order of the snapshot's targets; setTargets() replaces them.
   * Plain sources get the keys `0`, `1`, ... of their position.
   */
  readonly sources: readonly (AssociationSource | PolledTarget)[];
  /** Per plain source (same index): its enricher. */
  readonly enrichers?: readonly (AssociationEnricher | undefined)[];
  readonly intervalMs: number;
  /** Deadline of one target's whole poll (account id, every page, every retry). */
  readonly timeoutMs: number;
  /** A failing target's associations are dropped once its last success is older than this; 0 = kept forever. */
  readonly maxStalenessMs: number;
  /** How many targets are polled at once. */
  readonly concurrency: number;
  readonly logger: Logger;
  /** Renders and swaps in a complete snapshot. Calls are serialised, oldest first. */
  readonly publish: (snapshot: Snapshot) => Promise<void>;
  /** Called with the target's state when a tick finds its previous poll still running. */
  readonly onSkippedPoll?: (state: TargetState) => void;
  /** Called with the new state of a target when one of its polls has finished. */
  readonly onPollFinished?: (state: TargetState) => void;
  readonly now?: () => number;
}

/**
 * A tick arriving this close to the deadline of the target's running poll waits for that poll
 * (which ends by its deadline at the latest) instead of skipping: with --poll.timeout equal to the
 * interval, a timed-out poll and the next tick fall due together.
 */
const DEADLINE_SLACK_MS = 1_000;

/** Listeners a poll's signal may hold before Node warns: 32 enrichment calls (a request listener each, plus the SDK's own), the caches, the poll. */
const POLL_SIGNAL_MAX_LISTENERS = 128;

/**
 * Polls every target on an interval, apart from scrapes, at most `concurrency` at a time. AWS-agnostic:
 * sources reject with AwsCallError. Each target's polls never overlap: a tick that finds its previous
 * poll still running skips it and logs. Every poll has a deadline that holds even if a source ignores
 * its signal, so a hung target gives its concurrency slot back by then and never starves the others.
 * When a target's poll finishes, a complete new Snapshot (that target's new state, every other target's
 * latest) is published. A failed poll keeps the target's previous associations and marks it down.
 */
export class Poller {
  private timer: NodeJS.Timeout | undefined;
  private readonly shutdown = new AbortController();
  private readonly limit: ReturnType<typeof pLimit>;
  /** The current targets, in snapshot order. */
  private entries: Entry[];
  /** Running or queued polls; `deadline` is set when a poll gets its concurrency slot. */
  private readonly inFlight = new Map<Entry, { done: Promise<void>; deadline: number | undefined }>();
  private publishing: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly options: PollerOptions) {
    this.now = options.now ?? Date.now;
    this.limit = pLimit(options.concurrency);
    this.entries = options.sources.map((s, i) => newEntry("source" in s ? s : { key: String(i), source: s, enricher: options.enrichers?.[i] }));
  }

  /** First poll of every target now, then one every interval. */
  start(): void {
    if (this.timer) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
  }

  /** Stops the timer and aborts in-flight polls and their AWS requests; resolves once their publishing settled. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.shutdown.abort(new PollAborted("Shutdown", "the exporter is shutting down"));
    await Promise.allSettled([...this.inFlight.values()].map((p) => p.done));
    await this.publishing;
  }

  /** The latest state of every target. */
  snapshot(): Snapshot {
    return Object.freeze({ takenAtSeconds: this.now() / 1000, targets: Object.freeze(this.entries.map((e) => e.state)) });
  }

  /** The current targets. */
  targets(): readonly PolledTarget[] {
    return this.entries.map((e) => e.target);
  }

  /**
   * Replaces the targets (account discovery): a target whose key is already polled keeps its state, its
   * running poll and its schedule; a new one is polled at once (when the poller runs); one that is gone
   * stops being served at once, and its running poll, if any, is aborted and never published. Resolves
   * once the snapshot without the removed targets is published. Returns the targets removed.
   */
  async setTargets(targets: readonly PolledTarget[]): Promise<PolledTarget[]> {
    const current = new Map(this.entries.map((e) => [e.target.key, e]));
    const next = targets.map((t) => current.get(t.key) ?? newEntry(t));
    const kept = new Set(next);
    const removed = this.entries.filter((e) => !kept.has(e));
    this.entries = next;
    for (const entry of removed) entry.abort.abort(new PollAborted("Shutdown", "the target is no longer polled"));
    const snapshot = this.snapshot();
    this.publishing = this.publishing
      .then(() => this.options.publish(snapshot))
      .catch((err: unknown) => this.options.logger.error({ err }, "publishing the snapshot failed"));
    if (this.timer !== undefined) for (const entry of next) if (!current.has(entry.target.key)) void this.startTarget(entry);
    await this.publishing;
    return removed.map((e) => e.target);
  }

  /** Polls every target now (joining polls already running) and resolves once all are published. */
  async pollOnce(): Promise<Snapshot> {
    await Promise.all(this.entries.map((entry) => this.inFlight.get(entry)?.done ?? this.startTarget(entry)));
    await this.publishing;
    return this.snapshot();
  }

  private tick(): void {
    for (const entry of this.entries) {
      const running = this.inFlight.get(entry);
      if (!running) {
        void this.startTarget(entry);
        continue;
      }
      if (running.deadline !== undefined && running.deadline - this.now() <= DEADLINE_SLACK_MS) {
        void running.done.then(() => (this.shutdown.signal.aborted || this.inFlight.has(entry) || !this.entries.includes(entry) ? undefined : this.startTarget(entry)));
        continue;
      }
      const state = entry.state;
      this.options.logger.warn(
        { account_id: state.accountId, region: state.region, interval_ms: this.options.intervalMs },
        "poll skipped: the previous poll of this target is still running",
      );
      this.options.onSkippedPoll?.(state);
    }
  }

  private startTarget(entry: Entry): Promise<void> {
    const flight: { done: Promise<void>; deadline: number | undefined } = { done: Promise.resolve(), deadline: undefined };
    // The deadline counts from when the poll gets its slot: waiting behind a hung target costs it nothing.
    const done = this.limit(() => {
      flight.deadline = this.now() + this.options.timeoutMs;
      return this.pollSource(entry, flight.deadline);
    })
      .then((state) => {
        // Stopping, or the target was removed meanwhile (discovery): its result is not served.
        if (this.shutdown.signal.aborted || !this.entries.includes(entry)) return;
        entry.state = state;
        this.options.onPollFinished?.(state);
        const snapshot = this.snapshot();
        this.publishing = this.publishing
          .then(() => this.options.publish(snapshot))
          .catch((err: unknown) => this.options.logger.error({ err }, "publishing the snapshot failed"));
        return this.publishing;
      })
      .finally(() => this.inFlight.delete(entry));
    flight.done = done;
    this.inFlight.set(entry, flight);
    return done;
  }

  private async pollSource(entry: Entry, deadline: number): Promise<TargetState> {
    const { source, enricher } = entry.target;
    const before = entry.state;
    if (this.shutdown.signal.aborted || entry.abort.signal.aborted) return before;
    const started = performance.now();
    // One signal per poll: aborted by its deadline, by shutdown, or by the target's removal, and handed to every AWS call.
    const abort = new AbortController();
    // Each AWS request in flight listens on it: with --ssm.enrichment-concurrency up to 32 that is more
    // than Node's default of 10, which would print a (false) leak warning on stderr.
    setMaxListeners(POLL_SIGNAL_MAX_LISTENERS, abort.signal);
    const timer = setTimeout(
      () => abort.abort(new PollAborted(POLL_TIMEOUT, `the poll did not finish within --poll.timeout (${formatDuration(this.options.timeoutMs)})`)),
      Math.max(0, deadline - this.now()),
    );
    const onShutdown = () => abort.abort(this.shutdown.signal.reason);
    const onRemoved = () => abort.abort(entry.abort.signal.reason);
    this.shutdown.signal.addEventListener("abort", onShutdown, { once: true });
    entry.abort.signal.addEventListener("abort", onRemoved, { once: true });
    let accountId = before.accountId ?? source.knownAccountId;
    let operation = source.operations.accountId;
    try {
      // settleBy: the deadline holds even if a source does not honour the signal.
      accountId = await settleBy(source.accountId(abort.signal), abort.signal);
      operation = source.operations.listAssociations;
      const associations = Object.freeze(await settleBy(source.listAssociations(abort.signal), abort.signal));
      // Never fails the poll and never outlasts its deadline: what is not read by then keeps its last details.
      const enrichment = enricher === undefined ? undefined : await enricher.enrich(associations, abort.signal);
      const durationMs = performance.now() - started;
      this.options.logger.debug(
        { account_id: accountId, region: source.region, associations: associations.length, duration_ms: Math.round(durationMs) },
        "poll succeeded",
      );
      return {
        key: entry.target.key,
        region: source.region,
        accountId,
        pending: false,
        associations,
        enrichment,
        up: true,
        lastSuccessSeconds: this.now() / 1000,
        pollDurationSeconds: durationMs / 1000,
        lastError: undefined,
        staleDropped: false,
      };
    } catch (err) {
      const error = asPollError(err, operation, source.region);
      const durationMs = performance.now() - started;
      const stale = this.isStale(before);
      if (!this.shutdown.signal.aborted && !entry.abort.signal.aborted) {
        this.options.logger.warn(
          {
            account_id: accountId,
            region: source.region,
            operation: error.operation,
            aws_error: error.code,
            ...(error.field === undefined ? {} : { field: error.field }),
            duration_ms: Math.round(durationMs),
            kept_associations: stale ? 0 : before.associations.length,
          },
          `poll failed: ${error.operation} ${error.code}: ${error.message}`,
        );
        if (stale && !before.staleDropped && before.associations.length > 0) {
          this.options.logger.warn(
            { account_id: accountId, region: source.region, dropped_associations: before.associations.length, max_staleness_ms: this.options.maxStalenessMs },
            `dropping the last good data of ${describeTarget({ accountId, region: source.region })}: no successful poll for longer than --poll.max-staleness`,
          );
        }
      }
      return {
        key: entry.target.key,
        region: source.region,
        accountId,
        pending: false,
        associations: stale ? [] : before.associations,
        enrichment: stale ? undefined : before.enrichment,
        up: false,
        lastSuccessSeconds: before.lastSuccessSeconds,
        pollDurationSeconds: durationMs / 1000,
        lastError: error,
        staleDropped: stale,
      };
    } finally {
      clearTimeout(timer);
      this.shutdown.signal.removeEventListener("abort", onShutdown);
      entry.abort.signal.removeEventListener("abort", onRemoved);
    }
  }

  /** Whether a target that fails now has gone without a successful poll for longer than --poll.max-staleness. */
  private isStale(state: TargetState): boolean {
    if (this.options.maxStalenessMs <= 0 || state.lastSuccessSeconds === undefined) return false;
    return this.now() - state.lastSuccessSeconds * 1000 > this.options.maxStalenessMs;
  }
}

/** A target as the poller keeps it: the latest state, and what aborts its poll when it is removed. */
interface Entry {
  readonly target: PolledTarget;
  state: TargetState;
  readonly abort: AbortController;
}

function newEntry(target: PolledTarget): Entry {
  return {
    target,
    abort: new AbortController(),
    state: {
      key: target.key,
      region: target.source.region,
      accountId: target.source.knownAccountId,
      pending: true,
      associations: [],
      enrichment: undefined,
      up: false,
      lastSuccessSeconds: undefined,
      pollDurationSeconds: 0,
      lastError: undefined,
      staleDropped: false,
    },
  };
}

/** Sources reject with AwsCallError; a deadline or shutdown that overtook the source becomes one too. */
function asPollError(err: unknown, operation: string, region: string): AwsCallError {
  if (err instanceof AwsCallError) return err;
  if (err instanceof PollAborted) return new AwsCallError(operation, err.code, region, err.message);
  return new AwsCallError(operation, "InternalError", region, err instanceof Error ? err.message : String(err));
}
