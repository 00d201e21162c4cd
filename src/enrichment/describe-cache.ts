import pLimit from "p-limit";
import type { Association, AssociationDetails, AssociationEnricher, AwsCallError, DescribeAssociation } from "../domain/association.js";

export interface DescribeCacheOptions {
  readonly describe: DescribeAssociation;
  /** An unchanged association's details are read again once they are this old. */
  readonly intervalMs: number;
  /** DescribeAssociation calls in flight at once. */
  readonly concurrency: number;
  readonly now?: () => number;
  /** Called once per enrich() that had failures: how many failed, and the first failure. */
  readonly onFailures?: (failed: number, first: AwsCallError | Error) => void;
}

interface Entry {
  readonly details: AssociationDetails;
  /** What the listing said when these details were read: a change of either means they may be out of date. */
  readonly associationVersion: string;
  readonly lastExecutionSeconds: number | undefined;
  readonly readAtMs: number;
}

/**
 * One target's DescribeAssociation details, kept across polls so the steady state costs no calls: an
 * association is described when it is new, when its AssociationVersion or LastExecutionDate differs
 * from the listing its details were read with, or when they are older than the interval. A failed or
 * unfinished call keeps the association's last details (and it is due again next poll); associations
 * no longer listed are dropped.
 */
export class DescribeCache implements AssociationEnricher {
  private entries = new Map<string, Entry>();
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly now: () => number;

  constructor(private readonly options: DescribeCacheOptions) {
    this.now = options.now ?? Date.now;
    this.limit = pLimit(options.concurrency);
  }

  /** Associations of this listing whose details are due to be read. */
  due(associations: readonly Association[]): Association[] {
    const now = this.now();
    return associations.filter((a) => {
      const entry = this.entries.get(a.associationId);
      return (
        entry === undefined ||
        entry.associationVersion !== a.associationVersion ||
        entry.lastExecutionSeconds !== a.lastExecutionSeconds ||
        now - entry.readAtMs >= this.options.intervalMs
      );
    });
  }

  async enrich(associations: readonly Association[], signal: AbortSignal): Promise<ReadonlyMap<string, AssociationDetails>> {
    const listed = new Set(associations.map((a) => a.associationId));
    const kept = new Map([...this.entries].filter(([id]) => listed.has(id)));
    this.entries = kept;
    const failures: (AwsCallError | Error)[] = [];
    const calls = this.due(associations).map((a) =>
      this.limit(async () => {
        if (signal.aborted) return; // the poll's deadline passed while this one waited: it keeps its last details
        try {
          const details = await this.options.describe(a.associationId, signal);
          // An answer that arrives after the deadline is still true; but the poll has been published without it.
          if (signal.aborted) return;
          kept.set(a.associationId, { details, associationVersion: a.associationVersion, lastExecutionSeconds: a.lastExecutionSeconds, readAtMs: this.now() });
        } catch (err) {
          if (!signal.aborted) failures.push(err instanceof Error ? err : new Error(String(err)));
        }
      }),
    );
    await untilAborted(Promise.allSettled(calls), signal);
    if (signal.aborted) this.limit.clearQueue();
    const first = failures[0];
    if (first !== undefined) this.options.onFailures?.(failures.length, first);
    return this.details();
  }

  /** The details known now, by AssociationId (a copy: later polls never change a published map). */
  details(): ReadonlyMap<string, AssociationDetails> {
    return new Map([...this.entries].map(([id, entry]) => [id, entry.details]));
  }
}

/** Resolves when `work` settles or the signal aborts, whichever comes first; never rejects. */
function untilAborted(work: Promise<unknown>, signal: AbortSignal): Promise<void> {
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
