import { assumedRoleCredentialSet, defaultCredentialSet, type CredentialSet } from "./aws/credentials.js";
import type { CallSettings } from "./aws/client-options.js";
import { SsmEnrichmentClient } from "./aws/enrichment-client.js";
import { SsmAssociationSource } from "./aws/ssm-source.js";
import type { Config, TargetConfig } from "./config/config.js";
import { AwsCallError, type AssociationEnricher } from "./domain/association.js";
import { TargetEnricher } from "./enrichment/target-enricher.js";
import type { SelfMetrics } from "./exposition/self-metrics.js";
import type { Logger } from "./log.js";
import { inShard } from "./sharding.js";

/** One polled account×region: its ListAssociations source and, with any enrichment flag, the client for those calls. */
export interface BuiltTarget {
  /** `<role ARN, configured account id or "default">/<region>`: the poller's and the store's key of the target. */
  readonly key: string;
  readonly source: SsmAssociationSource;
  readonly enrichment: SsmEnrichmentClient | undefined;
}

/**
 * Sources (and enrichment clients when a flag asks for them, sharing the source's credentials and
 * recorded under the same account and region) per target×region; one credential set per target (the
 * default chain's is shared). Also used by one-shot mode.
 */
export function buildTargets(config: Config, selfMetrics: SelfMetrics): BuiltTarget[] {
  const built = buildTargetsOf(config, selfMetrics);
  // Two targets of the same credentials and region (different filters) keep apart: the second is `#2`.
  const seen = new Map<string, number>();
  return built.map((t) => {
    const n = (seen.get(t.key) ?? 0) + 1;
    seen.set(t.key, n);
    return n === 1 ? t : { ...t, key: `${t.key}#${n}` };
  });
}

/** The targets (configured, or discovered accounts) of this replica's shard, each region a BuiltTarget. */
export function buildTargetsOf(config: Config, selfMetrics: SelfMetrics, targets: readonly TargetConfig[] = config.targets): BuiltTarget[] {
  const settings: CallSettings = { requestTimeoutMs: config.aws.requestTimeoutMs, maxAttempts: config.aws.maxAttempts };
  const defaultSets = new Map<string, CredentialSet>();
  return targets.flatMap((target) => {
    const stsRegion = target.regions[0];
    if (stsRegion === undefined) throw new Error("a target without regions reached startExporter");
    // --shard: only this replica's regions of the target; a target with none here costs nothing (no credentials, no client).
    const regions = target.regions.filter((region) => inShard(target, region, config.shard));
    if (regions.length === 0) return [];
    // Calls are recorded under the credential set's account and the region they went to; while the
    // account is unknown (before GetCallerIdentity answers) they are held under the credential set.
    const heldUnder = {};
    const record = (region: string) => (operation: string, outcome: string) =>
      selfMetrics.recordApiCall({ accountId: credentials.identity.knownAccountId, region }, operation, outcome, heldUnder);
    let credentials: CredentialSet;
    if (target.roleArn) {
      credentials = assumedRoleCredentialSet({ roleArn: target.roleArn, externalId: target.externalId, sessionName: target.sessionName }, stsRegion, settings, record(stsRegion));
    } else {
      const key = target.accountId ?? "";
      credentials =
        defaultSets.get(key) ??
        defaultCredentialSet(stsRegion, settings, record(stsRegion), { accountId: target.accountId, onKnown: (accountId) => selfMetrics.identify(heldUnder, accountId) });
      defaultSets.set(key, credentials);
    }
    return regions.map((region) => ({
      key: `${target.roleArn ?? target.accountId ?? "default"}/${region}`,
      source: new SsmAssociationSource({
        region,
        filters: target.filters,
        settings,
        credentials: credentials.credentials,
        identity: credentials.identity,
        recordApiCall: record(region),
      }),
      enrichment: config.enrichment
        ? new SsmEnrichmentClient({ region, settings, credentials: credentials.credentials, recordApiCall: record(region) })
        : undefined,
    }));
  });
}

/**
 * One enricher per built target (same index) when an enrichment flag is on, else undefined. A poll
 * whose enrichment reads failed logs one line per kind, not one per association; every failed read
 * is counted in aws_ssm_exporter_enrichment_failures_total.
 */
export function buildEnrichers(
  config: Config,
  built: readonly BuiltTarget[],
  deps: { readonly logger: Logger; readonly selfMetrics: SelfMetrics; readonly now?: (() => number) | undefined },
): (AssociationEnricher | undefined)[] {
  const { logger, selfMetrics, now } = deps;
  const settings = config.enrichment;
  return built.map(({ source, enrichment: client }) => {
    if (client === undefined || settings === undefined) return undefined;
    const tagKeys = settings.tags && new Set(settings.tags.map((t) => t.key));
    return new TargetEnricher({
      readers: {
        describe: settings.describe ? client.describe : undefined,
        tags: tagKeys && client.tags(tagKeys),
        failedTargets: settings.failedTargets && client.failedTargets,
      },
      intervalMs: settings.intervalMs,
      concurrency: settings.concurrency,
      failedTargetCaps: settings.failedTargets,
      now,
      onFailures: (operation, failures) => {
        const accountId = source.knownAccountId;
        const codeOf = (err: AwsCallError | Error) => (err instanceof AwsCallError ? err.code : "InternalError");
        const operationOf = (err: AwsCallError | Error) => (err instanceof AwsCallError ? err.operation : operation);
        if (accountId !== undefined) {
          for (const err of failures) selfMetrics.recordEnrichmentFailure({ accountId, region: source.region }, operationOf(err), codeOf(err));
        }
        const first = failures[0] as AwsCallError | Error;
        logger.warn(
          {
            account_id: accountId,
            region: source.region,
            operation: operationOf(first),
            aws_error: codeOf(first),
            failed_associations: failures.length,
          },
          `${operationOf(first)} failed for ${failures.length} association(s); they keep their last values: ${first.message}`,
        );
      },
    });
  });
}
