import type { AssociationSource, TargetKey } from "./associations/association.js";
import { toAwsCallError } from "./associations/aws-error.js";
import type { Logger } from "./log.js";
import type { Snapshot, TargetState } from "./snapshot.js";

export interface PollerOptions {
  readonly sources: readonly AssociationSource[];
  readonly intervalMs: number;
  readonly logger: Logger;
  /** Renders and swaps in a complete snapshot. Awaited before the poll counts as finished. */
  readonly publish: (snapshot: Snapshot) => Promise<void>;
  readonly onSkippedPoll?: () => void;
  readonly now?: () => number;
}

/**
 * Polls every source on an interval, apart from scrapes. Polls never overlap: a tick that finds the
 * previous poll still running is skipped and logged. Each poll builds a complete Snapshot; a source
 * whose poll fails keeps its previous associations and is marked down.
 */
export class Poller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<Snapshot> | undefined;
  private readonly abort = new AbortController();
  private previous = new Map<AssociationSource, TargetState>();
  private readonly now: () => number;

  constructor(private readonly options: PollerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** First poll now, then one every interval. */
  start(): void {
    if (this.timer) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
  }

  /** Stops the timer and aborts the in-flight poll; resolves when it has settled. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.running?.catch(() => undefined);
  }

  private tick(): void {
    if (this.running) {
      this.options.logger.warn({ interval_ms: this.options.intervalMs }, "poll skipped: the previous poll is still running");
      this.options.onSkippedPoll?.();
      return;
    }
    this.pollOnce().catch((err: unknown) => {
      this.options.logger.error({ err }, "publishing the snapshot failed");
    });
  }

  /** One complete poll of every source, published before it resolves. Concurrent calls share one poll. */
  pollOnce(): Promise<Snapshot> {
    this.running ??= this.poll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async poll(): Promise<Snapshot> {
    const states = await Promise.all(this.options.sources.map((source) => this.pollSource(source)));
    if (this.abort.signal.aborted) throw new Error("poller stopped");
    this.previous = new Map(this.options.sources.map((source, i) => [source, states[i] as TargetState]));
    const snapshot: Snapshot = Object.freeze({ takenAtSeconds: this.now() / 1000, targets: Object.freeze(states) });
    await this.options.publish(snapshot);
    return snapshot;
  }

  private async pollSource(source: AssociationSource): Promise<TargetState> {
    const started = performance.now();
    const before = this.previous.get(source);
    let target: TargetKey = before?.target ?? { accountId: "", region: source.region };
    try {
      const accountId = await source.accountId();
      target = { accountId, region: source.region };
      const associations = Object.freeze(await source.listAssociations(this.abort.signal));
      const durationMs = performance.now() - started;
      this.options.logger.debug(
        { account_id: accountId, region: source.region, associations: associations.length, duration_ms: Math.round(durationMs) },
        "poll succeeded",
      );
      return { target, associations, up: true, lastSuccessSeconds: this.now() / 1000, pollDurationSeconds: durationMs / 1000, lastError: undefined };
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
            kept_associations: before?.associations.length ?? 0,
          },
          `poll failed: ${error.operation} ${error.code}: ${error.message}`,
        );
      }
      return {
        target,
        associations: before?.associations ?? [],
        up: false,
        lastSuccessSeconds: before?.lastSuccessSeconds,
        pollDurationSeconds: durationMs / 1000,
        lastError: error,
      };
    }
  }
}
