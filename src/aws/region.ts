import { SSMClient } from "@aws-sdk/client-ssm";

/**
 * Regions to poll: the configured ones, else the one region of the SDK's default chain
 * (AWS_REGION, or the `region` of the AWS config profile). undefined when there is none.
 */
export async function resolveRegions(configured: readonly string[]): Promise<readonly string[] | undefined> {
  if (configured.length > 0) return configured;
  const client = new SSMClient({});
  try {
    const region = await client.config.region();
    return region ? [region] : undefined;
  } catch {
    return undefined;
  } finally {
    client.destroy();
  }
}
