import type { Association, AwsCallError, Enrichment } from "./association.js";

/** What the exporter knows about one polled account×region after a poll. */
export interface TargetState {
  /** Identifies the target while it is polled (its PolledTarget key): the store caches its rendering under it. */
  readonly key: string;
  readonly region: string;
  /**
   * The account id, once known (configured, from the role ARN, or from STS). Until then the target
   * exports no series at all: a series labelled account_id="" would be a different series later.
   */
  readonly accountId: string | undefined;
  /** Its first poll has not finished yet (queued or running). */
  readonly pending: boolean;
  /** The last good associations: kept when a poll fails (unless dropped as stale), never partial. */
  readonly associations: readonly Association[];
  /**
   * --ssm.describe-associations, --ssm.tags, --ssm.failed-targets: what those calls told about the
   * associations above (those ever read successfully); undefined when all are off. Kept with them on a failed poll.
   */
  readonly enrichment?: Enrichment | undefined;
  /** Whether the latest poll of this target succeeded. */
  readonly up: boolean;
  /** Unix seconds of the latest successful poll; undefined until the first one. */
  readonly lastSuccessSeconds: number | undefined;
  /** Duration of the latest poll, successful or not. */
  readonly pollDurationSeconds: number;
  readonly lastError: AwsCallError | undefined;
  /** The last good associations were dropped because the target failed for longer than --poll.max-staleness. */
  readonly staleDropped: boolean;
}

/** One complete, immutable view of every target, swapped in whole each time a target's poll finishes. */
export interface Snapshot {
  readonly takenAtSeconds: number;
  readonly targets: readonly TargetState[];
}

/** `123456789012/eu-west-1`, or the region alone while the account is unknown. */
export function describeTarget(state: Pick<TargetState, "accountId" | "region">): string {
  return state.accountId === undefined ? state.region : `${state.accountId}/${state.region}`;
}

/** Targets whose first poll has not finished. */
export function pendingTargets(snapshot: Snapshot): TargetState[] {
  return snapshot.targets.filter((t) => t.pending);
}

/**
 * Readiness means serving: every target's first poll has finished, successfully or not. A broken
 * target shows as up 0 (and its alert), never as a NotReady pod. A shard that owns no target is ready
 * once its empty snapshot is published.
 */
export function isReady(snapshot: Snapshot | undefined): boolean {
  return snapshot !== undefined && pendingTargets(snapshot).length === 0;
}
