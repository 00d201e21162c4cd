import type { Association, AwsCallError, TargetKey } from "./association.js";

/** What the exporter knows about one polled account×region after a poll. */
export interface TargetState {
  readonly target: TargetKey;
  /** Not polled yet (its first poll is queued or running): not ready, and not exported. */
  readonly pending: boolean;
  /** The last good associations: kept when a poll fails, so a failed poll never blanks data. */
  readonly associations: readonly Association[];
  /** Whether the latest poll of this target succeeded. */
  readonly up: boolean;
  /** Unix seconds of the latest successful poll; undefined until the first one. */
  readonly lastSuccessSeconds: number | undefined;
  /** Duration of the latest poll, successful or not. */
  readonly pollDurationSeconds: number;
  readonly lastError: AwsCallError | undefined;
}

/** One complete, immutable view of every target, swapped in whole each time a target's poll finishes. */
export interface Snapshot {
  readonly takenAtSeconds: number;
  readonly targets: readonly TargetState[];
}

/** Targets that have not had a successful poll yet. */
export function waitingTargets(snapshot: Snapshot): TargetState[] {
  return snapshot.targets.filter((t) => t.lastSuccessSeconds === undefined);
}

export function isReady(snapshot: Snapshot | undefined): boolean {
  return snapshot !== undefined && snapshot.targets.length > 0 && snapshot.targets.every((t) => t.lastSuccessSeconds !== undefined);
}
