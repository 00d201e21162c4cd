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
import type * as Current from "../src/exposition/current.js";
import type * as ExporterMetricsModule from "../src/exposition/exporter-metrics.js";
import type * as Render from "../src/exposition/render.js";
import type * as Version from "../src/version.js";
import { benchAssociations, benchSnapshot } from "./fixture.js";
import { emit, exitWithParent, importDist } from "./lib.js";

exitWithParent(3600);

const count = Number(process.argv[2] ?? "10000");
const defaultMetrics = !process.argv.includes("--no-default-metrics");
const [{ createApp, listen }, { createLogger }, { CurrentSnapshot }, { ExporterMetrics }, { ExpositionRenderer }, { readBuildInfo }] = await Promise.all([
  importDist<typeof HttpServer>("http/server.js"),
  importDist<typeof Log>("log.js"),
  importDist<typeof Current>("exposition/current.js"),
  importDist<typeof ExporterMetricsModule>("exposition/exporter-metrics.js"),
  importDist<typeof Render>("exposition/render.js"),
  importDist<typeof Version>("version.js"),
]);

const build = readBuildInfo();
// The production default level; pino-http logs requests at debug, so a scrape logs nothing, as in production.
const logger = createLogger("info", { write: (line: string) => process.stderr.write(line) });
const exporterMetrics = new ExporterMetrics(build, { defaultMetrics });
const current = new CurrentSnapshot();
const snapshot = benchSnapshot(await benchAssociations(count));
const exposition = await new ExpositionRenderer().render(snapshot);
current.set(snapshot, exposition);
exporterMetrics.publish(snapshot);

const app = createApp({ telemetryPath: "/metrics", current, exporterMetrics, build, logger });
const server = await listen(app, "127.0.0.1", 0);
// Only the fields every version of Exposition has by name; the other numeric ones (compressed sizes...) as they come.
const numericFields = Object.fromEntries(Object.entries(exposition).filter(([, value]) => typeof value === "number"));
emit({ ...numericFields, url: server.url, associations: count, defaultMetrics, series: exposition.seriesCount, textBytes: exposition.textLength, textChunks: exposition.text.length });
