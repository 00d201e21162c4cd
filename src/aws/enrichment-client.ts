import {
  DescribeAssociationCommand,
  DescribeAssociationExecutionsCommand,
  DescribeAssociationExecutionTargetsCommand,
  ListTagsForResourceCommand,
  SSMClient,
} from "@aws-sdk/client-ssm";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { AwsCallError, INVALID_RESPONSE, type Association, type AssociationDetails, type AssociationTags, type FailedTargets } from "../domain/association.js";
import { apiCallRecorderPlugin, type ApiCallRecorder } from "./api-call-recorder.js";
import { abortedCallError, toAwsCallError } from "./aws-error.js";
import { sdkClientOptions, type CallSettings } from "./client-options.js";
import { parseDescribeAssociation } from "./describe-association.js";
import { failedTargetsOf, parseExecutionTargetsPage, parseLatestExecution } from "./failed-targets.js";
import { parseTags } from "./list-tags.js";
import type { Parsed } from "./parsed.js";

export interface EnrichmentClientOptions {
  readonly region: string;
  readonly settings: CallSettings;
  /** undefined = the SDK's default credential chain; otherwise the target's (shared with its ListAssociations client). */
  readonly credentials: AwsCredentialIdentityProvider | undefined;
  /** Every attempt is recorded under its operation, like ListAssociations' are. */
  readonly recordApiCall: ApiCallRecorder;
}



/**
 * The optional per-association calls for one account×region over @aws-sdk/client-ssm: DescribeAssociation,
 * ListTagsForResource and the two calls behind failed targets. Every answer is validated at this edge;
 * each method resolves with our domain types or rejects with AwsCallError only.
 */
export class SsmEnrichmentClient {
  readonly region: string;
  private readonly client: SSMClient;

  constructor(options: EnrichmentClientOptions) {
    this.region = options.region;
    this.client = new SSMClient(sdkClientOptions(options.region, options.settings, options.credentials));
    this.client.middlewareStack.use(apiCallRecorderPlugin(options.recordApiCall));
  }

  /** --ssm.describe-associations. */
  readonly describe = async (associationId: string, signal: AbortSignal): Promise<AssociationDetails> => {
    const output = await this.call("DescribeAssociation", signal, () => this.client.send(new DescribeAssociationCommand({ AssociationId: associationId }), { abortSignal: signal }));
    return this.valid("DescribeAssociation", parseDescribeAssociation(output));
  };

  /** --ssm.tags: the association's tags whose keys are in `allowed` (the others are dropped here). */
  tags(allowed: ReadonlySet<string>): (associationId: string, signal: AbortSignal) => Promise<AssociationTags> {
    return async (associationId, signal) => {
      const input = { ResourceType: "Association" as const, ResourceId: associationId };
      const output = await this.call("ListTagsForResource", signal, () => this.client.send(new ListTagsForResourceCommand(input), { abortSignal: signal }));
      return this.valid("ListTagsForResource", parseTags(output, allowed));
    };
  }

  /**
   * --ssm.failed-targets: the newest execution of the association (one DescribeAssociationExecutions
   * call, one item), then its targets filtered to Failed, page by page until `max` are read or there
   * are no more. Those a cap leaves out are counted from the listing's Failed count.
   */
  readonly failedTargets = async (association: Association, max: number, signal: AbortSignal): Promise<FailedTargets> => {
    const associationId = association.associationId;
    const executions = await this.call("DescribeAssociationExecutions", signal, () =>
      this.client.send(new DescribeAssociationExecutionsCommand({ AssociationId: associationId, MaxResults: 1 }), { abortSignal: signal }),
    );
    const executionId = this.valid("DescribeAssociationExecutions", parseLatestExecution(executions));
    if (executionId === undefined) return { executionId: undefined, targets: [], leftOut: 0 };
    const targets = [];
    let nextToken: string | undefined;
    let more = false;
    do {
      const input = {
        AssociationId: associationId,
        ExecutionId: executionId,
        Filters: [{ Key: "Status" as const, Value: "Failed" }],
        MaxResults: Math.min(50, max - targets.length),
        ...(nextToken === undefined ? {} : { NextToken: nextToken }),
      };
      const output = await this.call("DescribeAssociationExecutionTargets", signal, () =>
        this.client.send(new DescribeAssociationExecutionTargetsCommand(input), { abortSignal: signal }),
      );
      const page = this.valid("DescribeAssociationExecutionTargets", parseExecutionTargetsPage(output));
      targets.push(...page.targets);
      nextToken = page.nextToken;
      more = nextToken !== undefined || targets.length > max;
    } while (nextToken !== undefined && targets.length < max);
    return failedTargetsOf(executionId, targets, max, more, association.targetCounts.get("Failed") ?? 0);
  };

  destroy(): void {
    this.client.destroy();
  }

  private async call(operation: string, signal: AbortSignal, send: () => Promise<unknown>): Promise<unknown> {
    try {
      return await send();
    } catch (err) {
      throw signal.aborted ? abortedCallError(signal, operation, this.region) : toAwsCallError(err, operation, this.region);
    }
  }

  private valid<T>(operation: string, parsed: Parsed<T>): T {
    if (!parsed.ok) throw new AwsCallError(operation, INVALID_RESPONSE, this.region, parsed.message, undefined, parsed.field);
    return parsed.value;
  }
}
