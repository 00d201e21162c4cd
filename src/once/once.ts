import type { Config } from "../config/config.js";
import type { AssociationSource } from "../domain/association.js";
import type { Snapshot, TargetState } from "../domain/snapshot.js";
import { accountDiscovery, buildEnrichers, buildTargets, familyOptions } from "../exporter.js";
import { SelfMetrics } from "../exposition/self-metrics.js";
import { ExpositionStore } from "../exposition/store.js";
import type { Logger } from "../log.js";
import { Poller } from "../poller.js";
import type { BuildInfo } from "../version.js";

export interface OnceDeps {
  readonly logger: Logger;
  readonly build: BuildInfo;
  /** Aborting it (SIGTERM) aborts the polls and their AWS requests: no exposition is produced. */
  readonly signal?: AbortSignal;
}

export interface OnceResult {
  /** The text exposition (format 0.0.4): the families /metrics serves, without process metrics or timestamps. */
  readonly exposition: Buffer;
  readonly snapshot: Snapshot;
  /** Targets whose poll failed: `up` 0, or no series at all when even the account id could not be learned. */
  readonly failed: readonly TargetState[];
  /** The organization section's account discovery failed: only the configured targets were polled. */
  readonly discoveryFailed: boolean;
}

/** The polls were interrupted (SIGTERM, SIGINT) before every target had finished: nothing is written. */
export class OnceInterrupted extends Error {
  override readonly name = "OnceInterrupted";
}

/**
 * One-shot mode: polls every target once, with the same deadlines, retries and concurrency as a
 * normal poll, and renders what /metrics would serve after it. Nothing listens. prom-client's process
 * and Node.js metrics are left out: they would describe a process that has exited by the time the
 * file is read, and node_exporter reports its own process metrics.
 */
export async function pollOnce(config: Config, deps: OnceDeps): Promise<OnceResult> {
  const { logger, build, signal } = deps;
  const selfMetrics = new SelfMetrics(build, { defaultMetrics: false, shard: config.shard });
  const store = new ExpositionStore(selfMetrics, Date.now, logger, familyOptions(config));
  const built = buildTargets(config, selfMetrics);
  const sources = built.map((t) => t.source);
  const poller = new Poller({
    sources: sources satisfies readonly AssociationSource[],
    // Enrichment in one shot reads every association once (nothing is cached between runs), within --poll.timeout.
    enrichers: buildEnrichers(config, built, { logger, selfMetrics }),
    intervalMs: config.poll.intervalMs, // never started: there is no second poll
    timeoutMs: config.poll.timeoutMs,
    maxStalenessMs: 0,
    concurrency: config.poll.concurrency,
    logger,
    onPollFinished: (state) => selfMetrics.recordPoll(state),
    publish: (snapshot) => store.publish(snapshot),
  });
  // The organization section: one discovery (no cache between runs), then one poll of every target it found.
  const discovery = accountDiscovery(config, poller, poller.targets(), { logger, selfMetrics });
  const stop = () => {
    void poller.stop();
    void discovery?.close();
  };
  signal?.addEventListener("abort", stop, { once: true });
  try {
    if (signal?.aborted) throw new OnceInterrupted("interrupted before the poll started");
    const discovered = discovery === undefined ? true : await discovery.discovery.runOnce();
    if (signal?.aborted) throw new OnceInterrupted("interrupted during the account discovery");
    const snapshot = await poller.pollOnce();
    if (signal?.aborted) throw new OnceInterrupted("interrupted before every target's poll had finished");
    const body = await store.body("text", "identity");
    const failed = snapshot.targets.filter((t) => !t.up);
    return { exposition: Buffer.concat(body.chunks as Buffer[], body.length), snapshot, failed, discoveryFailed: !discovered };
  } finally {
    signal?.removeEventListener("abort", stop);
    await poller.stop();
    await discovery?.close();
    for (const { source, enrichment } of built) {
      source.destroy();
      enrichment?.destroy();
    }
  }
}
