import { collectDefaultMetrics, Counter, Gauge, Registry, type OpenMetricsContentType } from "prom-client";
import type { TargetKey } from "../domain/association.js";
import type { Snapshot } from "../domain/snapshot.js";
import type { BuildInfo } from "../version.js";

/** A second registry holding the very same metric objects, rendering them as OpenMetrics. */
function openMetricsView(registry: Registry): Registry<OpenMetricsContentType> {
  const view = Registry.merge([registry]) as unknown as Registry<OpenMetricsContentType>;
  view.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return view;
}

/** Rendered self-metrics are reused this long: scrapes in a burst (benchmarks, HA pairs) cost nothing extra. */
const SELF_METRICS_TTL_MS = 1_000;

const TARGET_LABELS = ["account_id", "region"] as const;
const GAUGES_NAMED_LIKE_COUNTERS = ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"];

/**
 * The exporter's own metrics, in their own registry: rendered at scrape time (they are few), unlike the
 * association data, which is rendered once per poll. A second registry view renders the same metric
 * objects as OpenMetrics, so concurrent scrapes in different formats never share a mutable content type.
 */
export class ExporterMetrics {
  readonly registry = new Registry();
  private readonly openMetricsRegistry: Registry<OpenMetricsContentType>;
  private readonly rendered = new Map<"text" | "openmetrics", { at: number; bytes: Promise<Buffer> }>();
  private readonly up: Gauge<(typeof TARGET_LABELS)[number]>;
  private readonly lastSuccess: Gauge<(typeof TARGET_LABELS)[number]>;
  private readonly pollDuration: Gauge<(typeof TARGET_LABELS)[number]>;
  private readonly associations: Gauge<(typeof TARGET_LABELS)[number]>;
  private readonly apiRequests: Counter<"account_id" | "region" | "operation" | "outcome">;
  private readonly pollsSkipped: Counter<(typeof TARGET_LABELS)[number]>;

  constructor(build: BuildInfo, options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const targetGauge = (name: string, help: string) => new Gauge({ name, help, labelNames: TARGET_LABELS, registers });
    this.up = targetGauge("aws_ssm_exporter_up", "1 if the latest poll of this account and region succeeded, 0 if it failed.");
    this.lastSuccess = targetGauge("aws_ssm_exporter_last_success_timestamp_seconds", "Unix time of the latest successful poll of this account and region.");
    this.pollDuration = targetGauge("aws_ssm_exporter_poll_duration_seconds", "Duration of the latest poll of this account and region, successful or not.");
    this.associations = targetGauge("aws_ssm_exporter_associations", "Associations of this account and region in the snapshot being served.");
    this.apiRequests = new Counter({
      name: "aws_ssm_exporter_api_requests_total",
      help: "AWS API requests by operation and outcome (success or the AWS error code), one per attempt: retries and throttled attempts count.",
      labelNames: ["account_id", "region", "operation", "outcome"],
      registers,
    });
    this.pollsSkipped = new Counter({
      name: "aws_ssm_exporter_polls_skipped_total",
      help: "Poll ticks skipped for this account and region because its previous poll was still running or queued (poll interval too short, or too few --poll.concurrency).",
      labelNames: TARGET_LABELS,
      registers,
    });
    new Gauge({
      name: "aws_ssm_exporter_build_info",
      help: "Build of the exporter; value is always 1.",
      labelNames: ["version", "revision", "nodejs_version"],
      registers,
    }).set({ version: build.version, revision: build.revision, nodejs_version: build.nodejsVersion }, 1);
    if (options.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges named *_total break the naming rule promtool checks; the per-type variants
      // (nodejs_active_handles{type=...}, ...) carry the same information.
      for (const name of GAUGES_NAMED_LIKE_COUNTERS) this.registry.removeSingleMetric(name);
    }
    this.openMetricsRegistry = openMetricsView(this.registry);
  }

  /**
   * The self-metrics in the requested format as bytes, at most SELF_METRICS_TTL_MS old; OpenMetrics ends
   * with `# EOF`. The same Buffer is returned while it is fresh, so its compressed form can be cached too.
   */
  render(format: "text" | "openmetrics", now = Date.now()): Promise<Buffer> {
    const cached = this.rendered.get(format);
    if (cached && now - cached.at < SELF_METRICS_TTL_MS) return cached.bytes;
    const registry = format === "openmetrics" ? this.openMetricsRegistry : this.registry;
    const bytes = registry.metrics().then((text) => Buffer.from(text, "utf8"));
    this.rendered.set(format, { at: now, bytes });
    bytes.catch(() => this.rendered.delete(format));
    return bytes;
  }

  recordApiCall(target: TargetKey, operation: string, outcome: string): void {
    this.apiRequests.inc({ account_id: target.accountId, region: target.region, operation, outcome });
  }

  recordSkippedPoll(target: TargetKey): void {
    this.pollsSkipped.inc({ account_id: target.accountId, region: target.region });
  }

  /** Mirrors the snapshot's per-target state; targets no longer polled disappear. */
  publish(snapshot: Snapshot): void {
    this.rendered.clear(); // a new snapshot is visible at once, never behind a cached rendering
    for (const gauge of [this.up, this.lastSuccess, this.pollDuration, this.associations]) gauge.reset();
    for (const state of snapshot.targets) {
      if (state.pending) continue;
      const labels = { account_id: state.target.accountId, region: state.target.region };
      this.up.set(labels, state.up ? 1 : 0);
      if (state.lastSuccessSeconds !== undefined) this.lastSuccess.set(labels, state.lastSuccessSeconds);
      this.pollDuration.set(labels, state.pollDurationSeconds);
      this.associations.set(labels, state.associations.length);
    }
  }
}
