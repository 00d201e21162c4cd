import { createHash } from "node:crypto";
import { accountIdOfRoleArn } from "./aws/credentials.js";
import type { ShardSelection, TargetConfig } from "./config/config.js";

/**
 * What a target×region is sharded by: its account id when it is known without asking AWS (configured,
 * or from the role ARN), else `default` (the default credential chain, the same account for every
 * replica that shares the config), and the region. Every replica computes the same key from the same
 * config, before any AWS call.
 */
export function shardKey(target: Pick<TargetConfig, "accountId" | "roleArn">, region: string): string {
  const account = target.accountId ?? (target.roleArn === undefined ? undefined : accountIdOfRoleArn(target.roleArn)) ?? "default";
  return `${account}/${region}`;
}

/**
 * The shard of a key among `total`: the first 8 bytes of its SHA-256 as an unsigned integer, modulo
 * `total`. It depends on the key and `total` only, so a target moves only when the number of shards
 * changes, and n replicas split any set of targets into n disjoint parts whose union is the whole.
 */
export function shardOf(key: string, total: number): number {
  if (!Number.isInteger(total) || total < 1) throw new RangeError(`total shards must be a whole number ≥ 1, got ${total}`);
  const digest = createHash("sha256").update(key, "utf8").digest();
  return Number(digest.readBigUInt64BE(0) % BigInt(total));
}

/** Whether this replica polls the target×region. */
export function inShard(target: Pick<TargetConfig, "accountId" | "roleArn">, region: string, shard: ShardSelection): boolean {
  return shard.total === 1 || shardOf(shardKey(target, region), shard.total) === shard.index;
}
