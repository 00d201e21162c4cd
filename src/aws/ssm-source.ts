import { paginateListAssociations, SSMClient, type AssociationFilter as SdkFilter } from "@aws-sdk/client-ssm";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import type { AssociationFilter } from "../config/config.js";
import { AwsCallError, type Association, type AssociationSource } from "../domain/association.js";
import { apiCallRecorderPlugin, type ApiCallRecorder } from "./api-call-recorder.js";
import { toAwsCallError } from "./aws-error.js";
import { fromSdkAssociation } from "./from-sdk.js";

/** ListAssociations' largest page (MaxResults 1–50): the fewest calls per poll. */
export const PAGE_SIZE = 50;
/** 2,000 active associations per account and region is the quota; this bound only stops a runaway NextToken loop. */
const MAX_PAGES = 2_000;

export interface SsmSourceOptions {
  readonly region: string;
  readonly filters: readonly AssociationFilter[];
  readonly requestTimeoutMs: number;
  readonly maxAttempts: number;
  /** undefined = the SDK's default credential chain (env, profile, IRSA / Pod Identity, instance role). */
  readonly credentials?: AwsCredentialIdentityProvider;
  readonly knownAccountId?: string | undefined;
  /** Shared by every source that uses the same credentials, so STS is asked once. */
  readonly accountId: () => Promise<string>;
  readonly recordApiCall: ApiCallRecorder;
}

/** AssociationSource over @aws-sdk/client-ssm for one account×region. */
export class SsmAssociationSource implements AssociationSource {
  readonly region: string;
  readonly knownAccountId: string | undefined;
  private readonly client: SSMClient;
  private readonly filters: SdkFilter[];
  private readonly resolveAccountId: () => Promise<string>;

  constructor(options: SsmSourceOptions) {
    this.region = options.region;
    this.knownAccountId = options.knownAccountId;
    this.resolveAccountId = options.accountId;
    this.filters = options.filters.map((f) => ({ key: f.key, value: f.value }));
    this.client = new SSMClient({
      region: options.region,
      ...(options.credentials ? { credentials: options.credentials } : {}),
      retryMode: "adaptive",
      maxAttempts: options.maxAttempts,
      requestHandler: { requestTimeout: options.requestTimeoutMs, connectionTimeout: Math.min(options.requestTimeoutMs, 5_000) },
    });
    this.client.middlewareStack.use(apiCallRecorderPlugin(options.recordApiCall));
  }

  accountId(): Promise<string> {
    return this.resolveAccountId();
  }

  async listAssociations(signal?: AbortSignal): Promise<Association[]> {
    const associations: Association[] = [];
    const input = this.filters.length > 0 ? { AssociationFilterList: this.filters } : {};
    let pages = 0;
    try {
      const pager = paginateListAssociations(
        { client: this.client, pageSize: PAGE_SIZE, stopOnSameToken: true },
        input,
        { abortSignal: signal },
      );
      for await (const page of pager) {
        for (const item of page.Associations ?? []) associations.push(fromSdkAssociation(item));
        if (++pages >= MAX_PAGES) {
          throw new AwsCallError("ListAssociations", "PaginationLimitExceeded", this.region, `stopped after ${MAX_PAGES} pages`);
        }
      }
    } catch (err) {
      throw toAwsCallError(err, "ListAssociations", this.region);
    }
    return associations;
  }

  destroy(): void {
    this.client.destroy();
  }
}
