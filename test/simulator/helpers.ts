import { SSMClient } from "@aws-sdk/client-ssm";
import { STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { startSimulator, type RunningSimulator } from "../../dev/simulator/server.js";
import type { WireAssociation } from "../../dev/simulator/types.js";

export const TEST_SECRET = "simulated-secret";

/** A real SDK client against the simulator; one attempt, so call counts equal requests. */
export function ssmClient(endpoint: string, region = "us-east-1", accessKeyId = "AKIDTESTDEFAULT"): SSMClient {
  return new SSMClient({ region, endpoint, credentials: { accessKeyId, secretAccessKey: TEST_SECRET }, maxAttempts: 1 });
}

export function stsClient(endpoint: string, region = "us-east-1", accessKeyId = "AKIDTESTDEFAULT"): STSClient {
  return new STSClient({ region, endpoint, credentials: { accessKeyId, secretAccessKey: TEST_SECRET }, maxAttempts: 1 });
}

/** A minimal valid association; override what a test cares about. */
export function association(id: number, overrides: Partial<WireAssociation> = {}): WireAssociation {
  const hex = id.toString(16).padStart(12, "0");
  return {
    Name: "AWS-RunPatchBaseline",
    AssociationId: `00000000-0000-4000-8000-${hex}`,
    AssociationVersion: "1",
    DocumentVersion: "$DEFAULT",
    Targets: [{ Key: "tag:Environment", Values: ["prod"] }],
    Overview: { Status: "Success", DetailedStatus: "Success", AssociationStatusAggregatedCount: { Success: 2 } },
    ScheduleExpression: "rate(1 day)",
    ...overrides,
  };
}

/** Rejection of a promise, for asserting on SDK errors. */
export async function rejection(p: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { $metadata?: { httpStatusCode?: number } };
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/**
 * Starts a simulator and a real SDK client for `region` once for the enclosing file or describe block,
 * hands both to `started`, closes them afterwards, and before each test clears faults and counters and
 * sets the region's data to `data()`.
 */
export function useSimulatorWithClient(region: string, data: () => WireAssociation[], started: (env: { server: RunningSimulator; client: SSMClient }) => void): void {
  let server: RunningSimulator | undefined;
  let client: SSMClient | undefined;
  beforeAll(async () => {
    server = await startSimulator();
    client = ssmClient(server.url, region);
    started({ server, client });
  });
  afterAll(async () => {
    client?.destroy();
    await server?.close();
  });
  beforeEach(() => {
    server?.sim.clearFaults();
    server?.sim.resetCounters();
    server?.sim.setAssociations({ region }, data());
  });
}
