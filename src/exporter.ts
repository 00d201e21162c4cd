import { assumedRoleCredentialSet, defaultCredentialSet, type CredentialSet } from "./aws/credentials.js";
import type { CallSettings } from "./aws/client-options.js";
import { SsmEnrichmentClient } from "./aws/enrichment-client.js";
import { SsmAssociationSource } from "./aws/ssm-source.js";
import type { Config, TargetConfig } from "./config/config.js";
import { memberRoleArn } from "./config/file.js";
import { OrganizationAccounts } from "./aws/organization-accounts.js";
import { AccountDiscovery } from "./discovery/account-discovery.js";
import { selectAccounts, type DiscoveredAccount } from "./discovery/select-accounts.js";
import { AwsCallError, type AssociationEnricher, type AssociationSource } from "./domain/association.js";
import { TargetEnricher } from "./enrichment/target-enricher.js";
import type { FamilyOptions } from "./exposition/families.js";
import { SelfMetrics } from "./exposition/self-metrics.js";
import { ExpositionStore } from "./exposition/store.js";
import { createApp, createProbeApp, listen, type RunningServer } from "./http/server.js";
import type { Logger } from "./log.js";
import { Poller, type PolledTarget } from "./poller.js";
import { inShard } from "./sharding.js";
import type { BuildInfo } from "./version.js";
import { BasicAuth } from "./web/basic-auth.js";
import { describeWebConfig, WebConfigStore } from "./web/web-config-store.js";

export interface RunningExporter {
  readonly server: RunningServer;
  /** --web.probe-listen-address's listener, if set. */
  readonly probeServer: RunningServer | undefined;
  /** --web.config.file, if set: reload() re-reads it (SIGHUP). */
  readonly webConfig: WebConfigStore | undefined;
  readonly poller: Poller;
  readonly store: ExpositionStore;
  /** The organization section's account discovery, if any: runOnce() discovers now (tests, SIGHUP). */
  readonly discovery: AccountDiscovery | undefined;
  /** Stops polling (aborting in-flight AWS requests) and the HTTP server, letting in-flight scrapes finish. */
  close(): Promise<void>;
}

export interface ExporterDeps {
  readonly logger: Logger;
  readonly build: BuildInfo;
  readonly defaultMetrics?: boolean;
  /** Clock of the --ssm.describe-interval refresh rule (tests move it on); default Date.now. */
  readonly describeNow?: () => number;
}

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
  const built = buildTargetsOnce(config, selfMetrics);
  // Two targets of the same credentials and region (different filters) keep apart: the second is `#2`.
  const seen = new Map<string, number>();
  return built.map((t) => {
    const n = (seen.get(t.key) ?? 0) + 1;
    seen.set(t.key, n);
    return n === 1 ? t : { ...t, key: `${t.key}#${n}` };
  });
}

/** The targets (configured, or discovered accounts) of this replica's shard, each region a BuiltTarget. */
function buildTargetsOnce(config: Config, selfMetrics: SelfMetrics, targets: readonly TargetConfig[] = config.targets): BuiltTarget[] {
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

/** Which optional families and labels the store renders, from the enrichment flags. */
export function familyOptions(config: Config): FamilyOptions {
  return { describe: config.enrichment?.describe === true, tagLabels: config.enrichment?.tags, failedTargets: config.enrichment?.failedTargets !== undefined };
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

/** After a failed discovery, the next attempt comes this soon (or at the interval, if sooner). */
const DISCOVERY_RETRY_MS = 5 * 60_000;

/**
 * Account discovery (the config file's organization section): lists the organization's accounts now
 * and every --discovery.interval, and makes the poller poll the configured targets plus one target per
 * discovered account and region of this shard, each through the member role. A target that stays keeps
 * its clients, credentials and state; those of removed accounts are destroyed after the poller let go.
 */
export function accountDiscovery(
  config: Config,
  poller: Poller,
  configured: readonly PolledTarget[],
  deps: { readonly logger: Logger; readonly selfMetrics: SelfMetrics; readonly now?: (() => number) | undefined },
): { discovery: AccountDiscovery; close: () => Promise<void> } | undefined {
  const discovery = config.discovery;
  if (discovery === undefined) return undefined;
  const { logger, selfMetrics } = deps;
  const org = discovery.organization;
  const settings: CallSettings = { requestTimeoutMs: config.aws.requestTimeoutMs, maxAttempts: config.aws.maxAttempts };
  const record = (operation: string, outcome: string) => selfMetrics.recordDiscoveryApiCall(operation, outcome);
  const stsRegion = org.regions[0] ?? ORGANIZATIONS_STS_REGION;
  const credentials =
    org.roleArn === undefined ? undefined : assumedRoleCredentialSet({ roleArn: org.roleArn, externalId: org.externalId, sessionName: org.sessionName }, stsRegion, settings, record).credentials;
  const accounts = new OrganizationAccounts({ settings, credentials, recordApiCall: record });
  const configuredKeys = new Set(configured.map((t) => t.key));
  let live = new Map<string, { built: BuiltTarget; target: PolledTarget }>();

  const apply = async (discovered: readonly DiscoveredAccount[]): Promise<void> => {
    const next = new Map<string, { built: BuiltTarget; target: PolledTarget }>();
    const polled: DiscoveredAccount[] = [];
    for (const account of discovered) {
      const target: TargetConfig = {
        roleArn: memberRoleArn(org.memberRole, account.id),
        externalId: org.memberExternalId,
        sessionName: org.memberSessionName,
        accountId: account.id,
        regions: org.regions,
        filters: org.filters,
      };
      // Kept targets reuse their clients; the account's new regions (or the account itself) are built once.
      const keys = org.regions.filter((r) => inShard(target, r, config.shard)).map((r) => `${target.roleArn}/${r}`).filter((k) => !configuredKeys.has(k));
      if (keys.length === 0) continue;
      polled.push(account);
      const missing = new Set(keys.filter((k) => !live.has(k)));
      if (missing.size > 0) {
        const built = buildTargetsOnce(config, selfMetrics, [{ ...target, regions: org.regions.filter((r) => missing.has(`${target.roleArn}/${r}`)) }]);
        const enrichers = buildEnrichers(config, built, deps);
        built.forEach((b, i) => live.set(b.key, { built: b, target: { key: b.key, source: b.source, enricher: enrichers[i] } }));
      }
      for (const k of keys) {
        const entry = live.get(k);
        if (entry !== undefined) next.set(k, entry);
      }
    }
    await poller.setTargets([...configured, ...[...next.values()].map((e) => e.target)]);
    for (const [key, { built }] of live) {
      if (next.has(key)) continue;
      built.source.destroy();
      built.enrichment?.destroy();
    }
    live = next;
    selfMetrics.recordAccounts(polled);
  };

  const runner = new AccountDiscovery({
    discover: async (signal) => selectAccounts(await accounts.list(org.organizationalUnits, signal), org),
    intervalMs: discovery.intervalMs,
    timeoutMs: config.poll.timeoutMs,
    retryMs: DISCOVERY_RETRY_MS,
    apply,
    onOutcome: (outcome, n) => selfMetrics.recordDiscovery(outcome, n, Date.now()),
    logger,
  });
  return {
    discovery: runner,
    close: async () => {
      await runner.stop();
      accounts.destroy();
      for (const { built } of live.values()) {
        built.source.destroy();
        built.enrichment?.destroy();
      }
    },
  };
}

/** Where the Organizations role is assumed when the organization section lists no region (never: regions are required). */
const ORGANIZATIONS_STS_REGION = "us-east-1";

/**
 * Builds sources → poller → store → server and starts them: the web config first (a WebConfigError
 * starts nothing), then the listeners, so a bad address starts no poll.
 */
export async function startExporter(config: Config, deps: ExporterDeps): Promise<RunningExporter> {
  const { logger, build } = deps;
  const webConfig = config.web.configFile === undefined ? undefined : new WebConfigStore(config.web.configFile, { logger });
  const selfMetrics = new SelfMetrics(build, { defaultMetrics: deps.defaultMetrics ?? true, shard: config.shard });
  const store = new ExpositionStore(selfMetrics, Date.now, logger, familyOptions(config));
  const built = buildTargets(config, selfMetrics);
  const sources = built.map((t) => t.source);
  const enrichers = buildEnrichers(config, built, { logger, selfMetrics, now: deps.describeNow });

  const poller = new Poller({
    sources: built.map((t, i) => ({ key: t.key, source: t.source satisfies AssociationSource, enricher: enrichers[i] })),
    intervalMs: config.poll.intervalMs,
    timeoutMs: config.poll.timeoutMs,
    maxStalenessMs: config.poll.maxStalenessMs,
    concurrency: config.poll.concurrency,
    logger,
    onSkippedPoll: (state) => selfMetrics.recordSkippedPoll(state),
    onPollFinished: (state) => selfMetrics.recordPoll(state),
    publish: async (snapshot) => {
      await store.publish(snapshot);
      logger.debug({ series: store.seriesCount() }, "snapshot published");
    },
  });

  const security = webConfig && { config: () => webConfig.current(), basicAuth: new BasicAuth() };
  const app = createApp({ telemetryPath: config.web.telemetryPath, store, build, logger, security });
  const server = await listen(app, config.web.listenHost, config.web.listenPort, { tls: webConfig?.current().tls, logger });
  let probeServer: RunningServer | undefined;
  if (config.web.probe) {
    try {
      probeServer = await listen(createProbeApp({ store, logger }), config.web.probe.host, config.web.probe.port);
    } catch (err) {
      await server.close();
      throw err;
    }
  }
  if (webConfig) {
    selfMetrics.recordWebConfigReload(webConfig.status());
    webConfig.onReload((reloaded) => {
      selfMetrics.recordWebConfigReload(webConfig.status());
      // Users, headers and the rate limit are read per request; certificates apply to new connections.
      if (reloaded?.tls) server.updateTls(reloaded.tls);
    });
    webConfig.watch();
  }
  const discovery = accountDiscovery(
    config,
    poller,
    poller.targets(),
    { logger, selfMetrics, now: deps.describeNow },
  );
  if (discovery) discovery.discovery.start(await discovery.discovery.runOnce());
  poller.start();
  // A shard that owns no target (or an organization with no account to poll) has nothing to wait for: it serves (and is ready) at once.
  if (poller.targets().length === 0) await store.publish(poller.snapshot());
  logger.info(
    {
      url: `${server.url}${config.web.telemetryPath}`,
      targets: config.targets.map((t) => ({ role_arn: t.roleArn ?? null, account_id: t.accountId ?? null, regions: t.regions })),
      regions: [...new Set(sources.map((s) => s.region))],
      shard: config.shard.index,
      total_shards: config.shard.total,
      polled_targets: poller.targets().length,
      discovered_accounts: discovery?.discovery.accounts()?.length ?? null,
      configured_targets: config.targets.reduce((n, t) => n + t.regions.length, 0),
      poll_interval_ms: config.poll.intervalMs,
      poll_timeout_ms: config.poll.timeoutMs,
      poll_max_staleness_ms: config.poll.maxStalenessMs,
      poll_concurrency: config.poll.concurrency,
      describe_associations: config.enrichment?.describe === true,
      tags: config.enrichment?.tags?.map((t) => ({ key: t.key, label: t.label })) ?? null,
      failed_targets: config.enrichment?.failedTargets !== undefined,
      version: build.version,
      probe_url: probeServer?.url ?? null,
      web_config_file: webConfig?.path ?? null,
      ...(webConfig ? describeWebConfig(webConfig.current()) : { tls: false, client_auth: null, basic_auth_users: 0 }),
    },
    "exporter started",
  );

  return {
    server,
    probeServer,
    webConfig,
    poller,
    store,
    discovery: discovery?.discovery,
    close: async () => {
      webConfig?.stop();
      await Promise.all([poller.stop(), server.close(), probeServer?.close(), discovery?.close()]);
      for (const { source, enrichment } of built) {
        source.destroy();
        enrichment?.destroy();
      }
    },
  };
}
