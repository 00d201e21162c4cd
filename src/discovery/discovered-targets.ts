import type { CallSettings } from "../aws/client-options.js";
import { assumedRoleCredentialSet } from "../aws/credentials.js";
import { OrganizationAccounts } from "../aws/organization-accounts.js";
import type { Config, TargetConfig } from "../config/config.js";
import { memberRoleArn } from "../config/file.js";
import type { SelfMetrics } from "../exposition/self-metrics.js";
import type { Logger } from "../log.js";
import type { Poller, PolledTarget } from "../poller.js";
import { inShard } from "../sharding.js";
import { buildEnrichers, buildTargetsOf, type BuiltTarget } from "../targets.js";
import { AccountDiscovery } from "./account-discovery.js";
import { selectAccounts, type DiscoveredAccount } from "./select-accounts.js";

/** Where the Organizations role is assumed when the organization section lists no region (never: regions are required). */
const ORGANIZATIONS_STS_REGION = "us-east-1";

/** After a failed discovery, the next attempt comes this soon (or at the interval, if sooner). */
const DISCOVERY_RETRY_MS = 5 * 60_000;

/**
 * Account discovery (the config file's organization section): lists the organization's accounts now
 * and every --discovery.interval, and makes the poller poll the configured targets plus one target per
 * discovered account and region of this shard, each through the member role. A target that stays keeps
 * its clients, credentials and state; those of removed accounts are destroyed after the poller let go.
 */
export function accountDiscovery(
  config: Config,
  poller: Poller,
  configured: readonly PolledTarget[],
  deps: { readonly logger: Logger; readonly selfMetrics: SelfMetrics; readonly now?: (() => number) | undefined },
): { discovery: AccountDiscovery; close: () => Promise<void> } | undefined {
  const discovery = config.discovery;
  if (discovery === undefined) return undefined;
  const { logger, selfMetrics } = deps;
  const org = discovery.organization;
  const settings: CallSettings = { requestTimeoutMs: config.aws.requestTimeoutMs, maxAttempts: config.aws.maxAttempts };
  const record = (operation: string, outcome: string) => selfMetrics.recordDiscoveryApiCall(operation, outcome);
  const stsRegion = org.regions[0] ?? ORGANIZATIONS_STS_REGION;
  const credentials =
    org.roleArn === undefined ? undefined : assumedRoleCredentialSet({ roleArn: org.roleArn, externalId: org.externalId, sessionName: org.sessionName }, stsRegion, settings, record).credentials;
  const accounts = new OrganizationAccounts({ settings, credentials, recordApiCall: record });
  const configuredKeys = new Set(configured.map((t) => t.key));
  let live = new Map<string, { built: BuiltTarget; target: PolledTarget }>();

  const apply = async (discovered: readonly DiscoveredAccount[]): Promise<void> => {
    const next = new Map<string, { built: BuiltTarget; target: PolledTarget }>();
    const polled: DiscoveredAccount[] = [];
    for (const account of discovered) {
      const target: TargetConfig = {
        roleArn: memberRoleArn(org.memberRole, account.id),
        externalId: org.memberExternalId,
        sessionName: org.memberSessionName,
        accountId: account.id,
        regions: org.regions,
        filters: org.filters,
      };
      // Kept targets reuse their clients; the account's new regions (or the account itself) are built once.
      const keys = org.regions.filter((r) => inShard(target, r, config.shard)).map((r) => `${target.roleArn}/${r}`).filter((k) => !configuredKeys.has(k));
      if (keys.length === 0) continue;
      polled.push(account);
      const missing = new Set(keys.filter((k) => !live.has(k)));
      if (missing.size > 0) {
        const built = buildTargetsOf(config, selfMetrics, [{ ...target, regions: org.regions.filter((r) => missing.has(`${target.roleArn}/${r}`)) }]);
        const enrichers = buildEnrichers(config, built, deps);
        built.forEach((b, i) => live.set(b.key, { built: b, target: { key: b.key, source: b.source, enricher: enrichers[i] } }));
      }
      for (const k of keys) {
        const entry = live.get(k);
        if (entry !== undefined) next.set(k, entry);
      }
    }
    await poller.setTargets([...configured, ...[...next.values()].map((e) => e.target)]);
    for (const [key, { built }] of live) {
      if (next.has(key)) continue;
      built.source.destroy();
      built.enrichment?.destroy();
    }
    live = next;
    selfMetrics.recordAccounts(polled);
  };

  const runner = new AccountDiscovery({
    discover: async (signal) => selectAccounts(await accounts.list(org.organizationalUnits, signal), org),
    intervalMs: discovery.intervalMs,
    timeoutMs: config.poll.timeoutMs,
    retryMs: DISCOVERY_RETRY_MS,
    apply,
    onOutcome: (outcome, n) => selfMetrics.recordDiscovery(outcome, n, Date.now()),
    logger,
  });
  return {
    discovery: runner,
    close: async () => {
      await runner.stop();
      accounts.destroy();
      for (const { built } of live.values()) {
        built.source.destroy();
        built.enrichment?.destroy();
      }
    },
  };
}
