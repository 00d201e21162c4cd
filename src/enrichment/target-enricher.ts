import pLimit from "p-limit";
import type {
  Association,
  AssociationDetails,
  AssociationEnricher,
  AssociationTags,
  AwsCallError,
  DescribeAssociation,
  Enrichment,
  FailedTargets,
  ReadAssociationTags,
  ReadFailedTargets,
} from "../domain/association.js";
import { AssociationReadCache, changedOrOlderThan, newExecution, type CallLimit } from "./read-cache.js";

/** The calls one target's enrichment may make; a reader left out is a flag that is off. */
export interface EnrichmentReaders {
  readonly describe?: DescribeAssociation;
  readonly tags?: ReadAssociationTags;
  readonly failedTargets?: ReadFailedTargets;
}

export interface TargetEnricherOptions {
  readonly readers: EnrichmentReaders;
  /** --ssm.describe-interval: describe and tags answers of an unchanged association are re-read after this long. */
  readonly intervalMs: number;
  /** --ssm.enrichment-concurrency: calls in flight at once for this target, all kinds together. */
  readonly concurrency: number;
  /** --ssm.failed-targets.max-per-association and -max-per-account-region. */
  readonly failedTargetCaps?: { readonly maxPerAssociation: number; readonly maxPerAccountRegion: number };
  readonly now?: () => number;
  /** Called once per kind and poll that had failures, with the kind's operation and every failure. */
  readonly onFailures?: (operation: string, failures: readonly (AwsCallError | Error)[]) => void;
}

/** The Failed count of the association's latest listing. */
export function failedTargetCount(a: Association): number {
  return a.targetCounts.get("Failed") ?? 0;
}

/**
 * All the optional per-association data of one account×region target, kept across polls: details
 * and tags refreshed when an association changes or is `intervalMs` old, failed targets only for
 * associations whose counts show failed targets and only when a new execution appears. The kinds
 * share one limit of calls in flight and the poll's deadline; nothing here ever fails the poll.
 */
export class TargetEnricher implements AssociationEnricher {
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly describe: AssociationReadCache<AssociationDetails> | undefined;
  private readonly tags: AssociationReadCache<AssociationTags> | undefined;
  private readonly failedTargets: AssociationReadCache<FailedTargets> | undefined;

  constructor(private readonly options: TargetEnricherOptions) {
    this.limit = pLimit(options.concurrency);
    const limit: CallLimit = (task) => this.limit(task);
    const common = { limit, now: options.now, onFailures: options.onFailures };
    const { describe, tags, failedTargets } = options.readers;
    const refresh = changedOrOlderThan(options.intervalMs);
    this.describe = describe && new AssociationReadCache({ ...common, operation: "DescribeAssociation", refresh, read: (a, signal) => describe(a.associationId, signal) });
    this.tags = tags && new AssociationReadCache({ ...common, operation: "ListTagsForResource", refresh, read: (a, signal) => tags(a.associationId, signal) });
    const maxPerAssociation = options.failedTargetCaps?.maxPerAssociation ?? 20;
    this.failedTargets =
      failedTargets &&
      new AssociationReadCache({
        ...common,
        operation: "DescribeAssociationExecutionTargets",
        refresh: newExecution,
        applies: (a) => failedTargetCount(a) > 0,
        read: (a, signal) => failedTargets(a, maxPerAssociation, signal),
      });
  }

  /** Associations each kind would read now (for tests and the bench). */
  due(associations: readonly Association[]): { describe: number; tags: number; failedTargets: number } {
    return {
      describe: this.describe?.due(associations).length ?? 0,
      tags: this.tags?.due(associations).length ?? 0,
      failedTargets: this.failedTargets?.due(associations).length ?? 0,
    };
  }

  async enrich(associations: readonly Association[], signal: AbortSignal): Promise<Enrichment> {
    const [details, tags, failed] = await Promise.all([
      this.describe?.update(associations, signal),
      this.tags?.update(associations, signal),
      this.failedTargets?.update(associations, signal),
    ]);
    // Calls still queued when the deadline passed would only return at once: drop them.
    if (signal.aborted) this.limit.clearQueue();
    const maxTotal = this.options.failedTargetCaps?.maxPerAccountRegion;
    return { details, tags, failedTargets: failed && (maxTotal === undefined ? failed : capFailedTargets(associations, failed, maxTotal)) };
  }
}

/**
 * --ssm.failed-targets.max-per-account-region: walks the associations in listing order and keeps
 * failed targets until `max` are kept; the rest of each association's are added to its left-out count.
 * Applied to every published result, not to what is cached, so a cap that loosens shows at once.
 */
export function capFailedTargets(associations: readonly Association[], byId: ReadonlyMap<string, FailedTargets>, max: number): ReadonlyMap<string, FailedTargets> {
  let room = max;
  const out = new Map<string, FailedTargets>();
  for (const a of associations) {
    const entry = byId.get(a.associationId);
    if (entry === undefined) continue;
    const kept = Math.min(room, entry.targets.length);
    room -= kept;
    out.set(a.associationId, kept === entry.targets.length ? entry : { ...entry, targets: entry.targets.slice(0, kept), leftOut: entry.leftOut + entry.targets.length - kept });
  }
  return out;
}
