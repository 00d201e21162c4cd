import { ListAccountsCommand, ListAccountsForParentCommand, ListChildrenCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { z } from "zod";
import { AwsCallError, INVALID_RESPONSE } from "../domain/association.js";
import { apiCallRecorderPlugin, type ApiCallRecorder } from "./api-call-recorder.js";
import { abortedCallError, toAwsCallError } from "./aws-error.js";
import { sdkClientOptions, type CallSettings } from "./client-options.js";
import { firstProblem, type Parsed } from "./parsed.js";

/** One account as AWS Organizations lists it: only what discovery uses. */
export interface OrganizationAccount {
  readonly id: string;
  /** Empty when AWS sends none. */
  readonly name: string;
  /** Status: ACTIVE, SUSPENDED, PENDING_CLOSURE; empty when AWS sends none. */
  readonly status: string;
  /** State (newer member): PENDING_ACTIVATION, ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED; undefined when not sent. */
  readonly state: string | undefined;
}

/**
 * The boundary (botocore organizations/2016-11-28 `ListAccountsResponse`, `ListAccountsForParentResponse`,
 * `ListChildrenResponse`): the lists are always present in a real answer, an account's Id is 12 digits.
 */
const account = z.object({
  Id: z.string().regex(/^\d{12}$/, { message: "must be a 12-digit account id" }),
  Name: z.string().optional(),
  Status: z.string().optional(),
  State: z.string().optional(),
});
const accountsPage = z.object({ Accounts: z.array(account), NextToken: z.string().optional() });
const childrenPage = z.object({ Children: z.array(z.object({ Id: z.string().min(1, { message: "must be a non-empty string" }) })), NextToken: z.string().optional() });

export function parseAccountsPage(operation: string, output: unknown): Parsed<{ accounts: OrganizationAccount[]; nextToken: string | undefined }> {
  const result = accountsPage.safeParse(output);
  if (!result.success) return firstProblem(operation, result.error);
  const accounts = result.data.Accounts.map((a) => ({ id: a.Id, name: a.Name ?? "", status: a.Status ?? "", state: a.State }));
  return { ok: true, value: { accounts, nextToken: nonEmpty(result.data.NextToken) } };
}

export function parseChildrenPage(output: unknown): Parsed<{ ids: string[]; nextToken: string | undefined }> {
  const result = childrenPage.safeParse(output);
  if (!result.success) return firstProblem("ListChildren", result.error);
  return { ok: true, value: { ids: result.data.Children.map((c) => c.Id), nextToken: nonEmpty(result.data.NextToken) } };
}

function nonEmpty(token: string | undefined): string | undefined {
  return token === undefined || token === "" ? undefined : token;
}

/** AWS Organizations has one endpoint per partition; the SDK reaches the aws partition's through us-east-1. */
export const ORGANIZATIONS_REGION = "us-east-1";

/** Pages per listing at most: 20 accounts a page, so 200,000 accounts; a service that never ends a listing is an error. */
const MAX_PAGES = 10_000;
/** Organizational units nest at most 5 deep under the root; a deeper walk is a loop in the answers. */
const MAX_DEPTH = 6;

export interface OrganizationAccountsOptions {
  readonly settings: CallSettings;
  /** undefined = the default chain; otherwise the role Organizations is called through. */
  readonly credentials: AwsCredentialIdentityProvider | undefined;
  readonly recordApiCall: ApiCallRecorder;
}

/**
 * Lists an organization's accounts over @aws-sdk/client-organizations: every page of ListAccounts, or
 * under given roots and organizational units, recursively (ListAccountsForParent, ListChildren). Every
 * page is validated; a listing is complete or it rejects with AwsCallError.
 */
export class OrganizationAccounts {
  private readonly client: OrganizationsClient;

  constructor(options: OrganizationAccountsOptions) {
    this.client = new OrganizationsClient(sdkClientOptions(ORGANIZATIONS_REGION, options.settings, options.credentials));
    this.client.middlewareStack.use(apiCallRecorderPlugin(options.recordApiCall));
  }

  /** Every account of the organization, or of these parents and every OU below them, each once. */
  async list(parents: readonly string[] | undefined, signal: AbortSignal): Promise<OrganizationAccount[]> {
    if (parents === undefined) return this.pages("ListAccounts", signal, (NextToken) => this.client.send(new ListAccountsCommand({ NextToken }), { abortSignal: signal }));
    const accounts = new Map<string, OrganizationAccount>();
    const visited = new Set<string>();
    let level = [...parents];
    for (let depth = 0; level.length > 0; depth++) {
      if (depth >= MAX_DEPTH) throw new AwsCallError("ListChildren", INVALID_RESPONSE, ORGANIZATIONS_REGION, `organizational units nest deeper than ${MAX_DEPTH - 1} levels`);
      const next: string[] = [];
      for (const parent of level) {
        if (visited.has(parent)) continue;
        visited.add(parent);
        for (const a of await this.pages("ListAccountsForParent", signal, (NextToken) =>
          this.client.send(new ListAccountsForParentCommand({ ParentId: parent, NextToken }), { abortSignal: signal }),
        )) {
          accounts.set(a.id, a);
        }
        next.push(...(await this.children(parent, signal)));
      }
      level = next;
    }
    return [...accounts.values()];
  }

  destroy(): void {
    this.client.destroy();
  }

  private async pages(operation: string, signal: AbortSignal, send: (token: string | undefined) => Promise<unknown>): Promise<OrganizationAccount[]> {
    const out: OrganizationAccount[] = [];
    const seen = new Set<string>();
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const parsed = parseAccountsPage(operation, await this.call(operation, signal, () => send(token)));
      if (!parsed.ok) throw new AwsCallError(operation, INVALID_RESPONSE, ORGANIZATIONS_REGION, parsed.message, undefined, parsed.field);
      out.push(...parsed.value.accounts);
      token = parsed.value.nextToken;
      if (token === undefined) return out;
      if (seen.has(token)) throw new AwsCallError(operation, INVALID_RESPONSE, ORGANIZATIONS_REGION, `${operation} returned a NextToken it had returned before: the listing would never end`);
      seen.add(token);
    }
    throw new AwsCallError(operation, INVALID_RESPONSE, ORGANIZATIONS_REGION, `${operation} did not end within ${MAX_PAGES} pages`);
  }

  private async children(parent: string, signal: AbortSignal): Promise<string[]> {
    const ids: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const output = await this.call("ListChildren", signal, () =>
        this.client.send(new ListChildrenCommand({ ParentId: parent, ChildType: "ORGANIZATIONAL_UNIT", NextToken: token }), { abortSignal: signal }),
      );
      const parsed = parseChildrenPage(output);
      if (!parsed.ok) throw new AwsCallError("ListChildren", INVALID_RESPONSE, ORGANIZATIONS_REGION, parsed.message, undefined, parsed.field);
      ids.push(...parsed.value.ids);
      token = parsed.value.nextToken;
      if (token === undefined) return ids;
    }
    throw new AwsCallError("ListChildren", INVALID_RESPONSE, ORGANIZATIONS_REGION, `ListChildren did not end within ${MAX_PAGES} pages`);
  }

  private async call(operation: string, signal: AbortSignal, send: () => Promise<unknown>): Promise<unknown> {
    try {
      return await send();
    } catch (err) {
      throw signal.aborted ? abortedCallError(signal, operation, ORGANIZATIONS_REGION) : toAwsCallError(err, operation, ORGANIZATIONS_REGION);
    }
  }
}
