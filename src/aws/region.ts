import { SSMClient } from "@aws-sdk/client-ssm";

/**
 * The region of the AWS SDK's default chain (AWS_REGION, or the `region` of the AWS config profile),
 * for a configuration that names none; undefined when the chain has none.
 */
export async function sdkDefaultRegion(): Promise<string | undefined> {
  const client = new SSMClient({});
  try {
    const region = await client.config.region();
    return region || undefined;
  } catch {
    return undefined;
  } finally {
    client.destroy();
  }
}
