import pLimit from "p-limit";
import type { AssociationSource, TargetKey } from "./domain/association.js";
import { toAwsCallError } from "./aws/aws-error.js";
import type { Logger } from "./log.js";
import type { Snapshot, TargetState } from "./domain/snapshot.js";

export interface PollerOptions {
  /** One per account×region target. Their order is the order of the snapshot's targets. */
  readonly sources: readonly AssociationSource[];
  readonly intervalMs: number;
  /** How many targets are polled at once. */
  readonly concurrency: number;
  readonly logger: Logger;
  /** Renders and swaps in a complete snapshot. Calls are serialised, oldest first. */
  readonly publish: (snapshot: Snapshot) => Promise<void>;
  readonly onSkippedPoll?: (target: TargetKey) => void;
  readonly now?: () => number;
}

/**
 * Polls every target on an interval, apart from scrapes, at most `concurrency` at a time. Each target's
 * polls never overlap: a tick that finds its previous poll still running (or still queued) skips it and
 * logs. When a target's poll finishes, a complete new Snapshot (that target's new state, every other
 * target's latest) is published, so a slow or failing target never delays the others. A target whose
 * poll fails keeps its previous associations and is marked down.
 */
export class Poller {
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly states: TargetState[];
  private readonly inFlight = new Map<number, Promise<void>>();
  private publishing: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly options: PollerOptions) {
    this.now = options.now ?? Date.now;
    this.limit = pLimit(options.concurrency);
    this.states = options.sources.map((source) => ({
      target: { accountId: source.knownAccountId ?? "", region: source.region },
      pending: true,
      associations: [],
      up: false,
      lastSuccessSeconds: undefined,
      pollDurationSeconds: 0,
      lastError: undefined,
    }));
  }

  /** First poll of every target now, then one every interval. */
  start(): void {
    if (this.timer) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
  }

  /** Stops the timer and aborts in-flight polls; resolves when they and their publishing have settled. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    // Queued polls still run, but see the aborted signal and return at once.
    this.abort.abort();
    await Promise.allSettled([...this.inFlight.values()]);
    await this.publishing;
  }

  /** The latest state of every target. */
  snapshot(): Snapshot {
    return Object.freeze({ takenAtSeconds: this.now() / 1000, targets: Object.freeze([...this.states]) });
  }

  /** Polls every target now (joining polls already running) and resolves once all are published. */
  async pollOnce(): Promise<Snapshot> {
    await Promise.all(this.options.sources.map((_, i) => this.inFlight.get(i) ?? this.startTarget(i)));
    await this.publishing;
    return this.snapshot();
  }

  private tick(): void {
    this.options.sources.forEach((_, i) => {
      if (!this.inFlight.has(i)) {
        void this.startTarget(i);
        return;
      }
      const { target } = this.states[i] as TargetState;
      this.options.logger.warn(
        { account_id: target.accountId, region: target.region, interval_ms: this.options.intervalMs },
        "poll skipped: the previous poll of this target is still running",
      );
      this.options.onSkippedPoll?.(target);
    });
  }

  private startTarget(index: number): Promise<void> {
    const run = this.limit(() => this.pollSource(index))
      .then((state) => {
        if (this.abort.signal.aborted) return;
        this.states[index] = state;
        const snapshot = this.snapshot();
        this.publishing = this.publishing
          .then(() => this.options.publish(snapshot))
          .catch((err: unknown) => this.options.logger.error({ err }, "publishing the snapshot failed"));
        return this.publishing;
      })
      .finally(() => this.inFlight.delete(index));
    this.inFlight.set(index, run);
    return run;
  }

  private async pollSource(index: number): Promise<TargetState> {
    const source = this.options.sources[index] as AssociationSource;
    const before = this.states[index] as TargetState;
    if (this.abort.signal.aborted) return before;
    const started = performance.now();
    let target: TargetKey = before.target;
    try {
      const accountId = await source.accountId();
      target = { accountId, region: source.region };
      const associations = Object.freeze(await source.listAssociations(this.abort.signal));
      const durationMs = performance.now() - started;
      this.options.logger.debug(
        { account_id: accountId, region: source.region, associations: associations.length, duration_ms: Math.round(durationMs) },
        "poll succeeded",
      );
      return { target, pending: false, associations, up: true, lastSuccessSeconds: this.now() / 1000, pollDurationSeconds: durationMs / 1000, lastError: undefined };
    } catch (err) {
      const error = toAwsCallError(err, "ListAssociations", source.region);
      const durationMs = performance.now() - started;
      if (!this.abort.signal.aborted) {
        this.options.logger.warn(
          {
            account_id: target.accountId,
            region: source.region,
            operation: error.operation,
            aws_error: error.code,
            duration_ms: Math.round(durationMs),
            kept_associations: before.associations.length,
          },
          `poll failed: ${error.operation} ${error.code}: ${error.message}`,
        );
      }
      return {
        target,
        pending: false,
        associations: before.associations,
        up: false,
        lastSuccessSeconds: before.lastSuccessSeconds,
        pollDurationSeconds: durationMs / 1000,
        lastError: error,
      };
    }
  }
}
