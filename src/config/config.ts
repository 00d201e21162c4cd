import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { z } from "zod";
import { loadConfigFile } from "./file.js";
import { ASSOCIATION_FILTER_KEYS, ConfigError, filterField, regionField, type AssociationFilter } from "./fields.js";
import { formatDuration, parseDuration } from "./duration.js";
import { TAG_KEY_PATTERN, tagLabels, type TagLabel } from "./tag-labels.js";

export type { TagLabel } from "./tag-labels.js";
export { ASSOCIATION_FILTER_KEYS, ConfigError, type AssociationFilter, type AssociationFilterKey } from "./fields.js";

/** The validated, frozen runtime configuration. Nothing downstream sees raw flags or env. */
export interface Config {
  readonly web: {
    /** undefined = all interfaces (":9877"). */
    readonly listenHost: string | undefined;
    readonly listenPort: number;
    readonly telemetryPath: string;
    /** --web.config.file: TLS, basic auth and headers (exporter-toolkit format); undefined = plain HTTP, no auth. */
    readonly configFile: string | undefined;
    /** --web.probe-listen-address: a plain-HTTP listener serving only /healthz and /readyz; undefined = none. */
    readonly probe: { readonly host: string | undefined; readonly port: number } | undefined;
  };
  readonly poll: {
    readonly intervalMs: number;
    /** Deadline of one target's whole poll (account id, all pages, all retries). */
    readonly timeoutMs: number;
    /** A failing target's last good data is dropped once older than this; 0 = kept for ever. */
    readonly maxStalenessMs: number;
    readonly concurrency: number;
  };
  readonly aws: { readonly requestTimeoutMs: number; readonly maxAttempts: number };
  /** What to poll: from --config.file, or one target built from --aws.region and --ssm.filter. Every region list resolved. */
  readonly targets: readonly TargetConfig[];
  /** The file the targets came from, if any. */
  readonly configFile: string | undefined;
  /**
   * The config file's organization section: its ACTIVE accounts are discovered with AWS Organizations
   * every `intervalMs` (--discovery.interval) and polled next to `targets`; undefined = no discovery.
   */
  readonly discovery: { readonly organization: OrganizationConfig; readonly intervalMs: number } | undefined;
  readonly log: { readonly level: LogLevel };
  /**
   * --once: poll every target once, write the exposition and exit (no listener; --web.*, --poll.interval
   * other than as --poll.timeout's default, and --poll.max-staleness are ignored). undefined = serve.
   */
  readonly once: { readonly output: string | undefined } | undefined;
  /**
   * The optional per-association calls after each successful listing (--ssm.describe-associations,
   * --ssm.tags, --ssm.failed-targets); undefined when all are off (no such call, no such series).
   */
  readonly enrichment: EnrichmentConfig | undefined;
  /** --shard / --shard.pod-name and --total-shards; { index: 0, total: 1 } = not sharded. */
  readonly shard: ShardSelection;
}

/** This replica polls the targets whose shard key hashes to `index` of `total` (see sharding.ts). */
export interface ShardSelection {
  readonly index: number;
  readonly total: number;
}

export interface EnrichmentConfig {
  /** --ssm.describe-associations: DescribeAssociation, refreshed on change or every `intervalMs`. */
  readonly describe: boolean;
  /** --ssm.tags with --ssm.tag: ListTagsForResource, same refresh rule; the allow-listed keys and their labels. */
  readonly tags: readonly TagLabel[] | undefined;
  /** --ssm.failed-targets: the latest execution's failed targets, read again only on a new LastExecutionDate. */
  readonly failedTargets: { readonly maxPerAssociation: number; readonly maxPerAccountRegion: number } | undefined;
  /** --ssm.describe-interval: an unchanged association's describe and tags answers are re-read after this long. */
  readonly intervalMs: number;
  /** --ssm.enrichment-concurrency: these calls in flight at once per account×region target. */
  readonly concurrency: number;
}

/** The config file's `organization:` section, validated. */
export interface OrganizationConfig {
  /** The role Organizations is called through (management or delegated administrator account); undefined = the default chain. */
  readonly roleArn: string | undefined;
  readonly externalId: string | undefined;
  readonly sessionName: string;
  /** The role assumed in each discovered account: an IAM role ARN with `{account_id}`. */
  readonly memberRole: string;
  readonly memberExternalId: string | undefined;
  readonly memberSessionName: string;
  readonly regions: readonly string[];
  readonly filters: readonly AssociationFilter[];
  /** Only these accounts (undefined = all). */
  readonly includeAccounts: readonly string[] | undefined;
  readonly excludeAccounts: readonly string[];
  /** Only accounts under these roots or organizational units, recursively (undefined = ListAccounts, every account). */
  readonly organizationalUnits: readonly string[] | undefined;
}

/** One set of credentials (the default chain, or a role assumed with it) and the regions polled with it. */
export interface TargetConfig {
  readonly roleArn: string | undefined;
  readonly externalId: string | undefined;
  readonly sessionName: string;
  /** The account the target's series are labelled with, when configured: no STS call is made to learn it. */
  readonly accountId: string | undefined;
  /** Never empty: the flags-only target without --aws.region gets the SDK region chain's region. */
  readonly regions: readonly string[];
  readonly filters: readonly AssociationFilter[];
}

export const DEFAULT_SESSION_NAME = "ssm-association-exporter";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type CommandLine =
  | { readonly kind: "run"; readonly config: Config }
  | { readonly kind: "help"; readonly text: string }
  | { readonly kind: "version"; readonly text: string };

interface FlagSpec {
  readonly flag: string;
  readonly description: string;
  readonly defaultValue?: string;
  readonly repeatable?: boolean;
  /** Absent for a switch (--once): no value on the command line; its variable takes true or false. */
  readonly valueName?: string;
}

const FLAGS = [
  { flag: "config.file", valueName: "path", description: "YAML file listing the targets to poll (accounts, roles, regions, filters); replaces --aws.region and --ssm.filter" },
  { flag: "web.listen-address", valueName: "address", defaultValue: ":9877", description: "address to listen on for /metrics and health checks, [host]:port" },
  { flag: "web.config.file", valueName: "path", description: "exporter-toolkit web config file (TLS, client certificates, basic auth, headers), re-read when it or a file it names changes, and on SIGHUP; every path of --web.listen-address is then protected (default: plain HTTP, no authentication)" },
  { flag: "web.probe-listen-address", valueName: "address", description: "extra [host]:port serving only GET /healthz and /readyz, over plain HTTP and without authentication, for Kubernetes probes when --web.config.file protects the main listener (default: none)" },
  { flag: "web.telemetry-path", valueName: "path", defaultValue: "/metrics", description: "path under which to expose metrics" },
  { flag: "poll.interval", valueName: "duration", defaultValue: "60s", description: "how often to call ListAssociations for every region (e.g. 30s, 5m)" },
  { flag: "poll.timeout", valueName: "duration", description: "deadline of one target's whole poll (all pages and retries); a poll past it fails with PollTimeout (default: --poll.interval, at most 5m)" },
  { flag: "poll.max-staleness", valueName: "duration", defaultValue: "0s", description: "drop a failing target's last good data once its last successful poll is older than this; 0s keeps it for ever (with up 0)" },
  { flag: "poll.concurrency", valueName: "n", defaultValue: "5", description: "how many account×region targets are polled at the same time" },
  { flag: "aws.region", valueName: "region", repeatable: true, description: "region to poll; repeat or comma-separate for several (default: the AWS SDK region chain, e.g. AWS_REGION)" },
  { flag: "aws.request-timeout", valueName: "duration", defaultValue: "10s", description: "timeout of one AWS API request attempt" },
  { flag: "aws.max-attempts", valueName: "n", defaultValue: "3", description: "attempts per AWS API call, retries included (adaptive retry mode)" },
  { flag: "ssm.filter", valueName: "KEY=VALUE", repeatable: true, description: `ListAssociations filter, repeatable; KEY is one of ${ASSOCIATION_FILTER_KEYS.join(", ")}` },
  { flag: "ssm.describe-associations", description: "call DescribeAssociation per association after each successful poll (only when it is new, its AssociationVersion or LastExecutionDate changed, or its answer is older than --ssm.describe-interval) and export its last successful execution, compliance severity, sync compliance, apply-only-at-cron-interval and change calendars; a failing call never fails the poll" },
  { flag: "ssm.describe-interval", valueName: "duration", defaultValue: "1h", description: "with --ssm.describe-associations or --ssm.tags: re-read an unchanged association's DescribeAssociation and ListTagsForResource answers after this long" },
  { flag: "ssm.tags", description: "call ListTagsForResource per association after each successful poll (same refresh rule as --ssm.describe-associations) and add the tags named by --ssm.tag to aws_ssm_association_info as tag_<key> labels; a failing call never fails the poll" },
  { flag: "ssm.tag", valueName: "key", repeatable: true, description: "with --ssm.tags: tag key to export, repeatable or comma-separated (no other tag is ever exported); the label is tag_ and the key with characters other than A-Z a-z 0-9 _ as _, and keys that end up alike get _conflict1, _conflict2, ... in key order" },
  { flag: "ssm.failed-targets", description: "for associations whose target counts show failed targets, read the failed targets of the latest execution (DescribeAssociationExecutions, DescribeAssociationExecutionTargets), again only when LastExecutionDate changes, and export them as aws_ssm_association_failed_target_info; a failing call never fails the poll" },
  { flag: "ssm.failed-targets.max-per-association", valueName: "n", defaultValue: "20", description: "with --ssm.failed-targets: failed targets exported per association at most (1 to 1000); the others are counted in aws_ssm_association_failed_targets_left_out" },
  { flag: "ssm.failed-targets.max-per-account-region", valueName: "n", defaultValue: "1000", description: "with --ssm.failed-targets: failed targets exported per account×region target at most, in listing order (1 to 100000); the others are counted in aws_ssm_association_failed_targets_left_out" },
  { flag: "ssm.enrichment-concurrency", valueName: "n", defaultValue: "4", description: "DescribeAssociation, ListTagsForResource and failed-target calls in flight at once per account×region target (1 to 32)" },
  { flag: "discovery.interval", valueName: "duration", defaultValue: "1h", description: "with an organization section in --config.file: how often the organization's accounts are listed again (1m to 1d); new accounts start being polled, closed or removed ones stop" },
  { flag: "shard", valueName: "i", description: "with --total-shards: this replica's shard, 0 to n-1; it polls only the account×region targets whose stable hash of (account id, region) falls in it, so n replicas poll every target exactly once between them (default: 0)" },
  { flag: "total-shards", valueName: "n", defaultValue: "1", description: "number of shards (replicas) the targets are split into, 1 to 1000; 1 = no sharding" },
  { flag: "shard.pod-name", valueName: "name", description: "take the shard from the ordinal at the end of this pod name (ssm-association-exporter-2 → 2), as a StatefulSet names its pods; instead of --shard" },
  { flag: "log.level", valueName: "level", defaultValue: "info", description: `log level: ${LOG_LEVELS.join(", ")}` },
  { flag: "once", description: "one-shot mode: poll every target once, print the exposition (text format) on stdout, log on stderr and exit: 0 if every target succeeded, 1 otherwise; nothing listens and the --web.* flags are ignored (for cron and node_exporter's textfile collector)" },
  { flag: "once.output", valueName: "file", description: "with --once: write the exposition to this file instead of stdout, atomically (a temporary file in the same folder, renamed); the folder must exist" },
] as const satisfies readonly FlagSpec[];

type FlagName = (typeof FLAGS)[number]["flag"];

/** `poll.interval` → `SSM_EXPORTER_POLL_INTERVAL`. */
export function envName(flag: string): string {
  return `SSM_EXPORTER_${flag.replace(/[.-]/g, "_").toUpperCase()}`;
}

/** Commander's attribute name for a flag (it camel-cases hyphens only: "web.listenAddress"). */
function attributeName(flag: string): string {
  return new Option(`--${flag} <v>`).attributeName();
}

function buildCommand(version: string): Command {
  const program = new Command("ssm-association-exporter")
    .description("Prometheus exporter for AWS Systems Manager State Manager associations")
    .helpOption("-h, --help", "show this help and exit")
    .version(version, "--version", "print the version and exit")
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  for (const spec of FLAGS) {
    const description = `${spec.description} [env ${envName(spec.flag)}${"valueName" in spec ? "" : "=true"}]`;
    const option = new Option("valueName" in spec ? `--${spec.flag} <${spec.valueName}>` : `--${spec.flag}`, description);
    if ("defaultValue" in spec) option.default(spec.defaultValue);
    if ("repeatable" in spec && spec.repeatable) {
      option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), ...splitList(value)]);
    }
    program.addOption(option);
  }
  return program;
}

function splitList(value: string): string[] {
  return value
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

/** Where a value came from, for error messages: `--poll.interval` or `SSM_EXPORTER_POLL_INTERVAL`. */
type Sourced<T> = { readonly value: T; readonly origin: string };

const durationField = (min: number, max: number) =>
  z.string().transform((text, ctx) => {
    const ms = text.trim() === "0" ? 0 : parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: "custom", message: `"${text}" is not a duration (use e.g. 30s, 5m, 1h)` });
      return z.NEVER;
    }
    if (ms < min || ms > max) {
      ctx.addIssue({ code: "custom", message: `${text} is out of range (${formatDuration(min)} to ${formatDuration(max)})` });
      return z.NEVER;
    }
    return ms;
  });

const listenAddressField = z.string().transform((text, ctx) => {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text);
  if (!match) {
    ctx.addIssue({ code: "custom", message: `"${text}" is not [host]:port (e.g. :9877, 127.0.0.1:9877)` });
    return z.NEVER;
  }
  const port = Number(match[3]);
  if (!Number.isInteger(port) || port > 65_535) {
    ctx.addIssue({ code: "custom", message: `port ${match[3]} is out of range (0 to 65535)` });
    return z.NEVER;
  }
  const host = match[1] ?? match[2];
  return { host: host === "" ? undefined : host, port };
});

const telemetryPathField = z.string().superRefine((p, ctx) => {
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(p)) {
    ctx.addIssue({ code: "custom", message: `"${p}" must start with / and contain only URL path characters` });
  } else if (["/", "/healthz", "/readyz"].includes(p)) {
    ctx.addIssue({ code: "custom", message: `"${p}" is taken by another endpoint (/, /healthz, /readyz)` });
  }
});

const wholeNumberField = (min: number, max: number) =>
  z.string().transform((text, ctx) => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) {
      ctx.addIssue({ code: "custom", message: `"${text}" is not a whole number from ${min} to ${max}` });
      return z.NEVER;
    }
    return n;
  });

const tagKeyField = z.string().superRefine((key, ctx) => {
  if (!TAG_KEY_PATTERN.test(key)) {
    ctx.addIssue({ code: "custom", message: `"${key}" is not a tag key (1 to 128 letters, digits, spaces and _ . : / = + - @)` });
  }
});

const logLevelField = z.string().transform((text, ctx) => {
  if (!(LOG_LEVELS as readonly string[]).includes(text)) {
    ctx.addIssue({ code: "custom", message: `"${text}" is not a log level (one of ${LOG_LEVELS.join(", ")})` });
    return z.NEVER;
  }
  return text as LogLevel;
});

/** --poll.timeout when not set: the poll interval, at most this. */
export const DEFAULT_POLL_TIMEOUT_CAP_MS = 300_000;

/**
 * Parses flags (argv without node and script) and SSM_EXPORTER_* variables into the final Config. A
 * flag wins over its variable. `defaultRegion` is the AWS SDK region chain's answer (AWS_REGION, the
 * profile), used when no region is configured. Throws ConfigError listing every problem found.
 */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv, version: string, defaultRegion?: string): CommandLine {
  const program = buildCommand(version);
  try {
    program.parse([...argv], { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed") return { kind: "help", text: program.helpInformation() };
      if (err.code === "commander.version") return { kind: "version", text: version };
      throw new ConfigError([err.message.replace(/^error: /, "")]);
    }
    throw err;
  }

  const problems: string[] = [];
  for (const arg of program.args) {
    problems.push(arg.startsWith("-") ? `unknown flag ${arg.split("=")[0]} (see --help)` : `unexpected argument "${arg}"`);
  }

  const opts = program.opts<Record<string, string | string[] | boolean | undefined>>();
  const raw = (flag: FlagName): Sourced<string | string[] | boolean | undefined> => {
    const key = attributeName(flag);
    if (program.getOptionValueSource(key) === "cli") return { value: opts[key], origin: `--${flag}` };
    const fromEnv = env[envName(flag)];
    if (fromEnv !== undefined && fromEnv !== "") {
      const spec = FLAGS.find((f) => f.flag === flag);
      const value = spec && "repeatable" in spec ? splitList(fromEnv) : fromEnv.trim();
      return { value, origin: envName(flag) };
    }
    return { value: opts[key], origin: `--${flag}` };
  };

  const check = <T>(flag: FlagName, schema: z.ZodType<T, string>): T | undefined => {
    const { value, origin } = raw(flag);
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    for (const issue of result.error.issues) problems.push(`${origin}: ${issue.message}`);
    return undefined;
  };
  const checkEach = <T>(flag: FlagName, schema: z.ZodType<T, string>): T[] => {
    const { value, origin } = raw(flag);
    const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
    const out: T[] = [];
    for (const v of values) {
      const result = schema.safeParse(v);
      if (result.success) out.push(result.data);
      else for (const issue of result.error.issues) problems.push(`${origin}: ${issue.message}`);
    }
    return out;
  };

  // One-shot mode first: it decides which cross-checks between flags apply (nothing listens, one poll).
  const once = checkOnce(raw("once"), raw("once.output"), problems);

  const listen = check("web.listen-address", listenAddressField);
  const telemetryPath = check("web.telemetry-path", telemetryPathField);
  const webConfigFile = raw("web.config.file");
  const probeAddress = raw("web.probe-listen-address");
  const probe = probeAddress.value === undefined || probeAddress.value === "" ? undefined : check("web.probe-listen-address", listenAddressField);
  // Port 0 picks a free port for each listener, so only a fixed port can clash.
  if (!once && listen && probe && listen.port !== 0 && probe.port === listen.port) {
    problems.push(`${probeAddress.origin}: port ${probe.port} is the port of ${raw("web.listen-address").origin}; the probe listener needs a port of its own`);
  }
  const intervalMs = check("poll.interval", durationField(1_000, 86_400_000));
  const explicitTimeoutMs = raw("poll.timeout").value === undefined ? undefined : check("poll.timeout", durationField(1_000, 86_400_000));
  const maxStalenessMs = check("poll.max-staleness", durationField(0, 30 * 86_400_000));
  // In one-shot mode there is no next poll: --poll.timeout may exceed --poll.interval, which is otherwise ignored.
  if (!once && intervalMs !== undefined && explicitTimeoutMs !== undefined && explicitTimeoutMs > intervalMs) {
    problems.push(`${raw("poll.timeout").origin}: ${formatDuration(explicitTimeoutMs)} is longer than --poll.interval (${formatDuration(intervalMs)}); a poll must end before the next one is due`);
  }
  if (!once && intervalMs !== undefined && maxStalenessMs !== undefined && maxStalenessMs > 0 && maxStalenessMs < intervalMs) {
    problems.push(`${raw("poll.max-staleness").origin}: ${formatDuration(maxStalenessMs)} is shorter than --poll.interval (${formatDuration(intervalMs)}); use 0s to keep data for ever, or at least one interval`);
  }
  const requestTimeoutMs = check("aws.request-timeout", durationField(100, 300_000));
  const maxAttempts = check("aws.max-attempts", wholeNumberField(1, 10));
  const concurrency = check("poll.concurrency", wholeNumberField(1, 64));
  const regions = checkEach("aws.region", regionField);
  const filters = checkEach("ssm.filter", filterField);
  const level = check("log.level", logLevelField);
  const describeOn = parseSwitch(raw("ssm.describe-associations").value, raw("ssm.describe-associations").origin, problems);
  const describeIntervalMs = check("ssm.describe-interval", durationField(60_000, 7 * 86_400_000));
  const enrichmentConcurrency = check("ssm.enrichment-concurrency", wholeNumberField(1, 32));
  const tagsOn = parseSwitch(raw("ssm.tags").value, raw("ssm.tags").origin, problems);
  const tagKeys = checkEach("ssm.tag", tagKeyField);
  const tagFlag = raw("ssm.tag").value;
  const noTagKeys = tagFlag === undefined || (Array.isArray(tagFlag) && tagFlag.length === 0);
  if (tagsOn && noTagKeys) problems.push(`${raw("ssm.tags").origin}: no tag key to export; name them with --ssm.tag (e.g. --ssm.tag=team,owner)`);
  if (!tagsOn && !noTagKeys) problems.push(`${raw("ssm.tag").origin}: needs --ssm.tags (or SSM_EXPORTER_SSM_TAGS=true)`);
  const failedTargetsOn = parseSwitch(raw("ssm.failed-targets").value, raw("ssm.failed-targets").origin, problems);
  const maxFailedPerAssociation = check("ssm.failed-targets.max-per-association", wholeNumberField(1, 1_000));
  const maxFailedPerAccountRegion = check("ssm.failed-targets.max-per-account-region", wholeNumberField(1, 100_000));

  const shard = checkShard(raw("shard"), raw("shard.pod-name"), check("total-shards", wholeNumberField(1, 1_000)), problems);

  const discoveryIntervalMs = check("discovery.interval", durationField(60_000, 86_400_000));
  const configFile = raw("config.file");
  let targets: readonly TargetConfig[] | undefined;
  let organization: OrganizationConfig | undefined;
  if (typeof configFile.value === "string" && configFile.value !== "") {
    for (const flag of ["aws.region", "ssm.filter"] as const) {
      if (raw(flag).value !== undefined) problems.push(`${raw(flag).origin}: cannot be combined with ${configFile.origin}; list regions and filters in the file`);
    }
    try {
      ({ targets, organization } = loadConfigFile(configFile.value));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
  } else {
    const resolved = regions.length > 0 ? [...new Set(regions)] : defaultRegion ? [defaultRegion] : [];
    if (resolved.length === 0) problems.push("no AWS region: set --aws.region, SSM_EXPORTER_AWS_REGION or AWS_REGION");
    targets = [{ roleArn: undefined, externalId: undefined, sessionName: DEFAULT_SESSION_NAME, accountId: undefined, regions: resolved, filters }];
  }

  if (problems.length > 0 || !listen || !telemetryPath || !intervalMs || maxStalenessMs === undefined || !requestTimeoutMs || !maxAttempts || !concurrency || !level || !targets || !describeIntervalMs || !enrichmentConcurrency || !maxFailedPerAssociation || !maxFailedPerAccountRegion || !shard || !discoveryIntervalMs) {
    throw new ConfigError(problems);
  }
  const config: Config = {
    web: {
      listenHost: listen.host,
      listenPort: listen.port,
      telemetryPath,
      configFile: typeof webConfigFile.value === "string" && webConfigFile.value !== "" ? webConfigFile.value : undefined,
      probe,
    },
    poll: { intervalMs, timeoutMs: explicitTimeoutMs ?? Math.min(intervalMs, DEFAULT_POLL_TIMEOUT_CAP_MS), maxStalenessMs, concurrency },
    aws: { requestTimeoutMs, maxAttempts },
    targets,
    configFile: typeof configFile.value === "string" && configFile.value !== "" ? configFile.value : undefined,
    discovery: organization && { organization, intervalMs: discoveryIntervalMs },
    log: { level },
    once,
    enrichment:
      describeOn || tagsOn || failedTargetsOn
        ? {
            describe: describeOn,
            tags: tagsOn ? tagLabels(tagKeys) : undefined,
            failedTargets: failedTargetsOn ? { maxPerAssociation: maxFailedPerAssociation, maxPerAccountRegion: maxFailedPerAccountRegion } : undefined,
            intervalMs: describeIntervalMs,
            concurrency: enrichmentConcurrency,
          }
        : undefined,
    shard,
  };
  return { kind: "run", config: deepFreeze(config) };
}

/**
 * --shard (or the ordinal of --shard.pod-name) and --total-shards: the shard must exist. Undefined
 * when a problem was found (it is in `problems`).
 */
function checkShard(
  shardFlag: Sourced<string | string[] | boolean | undefined>,
  podNameFlag: Sourced<string | string[] | boolean | undefined>,
  total: number | undefined,
  problems: string[],
): ShardSelection | undefined {
  const given = (f: Sourced<unknown>) => f.value !== undefined && f.value !== "";
  let index = 0;
  if (given(shardFlag) && given(podNameFlag)) {
    problems.push(`${podNameFlag.origin}: cannot be combined with ${shardFlag.origin}; give the shard one way`);
    return undefined;
  }
  if (given(shardFlag)) {
    const text = String(shardFlag.value);
    if (!/^\d{1,4}$/.test(text)) {
      problems.push(`${shardFlag.origin}: "${text}" is not a whole number from 0`);
      return undefined;
    }
    index = Number(text);
  } else if (given(podNameFlag)) {
    const name = String(podNameFlag.value);
    const ordinal = /-(\d{1,4})$/.exec(name)?.[1];
    if (ordinal === undefined) {
      problems.push(`${podNameFlag.origin}: "${name}" does not end in -<ordinal> (a StatefulSet pod name such as ssm-association-exporter-0)`);
      return undefined;
    }
    index = Number(ordinal);
  }
  if (total === undefined) return undefined;
  if (index >= total) {
    const origin = given(podNameFlag) ? podNameFlag.origin : shardFlag.origin;
    problems.push(`${origin}: shard ${index} does not exist with --total-shards=${total} (shards are 0 to ${total - 1})`);
    return undefined;
  }
  return { index, total };
}

/** "true"/"1" or "false"/"0" (any case): how a switch such as --once reads its variable. */
function parseSwitch(value: string | string[] | boolean | undefined, origin: string, problems: string[]): boolean {
  if (value === undefined || typeof value === "boolean") return value ?? false;
  const text = String(value).trim().toLowerCase();
  if (text === "true" || text === "1") return true;
  if (text === "false" || text === "0") return false;
  problems.push(`${origin}: "${String(value)}" is not true or false`);
  return false;
}

/**
 * --once and --once.output. The output file's folder must exist (the temporary file is created next to
 * the file, so the rename that replaces it is atomic); whether it is writable shows when it is written.
 */
function checkOnce(
  onceFlag: Sourced<string | string[] | boolean | undefined>,
  outputFlag: Sourced<string | string[] | boolean | undefined>,
  problems: string[],
): Config["once"] {
  const once = parseSwitch(onceFlag.value, onceFlag.origin, problems);
  const output = outputFlag.value;
  if (output === undefined) return once ? { output: undefined } : undefined;
  if (!once) {
    problems.push(`${outputFlag.origin}: needs --once (or SSM_EXPORTER_ONCE=true); the exposition is written to a file only in one-shot mode`);
    return undefined;
  }
  if (typeof output !== "string" || output.trim() === "") {
    problems.push(`${outputFlag.origin}: must name a file`);
    return undefined;
  }
  const folder = dirname(resolve(output));
  const kind = (path: string): "folder" | "other" | undefined => {
    try {
      return statSync(path).isDirectory() ? "folder" : "other";
    } catch {
      return undefined;
    }
  };
  if (kind(folder) !== "folder") {
    problems.push(`${outputFlag.origin}: the folder ${folder} does not exist`);
    return undefined;
  }
  if (kind(output) === "folder") {
    problems.push(`${outputFlag.origin}: ${output} is a folder; name a file in it (e.g. ${output.replace(/\/+$/, "")}/ssm_associations.prom)`);
    return undefined;
  }
  return { output };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
