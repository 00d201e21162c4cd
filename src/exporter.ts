import { assumedRoleCredentialSet, defaultCredentialSet, type CredentialSet } from "./aws/credentials.js";
import type { CallSettings } from "./aws/client-options.js";
import { SsmAssociationDescriber } from "./aws/describe-association.js";
import { SsmAssociationSource } from "./aws/ssm-source.js";
import type { Config } from "./config/config.js";
import type { AssociationEnricher, AssociationSource } from "./domain/association.js";
import { DescribeCache } from "./enrichment/describe-cache.js";
import { SelfMetrics } from "./exposition/self-metrics.js";
import { ExpositionStore } from "./exposition/store.js";
import { createApp, createProbeApp, listen, type RunningServer } from "./http/server.js";
import type { Logger } from "./log.js";
import { Poller } from "./poller.js";
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

/** One polled account×region: its ListAssociations source and, with --ssm.describe-associations, its describer. */
export interface BuiltTarget {
  readonly source: SsmAssociationSource;
  readonly describer: SsmAssociationDescriber | undefined;
}

/** One source per target×region; one credential set per target (the default chain's is shared). Also used by one-shot mode. */
export function buildSources(config: Config, selfMetrics: SelfMetrics): SsmAssociationSource[] {
  return buildTargets(config, selfMetrics, { describe: false }).map((t) => t.source);
}

/**
 * Sources (and describers when `describe` is set, sharing the source's credentials and recorded
 * under the same account and region) per target×region.
 */
export function buildTargets(config: Config, selfMetrics: SelfMetrics, options: { readonly describe: boolean }): BuiltTarget[] {
  const settings: CallSettings = { requestTimeoutMs: config.aws.requestTimeoutMs, maxAttempts: config.aws.maxAttempts };
  const defaultSets = new Map<string, CredentialSet>();
  return config.targets.flatMap((target) => {
    const stsRegion = target.regions[0];
    if (stsRegion === undefined) throw new Error("a target without regions reached startExporter");
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
    return target.regions.map((region) => ({
      source: new SsmAssociationSource({
        region,
        filters: target.filters,
        settings,
        credentials: credentials.credentials,
        identity: credentials.identity,
        recordApiCall: record(region),
      }),
      describer: options.describe
        ? new SsmAssociationDescriber({ region, settings, credentials: credentials.credentials, recordApiCall: record(region) })
        : undefined,
    }));
  });
}

/**
 * Builds sources → poller → store → server and starts them: the web config first (a WebConfigError
 * starts nothing), then the listeners, so a bad address starts no poll.
 */
export async function startExporter(config: Config, deps: ExporterDeps): Promise<RunningExporter> {
  const { logger, build } = deps;
  const webConfig = config.web.configFile === undefined ? undefined : new WebConfigStore(config.web.configFile, { logger });
  const selfMetrics = new SelfMetrics(build, { defaultMetrics: deps.defaultMetrics ?? true });
  const store = new ExpositionStore(selfMetrics, Date.now, logger, { describe: config.describe !== undefined });
  const built = buildTargets(config, selfMetrics, { describe: config.describe !== undefined });
  const sources = built.map((t) => t.source);
  const enrichers = built.map(({ source, describer }): AssociationEnricher | undefined => {
    const describe = config.describe;
    if (describer === undefined || describe === undefined) return undefined;
    return new DescribeCache({
      describe: describer.describe,
      intervalMs: describe.intervalMs,
      concurrency: describe.concurrency,
      now: deps.describeNow,
      // One line per poll with failures, not one per association: the count is in api_requests_total.
      onFailures: (failed, first) =>
        logger.warn(
          {
            account_id: source.knownAccountId,
            region: source.region,
            operation: "DescribeAssociation",
            aws_error: "code" in first ? first.code : "InternalError",
            failed_associations: failed,
          },
          `DescribeAssociation failed for ${failed} association(s); they keep their last details: ${first.message}`,
        ),
    });
  });

  const poller = new Poller({
    sources: sources satisfies readonly AssociationSource[],
    enrichers,
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
  poller.start();
  logger.info(
    {
      url: `${server.url}${config.web.telemetryPath}`,
      targets: config.targets.map((t) => ({ role_arn: t.roleArn ?? null, account_id: t.accountId ?? null, regions: t.regions })),
      regions: [...new Set(config.targets.flatMap((t) => t.regions))],
      poll_interval_ms: config.poll.intervalMs,
      poll_timeout_ms: config.poll.timeoutMs,
      poll_max_staleness_ms: config.poll.maxStalenessMs,
      poll_concurrency: config.poll.concurrency,
      describe_associations: config.describe !== undefined,
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
    close: async () => {
      webConfig?.stop();
      await Promise.all([poller.stop(), server.close(), probeServer?.close()]);
      for (const { source, describer } of built) {
        source.destroy();
        describer?.destroy();
      }
    },
  };
}
