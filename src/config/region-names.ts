import { partition } from "@aws-sdk/core/client";

/**
 * Whether the AWS SDK knows this region (its partitions data names every region of every partition, with
 * a description). A typo such as "us-eest-1" matches the partitions' name patterns, so the pattern alone
 * would not catch it. A region newer than the installed SDK is unknown until the SDK is updated.
 */
export function isKnownRegion(region: string): boolean {
  return /^[a-z]{2,}(-[a-z]+)+-\d+$/.test(region) && (partition(region) as { description?: string }).description !== undefined;
}
