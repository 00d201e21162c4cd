import type { Config } from "./config/config.js";
import { accountDiscovery } from "./discovery/discovered-targets.js";
import type { AccountDiscovery } from "./discovery/account-discovery.js";
import type { AssociationSource } from "./domain/association.js";
import type { FamilyOptions } from "./exposition/families.js";
import { SelfMetrics } from "./exposition/self-metrics.js";
import { ExpositionStore } from "./exposition/store.js";
import { createApp, createProbeApp, listen, type RunningServer } from "./http/server.js";
import type { Logger } from "./log.js";
import { Poller } from "./poller.js";
import { buildEnrichers, buildTargets } from "./targets.js";
import type { BuildInfo } from "./version.js";
import { BasicAuth } from "./web/basic-auth.js";
import { describeWebConfig, WebConfigStore } from "./web/web-config-store.js";

export { accountDiscovery } from "./discovery/discovered-targets.js";
export { buildEnrichers, buildTargets, type BuiltTarget } from "./targets.js";

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

/** Which optional families and labels the store renders, from the enrichment flags. */
export function familyOptions(config: Config): FamilyOptions {
  return { describe: config.enrichment?.describe === true, tagLabels: config.enrichment?.tags, failedTargets: config.enrichment?.failedTargets !== undefined };
}

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
