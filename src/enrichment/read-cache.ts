import type { Association, AwsCallError } from "../domain/association.js";

/** Runs a task within the target's shared limit of enrichment calls in flight (p-limit). */
export type CallLimit = <T>(task: () => Promise<T>) => Promise<T>;

/** One association's cached answer, with what the listing said when it was read. */
export interface CacheEntry<T> {
  readonly value: T;
  readonly associationVersion: string;
  readonly lastExecutionSeconds: number | undefined;
  readonly readAtMs: number;
}

/** Whether an association's answer must be read (again) at `nowMs`; `entry` is undefined when it never was. */
export type RefreshRule = (association: Association, entry: CacheEntry<unknown> | undefined, nowMs: number) => boolean;

/**
 * Describe and tags: read when new, when AssociationVersion or LastExecutionDate differs from the
 * listing the answer was read with, or when the answer is `intervalMs` old.
 */
export function changedOrOlderThan(intervalMs: number): RefreshRule {
  return (a, entry, nowMs) =>
    entry === undefined ||
    entry.associationVersion !== a.associationVersion ||
    entry.lastExecutionSeconds !== a.lastExecutionSeconds ||
    nowMs - entry.readAtMs >= intervalMs;
}

/** Failed targets: read when new and again only when LastExecutionDate differs (a new execution). */
export const newExecution: RefreshRule = (a, entry) => entry === undefined || entry.lastExecutionSeconds !== a.lastExecutionSeconds;

export interface ReadCacheOptions<T> {
  /** The AWS operation behind `read`, for the failure report. */
  readonly operation: string;
  readonly read: (association: Association, signal: AbortSignal) => Promise<T>;
  readonly refresh: RefreshRule;
  /** Associations this cache keeps an answer for (default all); the others are neither read nor kept. */
  readonly applies?: (association: Association) => boolean;
  /** Shared by every cache of the target: calls in flight at once. */
  readonly limit: CallLimit;
  readonly now?: () => number;
  /** Called once per update() that had failures, with the operation and every failure (a read may fail on a later call than `operation`). */
  readonly onFailures?: (operation: string, failures: readonly (AwsCallError | Error)[]) => void;
}

/**
 * One target's answers to one per-association AWS call, kept across polls so the steady state costs
 * no calls: an association is read when its refresh rule says so. A failed or unfinished call keeps
 * the association's last answer (and, its entry unchanged, it is due again next poll); associations
 * no longer listed, or to which the cache no longer applies, are dropped.
 */
export class AssociationReadCache<T> {
  private entries = new Map<string, CacheEntry<T>>();
  private readonly now: () => number;

  constructor(private readonly options: ReadCacheOptions<T>) {
    this.now = options.now ?? Date.now;
  }

  /** Associations of this listing whose answer is due to be read. */
  due(associations: readonly Association[]): Association[] {
    const now = this.now();
    return associations.filter((a) => this.applies(a) && this.options.refresh(a, this.entries.get(a.associationId), now));
  }

  /** Reads what is due, within the signal; resolves (never rejects) with the answers known then. */
  async update(associations: readonly Association[], signal: AbortSignal): Promise<ReadonlyMap<string, T>> {
    const kept = new Map<string, CacheEntry<T>>();
    for (const a of associations) {
      const entry = this.entries.get(a.associationId);
      if (entry !== undefined && this.applies(a)) kept.set(a.associationId, entry);
    }
    this.entries = kept;
    const failures: (AwsCallError | Error)[] = [];
    const calls = this.due(associations).map((a) =>
      this.options.limit(async () => {
        if (signal.aborted) return; // the poll's deadline passed while this one waited: it keeps its last answer
        try {
          const value = await this.options.read(a, signal);
          // An answer that arrives after the deadline is still true; but the poll has been published without it.
          if (signal.aborted) return;
          kept.set(a.associationId, { value, associationVersion: a.associationVersion, lastExecutionSeconds: a.lastExecutionSeconds, readAtMs: this.now() });
        } catch (err) {
          if (!signal.aborted) failures.push(err instanceof Error ? err : new Error(String(err)));
        }
      }),
    );
    await untilAborted(Promise.allSettled(calls), signal);
    if (failures.length > 0) this.options.onFailures?.(this.options.operation, failures);
    return this.values();
  }

  /** The answers known now, by AssociationId (a copy: later polls never change a published map). */
  values(): ReadonlyMap<string, T> {
    return new Map([...this.entries].map(([id, entry]) => [id, entry.value]));
  }

  private applies(a: Association): boolean {
    return this.options.applies?.(a) ?? true;
  }
}

/** Resolves when `work` settles or the signal aborts, whichever comes first; never rejects. */
export function untilAborted(work: Promise<unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    work.then(done, done);
  });
}
