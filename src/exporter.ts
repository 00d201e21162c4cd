import type { AssociationSource } from "./domain/association.js";
import { assumedRoleCredentialSet, defaultCredentialSet, type CallSettings, type CredentialSet } from "./aws/credentials.js";
import { SsmAssociationSource } from "./aws/ssm-source.js";
import type { Config, TargetConfig } from "./config/config.js";
import { createApp, listen, type RunningServer } from "./http/server.js";
import type { Logger } from "./log.js";
import { CurrentSnapshot } from "./exposition/current.js";
import { ExporterMetrics } from "./exposition/exporter-metrics.js";
import { ExpositionRenderer } from "./exposition/render.js";
import { Poller } from "./poller.js";
import type { BuildInfo } from "./version.js";

export interface RunningExporter {
  readonly server: RunningServer;
  readonly poller: Poller;
  /** Stops polling (aborting in-flight polls) and the HTTP server, letting in-flight requests finish. */
  close(): Promise<void>;
}

export interface ExporterDeps {
  readonly logger: Logger;
  readonly build: BuildInfo;
  /** config.targets with every region list resolved (the flags-only target may get its region from the SDK chain). */
  readonly targets: readonly TargetConfig[];
  readonly defaultMetrics?: boolean;
}

/** One source per target×region; one credential set per target (the default chain's is shared). */
function buildSources(config: Config, targets: readonly TargetConfig[], exporterMetrics: ExporterMetrics): SsmAssociationSource[] {
  const settings: CallSettings = {
    requestTimeoutMs: config.aws.requestTimeoutMs,
    maxAttempts: config.aws.maxAttempts,
    recordApiCall: (accountId, region, operation, outcome) => exporterMetrics.recordApiCall({ accountId, region }, operation, outcome),
  };
  let defaultSet: CredentialSet | undefined;
  return targets.flatMap((target) => {
    const stsRegion = target.regions[0];
    if (stsRegion === undefined) throw new Error("a target without regions reached startExporter");
    const credentials = target.roleArn
      ? assumedRoleCredentialSet({ roleArn: target.roleArn, externalId: target.externalId, sessionName: target.sessionName }, stsRegion, settings)
      : (defaultSet ??= defaultCredentialSet(stsRegion, settings));
    return target.regions.map((region) => {
      let knownAccount = credentials.knownAccountId ?? "";
      return new SsmAssociationSource({
        region,
        filters: target.filters,
        requestTimeoutMs: config.aws.requestTimeoutMs,
        maxAttempts: config.aws.maxAttempts,
        credentials: credentials.credentials,
        knownAccountId: credentials.knownAccountId,
        accountId: async () => (knownAccount = await credentials.accountId()),
        recordApiCall: (operation, outcome) => settings.recordApiCall(knownAccount, region, operation, outcome),
      });
    });
  });
}

/** Builds sources → poller → snapshot → server and starts them: the server first, so a bad address starts nothing. */
export async function startExporter(config: Config, deps: ExporterDeps): Promise<RunningExporter> {
  const { logger, build } = deps;
  const exporterMetrics = new ExporterMetrics(build, { defaultMetrics: deps.defaultMetrics ?? true });
  const current = new CurrentSnapshot();
  const renderer = new ExpositionRenderer();
  const sources = buildSources(config, deps.targets, exporterMetrics);

  const poller = new Poller({
    sources: sources satisfies readonly AssociationSource[],
    intervalMs: config.poll.intervalMs,
    concurrency: config.poll.concurrency,
    logger,
    onSkippedPoll: (target) => exporterMetrics.recordSkippedPoll(target),
    publish: async (snapshot) => {
      const exposition = await renderer.render(snapshot);
      // Both swaps happen in one synchronous step: a scrape sees the old snapshot or the new one, never a mix.
      current.set(snapshot, exposition);
      exporterMetrics.publish(snapshot);
      logger.debug({ series: exposition.seriesCount, bytes: exposition.textLength, deflate_bytes: exposition.deflateLength }, "snapshot published");
    },
  });

  const app = createApp({ telemetryPath: config.web.telemetryPath, current, exporterMetrics, build, logger });
  const server = await listen(app, config.web.listenHost, config.web.listenPort);
  poller.start();
  logger.info(
    {
      url: `${server.url}${config.web.telemetryPath}`,
      targets: deps.targets.map((t) => ({ role_arn: t.roleArn ?? null, regions: t.regions })),
      regions: [...new Set(deps.targets.flatMap((t) => t.regions))],
      poll_interval_ms: config.poll.intervalMs,
      poll_concurrency: config.poll.concurrency,
      version: build.version,
    },
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
