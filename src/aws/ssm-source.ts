import { ListAssociationsCommand, SSMClient, type AssociationFilter as SdkFilter } from "@aws-sdk/client-ssm";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import type { AssociationFilter } from "../config/config.js";
import { AwsCallError, INVALID_RESPONSE, type Association, type AssociationSource } from "../domain/association.js";
import { apiCallRecorderPlugin, type ApiCallRecorder } from "./api-call-recorder.js";
import type { AccountIdentity } from "./account-identity.js";
import { abortedCallError, toAwsCallError } from "./aws-error.js";
import { sdkClientOptions, type CallSettings } from "./client-options.js";
import { InvalidPageError, parseListAssociationsPage } from "./list-associations-page.js";

/** ListAssociations' largest page (MaxResults 1–50): the fewest calls per poll. */
export const PAGE_SIZE = 50;
/** 2,000 active associations per account and region is the quota; this bound only stops a runaway NextToken loop. */
const MAX_PAGES = 2_000;
const OPERATION = "ListAssociations";

export interface SsmSourceOptions {
  readonly region: string;
  readonly filters: readonly AssociationFilter[];
  readonly settings: CallSettings;
  /** undefined = the SDK's default credential chain (env, profile, IRSA / Pod Identity, instance role). */
  readonly credentials: AwsCredentialIdentityProvider | undefined;
  readonly identity: AccountIdentity;
  readonly recordApiCall: ApiCallRecorder;
}

/** AssociationSource over @aws-sdk/client-ssm for one account×region. */
export class SsmAssociationSource implements AssociationSource {
  readonly region: string;
  readonly operations: AssociationSource["operations"];
  private readonly client: SSMClient;
  private readonly filters: SdkFilter[];
  private readonly identity: AccountIdentity;

  constructor(options: SsmSourceOptions) {
    this.region = options.region;
    this.identity = options.identity;
    this.operations = { accountId: options.identity.operation, listAssociations: OPERATION };
    this.filters = options.filters.map((f) => ({ key: f.key, value: f.value }));
    this.client = new SSMClient(sdkClientOptions(options.region, options.settings, options.credentials));
    this.client.middlewareStack.use(apiCallRecorderPlugin(options.recordApiCall));
  }

  get knownAccountId(): string | undefined {
    return this.identity.knownAccountId;
  }

  accountId(signal: AbortSignal): Promise<string> {
    return this.identity.accountId(signal);
  }

  /**
   * Every page, each validated before it is used. The listing is complete or the call rejects: a page
   * that fails the schema, a NextToken seen before (a loop) or an association listed twice fails it.
   */
  async listAssociations(signal: AbortSignal): Promise<Association[]> {
    const associations: Association[] = [];
    const ids = new Set<string>();
    const tokens = new Set<string>();
    const filters = this.filters.length > 0 ? { AssociationFilterList: this.filters } : {};
    let nextToken: string | undefined;
    for (let pages = 1; ; pages++) {
      let output: unknown;
      try {
        output = await this.client.send(new ListAssociationsCommand({ ...filters, MaxResults: PAGE_SIZE, NextToken: nextToken }), { abortSignal: signal });
      } catch (err) {
        throw signal.aborted ? abortedCallError(signal, OPERATION, this.region) : toAwsCallError(err, OPERATION, this.region);
      }
      let page;
      try {
        page = parseListAssociationsPage(output);
      } catch (err) {
        if (!(err instanceof InvalidPageError)) throw err;
        throw this.invalid(`page ${pages}: ${err.message}`, err.path);
      }
      for (const association of page.associations) {
        if (ids.has(association.associationId)) {
          throw this.invalid(`page ${pages}: association ${association.associationId} was already listed on an earlier page`, "Associations[].AssociationId");
        }
        ids.add(association.associationId);
        associations.push(association);
      }
      if (page.nextToken === undefined) return associations;
      if (tokens.has(page.nextToken)) throw this.invalid(`page ${pages}: NextToken repeats an earlier one; the listing would never end`, "NextToken");
      if (pages >= MAX_PAGES) throw new AwsCallError(OPERATION, "PaginationLimitExceeded", this.region, `stopped after ${MAX_PAGES} pages`);
      tokens.add(page.nextToken);
      nextToken = page.nextToken;
    }
  }

  destroy(): void {
    this.client.destroy();
  }

  private invalid(message: string, field: string): AwsCallError {
    return new AwsCallError(OPERATION, INVALID_RESPONSE, this.region, message, undefined, field);
  }
}
