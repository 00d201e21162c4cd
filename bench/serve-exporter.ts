/**
 * Child process of part A: the exporter's real HTTP app (createApp + listen, pino-http, default process
 * metrics on) serving a snapshot of generated associations, rendered by the real ExpositionRenderer.
 * Prints one JSON line `{ url, ... }` on stdout, then serves until the parent goes away.
 *
 *   node --import tsx bench/serve-exporter.ts [associations] [--no-default-metrics]
 *
 * --no-default-metrics (for investigation only; production has them on) drops prom-client's process_* and
 * nodejs_* metrics from the per-scrape self-metrics, to tell their cost apart from the HTTP stack's.
 */
import type * as HttpServer from "../src/http/server.js";
import type * as Log from "../src/log.js";
import type * as SelfMetricsModule from "../src/exposition/self-metrics.js";
import type * as Store from "../src/exposition/store.js";
import type * as Version from "../src/version.js";
import { benchAssociations, benchSnapshot } from "./fixture.js";
import { emit, exitWithParent, importDist } from "./lib.js";

exitWithParent(3600);

const count = Number(process.argv[2] ?? "10000");
const defaultMetrics = !process.argv.includes("--no-default-metrics");
const [{ createApp, listen }, { createLogger }, { SelfMetrics }, { ExpositionStore }, { readBuildInfo }] = await Promise.all([
  importDist<typeof HttpServer>("http/server.js"),
  importDist<typeof Log>("log.js"),
  importDist<typeof SelfMetricsModule>("exposition/self-metrics.js"),
  importDist<typeof Store>("exposition/store.js"),
  importDist<typeof Version>("version.js"),
]);

const build = readBuildInfo();
// The production default level; pino-http logs requests at debug, so a scrape logs nothing, as in production.
const logger = createLogger("info", { write: (line: string) => process.stderr.write(line) });
const store = new ExpositionStore(new SelfMetrics(build, { defaultMetrics }));
await store.publish(benchSnapshot(await benchAssociations(count)));

const app = createApp({ telemetryPath: "/metrics", store, build, logger });
const server = await listen(app, "127.0.0.1", 0);
const text = await store.body("text", "identity");
const gzip = await store.body("text", "gzip");
// The cached association text is every chunk but the last (the self-metrics tail).
const cachedBytes = text.chunks.slice(0, -1).reduce((n, chunk) => n + chunk.length, 0);
emit({ url: server.url, associations: count, defaultMetrics, series: store.seriesCount(), textBytes: cachedBytes, textChunks: text.chunks.length - 1, gzipBytes: gzip.length });
