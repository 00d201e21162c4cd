import { DescribeAssociationCommand, SSMClient } from "@aws-sdk/client-ssm";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { z } from "zod";
import { AwsCallError, INVALID_RESPONSE, type AssociationDetails } from "../domain/association.js";
import { apiCallRecorderPlugin, type ApiCallRecorder } from "./api-call-recorder.js";
import { abortedCallError, toAwsCallError } from "./aws-error.js";
import { sdkClientOptions, type CallSettings } from "./client-options.js";

const OPERATION = "DescribeAssociation";

/**
 * The boundary for DescribeAssociation (botocore ssm/2014-11-06 `DescribeAssociationResult`,
 * `AssociationDescription`): only the members the exporter uses are checked, unknown ones ignored,
 * optional ones may be missing; a wrong type in any of them fails the whole answer.
 */
const description = z.object({
  LastSuccessfulExecutionDate: z.date().optional(),
  ComplianceSeverity: z.string().optional(),
  SyncCompliance: z.string().optional(),
  ApplyOnlyAtCronInterval: z.boolean().optional(),
  CalendarNames: z.array(z.string()).optional(),
});

const answer = z.object({
  AssociationDescription: description,
});

/** Validates one DescribeAssociation answer. Returns the details, or the first problem as text. */
export function parseDescribeAssociation(output: unknown): { ok: true; details: AssociationDetails } | { ok: false; field: string; message: string } {
  const result = answer.safeParse(output);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = (issue?.path ?? []).map(String).join(".") || "(body)";
    const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more problems)` : "";
    return { ok: false, field, message: `invalid DescribeAssociation response: ${field} ${issue?.message ?? "is invalid"}${more}` };
  }
  const d = result.data.AssociationDescription;
  return {
    ok: true,
    details: {
      lastSuccessfulExecutionSeconds: d.LastSuccessfulExecutionDate === undefined ? undefined : d.LastSuccessfulExecutionDate.getTime() / 1000,
      complianceSeverity: d.ComplianceSeverity ?? "",
      syncCompliance: d.SyncCompliance ?? "",
      applyOnlyAtCronInterval: d.ApplyOnlyAtCronInterval,
      calendarNames: Object.freeze([...(d.CalendarNames ?? [])]),
    },
  };
}

export interface DescribeAssociationOptions {
  readonly region: string;
  readonly settings: CallSettings;
  /** undefined = the SDK's default credential chain; otherwise the target's (shared with its ListAssociations client). */
  readonly credentials: AwsCredentialIdentityProvider | undefined;
  /** Every attempt is recorded as DescribeAssociation, like ListAssociations' are. */
  readonly recordApiCall: ApiCallRecorder;
}

/** DescribeAssociation over @aws-sdk/client-ssm for one account×region; rejects with AwsCallError only. */
export class SsmAssociationDescriber {
  readonly region: string;
  private readonly client: SSMClient;

  constructor(options: DescribeAssociationOptions) {
    this.region = options.region;
    this.client = new SSMClient(sdkClientOptions(options.region, options.settings, options.credentials));
    this.client.middlewareStack.use(apiCallRecorderPlugin(options.recordApiCall));
  }

  /** Bound to this describer: a DescribeAssociation function for the enrichment cache. */
  readonly describe = async (associationId: string, signal: AbortSignal): Promise<AssociationDetails> => {
    let output: unknown;
    try {
      output = await this.client.send(new DescribeAssociationCommand({ AssociationId: associationId }), { abortSignal: signal });
    } catch (err) {
      throw signal.aborted ? abortedCallError(signal, OPERATION, this.region) : toAwsCallError(err, OPERATION, this.region);
    }
    const parsed = parseDescribeAssociation(output);
    if (!parsed.ok) throw new AwsCallError(OPERATION, INVALID_RESPONSE, this.region, parsed.message, undefined, parsed.field);
    return parsed.details;
  };

  destroy(): void {
    this.client.destroy();
  }
}
