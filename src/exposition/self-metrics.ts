import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import type { TargetKey } from "../domain/association.js";
import type { Snapshot, TargetState } from "../domain/snapshot.js";
import type { BuildInfo } from "../version.js";

const GAUGES_NAMED_LIKE_COUNTERS = ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"];

/** A target as the self-metrics see it: its account id may not be known yet. */
export type MaybeTarget = Pick<TargetState, "accountId" | "region">;

interface HeldCalls {
  readonly region: string;
  /** "operation\u0000outcome" → attempts. */
  readonly counts: Map<string, number>;
}

/**
 * The exporter's process-wide metrics, in their own prom-client registry: counters of API calls and
 * polls, build info and the default process metrics. (The per-target gauges are rendered from the
 * snapshot with the association data; see TARGET_FAMILIES.) Rendered only as text: prom-client's
 * OpenMetrics rendering renames shared counter objects in place, so the OpenMetrics form is derived
 * from this text (openmetrics.ts) and each format stays right whatever was scraped before.
 *
 * Every per-target series carries a known account id. API calls made while it is unknown (the default
 * credential chain before STS answers: GetCallerIdentity itself) are held back under the identity that
 * will learn it, and added once it does; polls and skips of a target start being counted then.
 */
export class SelfMetrics {
  readonly registry = new Registry();
  private readonly apiRequests: Counter<"account_id" | "region" | "operation" | "outcome">;
  private readonly polls: Counter<"account_id" | "region" | "outcome">;
  private readonly pollsSkipped: Counter<"account_id" | "region">;
  private readonly scheduleParseErrors: Counter<"account_id" | "region">;
  private readonly enrichmentFailures: Counter<"account_id" | "region" | "operation" | "outcome">;
  private readonly unidentified: Gauge;
  private readonly webConfigReloadSuccessful: Gauge;
  private readonly webConfigReloadSuccessTimestamp: Gauge;
  private readonly discoveryUp: Gauge;
  private readonly discoveryLastSuccess: Gauge;
  private readonly discoveryRuns: Counter<"outcome">;
  private readonly discoveredAccounts: Gauge;
  private readonly discoveryApiRequests: Counter<"operation" | "outcome">;
  private readonly accountInfo: Gauge<"account_id" | "account_name">;
  private readonly known = new Set<string>();
  private readonly held = new Map<object, HeldCalls>();

  constructor(build: BuildInfo, options: { defaultMetrics?: boolean; shard?: { readonly index: number; readonly total: number } } = {}) {
    const registers = [this.registry];
    // kube-state-metrics' kube_state_metrics_shard_ordinal and _total_shards: alerts tell a missing shard from these.
    const shard = options.shard ?? { index: 0, total: 1 };
    new Gauge({
      name: "aws_ssm_exporter_shard_ordinal",
      help: "The shard this replica polls (--shard or --shard.pod-name), 0 to aws_ssm_exporter_total_shards - 1.",
      registers,
    }).set(shard.index);
    new Gauge({
      name: "aws_ssm_exporter_total_shards",
      help: "Number of shards the account×region targets are split into (--total-shards); 1 when not sharded.",
      registers,
    }).set(shard.total);
    this.apiRequests = new Counter({
      name: "aws_ssm_exporter_api_requests_total",
      help: "AWS API requests by operation and outcome (success or the AWS error code), one per attempt: retries and throttled attempts count, and so does a call that failed before its first attempt (no credentials).",
      labelNames: ["account_id", "region", "operation", "outcome"],
      registers,
    });
    this.polls = new Counter({
      name: "aws_ssm_exporter_polls_total",
      help: "Finished polls of this account and region by outcome: success, or the error that failed the poll (an AWS error code, InvalidResponse, PollTimeout).",
      labelNames: ["account_id", "region", "outcome"],
      registers,
    });
    this.pollsSkipped = new Counter({
      name: "aws_ssm_exporter_polls_skipped_total",
      help: "Poll ticks skipped for this account and region because its previous poll was still running (poll interval shorter than polls take, or too few --poll.concurrency).",
      labelNames: ["account_id", "region"],
      registers,
    });
    this.scheduleParseErrors = new Counter({
      name: "aws_ssm_exporter_schedule_parse_errors_total",
      help: "Schedule expressions of associations of this account and region that the exporter could not understand, counted once per association version (each is logged as schedule not understood); those associations get no next or previous schedule series.",
      labelNames: ["account_id", "region"],
      registers,
    });
    this.enrichmentFailures = new Counter({
      name: "aws_ssm_exporter_enrichment_failures_total",
      help: "Per-association reads of --ssm.describe-associations, --ssm.tags or --ssm.failed-targets that failed, by operation and reason (an AWS error code, InvalidResponse for an answer that failed validation, PollTimeout); the association kept its last value and is read again next poll. The poll itself is not failed.",
      labelNames: ["account_id", "region", "operation", "outcome"],
      registers,
    });
    this.unidentified = new Gauge({
      name: "aws_ssm_exporter_unidentified_targets",
      help: "Polled regions whose account id is not known yet (STS GetCallerIdentity has not answered): they export no per-target series until it does.",
      registers,
    });
    // Like Prometheus' own prometheus_config_last_reload_*; without --web.config.file they have no sample.
    this.webConfigReloadSuccessful = new Gauge({
      name: "aws_ssm_exporter_web_config_last_reload_successful",
      help: "1 if the latest load of --web.config.file (at start, on a change of it or a file it names, or on SIGHUP) succeeded, 0 if it failed and the last good web config is still in use.",
      registers,
    });
    this.webConfigReloadSuccessTimestamp = new Gauge({
      name: "aws_ssm_exporter_web_config_last_reload_success_timestamp_seconds",
      help: "Unix time at which the web config in use (--web.config.file) was loaded.",
      registers,
    });
    // Account discovery (an organization section in --config.file); without it these have no sample.
    this.discoveryUp = new Gauge({
      name: "aws_ssm_exporter_discovery_up",
      help: "1 if the latest discovery of the organization's accounts succeeded, 0 if it failed (the last good account list is still polled).",
      registers,
    });
    this.discoveryLastSuccess = new Gauge({
      name: "aws_ssm_exporter_discovery_last_success_timestamp_seconds",
      help: "Unix time of the latest successful discovery of the organization's accounts.",
      registers,
    });
    this.discoveryRuns = new Counter({
      name: "aws_ssm_exporter_discovery_runs_total",
      help: "Discoveries of the organization's accounts by outcome: success, or the error that failed it (an AWS error code, InvalidResponse, PollTimeout).",
      labelNames: ["outcome"],
      registers,
    });
    this.discoveredAccounts = new Gauge({
      name: "aws_ssm_exporter_discovered_accounts",
      help: "Accounts in the last good discovery that are polled (ACTIVE, selected by the organization section), all shards together.",
      registers,
    });
    this.discoveryApiRequests = new Counter({
      name: "aws_ssm_exporter_discovery_api_requests_total",
      help: "AWS Organizations API requests of account discovery (and the AssumeRole of its role) by operation and outcome, one per attempt.",
      labelNames: ["operation", "outcome"],
      registers,
    });
    this.accountInfo = new Gauge({
      name: "aws_ssm_account_info",
      help: "One per discovered account this replica polls, for joins on account_id (the name is never on the association series); value is always 1.",
      labelNames: ["account_id", "account_name"],
      registers,
    });
    this.webConfigReloadSuccessful.remove();
    this.webConfigReloadSuccessTimestamp.remove();
    this.discoveryUp.remove();
    this.discoveryLastSuccess.remove();
    this.discoveredAccounts.remove();
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
  }

  /** The registry as Prometheus text format 0.0.4. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * One API attempt. While the account is unknown it is held under `heldUnder` (the identity that will
   * learn it), bounded to one entry per operation and outcome, until identify() is called for it.
   */
  recordApiCall(target: MaybeTarget, operation: string, outcome: string, heldUnder?: object): void {
    if (target.accountId !== undefined) {
      this.apiRequests.inc({ ...labelsOf({ accountId: target.accountId, region: target.region }), operation, outcome });
      return;
    }
    if (heldUnder === undefined) return;
    const held = this.held.get(heldUnder) ?? { region: target.region, counts: new Map<string, number>() };
    this.held.set(heldUnder, held);
    const key = `${operation}\u0000${outcome}`;
    held.counts.set(key, (held.counts.get(key) ?? 0) + 1);
  }

  /** The account behind `heldUnder` is known now: what was held for it is added under that account. */
  identify(heldUnder: object, accountId: string): void {
    const held = this.held.get(heldUnder);
    if (!held) return;
    this.held.delete(heldUnder);
    for (const [key, value] of held.counts) {
      const [operation = "", outcome = ""] = key.split("\u0000");
      this.apiRequests.inc({ ...labelsOf({ accountId, region: held.region }), operation, outcome }, value);
    }
  }

  recordSkippedPoll(target: MaybeTarget): void {
    if (target.accountId !== undefined) this.pollsSkipped.inc(labelsOf({ accountId: target.accountId, region: target.region }));
  }

  /** An association version whose ScheduleExpression could not be understood (counted once per version). */
  recordScheduleNotUnderstood(target: TargetKey): void {
    this.scheduleParseErrors.inc(labelsOf(target));
  }

  /** One Organizations (or its role's AssumeRole) request of account discovery. */
  recordDiscoveryApiCall(operation: string, outcome: string): void {
    this.discoveryApiRequests.inc({ operation, outcome });
  }

  /** A discovery's outcome; on success, how many accounts it selected. */
  recordDiscovery(outcome: string, accounts: number | undefined, nowMs: number): void {
    this.discoveryRuns.inc({ outcome });
    this.discoveryUp.set(outcome === "success" ? 1 : 0);
    if (outcome === "success") {
      this.discoveryLastSuccess.set(nowMs / 1_000);
      this.discoveredAccounts.set(accounts ?? 0);
    }
  }

  /** The discovered accounts this replica polls: one aws_ssm_account_info each, the others removed. */
  recordAccounts(accounts: readonly { readonly id: string; readonly name: string }[]): void {
    this.accountInfo.reset();
    for (const a of accounts) this.accountInfo.set({ account_id: a.id, account_name: a.name }, 1);
  }

  /** One per-association enrichment read that failed (after the SDK's retries) and kept its last value. */
  recordEnrichmentFailure(target: TargetKey, operation: string, outcome: string): void {
    this.enrichmentFailures.inc({ ...labelsOf(target), operation, outcome });
  }

  /** The outcome of the latest load of the web config; only called when one is in use. */
  recordWebConfigReload(status: { readonly successful: boolean; readonly lastSuccessMs: number }): void {
    this.webConfigReloadSuccessful.set(status.successful ? 1 : 0);
    this.webConfigReloadSuccessTimestamp.set(status.lastSuccessMs / 1_000);
  }

  recordPoll(state: TargetState): void {
    if (state.accountId === undefined) return;
    this.polls.inc({ ...labelsOf({ accountId: state.accountId, region: state.region }), outcome: state.up ? "success" : (state.lastError?.code ?? "UnknownError") });
  }

  /** Targets that became known start their counters at 0 and receive what was held back for them. */
  publish(snapshot: Snapshot): void {
    let unidentified = 0;
    for (const state of snapshot.targets) {
      if (state.accountId === undefined) {
        if (!state.pending) unidentified++;
        continue;
      }
      const key = targetKeyString(state);
      if (this.known.has(key)) continue;
      this.known.add(key);
      this.pollsSkipped.inc(labelsOf({ accountId: state.accountId, region: state.region }), 0);
      this.scheduleParseErrors.inc(labelsOf({ accountId: state.accountId, region: state.region }), 0);
      this.polls.inc({ ...labelsOf({ accountId: state.accountId, region: state.region }), outcome: "success" }, 0);
    }
    this.unidentified.set(unidentified);
  }
}

function labelsOf(target: TargetKey): { account_id: string; region: string } {
  return { account_id: target.accountId, region: target.region };
}

function targetKeyString(state: MaybeTarget): string {
  return `${state.accountId ?? ""}/${state.region}`;
}
