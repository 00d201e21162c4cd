/**
 * The demo's data set, in one place: `npm run demo` serves it, and the end-to-end test runs the real
 * exporter, Prometheus and Alertmanager against exactly this data to prove the shipped alerts raise
 * what was seeded on purpose and nothing else.
 */
import type { CliOptions } from "./simulator/cli.js";
import type { SeededConditions } from "./simulator/seed.js";
import type { Simulator } from "./simulator/simulator.js";

export const DEMO_REGIONS: readonly string[] = ["us-east-1", "eu-west-1"];
/** The account the exporter's own credentials belong to. */
export const DEMO_ACCOUNT_ID = "123456789012";
/** A second account, reached by assuming a role, as a fleet setup does. */
export const DEMO_MEMBER_ROLE = "arn:aws:iam::210987654321:role/ssm-association-exporter";
export const DEMO_PER_ACCOUNT_AND_REGION = 40;
export const DEMO_SEED = 1;
/**
 * The enrichment the demo and the end-to-end test run with: tags and failed targets, so the dashboard's
 * owner labels and failed-target table have data. Not --ssm.describe-associations: the end-to-end test
 * proves the alerts that fire on exactly the seeded conditions, which do not include NoRecentSuccess.
 */
export const DEMO_ENRICHMENT_FLAGS: readonly string[] = ["--ssm.tags", "--ssm.tag=team,owner", "--ssm.failed-targets"];

/** The simulator options of the demo data set: 2 accounts × 2 regions × 40 associations, seed 1 (the
 * member account gets seed 2). Churn (live status flips and on-schedule runs) is the caller's choice. */
export function demoSimulatorOptions(live: { churnEveryMs: number | undefined; churnCount?: number }): CliOptions {
  return {
    host: "127.0.0.1",
    port: 0,
    regions: [...DEMO_REGIONS],
    associations: DEMO_PER_ACCOUNT_AND_REGION,
    roles: [DEMO_MEMBER_ROLE],
    seed: DEMO_SEED,
    accountId: DEMO_ACCOUNT_ID,
    accessKeys: [],
    churnEveryMs: live.churnEveryMs,
    churnCount: live.churnCount ?? 2,
  };
}

/** The exporter's targets file for the demo: its own account in both regions, the member account in both. */
export function demoTargetsFile(): string {
  const regions = `[${DEMO_REGIONS.join(", ")}]`;
  return ["targets:", `  - regions: ${regions}`, `  - role_arn: ${DEMO_MEMBER_ROLE}`, `    regions: ${regions}`, ""].join("\n");
}

export type SeededCounts = { [K in Exclude<keyof SeededConditions, "now">]: number } & { associations: number };

/** How many associations each seeded condition holds, over every scope of the simulator. */
export function seededCounts(sim: Simulator): SeededCounts {
  const counts: SeededCounts = { associations: 0, failed: 0, targetsFailed: 0, overdue: 0, neverRan: 0, onTime: 0 };
  for (const scope of sim.scopes()) {
    counts.associations += sim.getAssociations(scope).length;
    const seeded = sim.seededConditions(scope);
    if (seeded === undefined) continue;
    counts.failed += seeded.failed.length;
    counts.targetsFailed += seeded.targetsFailed.length;
    counts.overdue += seeded.overdue.length;
    counts.neverRan += seeded.neverRan.length;
    counts.onTime += seeded.onTime.length;
  }
  return counts;
}

/** One line for people: what the data set holds on purpose. */
export function describeSeeded(c: SeededCounts): string {
  const other = c.associations - c.onTime - c.overdue - c.neverRan;
  return (
    `seeded ${c.associations} associations: ${c.onTime} on time, ${c.overdue} overdue on purpose (missed their latest ` +
    `scheduled run by over 2 h), ${c.neverRan} never ran (Pending), ${other} one-time or unscheduled; ` +
    `${c.failed} Failed, ${c.targetsFailed} of them with failed targets`
  );
}
