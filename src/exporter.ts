import type { AssociationSource } from "./associations/association.js";
import { accountIdResolver } from "./associations/account-id.js";
import { SsmAssociationSource } from "./associations/ssm-source.js";
import type { Config } from "./config.js";
import { createApp, listen, type RunningServer } from "./http/server.js";
import type { Logger } from "./log.js";
import { CurrentSnapshot } from "./metrics/current.js";
import { ExporterMetrics } from "./metrics/exporter-metrics.js";
import { renderSnapshot } from "./metrics/render.js";
import { Poller } from "./poller.js";
import type { BuildInfo } from "./version.js";

export interface RunningExporter {
  readonly server: RunningServer;
  readonly poller: Poller;
  /** Stops polling (aborting the in-flight poll) and the HTTP server, letting in-flight requests finish. */
  close(): Promise<void>;
}

export interface ExporterDeps {
  readonly logger: Logger;
  readonly build: BuildInfo;
  /** Regions to poll, already resolved (config.aws.regions or the SDK's region chain). */
  readonly regions: readonly string[];
  readonly defaultMetrics?: boolean;
}

/** Builds sources → poller → snapshot → server and starts them: the server first, so a bad address starts nothing. */
export async function startExporter(config: Config, deps: ExporterDeps): Promise<RunningExporter> {
  const { logger, build, regions } = deps;
  const exporterMetrics = new ExporterMetrics(build, { defaultMetrics: deps.defaultMetrics ?? true });
  const current = new CurrentSnapshot();

  const stsRegion = regions[0];
  if (stsRegion === undefined) throw new Error("startExporter needs at least one region");
  const accountId = accountIdResolver({
    region: stsRegion,
    requestTimeoutMs: config.aws.requestTimeoutMs,
    maxAttempts: config.aws.maxAttempts,
    recordApiCall: (operation, outcome, account) => exporterMetrics.recordApiCall({ accountId: account, region: stsRegion }, operation, outcome),
  });
  const sources: SsmAssociationSource[] = regions.map((region) => {
    let knownAccount = "";
    return new SsmAssociationSource({
      region,
      filters: config.ssm.filters,
      requestTimeoutMs: config.aws.requestTimeoutMs,
      maxAttempts: config.aws.maxAttempts,
      accountId: async () => (knownAccount = await accountId()),
      recordApiCall: (operation, outcome) => exporterMetrics.recordApiCall({ accountId: knownAccount, region }, operation, outcome),
    });
  });

  const poller = new Poller({
    sources: sources satisfies readonly AssociationSource[],
    intervalMs: config.poll.intervalMs,
    logger,
    onSkippedPoll: () => exporterMetrics.recordSkippedPoll(),
    publish: async (snapshot) => {
      const rendered = await renderSnapshot(snapshot);
      // Both swaps happen in one synchronous step: a scrape sees the old poll or the new one, never a mix.
      current.set(snapshot, rendered);
      exporterMetrics.publish(snapshot);
      logger.debug({ series: rendered.seriesCount, bytes: rendered.text.length, gzip_bytes: rendered.gzip.length }, "snapshot published");
    },
  });

  const app = createApp({ telemetryPath: config.web.telemetryPath, current, exporterMetrics, build, logger });
  const server = await listen(app, config.web.listenHost, config.web.listenPort);
  poller.start();
  logger.info(
    { url: `${server.url}${config.web.telemetryPath}`, regions, poll_interval_ms: config.poll.intervalMs, version: build.version },
    "exporter started",
  );

  return {
    server,
    poller,
    close: async () => {
      await Promise.all([poller.stop(), server.close()]);
      for (const source of sources) source.destroy();
    },
  };
}
