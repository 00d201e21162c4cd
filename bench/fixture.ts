import type { Association as SdkAssociation } from "@aws-sdk/client-ssm";
import type { Association } from "../src/domain/association.js";
import type * as Page from "../src/aws/list-associations-page.js";
import type * as Seed from "../dev/simulator/seed.js";
import type { WireAssociation } from "../dev/simulator/types.js";
import type { Snapshot, TargetState } from "../src/domain/snapshot.js";
import { BENCH_REGION, BENCH_SEED, FIXED_NOW_MS, importDevDist, importDist } from "./lib.js";

export const BENCH_ACCOUNT_ID = "123456789012";

/**
 * A wire association as the SDK hands it over after deserialising ListAssociations: the same fields,
 * LastExecutionDate (epoch seconds on the wire) turned into a Date the way the SDK's JSON protocol does.
 */
export function wireToSdk(wire: WireAssociation): SdkAssociation {
  const { LastExecutionDate, ...rest } = wire;
  return LastExecutionDate === undefined ? rest : { ...rest, LastExecutionDate: new Date(Math.round(LastExecutionDate * 1000)) };
}

/** `count` generated associations mapped to our Association type the way a poll would map them. */
export async function benchAssociations(count: number): Promise<Association[]> {
  const { generateAssociations } = await importDevDist<typeof Seed>("simulator/seed.js");
  const { parseListAssociationsPage } = await importDist<typeof Page>("aws/list-associations-page.js");
  const wire = generateAssociations(count, { seed: BENCH_SEED, region: BENCH_REGION, now: FIXED_NOW_MS });
  return parseListAssociationsPage({ Associations: wire.map(wireToSdk) }).associations;
}

/** One successfully polled target holding `associations`, as the poller would publish it. */
export function benchSnapshot(associations: readonly Association[]): Snapshot {
  const state: TargetState = {
    key: "0",
    region: BENCH_REGION,
    accountId: BENCH_ACCOUNT_ID,
    pending: false,
    associations: Object.freeze([...associations]),
    up: true,
    lastSuccessSeconds: FIXED_NOW_MS / 1000,
    pollDurationSeconds: 1.5,
    lastError: undefined,
    staleDropped: false,
  };
  return Object.freeze({ takenAtSeconds: FIXED_NOW_MS / 1000, targets: Object.freeze([state]) });
}
